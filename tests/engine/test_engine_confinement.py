"""What a worker can see and leave behind, measured from inside one.

The boundary is deny-by-default: these tests walk the worker's whole
filesystem and list what is readable, try the escapes an outside red team
used (the project's .git, host /tmp and /dev/shm, SysV shared memory, user
namespaces, processes that outlive the worker, deep trees), and check on the
host, for names this test chose, that nothing of the worker remains.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from autograder.load.notebook import Cell, Submission
from autograder.sandbox import rootfs
from autograder.sandbox.client import ZygoteConnection
from autograder.sandbox.limits import inside_runtime, runtime_paths
from autograder.sandbox.session import StudentSession, blocked_plan
from tests.engine.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]

WALK = r'''
import os
def readable_outside(allowed):
    """Every path a worker can open (file) or list (folder) that is not under `allowed`."""
    found, stack = [], ["/"]
    while stack:
        path = stack.pop()
        if path == "/proc" or path.startswith("/proc/"):
            continue
        try:
            names = os.listdir(path)
        except OSError:
            continue
        for name in names:
            full = os.path.join(path, name)
            if not any(full == a or full.startswith(a.rstrip("/") + "/") for a in allowed):
                if os.path.isdir(full) and not os.path.islink(full):
                    if any(a.startswith(full + "/") for a in allowed):
                        stack.append(full)  # a folder on the way to an allowed one
                        continue
                if os.access(full, os.R_OK) or os.path.islink(full):
                    found.append(full)
                continue
            if os.path.isdir(full) and not os.path.islink(full) and len(found) < 50:
                pass  # allowed subtree: not walked further
    return sorted(found)

def project_files(root):
    seen = []
    for rel in (".git", ".git/HEAD", "solutions/reference.py", "autograder/check", "tests",
                "grading_config.yaml", "README.md", ""):
        p = os.path.join(root, rel)
        if os.path.exists(p) and (p.endswith(".venv") is False):
            try:
                if os.path.isdir(p):
                    entries = [e for e in os.listdir(p) if e != ".venv"]
                    if entries:
                        seen.append(p)
                else:
                    open(p).read(1)
                    seen.append(p)
            except OSError:
                pass
    return seen

def processes():
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())

def own_fds():
    out = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            out[int(fd)] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    return out

def environ_block():
    try:  # unreadable after the uid drop (the process is no longer dumpable): fine too
        return open("/proc/self/environ", "rb").read().decode("utf-8", "replace")
    except PermissionError:
        return ""

def gpu_setting():
    return os.environ.get("CUDA_VISIBLE_DEVICES")
'''

LEAVE_BEHIND = r'''
import ctypes, os, subprocess, sys, time
TOKEN = {token!r}
made = []
for folder in ("/tmp", "/dev/shm", "/var/tmp", os.path.expanduser("~"), "."):
    try:
        with open(os.path.join(folder, TOKEN), "w") as f:
            f.write("score: 1000")
        made.append(folder)
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype = ctypes.c_int
shm_id = libc.shmget(0x5EED, 4096, 0o1000 | 0o666)  # IPC_CREAT: a SysV segment that would outlive us
# A detached spinner, and siblings made with CLONE_PARENT by a child: none may outlive the worker
# (where the seccomp filter is in force, none can be started at all).
spawned = []
try:
    spinner = subprocess.Popen([sys.executable, "-c", "import os\nos.setsid()\nwhile True: pass"],
                               start_new_session=True)
    spawned.append("spinner")
except OSError:
    pass
try:
    child = os.fork()
    spawned.append("child")
except OSError:
    child = -1
if child == 0:
    for _ in range(3):
        libc.syscall(56, 0x00008000 | 17, 0, 0, 0, 0)  # clone(CLONE_PARENT | SIGCHLD)
    while True:
        time.sleep(1)
time.sleep(0.3)
my_uid = os.getuid()
deep = "."
for i in range(3000):  # deeper than Python 3.11's recursive rmtree can remove
    deep = os.path.join(deep, "d")
    try:
        os.mkdir(deep)
    except OSError:
        break
    if i % 100 == 99:
        os.chdir(deep)
        deep = "."
os.chdir(os.path.expanduser("~"))
'''

ESCAPES = r'''
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
every_cpu = (ctypes.c_ulong * 16)(*[2**64 - 1] * 16)
def refused(call):
    result = call()
    return result == -1 and ctypes.get_errno() in (errno.EPERM, errno.ENOSYS, errno.EINVAL, errno.EACCES)
def no_process():
    # a second process would hold a copy of torch no library block reaches, a thread runs
    # beside the grader's calls where no block's trace reaches: neither can be started
    import subprocess, sys, threading
    try:
        pid = os.fork()
    except OSError:
        pid = None
    if pid == 0:
        os._exit(0)
    if pid:
        os.waitpid(pid, 0)
    try:
        subprocess.run([sys.executable, "-c", "pass"])
        spawned = True
    except OSError:
        spawned = False
    try:
        threading.Thread(target=lambda: None).start()
        threaded = True
    except RuntimeError:
        threaded = False
    return pid is None and not spawned and not threaded
def no_exec():
    # a new image (red team 25: a fresh interpreter) has none of the worker's audit hooks
    import sys
    try:
        os.execv(sys.executable, [sys.executable, "-c", "pass"])
    except PermissionError:
        return True
    return False
escapes = {
    "user_namespace": refused(lambda: libc.unshare(0x10000000)),
    "mount_namespace": refused(lambda: libc.unshare(0x00020000)),
    "mount": refused(lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
    "ptrace": refused(lambda: libc.ptrace(16, 1, 0, 0)),
    "setuid_root": refused(lambda: libc.setuid(0)),
    "chroot": refused(lambda: libc.chroot(b"/tmp")),
    # every CPU in the mask: a worker may not leave its judge's CPU (spinners on every core)
    "cpu_affinity": refused(lambda: libc.sched_setaffinity(0, 128, ctypes.byref(every_cpu))),
    "new_process": no_process(),
    "new_program": no_exec(),
    # the network namespace does not cover these families: seccomp allows only Unix and IP
    "vsock_socket": refused(lambda: libc.socket(40, 1, 0)),  # AF_VSOCK: the hypervisor's channel
    "netlink_socket": refused(lambda: libc.socket(16, 3, 0)),  # AF_NETLINK, NETLINK_ROUTE
    "vsock_socketpair": refused(lambda: libc.socketpair(40, 1, 0, (ctypes.c_int * 2)())),
    # a family with high bits set reaches the kernel as its low 32 bits (AF_VSOCK)
    "vsock_high_bits": refused(lambda: libc.syscall(41, (1 << 32) | 40, 1, 0)),
    # watches on what every worker reads would see another worker's reads (red team 26)
    "file_watch": refused(lambda: libc.inotify_init1(0)),
    "folder_watch": refused(lambda: libc.fcntl(os.open("/", os.O_RDONLY), 1026, 1)),  # F_NOTIFY
    # dumpable, /proc/self/mem writes past page protections (red team 32)
    "dumpable": refused(lambda: libc.prctl(4, 1, 0, 0, 0)),
}
import socket
left, right = socket.socketpair()  # a Unix socket still works (torch and Python use them)
left.sendall(b"x")
unix_works = right.recv(1) == b"x"
hostname = os.uname().nodename
'''


NEW_CODE = r'''
import ctypes, errno, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
def refused(call):
    result = call()
    return result == -1 and ctypes.get_errno() in (errno.EPERM, errno.EACCES)
def no_code_memory(*args, **kwargs):
    # memory a notebook could write machine code into and run (red team 30: shellcode that
    # called torch's kernels below the dispatcher, past the evidence worker's block)
    import mmap
    try:
        mmap.mmap(*args, **kwargs)
    except OSError as exc:
        return exc.errno in (errno.EPERM, errno.EACCES)
    return False
def no_code_made_executable():
    import mmap
    page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    return refused(lambda: libc.mprotect(ctypes.c_void_p(address), 4096, 5))  # READ|EXEC
def no_executable_segment():
    segment = libc.shmget(0, 4096, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    return segment >= 0 and refused(lambda: libc.shmat(segment, None, 0o100000)) and \
        ctypes.get_errno() == errno.EPERM
def no_writable_code():
    # (red team 96: fbgemm's kernel mapping, written in the zygote, writable and executable
    # in every worker: machine code written there ran)
    with open("/proc/self/maps") as maps:
        return not any("w" in line.split()[1] and "x" in line.split()[1] for line in maps)
def int64_product_runs():
    import torch  # (fbgemm's kernel, written in the zygote, still runs: read and execute)
    return int((torch.ones(2, 3, dtype=torch.int64) @ torch.ones(3, 2, dtype=torch.int64)).sum()) == 12
READ_WRITE_EXEC = 7
zero = os.open("/dev/zero", os.O_RDWR)
runtime_file = os.open(os.__file__, os.O_RDONLY)
new_code = {
    "code_memory": no_code_memory(-1, 4096, prot=READ_WRITE_EXEC),
    "code_memory_read_only": no_code_memory(-1, 4096, prot=5),
    "code_memory_of_dev_zero": no_code_memory(zero, 4096, prot=5),
    "writable_copy_of_runtime_code": no_code_memory(runtime_file, 4096, prot=READ_WRITE_EXEC,
                                                    flags=2),  # MAP_PRIVATE
    "code_made_executable": no_code_made_executable(),
    "executable_shared_memory": no_executable_segment(),
    "read_implies_exec": refused(lambda: libc.personality(0x0400000)),
    "no_writable_code": no_writable_code(),
    "int64_product_runs": int64_product_runs(),
}
'''


def _evidence_session(zygote, grader, source: str,
                      ops: tuple[str, ...] = ("softmax",)) -> StudentSession:
    """An evidence worker's session (library kernels blocked for good: `seccomp`'s
    no-new-code rules apply there)."""
    submission = Submission("confinement", ROOT / "confinement.ipynb", (Cell(1, source),), "0")
    session = StudentSession(zygote.connect(), submission, grader.config.limits,
                             block_for_good=blocked_plan(ops))
    session.start()
    record = session.cells[1]
    assert record.error is None and not record.fatal, (record.error, record.fatal)
    return session


def test_an_evidence_worker_makes_no_memory_executable(native_zygote, grader, isolated):
    """Red team 30 wrote machine code into an executable mapping and called torch's kernels
    below the dispatcher, past the evidence worker's blocked ones: no memory becomes code
    there, in any of the ways below."""
    if not native_zygote.info.seccomp:
        pytest.skip("no seccomp filter here")
    session = _evidence_session(native_zygote, grader, NEW_CODE)
    try:
        found = session.get_var("new_code")
        assert all(found.values()), found
    finally:
        session.close()


def _session(zygote, grader, source: str) -> StudentSession:
    submission = Submission("confinement", ROOT / "confinement.ipynb", (Cell(1, source),), "0")
    session = StudentSession(zygote.connect(), submission, grader.config.limits)
    session.start()
    record = session.cells[1]
    assert record.error is None and not record.fatal, (record.error, record.fatal)
    return session


@pytest.fixture(scope="module")
def native_zygote():
    """Workers that do not refuse ctypes (`Zygote(native_code=True)`, for these tests only):
    the probes below call the kernel directly, to show the layer under the refusal
    (seccomp, the namespaces, the dropped uid) holding on its own."""
    from autograder.grader import hidden_paths
    from autograder.sandbox.client import Zygote
    from tests.engine.conftest import FIXTURES, LAB

    with Zygote([Path(p) for p in hidden_paths([FIXTURES], LAB)], huge_pages=False,
                worker_modules=LAB.worker_modules, native_code=True) as z:
        yield z


@pytest.fixture
def isolated(zygote):
    if not (zygote.info.mount_namespace and zygote.info.pid_namespace):
        pytest.skip("this host gives no private root: " + "; ".join(zygote.info.warnings))


UNUSED_PACKAGES = """
import os
from autograder.sandbox import rootfs
seen = {folder: (os.listdir(folder) if os.path.isdir(folder) else []) if os.access(folder, os.R_OK)
        else [] for folder in rootfs.unused_package_folders()}
