"""What `grade` was asked to do, checked before anything is written.

A typo (`grade nope.ipynb`), an empty folder, a zip that cannot be opened
(a download cut short), `--out` naming a file or a folder inside the
submissions (the next run would grade the results as input), a worker count
below one: each is one line naming the problem and
exit code 2, with nothing created or changed on disk. Checked here, not
half-way through a run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from autograder.batch.discover import _ZIP_ERRORS, Discovery, _lms_owner


class InputError(Exception):
    """The command line asks for something that cannot be done; the message says what."""


LOCK = ".grade.lock"  # in --out: held (flock) by the run using that folder (`batch.run`)


def running_in(out: Path) -> str | None:
    """The pid (as its lock file says) of a grade run now using `out`, else None: what reads
    a run's results (`export canvas`, `publish`) waits for it to finish (ops review 22: an
    export made mid-run took half a class's scores), and a second `grade` is told at once."""
    try:
        fd = os.open(out / LOCK, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


_HELD: set[Path] = set()  # the folders this process holds the lock of, resolved


def _holder(fd: int) -> str:
    """The pid the lock file holds (its holder wrote it), as text."""
    return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"


@contextlib.contextmanager
def holding(out: Path) -> Iterator[None]:
    """Hold `out`'s lock (`out` exists); InputError (exit 2), naming the holder, if another
    run holds it. Taken again by the process holding it, it holds on (`grade` takes it as soon
    as the folder exists, before the imports and the sandbox's start, and the batch within:
    an ops review exported pages from a folder whose next run, 40 s into its start, had not
    locked it yet). The lock dies with its holder (flock), so a killed run never leaves the
    folder locked; the lock file stays (removing it would let two runs lock two files)."""
    key = out.resolve()
    if key in _HELD:
        yield
        return
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(in_use(out, _holder(fd))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
    finally:
        os.close(fd)


def in_use(out: Path, holder: str) -> str:
    return (f"another grade run (pid {holder}) is using --out {out}: wait for it to finish, "
            "or choose another --out")


def check_grade_inputs(paths: list[Path], out: Path, workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be 1 or more (got {workers})")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(f"no such file or folder: {', '.join(missing)}")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder")
    holder = running_in(out)  # (told now, not after the imports and the sandbox's start: an
    if holder is not None:    # ops review's second run said so after 40 s; the run's own
        raise InputError(in_use(out, holder))  # lock, taken later, is what holds it)
    target = out.resolve()
    for path in paths:
        source = path.resolve()
        if source.is_dir() and target.is_relative_to(source):
            raise InputError(f"--out {out} is inside the input {path}: the next run would "
                             "grade the results; choose a folder outside it")
        if source.is_relative_to(target):
            raise InputError(f"the input {path} is inside --out {out}: choose another --out")
    unreadable = [_unreadable_archive(p) for p in paths]
    if any(unreadable):
        raise InputError("\n".join(line for line in unreadable if line))
    if not any(_may_hold_submission(p) for p in paths):
        raise InputError(f"no submission found in {', '.join(str(p) for p in paths)} "
                         "(no .ipynb, .zip or LMS-named file)")


def _unreadable_archive(path: Path) -> str:
    """Why a zip named on the command line cannot be opened at all (its list of contents, at
    the end, is missing or damaged: a download cut short), else "". Such a file is no
    student's upload that came damaged but the instructor's download: graded, it would mark
    the whole class missing and make a row of its file name. (A zip that opens but has some
    damaged members is graded: their students get `invalid` rows saying so.)"""
    if not path.is_file() or path.suffix.lower() != ".zip":
        return ""
    try:
        with zipfile.ZipFile(path) as zf:
            zf.infolist()
    except _ZIP_ERRORS as exc:
        return (f"{path} cannot be read as a zip archive ({exc}): it is probably cut short or "
                "damaged; download it again (or leave it out)")
    return ""


def _may_hold_submission(path: Path) -> bool:
    """Whether discovery could make a row from `path` (without unpacking anything)."""
    if path.is_file():
        return path.suffix.lower() in (".ipynb", ".zip") or _lms_owner(path.name) is not None
    for _root, folders, files in os.walk(path):
        folders[:] = [f for f in folders if not f.startswith(".") and f != "__MACOSX"]
        if any(not f.startswith(".") and (Path(f).suffix.lower() in (".ipynb", ".zip")
                                          or _lms_owner(f) is not None) for f in files):
            return True
        if any(_lms_owner(f) is not None for f in folders):
            return True
    return False


def require_submissions(discovery: Discovery, paths: list[Path]) -> None:
    if not discovery.submissions:
        skipped = f" ({len(discovery.skipped)} files skipped)" if discovery.skipped else ""
        raise InputError(f"no submission found in {', '.join(str(p) for p in paths)}{skipped}")
