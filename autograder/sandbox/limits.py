"""Confinement applied in a freshly forked worker, before any student code runs.

Deny by default: a worker sees what it needs and nothing else. Layers, each
used where the OS allows it and reported once at start by `probe()` when not:

- its own PID namespace (the zygote makes one per fork): it sees only its own
  processes, and when it dies the kernel kills everything it started;
- its own mount namespace holding a root built for it (`rootfs`): the runtime
  read-only, private size-capped home, /tmp and /dev/shm; no project, no .git;
- its own network (only a downed loopback), IPC (SysV shared memory) and UTS
  namespaces;
- its own cgroup (`cgroups`): memory and task caps, and a race-free kill;
- a dedicated unprivileged uid, no_new_privs, death with the zygote;
- a seccomp filter (`seccomp`) for the system calls torch code never needs,
  user namespaces included;
- rlimits (address space, CPU, processes, file size, open files, no cores).

Where the host refuses namespaces (a default Docker container), the worker
keeps the host's filesystem, protected by permissions only, and refuses
sockets in-process: weaker, and said so at start, never silently.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from autograder import NO_GPU
from autograder.sandbox import rootfs, seccomp
from autograder.sandbox.cgroups import Cgroups

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
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
    scratch: str  # the host folder used as home when there is no private root
    hide_paths: tuple[str, ...] = ()
    uid: int | None = None  # set when the grader runs as root
    scratch_mb: int = 256
    rootfs_mountpoint: str = ""
    cgroup: str = ""  # the worker's group name in `Capabilities.cgroups`
    no_new_code: bool = False  # an evidence worker's: `seccomp._no_new_code`


@dataclass
class Capabilities:
    network_namespace: bool = False
    mount_namespace: bool = False  # a private root (pivot_root), not only a namespace
    pid_namespace: bool = False
    drop_privileges: bool = False
    seccomp: bool = False
    cgroups: Cgroups = field(default_factory=Cgroups.none)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"network_namespace": self.network_namespace,
                "mount_namespace": self.mount_namespace,
                "pid_namespace": self.pid_namespace,
                "drop_privileges": self.drop_privileges,
                "seccomp": self.seccomp,
                "cgroup_version": self.cgroups.version,
                "warnings": self.warnings}


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _unshare(flags: int) -> bool:
    return _libc().unshare(flags) == 0


def setns(fd: int, nstype: int) -> bool:
    return _libc().setns(fd, nstype) == 0


def runtime_paths() -> tuple[str, ...]:
    """What a worker must still read: Python and its packages."""
    return rootfs.runtime_paths()


def inside_runtime(paths: Iterable[str]) -> tuple[str, ...]:
    """The hidden paths a worker's private root must cover: those inside the runtime it binds
    (the rest do not exist there). Only these reach a worker: the others name the batch's
    folders — the output folder, each submission's parent, that is every other student's
    folder — and a worker could read them off its own memory (outside red team 88: the spawn
    request, still on the stack the worker was forked from)."""
    runtime = [r.rstrip("/") + "/" for r in runtime_paths()]
    return tuple(p for p in paths if any(p.startswith(r) for r in runtime))


def expand_hidden(paths: list[str]) -> list[str]:
    """Paths to cover so that `paths` are unreadable but the Python runtime is not.

    With a private root only the ones inside the runtime matter (the rest do not
    exist there); on a host without one they are the permission fallback's list.
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


def _private_root_works(mountpoint: str, uid: int | None) -> bool:
    """Build a worker's root in a throwaway child (PID namespace included) and check
    that the (dropped) uid can still run Python from it."""
    if not _unshare(CLONE_NEWPID):
        return False
    # (resolved here, where a venv reached through a symlink still resolves: inside, the
    # link's own folder may not exist, and an outside red team's grader fell back to no
    # private root at all for it)
    executable = os.path.realpath(sys.executable)

    def inside() -> bool:
        if not _unshare(CLONE_NEWNS):
            return False
        rootfs.build_and_enter(rootfs.Layout(mountpoint, uid, 16))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        readable = all(os.access(p, os.R_OK | os.X_OK) for p in runtime_paths())
        return readable and os.access(executable, os.X_OK) \
            and os.access(rootfs.HOME, os.W_OK) and not os.path.exists(os.path.dirname(
                os.path.dirname(os.path.abspath(__file__))) + "/sandbox")

    return _in_child(inside)


def _dropped_uid_can_read_runtime() -> bool:
    os.setgroups([])
    os.setgid(PROBE_UID)
    os.setuid(PROBE_UID)
    return all(os.access(path, os.R_OK | os.X_OK) for path in runtime_paths())


def _seccomp_loads() -> bool:
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    seccomp.install()
    # The filter is in force: a user namespace is refused.
    return not _unshare(0x10000000)


def _compiles() -> bool:
    try:
        seccomp.program()
        seccomp.program(no_new_code=True)
    except OSError:
        return False
    return True


