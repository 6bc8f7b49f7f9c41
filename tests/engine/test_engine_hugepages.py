"""The zygote serves from huge pages once it has forked (`hugepages`), where the host can."""

from __future__ import annotations

import ctypes
import mmap
import time
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


def _huge_within(pid: int, at_least_kb: int, seconds: float) -> int:
    """The zygote's huge memory once it reaches `at_least_kb`, or when `seconds` ran out."""
    deadline = time.monotonic() + seconds
    while (kb := _anon_huge_kb(pid)) < at_least_kb and time.monotonic() < deadline:
        time.sleep(0.05)
    return kb


def test_the_zygote_moves_to_huge_pages_while_it_has_workers(zygote) -> None:
    """Forks do not wait for the collapse: it goes on, a step at a time, while the zygote
    has nothing to answer, and a worker alive meanwhile does not stop it."""
    if not _host_collapses():
        pytest.skip("this host does not collapse memory into huge pages")
    connection = zygote.connect()
    try:
        worker = connection.spawn(Limits(), [])  # held alive while the zygote collapses
        try:
            # (some of its ~200 MB: how much a host can collapse, and how fast, depends on
            # its load and on how fragmented its free memory is — 48 MB in 30 s on a busy
            # machine up for half a day)
            assert _huge_within(zygote.process.pid, 16 << 10, 60) >= 16 << 10
        finally:
            worker.sock.close()
            connection.end(worker.pid)
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
