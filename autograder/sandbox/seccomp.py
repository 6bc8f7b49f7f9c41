"""A seccomp filter for the system calls a student's torch code never needs.

Namespaces and a dropped uid already deny most of these; the filter is the
layer under them, in case a kernel bug or a missed capability leaves one open:
debugging other processes (ptrace, process_vm_*), changing mounts or
namespaces (mount, pivot_root, unshare, setns, any clone that asks for a new
namespace, user namespaces included), starting another process (fork, vfork, any
clone but a thread's: torch code needs threads, never a process, and a second
process would hold a copy of torch that no check's library block reaches) or another
program (execve, execveat: a new image sheds the worker's audit hooks), the
kernel keyring, BPF, perf events,
io_uring, module loading, kexec, reboot, swap, accounting, handle-based opens,
and every socket family but the three a private network namespace confines (Unix,
IPv4, IPv6): the namespace does not cover vsock (a listener on the host's hypervisor
channel), netlink, packet or Bluetooth sockets, so the filter allows only those three.
They fail with EPERM, so a curious cell gets an error it can read instead of a
dead worker.

Nor a channel to another worker through what they share (the read-only runtime): a file
lock (`flock`, a POSIX or open-file-description lock by `fcntl`) taken by one worker was seen
by the next student's worker, and by the submission's own evidence worker (a twenty-sixth
outside red team's). A worker is one process with one thread, so a lock excludes nothing
that matters inside it: the lock calls succeed and take no lock (`LOCKS`). Watches on files
and folders (`inotify`, `fanotify`, `fcntl`'s `F_NOTIFY` and leases) see another worker's
reads: refused. Advice to drop a file's cached pages (`fadvise`) slows every other
reader of it, a timing signal: accepted and ignored.

Nor a signal handler (`rt_sigaction` with a new action): the worker sets its own before the
filter; one a notebook set would run its code between any two bytecodes of the grader's,
after the integrity check, while a reply is encoded.

Nor new machine code (W^X): memory a worker can write is never made executable — an
anonymous or a writable executable mapping, `mprotect` to executable, an executable SysV
segment, the personality that makes readable memory executable (`_no_new_code`). A notebook
can write anywhere in its own memory without ctypes (NumPy's array interface at an address),
and a thirtieth outside red team ran shellcode so, calling torch's kernels below the
dispatcher. In evidence workers, whose blocked kernels this keeps blocked; oneDNN writes its
kernels as it runs, and is off there (`limits`).

`clone3` answers ENOSYS: its flags sit in memory a filter cannot read, and the C library
then falls back to `clone`, whose flags it can.

libseccomp (libseccomp2, in every Debian/Ubuntu image) is bound with ctypes:
no compiled dependency. Where it is missing, `install` says so and the caller
reports it once at start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from functools import cache
from typing import Any

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7


def SCMP_ACT_ERRNO(code: int) -> int:
    return 0x00050000 | (code & 0x0000FFFF)


DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    "unshare", "setns",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "iopl", "ioperm", "settimeofday", "clock_settime", "adjtimex",
    "sethostname", "setdomainname", "vhangup",
    # a worker stays on the CPU its judge gave it: spinners spread over every core would
    # slow the other lanes' students into timeouts
    "sched_setaffinity",
    "fork", "vfork",
    # a worker is forked from the zygote and never needs to run a program: a fresh image
    # (its own interpreter, `os.execv`) would shed the worker's audit hooks, ctypes refusal
    # included, and be dumpable again (red team 25 ran native code in one)
    "execve", "execveat",
    # an anonymous file is on no mount, so its code could be loaded (`dlopen` of
    # /proc/self/fd/N) where every writable folder is mounted noexec (`rootfs`)
    "memfd_create", "memfd_secret",
)

# Watches on what every worker can read: another worker's reads would be seen.
WATCHES = ("inotify_init", "inotify_init1", "fanotify_init")
# fcntl's commands that take a lock (F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW): done as
# asked, with no lock taken (see the module's docstring); a query (F_GETLK) is left as it is.
LOCK_COMMANDS = (6, 7, 37, 38)
# ... and those that watch a folder or lease a file: refused (F_SETLEASE, F_NOTIFY)
WATCH_COMMANDS = (1024, 1026)
# calls that succeed without doing anything: a lock in a one-process worker, and advice
LOCKS = ("flock", "fadvise64")

# socket() and socketpair(): the families allowed, every other refused (deny by default).
SOCKET_FAMILIES_ALLOWED = (1, 2, 10)  # AF_UNIX, AF_INET, AF_INET6
SCMP_CMP_NE = 1
SCMP_CMP_EQ = 4
SCMP_CMP_GT = 6

# No new machine code (W^X): memory is writable or executable, never both, and no memory
# becomes executable once the worker runs. Executable mappings come only from files on the
# read-only runtime (a library an import loads), every writable folder being noexec.
PROT_WRITE, PROT_EXEC = 0x2, 0x4
MAP_ANONYMOUS = 0x20
SHM_EXEC = 0o100000
PR_SET_DUMPABLE = 4
READ_IMPLIES_EXEC = 0x0400000  # (a query, 0xffffffff, has the bit too: refused as well)

class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


@cache
def _library() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
    lib.seccomp_export_bpf.restype = ctypes.c_int
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.restype = None
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def available() -> bool:
    return _library() is not None


def install(no_new_code: bool = False) -> None:
    """Load the filter into the calling process (and so every process it starts).

    Raises OSError when libseccomp is missing or the kernel refuses the filter.
    Needs no_new_privs or CAP_SYS_ADMIN, as the kernel requires. The program is compiled
    once (`program`: the zygote compiles it before its first fork, so a worker only loads it).
    """
    code = program(no_new_code)
    fprog = _SockFprog(len(code) // 8, ctypes.cast(ctypes.c_char_p(code), ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"the kernel refused the seccomp filter: {os.strerror(number)}")


class _SockFprog(ctypes.Structure):
    """struct sock_fprog: the number of BPF instructions and where they are."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


