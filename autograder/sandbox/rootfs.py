"""The filesystem a worker sees: made for it, not the host's with holes in it.

Hiding a list of secret folders leaks whatever the list forgot (the project's
`.git` did: `git show HEAD:solutions/reference.py` scored 126/126). A worker
instead gets a new root, built in its private mount namespace and entered with
`pivot_root`, that holds only:

- the Python runtime read-only: the interpreter's prefix, the virtual
  environment's, and the system's shared libraries (`/usr/lib`, `/lib*`);
- a few generated files in `/etc` (users, the loader cache, the time zone);
- `/dev` with null, zero, full, random, urandom, and nothing else: no GPU node even on a
  GPU host (no grader process uses a GPU, `autograder.NO_GPU`; a notebook that set
  `CUDA_VISIBLE_DEVICES` again would otherwise reach the host's driver);
- `/proc` of its own PID namespace (its own processes only);
- private, size-capped tmpfs mounts: `/home/student` (its cwd and HOME), `/tmp`
  and `/dev/shm`. They live in memory charged to the worker's cgroup and vanish
  with its mount namespace: nothing it writes reaches the host's disk.

Everything else of the host (the project, its `.git`, the hidden suite, other
students' files, the output folder, `/sys`, `/run`) does not exist in it.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import platform
import sys
import sysconfig
from dataclasses import dataclass

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

HOME = "/home/student"
# The system's shared libraries (the loader and what Python's and torch's extensions link
# against), not all of /usr/lib: a folder that is a link (merged /usr) is recreated as one.
_TRIPLET = getattr(sys.implementation, "_multiarch", "")
SYSTEM_LIBRARIES = tuple(p for p in (
    "/lib", "/lib64", "/usr/lib64", f"/usr/lib/{_TRIPLET}" if _TRIPLET else "/usr/lib",
    f"/lib/{_TRIPLET}" if _TRIPLET else "") if p)
DEVICES = ("null", "zero", "full", "random", "urandom")
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


# CPython's own test and example extension modules: `_testcapi` starts another interpreter
# with no thread state, which no audit hook sees (red team 32 ran ctypes in one, past the
# worker's refusal), and the others expose the interpreter's internals the same way. A worker
# finds each as an empty file (none is ever loaded in the zygote: a module once loaded there
# would come back from the interpreter's cache, `_imp.create_dynamic`, whatever the file).
UNSAFE_MODULES = ("_testcapi", "_testinternalcapi", "_testmultiphase", "_testsinglephase",
                  "_testbuffer", "_testimportmultiple", "_testclinic", "_ctypes_test",
                  "_xxsubinterpreters", "_xxinterpchannels", "_xxtestfuzz", "xxlimited",
                  "xxlimited_35", "xxsubtype")


@functools.cache
def unsafe_module_files() -> tuple[str, ...]:
    """Where the runtime keeps `UNSAFE_MODULES` (found, not imported)."""
    found = []
    for name in UNSAFE_MODULES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            found.append(os.path.realpath(spec.origin))
    return tuple(found)


@functools.cache
def unused_package_folders() -> tuple[str, ...]:
    """The package folders of the runtime's prefixes that this interpreter does not import
    from (a virtual environment's base interpreter's own site-packages, left out of its
    `sys.path`): hidden from every worker, which needs none of them. Why: a red team of stop
    50 found a whole SciPy and a second NumPy there, outside what an evidence worker hides
    (`harness.ForGood.hidden`), and imported them past its importer by their path."""
    on_path = {os.path.realpath(p) for p in sys.path if p}
    found = set()
    for prefix in {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix}:
        paths = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix,
                                          "installed_base": prefix,
                                          "installed_platbase": prefix})
        for key in ("purelib", "platlib"):
            folder = os.path.realpath(paths[key])
            if os.path.isdir(folder) and folder not in on_path:
                found.add(folder)
    return tuple(sorted(found))


@dataclass(frozen=True)
class Layout:
    """What to build: the folder to build it on, the worker's uid and its tmpfs size."""

    mountpoint: str  # an empty host folder; mounted over privately, never written
    uid: int | None
    scratch_mb: int
    hide_paths: tuple[str, ...] = ()  # secret folders that happen to sit inside the runtime


@functools.cache
def runtime_paths() -> tuple[str, ...]:
    """The interpreter's and the environment's prefixes (their packages included). Once per
    process (the zygote's, which every worker inherits): each worker's confinement asked for
    them once per hidden path, two `realpath`s of a dozen `stat`s each time."""
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    # A prefix inside another is covered by it.
    return tuple(sorted(p for p in prefixes
                        if not any(p != q and p.startswith(q.rstrip("/") + "/")
                                   for q in prefixes)))


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)  # (once: a worker's root is ~20 mounts)


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    result = _libc().mount(source.encode() if source else None, target.encode(),
                           fstype.encode() if fstype else None, flags,
                           data.encode() if data else None)
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source or ''} on {target}: {os.strerror(err)}")


