"""The zygote's anonymous memory collapsed into huge pages (`hugepages`): which mappings,
which parts of them, and that the kernel really backs them with huge pages where it can."""

from __future__ import annotations

import ctypes
import mmap
import os
import re

import pytest

from autograder.sandbox import hugepages

MB = 1 << 20

MAPS = """\
00400000-00401000 r-xp 00000000 08:01 123 /usr/bin/python3.11
00600000-00a00000 rw-p 00000000 00:00 0 [heap]
7f0000100000-7f0000900000 rw-p 00000000 00:00 0
7f0001000000-7f0001300000 rw-p 00000000 00:00 0
7f0002000000-7f0002400000 rw-s 00000000 00:05 9 /dev/shm/x
7f0003000000-7f0003400000 r--p 00000000 00:00 0
7f0004000000-7f0004400000 rw-p 00000000 08:01 77 /usr/lib/libtorch_cpu.so
7ffc00000000-7ffc00400000 rw-p 00000000 00:00 0 [stack]
7f0005000000-7f0005200000 rw-p 00000000 00:00 0
"""


def test_only_private_writable_anonymous_memory_in_whole_huge_pages() -> None:
    assert hugepages.anonymous_regions(MAPS) == [
        (0x00600000, 4 * MB),  # the heap: 6 MB .. 10 MB, aligned already
        (0x7f0000200000, 6 * MB),  # 1 MB .. 9 MB: the whole 2 MB pages inside, 2 .. 8
        (0x7f0001000000, 2 * MB),  # 3 MB long: one huge page
        (0x7f0005000000, 2 * MB),  # exactly one
    ]  # not: code, shared memory, read-only memory, a library's data, the stack


def test_the_hosts_setting_is_the_one_in_brackets() -> None:
    assert hugepages.mode("always [madvise] never\n") == "madvise"
    assert hugepages.mode("[always] madvise never") == "always"
    assert hugepages.mode("garbled") == ""
    assert hugepages.mode() in ("always", "madvise", "never", "")


def test_the_zygote_collapses_in_steps_of_at_most_a_chunk_covering_each_region() -> None:
    regions = [(0x00600000, 4 * MB), (0x7f0000200000, 22 * MB), (0x7f0005000000, 8 * MB)]
    assert hugepages.pieces(regions, chunk=8 * MB) == [
        (0x00600000, 4 * MB),
        (0x7f0000200000, 8 * MB), (0x7f0000a00000, 8 * MB), (0x7f0001200000, 6 * MB),
        (0x7f0005000000, 8 * MB),
    ]
    assert all(length % (2 * MB) == 0 for _, length in hugepages.pending())


def _huge_kb(address: int) -> int:
    """AnonHugePages of the mapping that holds `address`, from this process's smaps."""
    with open("/proc/self/smaps", encoding="ascii") as smaps:
        text = smaps.read()
    for block in re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", text):
        start, end = (int(x, 16) for x in block.split(" ", 1)[0].split("-"))
        if start <= address < end:
            match = re.search(r"^AnonHugePages:\s+(\d+) kB", block, re.M)
            return int(match.group(1)) if match else 0
    raise AssertionError("no mapping holds the address")


@pytest.mark.skipif(hugepages.mode() in ("never", ""), reason="no transparent huge pages here")
def test_memory_written_before_is_backed_by_huge_pages_and_keeps_its_bytes() -> None:
    region = mmap.mmap(-1, 8 * MB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        payload = os.urandom(8 * MB)
        region[:] = payload
        address = ctypes.addressof(ctypes.c_char.from_buffer(region))
        before = _huge_kb(address)
        done = hugepages.collapse()
        if done == 0 and before == 0:
            pytest.skip("this kernel does not collapse memory on request (MADV_COLLAPSE, 6.1)")
        assert _huge_kb(address) >= 2048  # at least one of its (aligned) huge pages
        assert region[:] == payload
    finally:
        region.close()



def test_the_zygote_is_told_whether_to_use_huge_pages_before_the_lab_modules() -> None:
    from autograder.sandbox.zygote import SMALL_PAGES, arguments

    assert arguments(["z", "/s.sock", "/scratch", "/lab/a.py", "/lab/b.py"]) == (
        "/s.sock", "/scratch", True, ["/lab/a.py", "/lab/b.py"])
    assert arguments(["z", "/s.sock", "/scratch", SMALL_PAGES, "/lab/a.py"]) == (
        "/s.sock", "/scratch", False, ["/lab/a.py"])
    assert arguments(["z", "/s.sock", "/scratch"]) == ("/s.sock", "/scratch", True, [])