@cache
def program(no_new_code: bool = False) -> bytes:
    """The filter as the kernel's BPF instructions (libseccomp compiles the rules);
    `no_new_code`: with `_no_new_code`'s rules (an evidence worker's)."""
    lib = _library()
    if lib is None:
        raise OSError(errno.ENOSYS, "libseccomp is not installed")
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    try:
        deny = SCMP_ACT_ERRNO(errno.EPERM)
        for name in DENIED:
            _rule(lib, ctx, deny, name)
        # Neither a process (as fork and vfork) nor a thread: a thread of the notebook's runs
        # beside the grader's calls, where no block's trace, recorder or mode reaches (an
        # outside red team's torch._refs losses computed in a thread under the no-library
        # block, +11). Torch works on one thread here (`zygote.warm_up`).
        _rule(lib, ctx, deny, "clone")
        _rule(lib, ctx, SCMP_ACT_ERRNO(errno.ENOSYS), "clone3")
        for name in ("socket", "socketpair"):
            for comparison in _families_refused():
                _rule(lib, ctx, deny, name, comparison)
        for name in WATCHES:
            _rule(lib, ctx, deny, name)
        ignored = SCMP_ACT_ERRNO(0)  # (an errno of 0: the call returns 0, having done nothing)
        for name in LOCKS:
            _rule(lib, ctx, ignored, name)
        # (the kernel reads the command's low 32 bits: compared under that mask)
        for command in LOCK_COMMANDS:
            _rule(lib, ctx, ignored, "fcntl", _ArgCmp(1, SCMP_CMP_MASKED_EQ, 0xFFFFFFFF, command))
        for command in WATCH_COMMANDS:
            _rule(lib, ctx, deny, "fcntl", _ArgCmp(1, SCMP_CMP_MASKED_EQ, 0xFFFFFFFF, command))
        # No signal handler of the notebook's: one runs between any two bytecodes of the
        # grader's own code, after the integrity check and while a reply is encoded (red team
        # 66: a SIGPROF handler on an interval timer ran in `plain_copy`, `_serialize`,
        # `send`). Every handler a worker has is set before this filter; a query (no new
        # action: a null second argument) is left as it is.
        _rule(lib, ctx, deny, "rt_sigaction", _ArgCmp(1, SCMP_CMP_NE, 0, 0))
        # (no process makes itself dumpable: /proc/self/mem writes ignore page protections)
        _rule(lib, ctx, deny, "prctl", _ArgCmp(0, SCMP_CMP_MASKED_EQ, 0xFFFFFFFF,
                                               PR_SET_DUMPABLE))
        for rule in _no_new_code() if no_new_code else ():
            _rule(lib, ctx, deny, *rule)
        read_end, write_end = os.pipe()
        try:
            result = lib.seccomp_export_bpf(ctx, write_end)
            os.close(write_end)
            write_end = -1
            if result != 0:
                raise OSError(-result, "seccomp_export_bpf failed")
            chunks = []
            while chunk := os.read(read_end, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)
    finally:
        lib.seccomp_release(ctx)
    code = b"".join(chunks)
    if not code or len(code) % 8:
        raise OSError(errno.EINVAL, "libseccomp exported a malformed filter")
    return code


