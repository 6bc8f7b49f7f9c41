"""The zygote's memory in huge pages, so that forking a worker and ending it cost less.

Why: every worker is a fork of the zygote, which holds ~240 MB of private memory (torch's
and Python's objects). A fork copies one page-table entry per 4 KB page of it and the
worker's exit walks them all again to drop them: ~10 ms and ~20 ms of kernel time a
submission, a tenth of its cost. Backed by 2 MB pages (`MADV_COLLAPSE`, Linux 6.1), the
same memory is 512 times fewer entries: fork ~2.5 ms, exit ~6 ms. Copy-on-write is
unchanged in kind: a worker's first write into a shared huge page splits it and copies
the one 4 KB page written, as before, so a worker uses no more memory than it did.

The zygote collapses its memory as it is when it starts serving, a few MB at a time while
it has no request to answer, and only that memory: the regions are not marked for huge
pages, so a worker's own new memory stays in 4 KB pages (a huge page fault would zero 2 MB
for a small allocation). It no longer finishes the collapse before its first fork: that put
the whole ~0.1–0.5 s (the kernel may have to compact memory first) between every judge and
its first worker at the start of a batch, a CPU idle meanwhile. `MADV_COLLAPSE` also
collapses memory a child shares (the zygote gets its own huge page; the child keeps the
small pages it had), so the first workers are forked from small pages and the rest from
huge ones. Where the kernel or its settings refuse (older kernels, THP "never", no free
huge pages), nothing changes.
"""

from __future__ import annotations

import ctypes
import re

MADV_COLLAPSE = 25
HUGE = 2 << 20
CHUNK = 8 << 20  # one step of the zygote's idle work: 20-50 ms
_MAPS_LINE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$")


def mode(setting: str | None = None) -> str:
    """The host's transparent huge page setting ("always", "madvise", "never"; "" unknown),
    read from the kernel's file ("always [madvise] never"), or from `setting` if given."""
    if setting is None:
        try:
            with open("/sys/kernel/mm/transparent_hugepage/enabled", encoding="ascii") as file:
                setting = file.read()
        except OSError:
            return ""
    match = re.search(r"\[(\w+)\]", setting)
    return match.group(1) if match else ""


def anonymous_regions(maps: str) -> list[tuple[int, int]]:
    """The 2 MB-aligned parts of the private, writable, anonymous mappings (the heap
    included, the stack not) in a /proc/PID/maps text, as (start, length)."""
    regions = []
    for line in maps.splitlines():
        match = _MAPS_LINE.match(line)
        if match is None:
            continue
        start, end, perms, path = int(match[1], 16), int(match[2], 16), match[3], match[4]
        if perms[:2] != "rw" or perms[3] != "p" or path not in ("", "[heap]"):
            continue
        first, last = (start + HUGE - 1) & ~(HUGE - 1), end & ~(HUGE - 1)
        if last - first >= HUGE:
            regions.append((first, last - first))
    return regions


def pieces(regions: list[tuple[int, int]], chunk: int = CHUNK) -> list[tuple[int, int]]:
    """The regions cut into pieces of at most `chunk` bytes (a multiple of 2 MB), in order."""
    return [(piece, min(chunk, start + length - piece))
            for start, length in regions for piece in range(start, start + length, chunk)]


def pending(chunk: int = CHUNK) -> list[tuple[int, int]]:
    """This process's anonymous regions (see `anonymous_regions`) in pieces: the steps of
    the zygote's `collapse` (none where the host turned huge pages off)."""
    if mode() == "never":
        return []
    try:
        with open("/proc/self/maps", encoding="ascii") as maps:
            return pieces(anonymous_regions(maps.read()), chunk)
    except OSError:
        return []


def collapse(regions: list[tuple[int, int]] | None = None) -> int:
    """Back these regions (default: all of this process's, `pending()`) with huge pages where
    the kernel agrees; the number of bytes it agreed to (0 where it cannot)."""
    regions = pending() if regions is None else regions
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return 0
    madvise = libc.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    done = 0
    for start, length in regions:
        if madvise(start, length, MADV_COLLAPSE) == 0:
            done += length
    return done
