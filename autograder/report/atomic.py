"""Write-then-rename, so an interrupted run never leaves a half-written result.

`mkstemp` creates its file 0600 whatever the umask says; the output folder is
read by TAs sharing a group and published by web servers, so the file is given
the mode an ordinary `open()` would have (0644 under the usual umask 022)
before it is renamed into place.

A kill between the write and the rename leaves the temporary file behind,
named `.<final name>.<8 random characters>` (`mkstemp`'s); `is_leftover`
recognises exactly that pattern for the files a run writes, so the next run
can remove them without touching anything else in the folder.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Collection
from pathlib import Path

_UMASK_LOCK = threading.Lock()
# `.<name>.` + mkstemp's 8 characters (`tempfile._RandomNameSequence`: a-z, 0-9, _)
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}$")


def current_umask() -> int:
    """The process's umask, read without changing it where Linux says it (/proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:  # elsewhere: set and restore (brief, and only under this lock)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        # (errors="replace": a lone surrogate — a file name that was not UTF-8, decoded with
        # surrogate escapes — cannot end a batch; it is written as "?")
        with os.fdopen(fd, "w", encoding=encoding, errors="replace", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_leftover(path: Path, names: Collection[str]) -> bool:
    """Whether `path` is the temporary file of an interrupted `write_text` to one of `names`
    (in the same folder): a plain file named `.<name>.XXXXXXXX`."""
    match = _TEMPORARY.match(path.name)
    return match is not None and match["name"] in names and path.is_file() \
        and not path.is_symlink()
