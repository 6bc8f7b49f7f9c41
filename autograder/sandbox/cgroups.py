"""One control group per worker: memory and process caps, and a kill with no race.

Killing a worker by walking `/proc` for its uid is a race: a process that
forks or re-parents itself (`CLONE_PARENT`) during the walk survives it, and
CPU spinners left behind slowed the next honest submission 4x. A cgroup holds
every process a worker ever made, whatever its pid or parent, so ending them
is one operation:

- cgroup v2: write `1` to `cgroup.kill`;
- cgroup v1 (this project's hosts): freeze the group (`freezer.state`), kill
  every member while none can fork, thaw so the kills are delivered;
- neither writable: `Cgroups.none()`, and the caller falls back to the PID
  namespace and the uid sweep (said once at start by `limits.probe`).

Groups are made under the grader's own group, so a container's limits still
apply above ours; a run removes its groups when it ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass

ROOT = "/sys/fs/cgroup"
V1_CONTROLLERS = ("memory", "pids", "freezer")


def _own_path(controller: str | None) -> str:
    """This process's group in a hierarchy (`None`: the v2 unified one)."""
    with open("/proc/self/cgroup", encoding="ascii") as groups:
        for line in groups:
            _, names, path = line.rstrip("\n").split(":", 2)
            if (controller is None and names == "") or (controller in names.split(",")):
                return path
    raise OSError(f"not in a {controller or 'v2'} cgroup")


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(value)


def _read(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read()


@dataclass(frozen=True)
class Cgroups:
    """The parent folders a run makes its worker groups in (one per hierarchy)."""

    version: int  # 2, 1, or 0 for none
    parents: tuple[str, ...] = ()

    @staticmethod
    def none() -> Cgroups:
        return Cgroups(0)

    @staticmethod
    def create(name: str) -> Cgroups:
        """The run's parent groups, v2 first; `none()` where neither is writable."""
        for make in (_make_v2, _make_v1):
            with contextlib.suppress(OSError, ValueError):
                made = make(name)
                if made is not None:
                    return made
        return Cgroups.none()

    @staticmethod
    def sweep_stale(prefix: str) -> list[str]:
        """Remove the groups of runs whose zygote was killed (`<prefix><pid>`, pid gone)."""
        removed = []
        for hierarchy in (None, *V1_CONTROLLERS):
            try:
                mount = ROOT if hierarchy is None else os.path.join(ROOT, hierarchy)
                own = os.path.join(mount, _own_path(hierarchy).lstrip("/"))
                if not os.path.isdir(own):
                    own = mount
                names = os.listdir(own)
            except (OSError, ValueError):
                continue
            for name in names:
                pid = name[len(prefix):]
                if not name.startswith(prefix) or not pid.isdigit() or _alive(int(pid)):
                    continue
                stale = Cgroups(2 if hierarchy is None else 1, (os.path.join(own, name),))
                for child in _children(stale.parents[0]):
                    stale.kill(child, timeout_s=1.0)
                stale.remove()
                removed.append(stale.parents[0])
        return removed

    # ----------------------------------------------------------- a worker's group
    def worker_paths(self, name: str) -> list[str]:
        return [os.path.join(parent, name) for parent in self.parents]

    def make_worker(self, name: str, memory_bytes: int, max_tasks: int) -> None:
        if not self.version:
            return
        for path in self.worker_paths(name):
            os.makedirs(path, exist_ok=True)
        for path in self.worker_paths(name):
            self._limit(path, memory_bytes, max_tasks)

    def _limit(self, path: str, memory_bytes: int, max_tasks: int) -> None:
        files = {"memory.max": str(memory_bytes), "memory.swap.max": "0",
                 "pids.max": str(max_tasks),
                 "memory.limit_in_bytes": str(memory_bytes),
                 "memory.memsw.limit_in_bytes": str(memory_bytes)}
        for file, value in files.items():
            target = os.path.join(path, file)
            if os.path.exists(target):
                with contextlib.suppress(OSError):
                    _write(target, value)

    def join(self, name: str) -> None:
        """Move the calling process into the worker's group (every hierarchy)."""
        for path in self.worker_paths(name):
            _write(os.path.join(path, "cgroup.procs"), "0")

    def members(self, name: str) -> set[int]:
        pids: set[int] = set()
        for path in self.worker_paths(name):
            with contextlib.suppress(OSError):
                pids |= {int(p) for p in _read(os.path.join(path, "cgroup.procs")).split()}
        return pids

    def kill(self, name: str, timeout_s: float = 5.0) -> bool:
        """End every process in the worker's group; True when the group is empty."""
        if not self.version:
            return True
        paths = self.worker_paths(name)
        if not any(os.path.isdir(p) for p in paths):
            return True
        if not self.members(name):
            # Nobody in it (the common case: pid 1 of the worker's PID namespace is reaped, and
            # the kernel ended the rest with it), and nobody can join: only a member's fork or
            # a write to cgroup.procs puts a process there, and a worker sees no cgroupfs. The
            # freeze below would cost ~0.5 ms of the zygote's loop for each worker.
            return True
        deadline = time.monotonic() + timeout_s
        if self.version == 2:
            with contextlib.suppress(OSError):
                _write(os.path.join(paths[0], "cgroup.kill"), "1")
        else:
            freezer = next((p for p in paths if "/freezer/" in p), None)
            frozen = freezer is not None and _freeze(freezer, deadline)
            for pid in self.members(name):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if frozen and freezer is not None:
                with contextlib.suppress(OSError):
                    _write(os.path.join(freezer, "freezer.state"), "THAWED")
        while self.members(name):
            if time.monotonic() > deadline:
                return False
            for pid in self.members(name):  # a thaw raced with a fork: kill again
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)
        return True

    def remove_worker(self, name: str) -> None:
        for path in self.worker_paths(name):
            with contextlib.suppress(OSError):
                os.rmdir(path)

    def remove(self) -> None:
        """Remove the run's groups (and any worker group left in them)."""
        for parent in self.parents:
            with contextlib.suppress(OSError):
                for child in os.listdir(parent):
                    if os.path.isdir(os.path.join(parent, child)):
                        with contextlib.suppress(OSError):
                            os.rmdir(os.path.join(parent, child))
            with contextlib.suppress(OSError):
                os.rmdir(parent)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _children(path: str) -> list[str]:
    try:
        return [n for n in os.listdir(path) if os.path.isdir(os.path.join(path, n))]
    except OSError:
        return []


