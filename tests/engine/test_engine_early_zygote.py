"""`autograder grade` starts the zygote ahead (`client.start_early`) and the batch takes it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autograder.config import Limits
from autograder.lab import Lab
from autograder.load.notebook import Cell, Submission
from autograder.sandbox import client
from autograder.sandbox.client import Zygote
from autograder.sandbox.session import StudentSession
from tests.engine.test_engine_hugepages import _host_collapses, _huge_within

LAB = Lab.load(Path(__file__).resolve().parents[2])


def _ended(process, seconds: float = 10) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return process.poll() is not None


def test_the_zygote_started_ahead_is_the_one_the_batch_uses_and_it_grades() -> None:
    client.start_early(LAB.worker_modules)
    early = client._EARLY[0].process
    try:
        with Zygote([], worker_modules=LAB.worker_modules, huge_pages=False) as zygote:
            assert zygote.process is early and not client._EARLY
            submission = Submission("s", Path("s.ipynb"), (Cell(1, "def twice(x):\n"
                                                                 "    return 2 * x\n"),), "0")
            session = StudentSession(zygote.connect(), submission, Limits())
            session.start()
            try:
                assert session.call("twice", 21).value == 42
            finally:
                session.close()
        assert _ended(early)
    finally:
        client.discard_early()


def test_a_batch_of_many_asks_the_zygote_started_ahead_for_huge_pages() -> None:
    """Started in small pages (the number of notebooks is not known yet), it collapses its
    memory once the batch that takes it asks, as one started with huge pages does."""
    if not _host_collapses():
        pytest.skip("this host does not collapse memory into huge pages")
    client.start_early(LAB.worker_modules)
    try:
        with Zygote([], worker_modules=LAB.worker_modules, huge_pages=True) as zygote:
            assert _huge_within(zygote.process.pid, 64 << 10, 30) >= 64 << 10
    finally:
        client.discard_early()


def test_a_zygote_started_ahead_that_nothing_takes_ends() -> None:
    """Nothing to grade (every notebook up to date), or another lab's: it does not linger."""
    client.start_early(LAB.worker_modules)
    unused = client._EARLY[0].process
    client.discard_early()
    assert _ended(unused) and not client._EARLY
    client.start_early(LAB.worker_modules)
    other = client._EARLY[0].process
    try:
        with Zygote([], huge_pages=False) as zygote:  # (no lab modules: not the one started)
            assert zygote.process is not other
        assert _ended(other)
    finally:
        client.discard_early()
