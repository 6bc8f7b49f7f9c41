"""The lab these tests grade is this repository's root (lab05): its hidden checks package
(`lab05_checks`) is importable in the test process, as it is in a judge."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.lab import Lab
from autograder.sandbox.quoting import quoting_from

ROOT = Path(__file__).resolve().parents[1]
LAB = Lab.load(ROOT)
LAB.activate()


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Iterator[None]:
    """A test that runs a worker's harness in this process (`harness.silence_hooks` turns the
    collector off, as a worker wants it) gives the collector back on: the tests after it
    would otherwise depend on the order they run in (a batch test found it off)."""
    enabled = gc.isenabled()
    yield
    if enabled and not gc.isenabled():
        gc.enable()


@pytest.fixture(autouse=True)
def _no_notebook_quoted_after() -> Iterator[None]:
    """The notebook errors are quoted from is the judge's, set for each submission
    (`StudentSession`, `quoting_from`): a test that grades in this process leaves its last
    notebook there, and a later test's "cell 2, line 3" was then dropped as no line of it
    (two unit tests failed only in the order xdist ran them on a clean clone)."""
    yield
    quoting_from("")
