"""Judge-side handle on the zygote: start it once, then spawn workers from it."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder import NO_GPU
from autograder.config import Limits
from autograder.sandbox.cleanup import remove_tree
from autograder.sandbox.limits import inside_runtime
from autograder.sandbox.zygote import NATIVE_FOR_SANDBOX_TESTS, PARENT_PIPE, SMALL_PAGES


class SandboxError(Exception):
    """The sandbox itself failed (not the student's code): a harness error."""


@dataclass
class SandboxInfo:
    """What the zygote could set up on this host (see `limits.probe`)."""

    network_namespace: bool
    mount_namespace: bool
    drop_privileges: bool
    pid_namespace: bool = False
    seccomp: bool = False
    cgroup_version: int = 0
    warnings: list[str] = field(default_factory=list)


PREFIX = "autograder-sandbox-"


def sweep_stale_roots(parent: str | None = None, min_age_s: float = 60.0) -> list[str]:
    """Remove the sandbox folders of grading runs that were killed (SIGKILL leaves no chance
    to clean up): ours, older than a minute, and with no zygote listening on their socket."""
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    for name in names:
        root = os.path.join(parent, name)
        if not name.startswith(PREFIX):
            continue
        try:
            info = os.lstat(root)
        except OSError:
            continue
        if info.st_uid != os.getuid() or time.time() - info.st_mtime < min_age_s:
            continue
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(os.path.join(root, "zygote.sock"))
            continue  # a live run
        except OSError:
            pass
        finally:
            probe.close()
        if remove_tree(root):  # never raises, whatever a killed run left (a deep tree too)
            removed.append(root)
    return removed


class Zygote:
    """Owns the zygote process; safe to share with judge processes forked later."""

    def __init__(self, hide_paths: list[Path], launcher: tuple[str, ...] = (),
                 overlap: Callable[[], object] | None = None,
                 worker_modules: Sequence[Path] = (),
                 idle: Callable[[Callable[[], bool]], object] | None = None,
                 huge_pages: bool = True, native_code: bool = False) -> None:
        """`launcher` prefixes the zygote's command (e.g. to drop a capability in tests);
        `overlap` is work of the caller's to do while the zygote starts (about 3 s of
        importing and warming torch), such as warming the judges' own torch before they fork;
        `idle` is optional work for the time still left after it, given a function that says
        whether the zygote is ready (then it should stop); `worker_modules` are the lab's
        worker-side modules (its scenarios), which the zygote imports before its first fork;
        `huge_pages`: the zygote moves its memory to huge pages before its first fork
        (`hugepages`: ~0.5 s once, ~12 ms less a worker), worth it for more than a few
        dozen workers. `native_code`: the sandbox's own tests only, workers that do not
        refuse ctypes (`worker.refuse_native_code`), to probe the kernel's layer below it.
        The zygote dies with the thread that starts it (PR_SET_PDEATHSIG) and
        when every holder of its stdin pipe is gone: start it from the thread that uses it."""
        self.hide_paths = [str(p.resolve()) for p in hide_paths]
        early = _take_early(tuple(launcher), tuple(str(Path(p).resolve()) for p in worker_modules),
                            native_code)
        if early is not None:  # (started ahead, while the caller imported: `start_early`)
            self.root, self.scratch_root = early.root, early.scratch_root
            self.socket_path, self.process = early.socket_path, early.process
            self._await(overlap, idle)
            if huge_pages:
                self._ask_huge_pages()
            return
        self._launch(launcher, worker_modules, huge_pages, native_code)
        self._await(overlap, idle)

    def _launch(self, launcher: tuple[str, ...], worker_modules: Sequence[Path],
                huge_pages: bool, native_code: bool) -> None:
        sweep_stale_roots()
        self.root = tempfile.mkdtemp(prefix=PREFIX)
        os.chmod(self.root, 0o711)
        self.scratch_root = os.path.join(self.root, "scratch")
        os.mkdir(self.scratch_root)
        os.chmod(self.scratch_root, 0o711)
        self.socket_path = os.path.join(self.root, "zygote.sock")
        package_root = str(Path(__file__).resolve().parents[2])
        # Only what the zygote needs: a worker forked from it inherits this environment block.
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": package_root,
               "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
               PARENT_PIPE: "0", **NO_GPU,
               **({NATIVE_FOR_SANDBOX_TESTS: "1"} if native_code else {})}
        # Its stdin is a pipe nobody writes to: end of file when this process and the judges
        # forked from it (which inherit the write end) are all gone, killed or not; the
        # zygote then ends its workers and exits (`zygote.Zygote.parent_pipe_readable`).
        self.process = subprocess.Popen(
            [*launcher, sys.executable, "-m", "autograder.sandbox.zygote", self.socket_path,
             self.scratch_root, *([] if huge_pages else [SMALL_PAGES]),
             *(str(Path(p).resolve()) for p in worker_modules)],
            stdout=subprocess.PIPE, stdin=subprocess.PIPE, env=env, cwd=self.root,
        )

    def _await(self, overlap: Callable[[], object] | None,
               idle: Callable[[Callable[[], bool]], object] | None) -> None:
        """The caller's `overlap` and `idle` work while the zygote starts, then its line."""
        assert self.process.stdout is not None
        stdout = self.process.stdout

        def ready() -> bool:  # its one line is there (or it exited): waiting is over
            return bool(select.select([stdout], [], [], 0)[0])

        try:
            if overlap is not None:
                overlap()
            if idle is not None:
                idle(ready)
        except BaseException:
            self.close()
            raise
        line = stdout.readline()
        if not line:
            raise SandboxError("the sandbox zygote failed to start")
        self.info = SandboxInfo(**json.loads(line))

    def _ask_huge_pages(self) -> None:
        """A zygote started ahead in small pages (`start_early`), for a batch worth huge ones
        (`hugepages`): it moves its memory while idle, as if it had started so."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(self.socket_path)
            sock.sendall(json.dumps({"op": "huge_pages"}).encode())
            sock.recv(64)

    def connect(self) -> ZygoteConnection:
        return ZygoteConnection(self.socket_path, self.hide_paths)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        remove_tree(self.root)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass
class _Early:
    """A zygote process started ahead (`start_early`) and what it was started with."""

    launcher: tuple[str, ...]
    worker_modules: tuple[str, ...]
    native_code: bool
    root: str
    scratch_root: str
    socket_path: str
    process: subprocess.Popen[bytes]


_EARLY: list[_Early] = []


def start_early(worker_modules: Sequence[Path] = ()) -> None:
    """Start the zygote now, ahead of the `Zygote` that will own it: its ~2.5 s of importing
    and warming torch then run while the caller imports its own (~1.7 s before a batch can
    start: `autograder grade`), on the other CPU. In small pages (`Zygote(huge_pages=True)`
    asks for huge ones when it takes it). One at a time; `discard_early` ends one that
    nothing took (a run with nothing to grade)."""
    discard_early()
    holder = Zygote.__new__(Zygote)
    holder._launch((), worker_modules, False, False)
    _EARLY.append(_Early((), tuple(str(Path(p).resolve()) for p in worker_modules), False,
                         holder.root, holder.scratch_root, holder.socket_path, holder.process))


def _take_early(launcher: tuple[str, ...], worker_modules: tuple[str, ...],
                native_code: bool) -> _Early | None:
    """The zygote started ahead, if it was started as this one would be (else it ends)."""
    if not _EARLY:
        return None
    early = _EARLY.pop()
    if (early.launcher, early.worker_modules, early.native_code) == (launcher, worker_modules,
                                                                    native_code) \
            and early.process.poll() is None:
        return early
    _end(early)
    return None


def discard_early() -> None:
    """End the zygote started ahead that no `Zygote` took."""
    while _EARLY:
        _end(_EARLY.pop())


def _end(early: _Early) -> None:
    holder = Zygote.__new__(Zygote)
    holder.root, holder.process = early.root, early.process
    holder.close()


@dataclass
class WorkerHandle:
    pid: int
    sock: socket.socket
    # The lab's scenarios, as the zygote that forked the worker registered them: a worker
    # that says one of them is unknown is not the harness speaking (`session.scenario`).
    scenarios: frozenset[str] = frozenset()


class ZygoteConnection:
    """One judge's private line to the zygote (a forked judge opens its own)."""

    def __init__(self, socket_path: str, hide_paths: list[str]) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(socket_path)
        self.reader = self.sock.makefile("rb")
        self.hide_paths = hide_paths
        # Workers forked ahead for the next submission, by the request each was made for
        # (its text); until the zygote's reply to a request is read, the request and our end
        # of the worker's socket, in the order sent (`_settle`).
        self._spares: dict[str, WorkerHandle] = {}
        self._due: list[tuple[str, socket.socket]] = []
        # The library block of the last evidence worker asked for: the next submission's is
        # forked ahead too (`prepare_spare`)
        self._evidence_plan: Any = None

    def _reply(self, timeout: float) -> dict[str, Any]:
        """The zygote's reply to this connection's latest request; the reply to a spare's
        request still unread comes first (`_settle`), whatever the request."""
        self._settle()
        self.sock.settimeout(timeout)
        try:
            line = self.reader.readline()
        except (TimeoutError, OSError) as exc:
            raise SandboxError(f"the sandbox zygote did not answer: {exc}") from exc
        if not line:
            raise SandboxError("the sandbox zygote exited")
        return json.loads(line)  # type: ignore[no-any-return]

    def _request(self, limits: Limits, extra_hidden: list[str],
                 block_for_good: Any = None) -> dict[str, Any]:
        return {
            **({"block_for_good": block_for_good} if block_for_good else {}),
            "op": "spawn",
            "memory_mb": limits.memory_mb,
            "cpu_s": limits.cpu_s,
            "max_processes": limits.max_processes,
            "max_file_mb": limits.max_file_mb,
            "max_open_files": limits.max_open_files,
            "scratch_mb": limits.scratch_mb,
            # Only the hidden paths inside the runtime a worker binds (the zygote needs no
            # other): the rest name the batch's folders — the output folder, every
            # submission's parent, that is every classmate's folder — and what the zygote
            # once held, freed or not, is in the memory of every worker it forks (outside red
            # team 94 read them there through numpy's array interface, red team 88 off the
            # zygote's frames)
            "hide_paths": list(inside_runtime(self.hide_paths + extra_hidden)),
            # the worker runs where its judge runs (see batch.run: one CPU per judge)
            "cpus": sorted(os.sched_getaffinity(0)),
        }

    def _ask_spawn(self, request: dict[str, Any]) -> socket.socket:
        """Send a spawn request; our end of the new worker's socket (the zygote's reply, its
        pid, is still to be read)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], [theirs.fileno()])
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        return ours

    def _spawn(self, request: dict[str, Any]) -> WorkerHandle:
        ours = self._ask_spawn(request)
        try:
            reply = self._reply(30)
            if "error" in reply:
                raise SandboxError(f"the sandbox could not start a worker: {reply['error']}")
        except SandboxError:
            ours.close()
            raise
        return WorkerHandle(int(reply["pid"]), ours, _names(reply))

    def _settle(self) -> None:
        """Read the zygote's replies to the spares' spawn requests, if still unread: the
        zygote answers one request after another, so they come before the reply to any
        request sent after them (`_reply` reads them first). A spare the zygote could not
        make is no spare (the next spawn forks one)."""
        due, self._due = self._due, []
        for key, ours in due:
            try:
                reply = self._reply(30)
                worker = WorkerHandle(int(reply["pid"]), ours, _names(reply))
            except (SandboxError, ValueError, KeyError, TypeError):
                ours.close()
                continue
            older = self._spares.pop(key, None)
            if older is not None:
                self._discard(older)
            self._spares[key] = worker

    def spawn(self, limits: Limits, extra_hidden: list[str],
              block_for_good: Any = None) -> WorkerHandle:
        """A fresh worker: the spare forked ahead for the same request if it is still
        waiting, else one forked now. `block_for_good`: a library block plan the worker puts
        in place for its whole life before it serves (an evidence worker's)."""
        self._settle()
        request = self._request(limits, extra_hidden, block_for_good)
        if block_for_good:
            self._evidence_plan = block_for_good
        key = _key(request)
        spare = self._spares.pop(key, None)
        # (a spare of the same kind made for another request, other limits: not this one's)
        for other in [k for k in self._spares if _evidence(k) == _evidence(key)]:
            self._discard(self._spares.pop(other))
        if spare is not None:
            if _waiting(spare.sock):
                return spare
            self._discard(spare)
        return self._spawn(request)

    def prepare_spare(self, limits: Limits, extra_hidden: list[str]) -> None:
        """Fork the next submission's worker now, while this one is graded — and its
        evidence worker, when this submission's asked for one: its fork, its confinement
        (the cgroup attach waits out an RCU grace period, ~5 ms, during which the judge's CPU
        had nothing to do) and its first page faults then overlap the checks instead of
        holding up the next submission. A spare is a worker like any other: forked from the
        clean zygote, it has run nothing and is used once; one that is not used ends with
        this connection. The request is only sent: the judge goes on with its checks while
        the zygote forks (~5 ms), and the reply is read with the next one (`_settle`)."""
        for plan in (None,) if self._evidence_plan is None else (None, self._evidence_plan):
            request = self._request(limits, extra_hidden, plan)
            key = _key(request)
            if key not in self._spares and all(key != due for due, _ in self._due):
                self._due.append((key, self._ask_spawn(request)))

    def _discard(self, worker: WorkerHandle) -> None:
        worker.sock.close()  # (a spare waiting for its first request exits at end of file)
        self.end(worker.pid)

    def wait(self, pid: int, timeout: float) -> dict[str, Any]:
        self.sock.sendall(json.dumps({"op": "wait", "pid": pid, "timeout": timeout}).encode())
        return self._reply(timeout + 10)

    def kill(self, pid: int) -> dict[str, Any]:
        started = time.monotonic()
        self.sock.sendall(json.dumps({"op": "kill", "pid": pid}).encode())
        reply = self._reply(15)
        reply["kill_seconds"] = time.monotonic() - started
        return reply

    def end(self, pid: int) -> None:
        """End a finished worker (as `kill`) without waiting for its processes to exit: the
        zygote answers once it has sent the signal, then reaps the worker and sweeps its
        cgroup while this judge grades on."""
        self.sock.sendall(json.dumps({"op": "end", "pid": pid}).encode())
        self._reply(15)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._settle()
        spares, self._spares = self._spares, {}
        for spare in spares.values():
            with contextlib.suppress(SandboxError, OSError):
                self._discard(spare)
        self.sock.close()


def _names(reply: dict[str, Any]) -> frozenset[str]:
    names = reply.get("scenarios")
    return frozenset(n for n in names if isinstance(n, str)) if isinstance(names, list) \
        else frozenset()


def _key(request: dict[str, Any]) -> str:
    return json.dumps(request, sort_keys=True)


def _evidence(key: str) -> bool:
    """An evidence worker's request (`_key`)."""
    return '"block_for_good":' in key


def _waiting(sock: socket.socket) -> bool:
    """A spare that is alive and has said nothing: an idle worker sends nothing before its
    first request, so a readable socket means it exited (end of file)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
