"""The zygote: a clean, warm process that forks confined workers on request.

Started once per grading run, before the judge loads hidden checks or the
reference, it imports torch, numpy and matplotlib and exercises a training
step so that lazy initialisation is paid once. Each worker is then a `fork()`
of it (milliseconds) instead of an interpreter start plus a torch import
(seconds). It holds nothing secret, so a worker inherits nothing secret.

Protocol (JSON frames over a private Unix socket, one connection per judge):
`spawn` (the worker's socket arrives as a passed fd) → pid; `wait` pid →
exit status; `kill` pid → every process of that worker killed, then status.

It never outlives the grading run that started it: killed (even with
SIGKILL), that run cannot stop it, and a zygote left running would go on
forking workers for the judges it orphaned. So the run hands it the read
end of a pipe whose write end only the run (and its judges) hold: end of
file on it means they are all gone, and the zygote ends its workers and
exits; PR_SET_PDEATHSIG (`die_with_parent`) makes the same happen at once
when its parent dies. The run's judges and other forked children take
`die_with_parent` too.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import os
import resource
import selectors
import signal
import socket
import sys
import tempfile
import time
from types import ModuleType
from typing import Any

from autograder.sandbox import hugepages

worker: ModuleType  # imported by main() before the first fork

UID_BASE = 62000
HARNESS_BROKEN = 70  # exit code of a worker whose own harness code failed
UID_BLOCK = 128
UID_BLOCKS = 24
CGROUP_PREFIX = "autograder-"
LOCK_DIR = "/run/autograder" if os.access("/run", os.W_OK) else "/tmp/autograder"


def claim_uid_block() -> tuple[range, Any]:
    """A uid range no other zygote on this host uses, held by a lock for our lifetime.

    Two grading runs on one machine must never share a uid: a zygote kills
    every process of a finished worker's uid, which would hit the other run.
    """
    import fcntl

    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    for block in range(UID_BLOCKS):
        handle = open(os.path.join(LOCK_DIR, f"uids-{block}.lock"), "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        start = UID_BASE + block * UID_BLOCK
        return range(start, start + UID_BLOCK), handle
    raise RuntimeError("no free worker uid block: too many grading runs at once")


def warm_up() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy  # noqa: F401
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(8, 3))
    for opt in (torch.optim.SGD(model.parameters(), lr=0.1),
                torch.optim.Adam(model.parameters(), lr=0.1)):
        x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y) + F.mse_loss(x, x) + F.huber_loss(x, x)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        model(torch.randn(4, 4)).softmax(-1).log().logsumexp(-1)
    torch.autograd.gradcheck(lambda t: (t.exp() / t.exp().sum()).sum(),
                             (torch.randn(3, dtype=torch.float64, requires_grad=True),))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    plt.close(fig)
    from torch.utils.data import DataLoader, TensorDataset

    list(DataLoader(TensorDataset(torch.zeros(4, 2), torch.zeros(4)), batch_size=2))
    # fbgemm writes its int64 matrix product's kernel at first use (a confusion matrix as a
    # product of one-hot matrices): written here, every worker has it, an evidence worker
    # too, where no code is written (`seccomp._no_new_code`)
    torch.ones(2, 3, dtype=torch.int64) @ torch.ones(3, 2, dtype=torch.int64)
    _spend_compile_first_use()


def _spend_compile_first_use() -> None:
    """`torch.compile`'s first use patches torch's own classes, once per process: nn.Module's
    `__init__` and `__setstate__` to tag generations, the optimizers' `_init_group` kept out
    of tracing. Done here, before any worker's snapshot, so that a notebook's
    `torch.compile(...)` changes nothing a snapshot holds (fresh eyes 17: flagged as
    tampering, 28 points). Both are torch's own once-only functions; nothing is compiled."""
    try:
        from torch._dynamo.eval_frame import TorchPatcher
        from torch._dynamo.mutation_guard import install_generation_tagging_init
    except ImportError:  # (another torch: nothing to spend)
        return
    TorchPatcher.patch()
    install_generation_tagging_init()