"""


def test_a_worker_sees_no_package_folder_its_interpreter_does_not_import_from(zygote, grader,
                                                                             isolated):
    """Stop 50's red team imported a whole SciPy, and a second NumPy, from the base
    interpreter's own site-packages (outside the virtual environment's `sys.path`): every
    worker has those folders empty, whatever they hold on the host."""
    session = _session(zygote, grader, UNUSED_PACKAGES)
    try:
        seen = session.get_var("seen")
        assert set(seen) == set(rootfs.unused_package_folders())
        assert all(found == [] for found in seen.values()), seen
    finally:
        session.close()


def test_a_worker_can_read_only_the_runtime_and_its_own_folders(zygote, grader, isolated):
    allowed = [*runtime_paths(), *(os.path.realpath(p) for p in rootfs.SYSTEM_LIBRARIES),
               *rootfs.SYSTEM_LIBRARIES, "/etc", "/dev", "/proc", rootfs.HOME, "/tmp"]
    session = _session(zygote, grader, WALK)
    try:
        outside = session.call("readable_outside", allowed).value
        assert outside == [], f"readable outside the runtime and scratch: {outside[:20]}"
        assert session.call("project_files", str(ROOT)).value == []
        # Its /etc holds only what was generated for it.
        etc = session.call("readable_outside", ["/dev", "/proc", rootfs.HOME, "/tmp",
                                                *runtime_paths(), "/usr", "/lib", "/lib64"]).value
        assert {Path(p).name for p in etc if p.startswith("/etc/")} <= {
            "passwd", "group", "hosts", "hostname", "ld.so.cache", "ld.so.conf", "localtime"}
        assert session.call("processes").value == [1]  # its own PID namespace: only itself
        fds = session.call("own_fds").value
        assert not [t for t in fds.values() if "lock" in t or str(ROOT) in t], fds
        environ = session.call("environ_block").value
        assert str(ROOT) not in environ and "PYTHONPATH" not in environ
    finally:
        session.close()


def test_no_process_of_the_grader_can_see_a_gpu(zygote, grader):
    """A CUDA build that saw a GPU would poison every fork (judges, workers): hidden in the
    grader's own process, the zygote's environment and each worker's cleaned one."""
    assert os.environ.get("CUDA_VISIBLE_DEVICES") == ""
    session = _session(zygote, grader, WALK)
    try:
        assert session.call("gpu_setting").value == ""
    finally:
        session.close()


