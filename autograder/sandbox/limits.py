"""Confinement applied in a freshly forked worker, before any student code runs.

Layers, strongest first, each used where the OS allows it: a private network
namespace (no interface but a downed loopback), a private mount namespace in
which the hidden paths are covered by empty, unreadable tmpfs mounts, a
dedicated unprivileged uid per worker, rlimits (address space, CPU, processes,
file size, open files, no core dumps), no_new_privs, and death with the parent.
What the host does not allow is reported once by `probe()`, and the worker
falls back (sockets refused in-process) rather than silently running open.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PROBE_UID = 62999


@dataclass(frozen=True)
class Policy:
    memory_mb: int
    cpu_s: int
    max_processes: int
    max_file_mb: int
    max_open_files: int
    scratch: str
    hide_paths: tuple[str, ...] = ()
    uid: int | None = None  # set when the grader runs as root


@dataclass
class Capabilities:
    network_namespace: bool = False
    mount_namespace: bool = False
    drop_privileges: bool = False
    warnings: list[str] = field(default_factory=list)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _unshare(flags: int) -> bool:
    return _libc().unshare(flags) == 0


def runtime_paths() -> list[str]:
    """What a worker must still read after dropping privileges: Python and its packages."""
    prefixes = (sys.base_prefix, sys.prefix)
    paths = {*prefixes, *(p for p in sys.path if p.startswith(prefixes) and os.path.isdir(p))}
    return sorted(paths)


def expand_hidden(paths: list[str]) -> list[str]:
    """Paths to cover so that `paths` are unreadable but the Python runtime is not.

    A hidden directory that contains the runtime (a project folder holding its
    own .venv) is replaced by its other entries.
    """
    runtime = runtime_paths()
    out: list[str] = []
    pending = [os.path.abspath(p) for p in paths]
    while pending:
        path = pending.pop()
        inside = [r for r in runtime if r == path or r.startswith(path.rstrip("/") + "/")]
        if not inside:
            out.append(path)
        elif os.path.isdir(path) and all(r != path for r in inside):
            pending.extend(os.path.join(path, entry) for entry in os.listdir(path))
    return sorted(set(out))


def _in_child(test: Callable[[], bool]) -> bool:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os._exit(0 if test() else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _dropped_uid_can_read_runtime(expose: bool) -> bool:
    if expose and not (_unshare(CLONE_NEWNS) and _expose(runtime_paths())):
        return False
    os.setgroups([])
    os.setgid(PROBE_UID)
    os.setuid(PROBE_UID)
    return all(os.access(path, os.R_OK | os.X_OK) for path in runtime_paths())


def probe() -> Capabilities:
    """Try each protection in a throwaway child; the parent stays unchanged."""
    caps = Capabilities()
    caps.network_namespace = _in_child(lambda: _unshare(CLONE_NEWNET))
    caps.mount_namespace = _in_child(lambda: _unshare(CLONE_NEWNS))
    if os.geteuid() == 0:
        caps.drop_privileges = _in_child(
            lambda: _dropped_uid_can_read_runtime(expose=caps.mount_namespace))
    if not caps.network_namespace:
        caps.warnings.append(
            "no network namespace (needs root or user namespaces): workers fall back to "
            "refusing sockets in-process, which determined code can bypass"
        )
    if not caps.mount_namespace:
        caps.warnings.append(
            "no mount namespace: hidden paths are protected by file permissions only; "
            "run the grader as root (or in a container) so workers cannot see them"
        )
    if not caps.drop_privileges:
        caps.warnings.append(
            "workers keep the grader's uid (not root, or an unprivileged uid could not read "
            "the Python installation); process limits count all of that user's processes"
        )
    return caps


def apply(policy: Policy, caps: Capabilities) -> None:
    """Confine the calling (child) process. Raises OSError if a required step fails."""
    os.setsid()
    libc = _libc()
    if caps.network_namespace:
        _unshare(CLONE_NEWNET)
    if caps.mount_namespace and _unshare(CLONE_NEWNS):
        for path in policy.hide_paths:
            if os.path.isdir(path):
                libc.mount(b"tmpfs", path.encode(), b"tmpfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, b"size=4k,mode=000")
            elif os.path.isfile(path):
                libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None)
        if policy.uid is not None:
            _expose([*runtime_paths(), policy.scratch])
    os.chdir(policy.scratch)
    if policy.uid is not None and caps.drop_privileges:
        os.setgroups([])
        os.setgid(policy.uid)
        os.setuid(policy.uid)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _set_rlimits(policy)
    # A write past the file-size limit then fails with EFBIG inside the cell
    # instead of killing the whole worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _expose(paths: list[str]) -> bool:
    """Make `paths` reachable for an unprivileged uid inside this mount namespace.

    A directory on the way that others cannot search (typically /root, 0700,
    where pyenv installs Python) is covered by a 0755 tmpfs into which only the
    needed children are bind-mounted back; the rest of it stays invisible.
    """
    libc = _libc()
    if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return False
    blocked: dict[str, set[str]] = {}
    for path in paths:
        parts = os.path.abspath(path).split("/")[1:]
        for depth in range(1, len(parts)):
            ancestor = "/" + "/".join(parts[:depth])
            if not os.stat(ancestor).st_mode & 0o001:
                blocked.setdefault(ancestor, set()).add(parts[depth])
                break
    for ancestor, children in blocked.items():
        fds = {child: os.open(os.path.join(ancestor, child), os.O_PATH) for child in children}
        if libc.mount(b"tmpfs", ancestor.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                      b"size=64k,mode=755") != 0:
            return False
        for child, fd in fds.items():
            target = os.path.join(ancestor, child)
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(target)
            else:
                open(target, "w").close()
            ok = libc.mount(f"/proc/self/fd/{fd}".encode(), target.encode(), None,
                            MS_BIND | MS_REC, None) == 0
            os.close(fd)
            if not ok:
                return False
    return True


def _set_rlimits(policy: Policy) -> None:
    mb = 1024 * 1024
    limits = {
        resource.RLIMIT_AS: _address_space_now() + policy.memory_mb * mb,
        resource.RLIMIT_CPU: policy.cpu_s,
        resource.RLIMIT_FSIZE: policy.max_file_mb * mb,
        resource.RLIMIT_NOFILE: policy.max_open_files,
        resource.RLIMIT_CORE: 0,
    }
    if policy.uid is not None:
        # Per-uid accounting: meaningful only when each worker has its own uid.
        limits[resource.RLIMIT_NPROC] = policy.max_processes
    for which, value in limits.items():
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def _address_space_now() -> int:
    """torch maps large libraries; the budget is on top of what is mapped at fork."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 2 * 1024**3


def clean_environment(scratch: str) -> None:
    """The worker sees no secret from the grader's environment."""
    keep = {"PATH": "/usr/bin:/bin", "HOME": scratch, "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1", "TMPDIR": scratch}
    os.environ.clear()
    os.environ.update(keep)