def _keep_only(fd: int) -> int:
    """In a new worker: close every descriptor it inherited but the standard three and its
    own socket (returned, moved to 3). Deny by default: the zygote's epoll set, its
    listener, other judges' connections, anything a library opened — a worker handed the
    zygote's epoll descriptor could fake events in the zygote's own loop and stall it for
    every later student."""
    if fd != 3:
        os.dup2(fd, 3, inheritable=False)
        os.close(fd)
    os.closerange(4, _fd_limit())
    return 3


def _fd_limit() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if 0 < soft < 1 << 20 else 1 << 20


class NoWorkerUid(Exception):
    """Every uid of the block is held by a live worker: this spawn cannot drop privileges."""

class Zygote:
    def __init__(self, socket_path: str, scratch_root: str, parent_pipe: int | None = None) -> None:
        from autograder.sandbox import cleanup, limits
        from autograder.sandbox.cgroups import Cgroups

        self.limits = limits
        self.cleanup = cleanup
        self.scratch_root = scratch_root
        # An empty folder each worker mounts its private root over (in its own namespace).
        self.rootfs_mountpoint = os.path.join(os.path.dirname(scratch_root), "rootfs")
        os.makedirs(self.rootfs_mountpoint, mode=0o755, exist_ok=True)
        self.caps = limits.probe(self.rootfs_mountpoint)
        if os.geteuid() == 0:
            Cgroups.sweep_stale(CGROUP_PREFIX)
            self.caps.cgroups = Cgroups.create(f"{CGROUP_PREFIX}{os.getpid()}")
            if not self.caps.cgroups.version:
                self.caps.warnings.append(
                    "no writable cgroup: a worker's leftover processes are found through its "
                    "PID namespace and uid instead of one race-free kill")
        # Our own PID namespace: after forking a worker into a new one, return to it.
        self.pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.names = itertools.count()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(socket_path)
        os.chmod(socket_path, 0o600)
        self.listener.listen(64)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        # A worker's exit wakes the loop at once (through SIGCHLD's wakeup fd) instead of at
        # the next poll: a judge waiting for a kill is answered in ~1 ms, not ~20.
        self.wake_read, self.wake_write = socket.socketpair()
        self.wake_read.setblocking(False)
        self.wake_write.setblocking(False)
        signal.signal(signal.SIGCHLD, lambda *args: None)
        signal.set_wakeup_fd(self.wake_write.fileno(), warn_on_full_buffer=False)
        self.selector.register(self.wake_read, selectors.EVENT_READ)
        self.parent_pipe = parent_pipe  # end of file: the grading run is gone
        if parent_pipe is not None:
            self.selector.register(parent_pipe, selectors.EVENT_READ)
        self.clients: list[socket.socket] = []
        self.workers: dict[int, dict[str, Any]] = {}  # pid -> uid, scratch
        self.exited: dict[int, int] = {}  # pid -> wait status
        self.waiting: list[tuple[socket.socket, int, float]] = []
        self.free_uids: list[int] = []
        self.unawaited: set[int] = set()  # ended workers whose exit nobody waits for
        self._uid_lock: Any = None
        self.collapsing: list[tuple[int, int]] = []  # memory still to move to huge pages
        self.prepared: dict[str, Any] = {}  # evidence workers' blocks, by plan (`_for_good`)
        self.huge = False  # its memory is (being) moved to huge pages
        if self.caps.drop_privileges:
            uids, self._uid_lock = claim_uid_block()
            self.free_uids = list(uids)

    def announce(self) -> None:
        sys.stdout.write(json.dumps(self.caps.summary()) + "\n")
        sys.stdout.flush()

    def run(self) -> None:
        from autograder.sandbox import protocol

        while True:
            # idle with memory left to collapse: one step of it, else wait for a request
            # (forks go first: the judges' first workers wait for no collapse)
            events = self.selector.select(timeout=0 if self.collapsing else 0.02)
            if not events and self.collapsing:
                hugepages.collapse([self.collapsing.pop(0)])
            for key, _ in events:
                sock = key.fileobj
                if sock is self.wake_read:
                    with contextlib.suppress(BlockingIOError):
                        while self.wake_read.recv(4096):
                            pass
                    continue
                if sock == self.parent_pipe:
                    self.parent_pipe_readable()
                    continue
                if sock is self.listener:
                    conn, _ = self.listener.accept()
                    self.clients.append(conn)
                    self.selector.register(conn, selectors.EVENT_READ)
                    continue
                assert isinstance(sock, socket.socket)
                try:
                    self.handle(sock)
                except (protocol.ProtocolError, OSError, ValueError, KeyError, IndexError):
                    # a client that broke the one-request-one-reply rule (or left) loses its
                    # line, and its workers end with it; the zygote keeps serving the others
                    self.drop_client(sock)
            self.reap()
            self.answer_waits()

    def drop_client(self, sock: socket.socket) -> None:
        """A judge's connection is gone: every worker it started ends now (red team 16: a
        worker whose judge stopped listening ran on, holding its uid, its memory and a CPU,
        until the batch ended)."""
        self.selector.unregister(sock)
        self.clients.remove(sock)
        sock.close()
        for pid, info in list(self.workers.items()):
            if info.get("client") is sock:
                self.kill(pid)
                self.unawaited.add(pid)
        self.waiting = [(s, pid, deadline) for s, pid, deadline in self.waiting if s is not sock]

    def parent_pipe_readable(self) -> None:
        """Nothing is ever written to it: readable means end of file, so the run is gone."""
        assert self.parent_pipe is not None
        try:
            data = os.read(self.parent_pipe, 64)
        except OSError:
            data = b""
        if not data:
            self.shutdown()

    def handle(self, sock: socket.socket) -> None:
        from autograder.sandbox import protocol

        msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 4)
        if not msg:
            raise protocol.PeerClosed("client left")
        request = json.loads(msg.decode("utf-8"))
        del msg  # (a worker is forked below, this frame on its stack: `spawn`)
        op = request["op"]
        if op == "spawn":
            try:
                pid = self.spawn(request, fds[0])
            except NoWorkerUid as exc:  # (said to the judge: one submission's error, not its line)
                sock.sendall(json.dumps({"error": str(exc)}).encode() + b"\n")
                return
            finally:
                os.close(fds[0])
            self.workers[pid]["client"] = sock
            from autograder.sandbox import harness

            sock.sendall(json.dumps({"pid": pid, "scenarios": sorted(harness.SCENARIOS)}).encode()
                         + b"\n")
        elif op == "wait":
            self.waiting.append((sock, int(request["pid"]), time.monotonic() + float(request["timeout"])))
        elif op == "kill":
            self.kill(int(request["pid"]))
            self.waiting.append((sock, int(request["pid"]), time.monotonic() + 5.0))
        elif op == "huge_pages":  # (started ahead in small pages: `client.start_early`)
            if not self.huge:
                self.huge = True
                self.collapsing = hugepages.pending()
            sock.sendall(b'{"ok": true}\n')
        elif op == "end":  # a finished worker: killed the same way, answered at once
            self.end(int(request["pid"]))
            sock.sendall(b'{"ended": true}\n')  # (one request, one reply: no framing else)

    def spawn(self, request: dict[str, Any], fd: int) -> int:
        if self.caps.drop_privileges and not self.free_uids:
            raise NoWorkerUid(f"all {len(self.workers)} worker uids are in use")
        uid = self.free_uids.pop(0) if self.caps.drop_privileges else None
        scratch = ""
        if not self.caps.mount_namespace:  # no private root: home is a host folder
            scratch = tempfile.mkdtemp(prefix="w", dir=self.scratch_root)
            if uid is not None:
                os.chown(scratch, uid, uid)
        name = f"w{next(self.names)}"
        for_good = self._for_good(request.get("block_for_good"))
        # (an evidence worker's file system is without the libraries it blocks for good that
        # no worker has loaded: `harness.ForGood.hidden`)
        hidden = for_good.hidden if for_good is not None else ()
        memory_mb = int(request["memory_mb"])
        scratch_mb = int(request.get("scratch_mb", 256))
        policy = self.limits.Policy(
            memory_mb=memory_mb, cpu_s=int(request["cpu_s"]),
            max_processes=int(request["max_processes"]), max_file_mb=int(request["max_file_mb"]),
            max_open_files=int(request["max_open_files"]), scratch=scratch,
            hide_paths=self.limits.inside_runtime((*request.get("hide_paths", []), *hidden)),
            uid=uid, scratch_mb=scratch_mb,
            rootfs_mountpoint=self.rootfs_mountpoint, cgroup=name,
            no_new_code=bool(request.get("block_for_good")),
        )
        # The address-space rlimit is the friendly limit (MemoryError in the cell); the
        # group's cap also counts the in-memory folders, which no rlimit sees.
        self.caps.cgroups.make_worker(name, (memory_mb + 3 * scratch_mb + 256) << 20,
                                      int(request["max_processes"]) + 8)
        if self.caps.pid_namespace:
            self.limits._unshare(self.limits.CLONE_NEWPID)  # the next child is pid 1 of a new one
        pid = -1
        try:
            pid = os.fork()
        finally:
            if self.caps.pid_namespace and pid != 0:
                self.limits.setns(self.pid_ns, self.limits.CLONE_NEWPID)
        if pid == 0:  # pragma: no cover - the worker
            code = HARNESS_BROKEN
            try:
                self.listener.close()
                for client in self.clients:
                    client.close()
                signal.set_wakeup_fd(-1)
                self.wake_read.close()
                self.wake_write.close()
                os.close(self.pid_ns)
                if self.parent_pipe is not None:
                    os.close(self.parent_pipe)
                if self._uid_lock is not None:  # a worker must not hold (or flock) the lock
                    self._uid_lock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)  # (as Python starts)
                # (the worker's time limits: set before its seccomp filter, which refuses
                # every new signal handler)
                signal.signal(signal.SIGALRM, worker.on_alarm)
                fd = _keep_only(fd)
                cpus = {int(c) for c in request.get("cpus", [])} & os.sched_getaffinity(0)
                # The request names the batch's folders (its hidden paths: every submission's
                # parent, the output folder); the frames this worker was forked in hold it, and
                # a cell can walk up to them (outside red team 88): emptied before any student
                # code runs; the policy keeps only the paths inside the runtime.
                request.clear()
                if cpus:  # judge and worker alternate on one CPU: no cross-CPU wake-ups
                    os.sched_setaffinity(0, cpus)
                self.limits.apply(policy, self.caps)
                self.limits.clean_environment(
                    self.limits.rootfs.HOME if self.caps.mount_namespace else scratch)
                if for_good is not None:  # an evidence worker's (session.evidence)
                    from autograder.sandbox import harness

                    harness.block_for_good(for_good)
                worker.serve(socket.socket(fileno=fd), self.caps.network_namespace)
                code = 0
            except worker.HarnessBroken:
                pass  # (a cell's doing: the judge says which)
            except BaseException:
                import traceback

                traceback.print_exc()  # a harness bug: goes to the grader's stderr
            finally:
                os._exit(code)
        self.workers[pid] = {"uid": uid, "scratch": scratch, "cgroup": name}
        return pid

    def _for_good(self, plan: Any) -> Any:
        """An evidence worker's block, worked out here once for each plan
        (`harness.prepare_for_good`): every worker forked after inherits it as it is."""
        if not plan:
            return None
        from autograder.sandbox import harness

        key = json.dumps(plan)
        if key not in self.prepared:
            self.prepared[key] = harness.prepare_for_good(plan)
        return self.prepared[key]

    def end(self, pid: int) -> None:
        """A worker its judge is done with: killed, its exit awaited by nobody; one that has
        exited already (reaped) leaves no status behind (outside red team 93: its pid, left in
        `exited` and `unawaited`, would have given a later worker of the same pid a stale
        status, and lost that worker's own)."""
        if pid in self.workers:
            self.kill(pid)
            self.unawaited.add(pid)
        else:
            self.exited.pop(pid, None)

    def kill(self, pid: int) -> None:
        """End a worker and everything it started. With a PID namespace, killing its pid 1
        ends them all (the kernel's doing); its cgroup then catches anything that raced;
        only where neither exists is the uid swept through /proc. A pid that is no worker of
        this zygote's (reaped already) is left alone: it may be another process's now."""
        info = self.workers.get(pid)
        if info is None:
            return
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            with contextlib.suppress(OSError):
                target()
        if info and not (self.caps.pid_namespace and self.caps.cgroups.version):
            self._end_leftovers(info)
        # else: the kernel ends the whole PID namespace with its pid 1, and `reap` sweeps
        # the worker's cgroup when pid 1 is reaped (SIGCHLD wakes the loop at once), without
        # holding up the other judges' requests while the processes exit.

    def _end_leftovers(self, info: dict[str, Any]) -> None:
        self.caps.cgroups.kill(info["cgroup"])
        if info["uid"] is not None and not (self.caps.pid_namespace and self.caps.cgroups.version):
            self.sweep(info["uid"])

    @staticmethod
    def sweep(uid: int, passes: int = 50) -> None:
        """Kill whatever a worker left behind under its uid (the fallback where there is
        neither a PID namespace nor a cgroup): pass over /proc until a pass finds nobody,
        so a process that changed pid during one pass is caught by the next."""
        for _ in range(passes):
            found = 0
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                        fields = dict(line.split(":", 1) for line in status if ":" in line)
                    if int(fields["Uid"].split()[1]) != uid or fields["State"].split()[0] in "ZX":
                        continue  # not the worker's, or already dead (a zombie awaits its reaper)
                    os.kill(int(entry), signal.SIGKILL)
                    found += 1
                except (OSError, ValueError, KeyError, IndexError):
                    continue
            if not found:
                return
            time.sleep(0.001)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            info = self.workers.pop(pid, None)
            if pid in self.unawaited:
                self.unawaited.discard(pid)
            else:
                self.exited[pid] = status
            if info:
                self._end_leftovers(info)
                self.caps.cgroups.remove_worker(info["cgroup"])
                if info["uid"] is not None:
                    self.free_uids.append(info["uid"])
                if info["scratch"]:
                    self.cleanup.remove_tree(info["scratch"])

    def shutdown(self) -> None:
        """SIGTERM, or the run gone: end every worker, remove the run's cgroups and its
        sandbox folder (the client removes it too when it is alive to)."""
        for pid, info in list(self.workers.items()):
            self.kill(pid)
            self._end_leftovers(info)  # at once: the groups are removed next
        self.caps.cgroups.remove()
        self.cleanup.remove_tree(os.path.dirname(self.scratch_root))
        os._exit(0)

    def answer_waits(self) -> None:
        now = time.monotonic()
        still = []
        for sock, pid, deadline in self.waiting:
            if pid in self.exited or now > deadline or pid not in self.workers:
                status = self.exited.pop(pid, None)
                reply: dict[str, Any] = {"pid": pid, "exited": status is not None}
                if status is None and pid in self.workers:
                    # waited for in vain: the judge has given up on it, so it ends now (red
                    # team 16: a cell that closed its socket and slept ran until the batch
                    # ended, and 32 such notebooks held every worker uid)
                    self.kill(pid)
                    self.unawaited.add(pid)
                    reply["killed"] = True
                if status is not None:
                    if os.WIFSIGNALED(status):
                        reply["signal"] = os.WTERMSIG(status)
                    else:
                        reply["exitcode"] = os.WEXITSTATUS(status)
                with contextlib.suppress(OSError):
                    sock.sendall(json.dumps(reply).encode() + b"\n")
            else:
                still.append((sock, pid, deadline))
        self.waiting = still