def _bind_readonly(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    # Keep nosuid/nodev; a bind's read-only flag is set by a remount of the bind itself.
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _make_target(root: str, path: str, directory: bool) -> str:
    target = root + path
    os.makedirs(target if directory else os.path.dirname(target), mode=0o755, exist_ok=True)
    if not directory and not os.path.exists(target):
        with open(target, "w"):
            pass
    return target


# Files (inodes) each of a worker's in-memory folders holds at most. A size in bytes does not
# bound them (an empty file costs none): outside red team 93's cell made ~1.1 M empty files in
# 20 s, and the kernel evicted them as the killed worker's mounts were torn down (~2.6 µs a
# file) on the judge's CPU, while the next student's cells ran there — 14 s of their cell
# limit, one `timeout` row. At this bound a teardown costs at most ~0.05 s a folder; a
# notebook's own files (a module written with %%writefile, a plot saved) are a handful.
MAX_FILES = 20_000


def _tmpfs(target: str, size_mb: int, mode: str, uid: int | None, exec_ok: bool = True) -> None:
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    flags = MS_NOSUID | MS_NODEV | (0 if exec_ok else MS_NOEXEC)
    _mount("tmpfs", target, "tmpfs", flags,
           f"size={size_mb}m,nr_inodes={MAX_FILES},mode={mode}{owner}")


def _etc_files(uid: int | None) -> dict[str, bytes]:
    student = uid if uid is not None else os.getuid()
    files = {
        "passwd": (f"root:x:0:0:root:/root:/bin/false\n"
                   f"student:x:{student}:{student}:student:{HOME}:/bin/false\n").encode(),
        "group": f"root:x:0:\nstudent:x:{student}:\n".encode(),
        "hosts": b"127.0.0.1 localhost\n::1 localhost\n",
        "hostname": b"sandbox\n",
    }
    for name in ("ld.so.cache", "ld.so.conf", "localtime"):
        try:
            with open(os.path.join("/etc", name), "rb") as handle:
                files[name] = handle.read(1 << 20)
        except OSError:
            continue
    return files


def build_and_enter(layout: Layout) -> None:
    """In a fresh mount (and PID) namespace: build the worker's root and pivot into it.

    Raises OSError if any step fails; the caller must then not run student code.
    """
    root = layout.mountpoint
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _tmpfs(root, 4, "755", None)
    # The private folders first: a runtime that lives under /tmp or /home (a checkout in a
    # temporary folder) is then bound on top of them instead of being covered by them.
    # Writable, and never a place code is loaded from (noexec): a shared library or an
    # extension module the notebook writes there cannot be loaded (an outside red team's
    # calls of torch's kernels below the dispatcher, past the no-library block: native code
    # is refused by every route, see `worker.refuse_native_code` and `seccomp._no_new_code`)
    home = _make_target(root, HOME, directory=True)
    _tmpfs(home, layout.scratch_mb, "700", layout.uid, exec_ok=False)
    _tmpfs(_make_target(root, "/tmp", directory=True), layout.scratch_mb, "1777", None,
           exec_ok=False)
    for path in runtime_paths():
        _bind_readonly(path, _make_target(root, path, directory=True))
    for path in SYSTEM_LIBRARIES:
        if os.path.islink(path) and os.path.realpath(path) == "/usr/lib":
            continue  # merged /usr: /lib is usr/lib, whose library folder is bound below
        if os.path.islink(path):
            os.makedirs(os.path.dirname(root + path), mode=0o755, exist_ok=True)
            if not os.path.lexists(root + path):
                os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path) and not os.path.ismount(root + path):
            covered = any(path == r or path.startswith(r.rstrip("/") + "/") for r in runtime_paths())
            if not covered:
                _bind_readonly(path, _make_target(root, path, directory=True))
    for hidden in (*layout.hide_paths, *unsafe_module_files(),
                   *unused_package_folders()):  # e.g. a project installed
        # into site-packages; CPython's test modules
        inside = root + hidden
        if os.path.isdir(inside):
            _tmpfs(inside, 1, "000", None, exec_ok=False)
        elif os.path.isfile(inside):
            _mount("/dev/null", inside, None, MS_BIND)
    etc = _make_target(root, "/etc", directory=True)
    for name, content in _etc_files(layout.uid).items():
        with open(os.path.join(etc, name), "wb") as handle:
            handle.write(content)
    _make_devices(root, layout)
    proc = _make_target(root, "/proc", directory=True)
    _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _pivot(root)
    # The skeleton itself (folders, /etc) becomes read-only; the tmpfs mounts stay writable.
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(HOME)


def _make_devices(root: str, layout: Layout, host: str = "/dev") -> None:
    dev = _make_target(root, "/dev", directory=True)
    for name in DEVICES:  # (only these, whatever else the host's `/dev` holds)
        source = os.path.join(host, name)
        if os.path.exists(source) and not os.path.isdir(source):
            target = _make_target(root, f"/dev/{name}", directory=False)
            _mount(source, target, None, MS_BIND)
            # (noexec: a private mapping of /dev/zero is fresh memory, which may not be code:
            # `seccomp`'s no-new-code rules see no file behind a mapping)
            _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOEXEC | MS_NOSUID)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    _tmpfs(_make_target(root, "/dev/shm", directory=True), layout.scratch_mb, "1777", None,
           exec_ok=False)


def _pivot(root: str) -> None:
    """`pivot_root(root, root)` stacks the old root on the new one; detaching it leaves
    the new root alone (the runc idiom: no folder for the old root is needed)."""
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(root)
    libc = _libc()
    if libc.syscall(number, b".", b".") != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"pivot_root: {os.strerror(err)}")
    if libc.umount2(b".", MNT_DETACH) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"detaching the old root: {os.strerror(err)}")
    os.chdir("/")