def _no_new_code() -> list[tuple[Any, ...]]:
    """The rules that keep a worker from making memory it can both write and run: an
    anonymous executable mapping, a writable and executable one (a private copy of a
    runtime file), any change of protection to executable (`mprotect`, `pkey_mprotect`), an
    executable SysV segment, a personality that makes readable memory executable (and, in
    every worker, a dumpable process: `/proc/self/mem` writes past page protections).

    In an evidence worker only: there, library kernels are blocked for good, and code of the
    notebook's own that calls them below the dispatcher is what these rules keep out. A main
    worker runs the library anyway, and torch writes code as it runs where fbgemm computes
    (an int64 matrix product, `EmbeddingBag`, quantized layers: a segfault under these
    rules; the zygote runs an int64 product once, so its kernel is there before a fork).

    Why: a notebook that can write anywhere in its own memory (NumPy's array interface
    at an address, no ctypes needed) and run what it wrote calls torch's kernels below the
    dispatcher, past an evidence worker's blocked kernels and every recorder (a thirtieth
    outside red team's shellcode ran the library's softmax: +2, nothing flagged)."""
    exec_bit = _ArgCmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)
    return [
        ("mmap", exec_bit, _ArgCmp(3, SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS)),
        ("mmap", _ArgCmp(2, SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC)),
        ("mprotect", exec_bit),
        ("pkey_mprotect", exec_bit),
        ("shmat", _ArgCmp(2, SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)),
        ("personality", _ArgCmp(0, SCMP_CMP_MASKED_EQ, READ_IMPLIES_EXEC, READ_IMPLIES_EXEC)),
    ]


def _families_refused() -> list[_ArgCmp]:
    """Comparisons on a socket call's family covering every value but the allowed ones.

    One rule per comparison (libseccomp ORs rules): each family below the largest allowed
    that is not allowed, and everything above it (a family with high bits set included).
    """
    top = max(SOCKET_FAMILIES_ALLOWED)
    refused = [_ArgCmp(0, SCMP_CMP_EQ, family, 0)
               for family in range(top) if family not in SOCKET_FAMILIES_ALLOWED]
    return [*refused, _ArgCmp(0, SCMP_CMP_GT, top, 0)]


def _rule(lib: ctypes.CDLL, ctx: int, action: int, name: str, *args: _ArgCmp) -> None:
    number = lib.seccomp_syscall_resolve_name(name.encode())
    if number < 0:  # not a system call on this architecture (e.g. iopl on arm64)
        return
    array = (_ArgCmp * max(len(args), 1))(*args)
    result = lib.seccomp_rule_add_array(ctx, action, number, len(args), array)
    if result != 0:
        raise OSError(-result, f"seccomp rule for {name} refused")