SMALL_PAGES = "--small-pages"
# Environment variable the client sets: the fd (0, its stdin) holding the read end of the
# pipe whose end of file says the grading run is gone (see the module docstring).
PARENT_PIPE = "AUTOGRADER_PARENT_PIPE"
# Set by the sandbox's own tests only (`client.Zygote(native_code=True)`): workers that do not
# refuse ctypes, so that a test can call the kernel directly and show the layer below
# (seccomp, namespaces, the dropped uid) refusing. Read and removed by the zygote at start: a
# worker's environment never holds it, and nothing a notebook does reaches the zygote's.
NATIVE_FOR_SANDBOX_TESTS = "AUTOGRADER_NATIVE_FOR_SANDBOX_TESTS"
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send `sig` to this process when its parent dies. `parent`: the pid
    the parent had before this process was forked; if the parent is already gone (it died
    before this call, so no signal will come), `sig` now. None: no such check (a process
    started through a launcher, whose parent may be the launcher)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)


def _take_parent_pipe() -> int | None:
    """The parent's pipe as a private fd (not inherited by workers), with /dev/null put
    back where it was (a worker's stdin stays /dev/null); None when not started so."""
    given = os.environ.pop(PARENT_PIPE, None)
    if given is None or not given.isdigit():
        return None
    watch = os.dup(int(given))  # (non-inheritable)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, int(given))
    os.close(devnull)
    return watch  # argv flag: leave the zygote's memory in 4 KB pages


