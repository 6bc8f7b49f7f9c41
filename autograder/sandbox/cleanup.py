"""Removing a tree a worker made, without ever raising.

`shutil.rmtree(..., ignore_errors=True)` is recursive in Python 3.11: a student
who nests 3,000 folders makes it raise `RecursionError`, which killed the zygote
(every later student got 0) and the next run's stale-folder sweep. Paths that
deep also pass `PATH_MAX`. This remover walks with one open directory at a
time, relative to its parent (`dir_fd`), keeps only a stack of names, never
follows a symlink, and reports failure by its return value instead of raising.
"""

from __future__ import annotations

import contextlib
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def remove_tree(path: str, max_entries: int = 10_000_000) -> bool:
    """Delete `path` (a file, a link or a directory tree); True when it is gone.

    Never raises. Entries that cannot be removed (a busy mount point, a
    permission the caller lacks) are skipped, and the call ends after at most
    `max_entries` directory entries looked at, so it always terminates.
    """
    try:
        return _remove(path, max_entries)
    except Exception:
        return not os.path.lexists(path)


def _remove(path: str, budget: int) -> bool:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    if not stat.S_ISDIR(info.st_mode):
        with contextlib.suppress(OSError):
            os.unlink(path)
        return not os.path.lexists(path)
    fd = _open_dir(path, None)
    if fd is None:
        return False
    names: list[str] = []  # the path from `path` down to the directory `fd` is open on
    stuck: set[tuple[int, int]] = set()  # directories that could not be emptied
    while budget > 0:
        child = None
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    budget -= 1
                    if budget <= 0:
                        break
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            found = os.stat(entry.name, dir_fd=fd, follow_symlinks=False)
                            if (found.st_ino, found.st_dev) in stuck:
                                continue
                            child = entry.name
                            break
                        os.unlink(entry.name, dir_fd=fd)
                    except FileNotFoundError:
                        continue
                    except OSError:
                        continue
        except OSError:
            pass
        if child is not None:
            opened = _open_dir(child, fd)
            if opened is None:
                with contextlib.suppress(OSError):
                    stuck.add((os.stat(child, dir_fd=fd, follow_symlinks=False).st_ino,
                               os.fstat(fd).st_dev))
                continue
            os.close(fd)
            fd = opened
            names.append(child)
            continue
        # `fd` is as empty as it will get: go up and remove it from its parent.
        if not names:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.rmdir(path)
            return not os.path.lexists(path)
        parent = os.open("..", _DIR_FLAGS & ~os.O_NOFOLLOW, dir_fd=fd)
        here = os.fstat(fd)
        os.close(fd)
        fd = parent
        name = names.pop()
        try:
            os.rmdir(name, dir_fd=fd)
        except FileNotFoundError:
            pass
        except OSError:
            stuck.add((here.st_ino, here.st_dev))
    os.close(fd)
    return not os.path.lexists(path)


def _open_dir(name: str, parent: int | None) -> int | None:
    """Open a directory for listing; make it searchable first if a worker chmod-ed it 000."""
    for attempt in range(2):
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except PermissionError:
            if attempt:
                return None
            with contextlib.suppress(OSError):
                os.chmod(name, 0o700, dir_fd=parent, follow_symlinks=True)
        except OSError:
            return None
        else:
            if os.geteuid() != 0:  # a worker may have left it read-only: our own tree
                with contextlib.suppress(OSError):
                    os.fchmod(fd, 0o700)
            return fd
    return None
