"""The zygote serves from huge pages once it has forked (`hugepages`), where the host can."""

from __future__ import annotations

import ctypes
import mmap
from pathlib import Path

import pytest

from autograder.config import Limits
from autograder.lab import Lab
from autograder.sandbox import hugepages
from autograder.sandbox.client import Zygote


def _host_collapses() -> bool:
    """Whether this kernel collapses an anonymous region on request (THP on, Linux 6.1)."""
    region = mmap.mmap(-1, 8 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        region[:] = b"\1" * (8 << 20)
        address = ctypes.addressof(ctypes.c_char.from_buffer(region))
        start = (address + (2 << 20) - 1) & ~((2 << 20) - 1)
        return hugepages.collapse([(start, 2 << 20)]) > 0
    finally:
        region.close()


def _anon_huge_kb(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("AnonHugePages:"):
                return int(line.split()[1])
    return 0


def test_the_zygote_forks_from_huge_pages(zygote) -> None:
    if not _host_collapses():
        pytest.skip("this host does not collapse memory into huge pages")
    connection = zygote.connect()
    try:
        worker = connection.spawn(Limits(), [])  # (after its first fork at the latest)
        worker.sock.close()
        connection.end(worker.pid)
        assert _anon_huge_kb(zygote.process.pid) >= 64 << 10  # most of its ~240 MB
    finally:
        connection.close()


@pytest.mark.skipif(hugepages.mode() == "always", reason="this host backs all memory with huge pages")
def test_a_zygote_for_a_few_notebooks_keeps_its_small_pages() -> None:
    """Collapsing costs ~0.5 s once: a batch of a few notebooks (`HUGE_PAGES_FROM`) skips it."""
    lab = Lab.load(Path(__file__).resolve().parents[2])
    with Zygote([], worker_modules=lab.worker_modules, huge_pages=False) as zygote:
        connection = zygote.connect()
        try:
            worker = connection.spawn(Limits(), [])
            worker.sock.close()
            connection.end(worker.pid)
            assert _anon_huge_kb(zygote.process.pid) == 0
        finally:
            connection.close()