def arguments(argv: list[str]) -> tuple[str, str, bool, list[str]]:
    """argv: socket, scratch root, optionally `SMALL_PAGES`, then the lab's worker-side
    modules (paths): (socket, scratch root, whether to use huge pages, modules)."""
    rest = argv[3:]
    huge = not (rest and rest[0] == SMALL_PAGES)
    return argv[1], argv[2], huge, rest if huge else rest[1:]


def main() -> None:
    # No garbage collection while the zygote starts: each full collection during the imports
    # rescanned every object imported so far (~0.7 s of a ~4 s start, all of it on the path
    # of every batch). What is alive at the end is frozen below; what the imports left as
    # garbage (~13k objects, a few MB, no secrets: nothing secret is ever here) is frozen
    # with it rather than collected (~0.3 s): no worker touches it.
    gc.disable()
    die_with_parent(None, signal.SIGTERM)  # (SIGTERM: `shutdown`, once its handler is set)
    parent_pipe = _take_parent_pipe()
    native_for_tests = os.environ.pop(NATIVE_FOR_SANDBOX_TESTS, None) == "1"
    socket_path, scratch_root, huge_pages, lab_modules = arguments(sys.argv)
    # First, while the process is small: the capability probe forks a child per protection
    # it tries, and a fork copies the page tables of all the memory torch will take (the
    # probe: ~0.02 s now, ~0.2 s after the imports).
    zygote = Zygote(socket_path, scratch_root, parent_pipe)
    signal.signal(signal.SIGTERM, lambda *a: zygote.shutdown())  # (its cgroups exist now)
    # A terminal's Ctrl-C reaches every process of the batch: the batch says "interrupted"
    # and ends the zygote itself (SIGTERM, or its pipe closing); a traceback here was noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up()
    # Everything a worker runs is imported now: its private root has no project folder and
    # no lab folder. The lab's scenarios register themselves; then the registry is closed.
    global worker
    from autograder.sandbox import harness, worker

    if native_for_tests:
        worker.NATIVE_FOR_SANDBOX_TESTS.append(True)
    harness.load_lab_modules(lab_modules)
    harness.seal()
    harness.prefer_native_meta_kernels()  # the emulated device's kernels: C++ where torch has them
    # The worker's own paths run a few dozen times here, so that they start warm in every
    # worker (see `rehearsal`); then, every module a worker uses imported (the zygote's own
    # included), the integrity baseline every worker starts from is taken once, here.
    from autograder.sandbox import rehearsal

    rehearsal.run()
    # (what the rehearsal's requests kept freed here: kept into the fork, every worker's first
    # `release_kept` wrote to those objects' pages — ~1,800 pages copied a submission)
    harness.release_kept()
    # (the grader's classes immutable for every worker: `worker.freeze_grader_classes`; here,
    # in the zygote's own process, never in a judge's or a test's)
    worker.freeze_grader_classes()
    worker.prepare()
    # Everything alive now is shared with every worker; frozen, a worker's garbage collections
    # leave it alone instead of writing to (and so copying) each of its pages.
    gc.freeze()
    gc.enable()
    # ... and, step by step while it waits for requests, in huge pages: a fork copies, and an
    # exit drops, 512 times fewer page-table entries (see `hugepages`)
    zygote.huge = huge_pages
    zygote.collapsing = hugepages.pending() if huge_pages else []
    zygote.announce()
    zygote.run()


if __name__ == "__main__":
    main()