def test_escapes_are_refused(native_zygote, grader, isolated):
    session = _session(native_zygote, grader, ESCAPES)
    try:
        escapes = session.get_var("escapes")
        refused = {name for name, ok in escapes.items() if ok}
        if native_zygote.info.seccomp:
            assert refused == set(escapes), escapes
        else:  # without the filter the dropped uid still refuses all but these
            assert refused >= set(escapes) - {"user_namespace", "cpu_affinity", "new_process",
                                              "new_program", "file_watch", "folder_watch",
                                              "vsock_socket", "netlink_socket",
                                              "vsock_socketpair", "vsock_high_bits",
                                              "dumpable"}, escapes
        assert session.get_var("unix_works") is True
        assert session.get_var("hostname") == "sandbox"
    finally:
        session.close()


LOCK_HOLDER = """
import fcntl, os
held = open(os.__file__, "rb")  # the runtime: every worker can read it
fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
fcntl.lockf(held, fcntl.LOCK_SH | fcntl.LOCK_NB)
"""

LOCK_TAKER = """
import fcntl, os
taken = []
mine = open(os.__file__, "rb")
for name, lock in (("flock", lambda: fcntl.flock(mine, fcntl.LOCK_EX | fcntl.LOCK_NB)),
                   ("lockf", lambda: fcntl.lockf(mine, fcntl.LOCK_EX | fcntl.LOCK_NB))):
    try:
        lock()
        taken.append(name)
    except OSError:
        pass
leases = []
try:
    fcntl.fcntl(mine, fcntl.F_SETLEASE, fcntl.F_RDLCK)
except PermissionError:
    leases.append("refused")
except OSError as exc:
    leases.append(exc.errno)
"""