def probe(mountpoint: str | None = None) -> Capabilities:
    """Try each protection in a throwaway child; the parent stays unchanged."""
    caps = Capabilities()
    rootfs.unsafe_module_files()  # (found once, here: every worker hides them)
    rootfs.unused_package_folders()  # (likewise)
    caps.network_namespace = _in_child(lambda: _unshare(CLONE_NEWNET))
    caps.pid_namespace = _in_child(lambda: _unshare(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS))
    root = os.geteuid() == 0
    if mountpoint and caps.pid_namespace:
        caps.mount_namespace = _in_child(
            lambda: _private_root_works(mountpoint, PROBE_UID if root else None))
    if root:
        caps.drop_privileges = caps.mount_namespace or _in_child(_dropped_uid_can_read_runtime)
    # compiled here, once: every worker forked from this process loads it as it is
    caps.seccomp = seccomp.available() and _compiles() and _in_child(_seccomp_loads)
    if not caps.network_namespace:
        caps.warnings.append(
            "no network namespace (needs root or user namespaces): workers fall back to "
            "refusing sockets in-process, which determined code can bypass"
        )
    if not caps.mount_namespace:
        caps.warnings.append(
            "no mount namespace with a private root for workers (needs mount and PID "
            "namespaces): they see the host's files, protected by file permissions only; run "
            "the grader as root (or in a container that allows namespaces)"
        )
    if not caps.pid_namespace:
        caps.warnings.append(
            "no PID namespace: workers can see other processes, and their leftovers are "
            "found by uid or cgroup instead"
        )
    if not caps.drop_privileges:
        caps.warnings.append(
            "workers keep the grader's uid (not root, or an unprivileged uid could not read "
            "the Python installation); process limits count all of that user's processes"
        )
    if not caps.seccomp:
        caps.warnings.append("no seccomp filter (libseccomp missing or refused by the kernel)")
    return caps


def apply(policy: Policy, caps: Capabilities) -> None:
    """Confine the calling (child) process. Raises OSError if a required step fails."""
    os.setsid()
    libc = _libc()
    if policy.no_new_code:
        _no_writable_code(libc)
    if caps.cgroups.version and policy.cgroup:
        caps.cgroups.join(policy.cgroup)
    address_space = _address_space_now()
    if caps.network_namespace and not _unshare(CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), "network namespace")
    if caps.pid_namespace and not _unshare(CLONE_NEWIPC | CLONE_NEWUTS):
        raise OSError(ctypes.get_errno(), "IPC/UTS namespaces")
    if caps.mount_namespace:
        if not _unshare(CLONE_NEWNS):
            raise OSError(ctypes.get_errno(), "mount namespace")
        rootfs.build_and_enter(rootfs.Layout(policy.rootfs_mountpoint, policy.uid,
                                             policy.scratch_mb, inside_runtime(policy.hide_paths)))
        with contextlib.suppress(OSError):
            socket.sethostname("sandbox")
    else:
        os.chdir(policy.scratch)
    if policy.uid is not None and caps.drop_privileges:
        os.setgroups([])
        os.setgid(policy.uid)
        os.setuid(policy.uid)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _set_rlimits(policy, address_space)
    # A write past the file-size limit then fails with EFBIG inside the cell
    # instead of killing the whole worker. (Before the filter: it refuses new handlers.)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if caps.seccomp:
        seccomp.install(policy.no_new_code)
        if policy.no_new_code:
            _no_code_written_at_run_time()


PROT_READ, PROT_EXEC = 0x1, 0x4


def _no_writable_code(libc: ctypes.CDLL) -> None:
    """An evidence worker keeps no memory it can both write and run: every mapping that is
    both becomes read and execute. Why: the zygote's warm-up has fbgemm write its int64
    matrix product's kernel (`zygote.warm_up`), in an anonymous writable and executable
    mapping that every worker inherits; the filter's rules (`seccomp._no_new_code`) refuse
    making such memory, not memory already there, and outside red team 96 wrote machine code
    into it (NumPy's array interface at an address, no ctypes) and ran it in an evidence
    worker. The kernel written there still runs (read and execute); a write to it is a
    fault. Deny by default: a mapping that cannot be changed so stops the worker."""
    with open("/proc/self/maps") as maps:
        fields = [line.split(maxsplit=2) for line in maps]
    spans = [where.split("-") for where, perms, *_ in fields if "w" in perms and "x" in perms]
    for start, end in spans:
        first, last = int(start, 16), int(end, 16)
        if libc.mprotect(ctypes.c_void_p(first), ctypes.c_size_t(last - first),
                         PROT_READ | PROT_EXEC) != 0:
            raise OSError(ctypes.get_errno(), "a writable executable mapping kept its write")


def _no_code_written_at_run_time() -> None:
    """oneDNN writes its kernels' machine code as it runs (convolutions, recurrent layers):
    under the filter's no-new-code rules (`seccomp`) that fails ("could not create a
    primitive"), so a worker computes those with torch's own compiled kernels instead."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.backends.mkldnn.enabled = False


def _set_rlimits(policy: Policy, address_space: int) -> None:
    mb = 1024 * 1024
    limits = {
        resource.RLIMIT_AS: address_space + policy.memory_mb * mb,
        resource.RLIMIT_CPU: policy.cpu_s,
        resource.RLIMIT_FSIZE: policy.max_file_mb * mb,
        resource.RLIMIT_NOFILE: policy.max_open_files,
        resource.RLIMIT_CORE: 0,
        # (as it is, but for good: a raised stack limit changes where the kernel lays out
        # memory, and nothing a notebook needs)
        resource.RLIMIT_STACK: resource.getrlimit(resource.RLIMIT_STACK)[0],
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


def clean_environment(home: str) -> None:
    """The worker sees nothing of the grader's environment, paths or arguments."""
    keep = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1", "TMPDIR": "/tmp" if home == rootfs.HOME else home,
            **NO_GPU}  # (CUDA reads it when it starts: in a worker, after this)
    os.environ.clear()
    os.environ.update(keep)
    runtime = tuple(r.rstrip("/") + "/" for r in runtime_paths())
    sys.path[:] = ["", *(p for p in sys.path if p and os.path.realpath(p).startswith(runtime))]
    sys.argv[:] = [""]
    tempfile.tempdir = None