def _freeze(freezer: str, deadline: float) -> bool:
    state = os.path.join(freezer, "freezer.state")
    try:
        _write(state, "FROZEN")
        while _read(state).strip() != "FROZEN":
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
    except OSError:
        return False
    return True


def _make_v2(name: str) -> Cgroups | None:
    if not os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
        return None
    own = os.path.join(ROOT, _own_path(None).lstrip("/"))
    enabled = _read(os.path.join(own, "cgroup.subtree_control")).split()
    if not {"memory", "pids"} <= set(enabled):
        # A v2 group with processes cannot delegate controllers (no internal processes).
        return None
    parent = os.path.join(own, name)
    os.makedirs(parent, exist_ok=True)
    try:
        _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids")
    except OSError:
        os.rmdir(parent)
        raise
    return Cgroups(2, (parent,))


def _make_v1(name: str) -> Cgroups | None:
    parents = []
    for controller in V1_CONTROLLERS:
        mount = os.path.join(ROOT, controller)
        if not os.path.isdir(mount):
            return None
        own = os.path.join(mount, _own_path(controller).lstrip("/"))
        if not os.path.isdir(own):  # the group's path as seen from a container
            own = mount
        parent = os.path.join(own, name)
        os.makedirs(parent, exist_ok=True)
        parents.append(parent)
    made = Cgroups(1, tuple(parents))
    probe = "probe"
    try:
        made.make_worker(probe, 1 << 30, 64)
        made.remove_worker(probe)
    except OSError:
        made.remove()
        return None
    return made