def test_a_lock_one_worker_takes_is_nothing_another_sees(zygote, grader, isolated):
    # Red team 26: a lock on a runtime file, taken by one student's worker while it was being
    # ended, was seen by the next student's worker (and a main worker's by its evidence
    # worker): a channel between them. Locks succeed in a worker and take nothing.
    if not zygote.info.seccomp:
        pytest.skip("no seccomp filter on this host")
    holder = _session(zygote, grader, LOCK_HOLDER)
    try:
        taker = _session(zygote, grader, LOCK_TAKER)
        try:
            assert taker.get_var("taken") == ["flock", "lockf"]
            assert taker.get_var("leases") == ["refused"]
        finally:
            taker.close()
    finally:
        holder.close()


def _alive_with_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[1]) == uid and fields["State"].split()[0] not in "ZX":
            pids.append(int(entry))
    return pids


def _sysv_keys() -> set[int]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[0]) for line in lines if line.strip()}


def test_a_worker_leaves_nothing_behind(native_zygote, grader, isolated):
    zygote = native_zygote
    token = f"leftover-{secrets.token_hex(6)}"
    session = _session(zygote, grader, LEAVE_BEHIND.format(token=token))
    uid = session.get_var("my_uid")
    made = session.get_var("made")
    assert "/tmp" in made and "/dev/shm" in made  # it could write: into its own private copies
    assert session.get_var("shm_id") >= 0
    if zygote.info.seccomp:
        assert session.get_var("spawned") == []
    session.close()
    for folder in ("/tmp", "/dev/shm", "/var/tmp", str(ROOT)):
        assert not (Path(folder) / token).exists(), folder
    assert 0x5EED not in _sysv_keys()
    if uid != os.getuid():
        # close() hands the worker to the zygote to end (it does not wait): gone at once
        deadline = time.monotonic() + 5
        while _alive_with_uid(uid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _alive_with_uid(uid) == []
    # The zygote survived the deep tree and grades the next student normally.
    after = _session(zygote, grader, "x = 41 + 1")
    try:
        assert after.get_var("x") == 42
    finally:
        after.close()


FDS = """
import os
fds = sorted(int(n) for n in os.listdir("/proc/self/fd"))
"""


def test_a_worker_inherits_no_descriptor_but_its_own_socket(zygote, grader, isolated):
    # Deny by default: the zygote's epoll set, listener and other judges' connections stay
    # with the zygote (a worker holding its epoll descriptor could fake events in the
    # zygote's loop and stall every later student).
    session = _session(zygote, grader, FDS)
    try:
        fds = session.get_var("fds")
    finally:
        session.close()
    # 0-2, the worker's socket, and the descriptor listdir itself opened
    assert set(fds) <= {0, 1, 2, 3, 4}, fds


WORKERS_IN_A_LOADER = """
import torch
from torch.utils.data import DataLoader, TensorDataset
loader = DataLoader(TensorDataset(torch.zeros(8, 2)), batch_size=4, num_workers=2)
batches = [b for b in loader]
"""


def _cell_error(zygote, grader, name: str, source: str) -> dict | None:
    """The error one cell of `source` raised in a worker (None: it ran)."""
    submission = Submission(name, ROOT / f"{name}.ipynb", (Cell(1, source),), "0")
    session = StudentSession(zygote.connect(), submission, grader.config.limits)
    try:
        session.start()
        return session.cells[1].error
    finally:
        session.close()


def test_a_refused_process_is_said_in_a_students_words(zygote, grader, isolated):
    """A DataLoader with worker processes in a cell: the refusal names the fix, not a bare
    "Operation not permitted"."""
    if not zygote.info.seccomp:
        pytest.skip("no seccomp filter on this host: processes are not refused")
    from autograder.sandbox.harness import NO_PROCESS_HINT

    error = _cell_error(zygote, grader, "loader", WORKERS_IN_A_LOADER)
    assert error is not None and error["message"] == NO_PROCESS_HINT, error


SIGNAL_HANDLERS = """
import errno, signal
def handler(signum, frame):
    pass
refused = {}
for name in ("SIGPROF", "SIGVTALRM", "SIGALRM", "SIGUSR1", "SIGINT"):
    try:
        signal.signal(getattr(signal, name), handler)
    except OSError as exc:
        refused[name] = exc.errno == errno.EPERM
    else:
        refused[name] = False
assert all(refused.values()), refused
assert signal.getsignal(signal.SIGALRM) is not handler
"""


def test_a_cell_sets_no_signal_handler(zygote, grader, isolated):
    """Red team 66: a SIGPROF handler on an interval timer, set in a cell, ran the notebook's
    code between the grader's own bytecodes (freezing a reply, encoding it), after the
    integrity check. Every handler is refused, the worker's time limit included."""
    if not zygote.info.seccomp:
        pytest.skip("no seccomp filter on this host: handlers are not refused")
    assert _cell_error(zygote, grader, "signals", SIGNAL_HANDLERS) is None


THREAD_IN_A_CELL = """
import threading
threading.Thread(target=lambda: None).start()
"""


def test_a_refused_thread_is_said_in_a_students_words(zygote, grader, isolated):
    """Red team 21: a thread of the notebook's ran torch._refs' losses beside the no-library
    call, where the block's trace and the recorders (per thread) do not reach (+11). No
    thread starts in a worker; a cell that tries is told so in a student's words."""
    if not zygote.info.seccomp:
        pytest.skip("no seccomp filter on this host: threads are not refused")
    from autograder.sandbox.harness import NO_THREAD_HINT

    error = _cell_error(zygote, grader, "thread", THREAD_IN_A_CELL)
    assert error is not None and error["message"] == NO_THREAD_HINT, error


NATIVE = r"""
import glob, importlib.util, os, shutil, sys
def refused(attempt):
    try:
        attempt()
    except (RuntimeError, ImportError, OSError, AttributeError):
        return True
    return False
def ctypes_library():
    import ctypes  # (imported already by the grader: no event of its own)
    ctypes.PyDLL(glob.glob(os.path.dirname(torch.__file__) + "/lib/libtorch_cpu.so")[0])
def ctypes_address():
    import ctypes
    ctypes.string_at(id(refused), 8)
def extension_from_scratch():  # a module of native code the notebook wrote: noexec
    source = glob.glob(sys.base_prefix + "/lib/python3.11/lib-dynload/_json*.so")[0]
    shutil.copy(source, os.path.expanduser("~/_json_copy.so"))
    spec = importlib.util.spec_from_file_location("_json", os.path.expanduser("~/_json_copy.so"))
    importlib.util.module_from_spec(spec)
def anonymous_file():
    os.memfd_create("code")
def static_runtime():
    torch._C._jit_to_static_module
def fuser_switch():
    torch._C._jit_override_can_fuse_on_cpu(True)
def tensor_expressions():
    import torch._C._te
def found_again_through_gc():  # (what was withheld, kept alive by cycles or pybind's registry)
    import gc, types
    gc.unfreeze()
    for thing in gc.get_objects():
        if isinstance(thing, types.ModuleType) and thing.__name__ == "torch._C._te" \
                and hasattr(thing, "lower"):
            return
        if isinstance(thing, type) and getattr(thing, "__module__", "") == "torch._C._te" \
                and (hasattr(thing, "call_raw") or hasattr(thing, "call")):
            return
    try:
        [k for k in gc.get_objects() if isinstance(k, type) and k.__name__ == "StaticModule"
         and k.__module__.startswith("torch")][0]()
    except (IndexError, TypeError):
        raise RuntimeError("nothing usable left") from None
def hook_body_replaced():  # (the worker's hook given a body that refuses nothing)
    hook = sys.modules["autograder.sandbox.worker"]._refuse_native
    hook.__code__ = (lambda event, args, *rest: None).__code__
    import ctypes
    ctypes.string_at(id(refused), 8)
def hook_defaults_replaced():  # (what it compares with, emptied)
    hook = sys.modules["autograder.sandbox.worker"]._refuse_native
    hook.__defaults__ = (frozenset(), None, type, id, RuntimeError, ("",) * 5)
    hook.__code__ = (lambda event, args, *rest: None).__code__
    import ctypes
    ctypes.string_at(id(refused), 8)
def hook_names_rebound():  # (the names it would look up, rebound in its module)
    module = sys.modules["autograder.sandbox.worker"]
    module.type = lambda value: None
    module.RuntimeError = Warning
    try:
        import ctypes
        ctypes.string_at(id(refused), 8)
    finally:
        del module.type, module.RuntimeError
def audit_hook():  # (refused in silence, as Python does: the hook is not added)
    heard = []
    sys.addaudithook(lambda event, args: heard.append(event))
    open(os.devnull).close()
    if heard:
        return
    raise RuntimeError("not added")
def torchscript_archive():  # (a graph made elsewhere, shipped as bytes: red team 70)
    import io
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.ReLU()), buffer)  # (saving is fine)
    buffer.seek(0)
    torch.jit.load(buffer)
def torchscript_ir_text():
    torch._C.parse_ir("graph(%x : Tensor):\n  return (%x)")
def torchscript_loader_below_torch_jit():
    torch.import_ir_module_from_buffer
    torch._C.import_ir_module_from_buffer(torch._C.CompilationUnit(), b"", None, {}, False)
def graph_loader_found_again_through_gc():
    import gc
    gc.unfreeze()
    for thing in gc.get_objects():
        if type(thing).__name__ == "builtin_function_or_method" and getattr(
                thing, "__name__", "") in ("import_ir_module_from_buffer", "parse_ir"):
            return
    raise RuntimeError("nothing usable left")
import torch
native = {name: refused(attempt) for name, attempt in [
    ("torchscript_archive", torchscript_archive), ("torchscript_ir_text", torchscript_ir_text),
    ("torchscript_loader_below_torch_jit", torchscript_loader_below_torch_jit),
    ("graph_loader_found_again_through_gc", graph_loader_found_again_through_gc),
    ("ctypes_library", ctypes_library), ("ctypes_address", ctypes_address),
    ("extension_from_scratch", extension_from_scratch), ("static_runtime", static_runtime),
    ("fuser_switch", fuser_switch), ("tensor_expressions", tensor_expressions),
    ("found_again_through_gc", found_again_through_gc),
    ("hook_body_replaced", hook_body_replaced), ("hook_defaults_replaced", hook_defaults_replaced),
    ("hook_names_rebound", hook_names_rebound), ("audit_hook", audit_hook)]}
native["anonymous_file"] = refused(anonymous_file)
def doubled_sum(x: torch.Tensor) -> torch.Tensor:
    return (x * 2).sum()
scripted = torch.jit.script(doubled_sum)(torch.ones(3)).item()  # plain TorchScript: fine
"""


def test_native_code_is_refused_by_every_route(zygote, grader, isolated):
    """An outside red team (22) called torch's own CPU kernels below the dispatcher (ctypes on
    the runtime's libtorch, +11; TorchScript's Static Runtime, +4; the tensor-expression
    fuser switched on for the CPU, +1), past the no-library block and the recorders. A
    worker refuses every ctypes operation (and any audit hook of the notebook's) once it
    serves, holds no Static Runtime or fuser switch, and loads no code from the folders it can write
    (noexec) or from an anonymous file; plain TorchScript still runs, but no TorchScript graph
    made elsewhere loads (red team 70 shipped torch._decomp's softmax, traced and saved, as
    bytes in the notebook: TorchScript's interpreter runs no frame the block sees, +2). Its
    audit hook cannot be switched off: a cell that gave it a do-nothing body opened ctypes (this stop's own
    review), and neither its code, its defaults nor the names of its module change what it
    refuses."""
    session = _session(zygote, grader, NATIVE)
    try:
        native = session.get_var("native")
        expected = set(native) if zygote.info.seccomp else set(native) - {"anonymous_file"}
        assert {name for name, refused in native.items() if refused} >= expected, \
            {name for name, refused in native.items() if not refused}
        assert session.get_var("scripted") == 6.0
    finally:
        session.close()


BLOCKED_FOR_GOOD = r'''
import gc
import torch
import torch.nn.functional as F
before = F.mse_loss(torch.ones(2), torch.zeros(2))  # (raises here: the next statements run)
def defined_after(a, b):
    return F.mse_loss(a, b)
handles = [o for o in gc.get_objects() if type(o).__name__ == "_DispatchModule"]
for handle in handles:
    handle.reset()
mine = torch.library.Library("aten", "IMPL")  # (a kernel of the notebook's: its own code)
try:
    defined_after(torch.ones(2), torch.zeros(2))
    lifted = True
except RuntimeError:
    lifted = False
'''


def test_an_evidence_workers_library_block_holds_whatever_its_cells_do(zygote, grader,
                                                                       isolated):
    """An evidence worker's block is in place before its first cell and no handle to it is
    reachable (the collector does not track it): a cell can neither find it nor lift it.
    Its cells run a statement at a time, so a library call before a `def` does not keep the
    function from being defined."""
    submission = Submission("evidence", ROOT / "evidence.ipynb", (Cell(1, BLOCKED_FOR_GOOD),),
                            "0")
    session = StudentSession(zygote.connect(), submission, grader.config.limits,
                             block_for_good=blocked_plan(("mse_loss",)))
    session.start()
    try:
        error = session.cells[1].error
        assert error is not None and "mse_loss is not available" in error["message"], error
        assert session.get_var("lifted") is False
        assert session.get_var("handles") == []
    finally:
        session.close()


LAYERS = """
import torch
from torch import nn
torch.manual_seed(0)
x = torch.randn(2, 3, 8, 8, requires_grad=True)
conv = nn.Conv2d(3, 4, 3)
conv(x).sum().backward()
rnn_out = nn.LSTM(5, 6, batch_first=True)(torch.randn(2, 4, 5))[0]
one_hot = torch.nn.functional.one_hot(torch.tensor([0, 2, 1, 2]), 3)
counts = (one_hot.T @ one_hot).diagonal().tolist()  # (an int64 product: fbgemm's kernel)
layers_ran = bool(x.grad.abs().sum() > 0) and tuple(rnn_out.shape) == (2, 4, 6) \\
    and counts == [1, 1, 2]
"""

BAGS = """
import torch
bags = torch.nn.EmbeddingBag(10, 3, mode="sum")(torch.tensor([[1, 2], [3, 4]]))
bags_ran = tuple(bags.shape) == (2, 3)
"""


def test_layers_whose_library_kernels_write_code_run_in_every_worker(zygote, grader):
    """oneDNN writes its convolution and LSTM kernels as it runs, fbgemm its int64 product's
    and EmbeddingBag's: a main worker runs them all; an evidence worker, where no code is
    written (`seccomp._no_new_code`), runs the first three with torch's own kernels (oneDNN
    off) and fbgemm's product written in the zygote."""
    for start, source, name in ((_session, LAYERS + BAGS, "bags_ran"),
                                (_evidence_session, LAYERS, "layers_ran")):
        session = start(zygote, grader, source)
        try:
            assert session.get_var("layers_ran") is True
            assert session.get_var(name) is True
        finally:
            session.close()


OTHER_INTERPRETERS = """
import importlib.util, sys
def refused(start):
    try:
        start()
    except (RuntimeError, ImportError, OSError):
        return True
    return False
def sub_interpreter():
    import _xxsubinterpreters
    _xxsubinterpreters.create()
def test_module():
    import _testcapi
    _testcapi.run_in_subinterp("pass")
def from_the_cache():  # (a module once loaded comes back from the interpreter's cache)
    import _imp
    from importlib.machinery import ModuleSpec
    from autograder.sandbox import rootfs
    origin = next(p for p in rootfs.unsafe_module_files() if "_testcapi." in p)
    _imp.create_dynamic(ModuleSpec("_testcapi", None, origin=origin))
interpreters = {name: refused(start) for name, start in (
    ("sub_interpreter", sub_interpreter), ("test_module", test_module),
    ("from_the_cache", from_the_cache))}
test_modules_loaded = [m for m in sys.modules if m.startswith(("_test", "_xx"))]
"""


def test_no_other_interpreter_starts_in_a_worker(zygote, grader, isolated):
    """A Python audit hook is its own interpreter's: one started in the worker would run
    ctypes with none (red team 32). `_xxsubinterpreters` is refused by the worker's hook;
    `_testcapi`, which starts one with no thread state (no hook asked), is not there."""
    session = _session(zygote, grader, OTHER_INTERPRETERS)
    try:
        assert session.get_var("interpreters") == {
            "sub_interpreter": True, "test_module": True, "from_the_cache": True}
        assert session.get_var("test_modules_loaded") == []
    finally:
        session.close()


LIBRARIES = """
import dataclasses
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.special
import sklearn.metrics
import torch

@dataclasses.dataclass
class History:
    losses: list = dataclasses.field(default_factory=list)

def square(x: torch.Tensor) -> torch.Tensor:
    return x * x

scripted = torch.jit.script(square)
libraries_ran = (bool(scripted(torch.ones(2)).sum() == 2)
                 and sklearn.metrics.f1_score([0, 1], [0, 1]) == 1.0
                 and History().losses == [])
try:
    relabelled = square.__code__.replace(co_filename="<cell 9>")
except RuntimeError:
    relabelled = None
"""


def test_no_code_object_is_made_at_run_time_and_libraries_still_load(zygote, grader):
    """Red team 34 relabelled torch._decomp's code (`code.replace(co_filename=...)`) and ran
    it past the library block: a worker makes no code object at run time. What notebooks
    import and run (scikit-learn, SciPy, pandas, dataclasses, `torch.jit.script`) needs none."""
    session = _session(zygote, grader, LIBRARIES)
    try:
        assert session.get_var("libraries_ran") is True
        assert session.get_var("relabelled") is None
    finally:
        session.close()


TRACED = """
import torch
import torch._refs as refs
try:
    traced = torch.jit.trace(lambda x: refs.softmax(x, 1), torch.randn(3, 4))
    refused = False
except Exception as error:
    refused = "not available" in str(error)
"""


TRACED_NLL = """
import torch
import torch._refs.nn.functional as refs
refused = {}
for name in ("nll_loss", "_nll_loss_nd"):
    try:
        torch.jit.trace(lambda x, t: getattr(refs, name)(x, t), (torch.randn(3, 4).log_softmax(1),
                                                               torch.tensor([0, 1, 2])))
        refused[name] = False
    except Exception as error:
        refused[name] = "not available" in str(error)
"""


def test_an_evidence_worker_knows_torchs_own_code_by_the_operators_stem(zygote, grader):
    """Red team 36 traced torch._refs' `nll_loss`, whose name is not the blocked operator's
    (`nll_loss_forward`), and took the cross-entropy no-library point: an implementation is
    known by its stem too."""
    session = _evidence_session(zygote, grader, TRACED_NLL, ("nll_loss_forward",))
    try:
        assert session.get_var("refused") == {"nll_loss": True, "_nll_loss_nd": True}
    finally:
        session.close()


def test_an_evidence_worker_runs_none_of_torchs_own_code_for_a_blocked_operator(zygote, grader):
    """Red team 34 traced torch's reference softmax in a cell (`torch.jit.trace`) and replayed
    the graph under the block, where TorchScript's interpreter shows no frame (+7): in an
    evidence worker torch's Python implementations of its blocked operators run the blocked
    code from the start, before any cell."""
    session = _evidence_session(zygote, grader, TRACED)
    try:
        assert session.get_var("refused") is True
    finally:
        session.close()


STACK_WALK = r'''
import sys

def named_on_the_stack(head, tail):
    """Every value on the frames this call runs below (the worker's, the zygote's it was
    forked in) that holds `head + tail` (given in two halves: the call's own arguments, on
    those frames too, hold neither whole): strings and bytes, looked for through dicts, lists,
    tuples and objects' dicts."""
    needle, found, seen = head + tail, [], set()

    def look(value, depth):
        if id(value) in seen or depth > 6:
            return
        seen.add(id(value))
        if isinstance(value, (str, bytes)):
            text = value if isinstance(value, str) else value.decode("utf-8", "replace")
            if needle in text:
                found.append(text[:200])
            return
        items = ()
        if isinstance(value, dict):
            items = (*value.keys(), *value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = tuple(value)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            items = tuple(vars(value).values())
        for item in items:
            look(item, depth + 1)

    frame = sys._getframe().f_back
    while frame is not None:
        for value in frame.f_locals.values():
            look(value, 0)
        frame = frame.f_back
    return found
'''


def test_a_worker_holds_no_hidden_path_of_the_batch(zygote, grader, isolated):
    """Outside red team 88: a cell walked up the frames the worker was forked in (the zygote's)
    to the spawn request and printed its hidden paths — every submission's parent folder, that
    is every other student's folder name, and the output folder. A worker is told only the
    hidden paths inside the runtime it binds, and the request is emptied before its cells."""
    outside = str(FIXTURES.resolve())
    assert not any(outside.startswith(r.rstrip("/") + "/") for r in runtime_paths())
    session = _session(zygote, grader, STACK_WALK)
    try:
        half = len(outside) // 2
        assert session.call("named_on_the_stack", outside[:half], outside[half:]).value == []
    finally:
        session.close()


MEMORY_SCAN = r'''
import numpy

class _Span:
    def __init__(self, start, size):
        self.__array_interface__ = {"shape": (size,), "typestr": "|u1",
                                    "data": (start, True), "version": 3}

def held_in_memory(head, tail):
    """How many places of this worker's writable memory hold `head` followed by `tail` (given
    in two halves: neither argument, nor anything this function makes, holds the whole), read
    as outside red team 94 read it: numpy's array interface over /proc/self/maps' ranges."""
    head, tail = head.encode(), tail.encode()
    with open("/proc/self/maps") as maps:
        spans = [line.split() for line in maps.read().splitlines()]
    found, step = 0, 1 << 24
    for fields in spans:
        if not fields[1].startswith("rw"):
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        view = numpy.asarray(_Span(start, end - start))
        for at in range(0, end - start, step):
            data = view[at:at + step + len(head) + len(tail)].tobytes()
            hit = data.find(head)
            while 0 <= hit < step:
                if data[hit + len(head):hit + len(head) + len(tail)] == tail:
                    found += 1
                hit = data.find(head, hit + 1)
    return found
'''


def test_a_worker_reads_no_hidden_path_of_the_batch_in_its_memory(zygote, grader):
    """Outside red team 94: the spawn requests the zygote had read and freed still held the
    batch's hidden paths (every classmate's folder, the output folder) in its heap, and every
    worker forked from it later read them through numpy's array interface (no ctypes). The
    zygote is sent only the hidden paths inside the runtime."""
    # (a class's folders; names of a realistic length: shorter strings' freed memory is
    # soon reused, these stayed in the zygote's heap)
    classmates = [f"/srv/course-x/classmate_{i:04d}_folder" for i in range(300)]
    assert not inside_runtime(classmates)
    connection = ZygoteConnection(zygote.socket_path, [*zygote.hide_paths, *classmates])
    submission = Submission("confinement", ROOT / "confinement.ipynb", (Cell(1, MEMORY_SCAN),),
                            "0")
    for _ in range(3):  # (the first worker is forked before any request of theirs was freed)
        session = StudentSession(connection, submission, grader.config.limits)
        session.start()
        try:
            # (the scan finds what the worker holds: its own cell's text)
            assert session.call("held_in_memory", "/proc/self", "/maps").value >= 1
            assert session.call("held_in_memory", "/srv/course", "-x/classmate_").value == 0
        finally:
            session.close()


FLOOD = r'''
import os

def files_made(folder, most):
    """How many empty files `folder` takes before it refuses one (at most `most`)."""
    made = 0
    try:
        while made < most:
            open(os.path.join(folder, f"f{made}"), "w").close()
            made += 1
    except OSError:
        pass
    return made
'''


def test_a_workers_folders_hold_a_bounded_number_of_files(zygote, grader, isolated):
    """Outside red team 93: empty files cost no bytes, so a size-bound tmpfs took ~1.1 M of
    them in 20 s, and their eviction, when the killed worker's mounts were torn down, ran on the
    judge's CPU while the next student's cells ran: 14 s of that student's cell limit. Each
    in-memory folder holds at most `rootfs.MAX_FILES` files."""
    session = _session(zygote, grader, FLOOD)
    try:
        for folder in (rootfs.HOME, "/tmp", "/dev/shm"):
            made = session.call("files_made", folder, 3 * rootfs.MAX_FILES).value
            assert 0 < made <= rootfs.MAX_FILES, (folder, made)
    finally:
        session.close()
