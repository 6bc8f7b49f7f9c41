"""Red team 16: a FIFO named `lab05.ipynb` in an upload (an archive extracted with a tool
that keeps FIFOs) held `grade` forever on its first read, so nobody was graded. A file that
is not a regular one is a row with a reason, never opened for a blocking read; the batch
goes on."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from autograder.batch.discover import discover
from autograder.load.notebook import InvalidNotebook, read_submission, sha256_of

NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _within(seconds: float, work) -> object:
    """`work()`'s result, run in a thread: a read that blocks fails the test, not CI."""
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # (re-raised below, in the test's thread)
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked on a FIFO"
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]


def test_a_fifo_in_an_upload_is_a_row_and_the_batch_goes_on(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    (downloads / "eve").mkdir(parents=True)
    os.mkfifo(downloads / "eve" / "lab05.ipynb")
    (downloads / "carol").mkdir()
    (downloads / "carol" / "lab05.ipynb").write_text(NOTEBOOK)
    found = _within(20, lambda: {f.submission_id: f for f in discover(
        [downloads], tmp_path / "unpacked", assignment="lab05").submissions})
    assert isinstance(found, dict) and set(found) == {"eve", "carol"}
    assert found["eve"].problem and "not a regular file" in found["eve"].problem
    assert not found["carol"].problem


def test_reading_a_fifo_as_a_notebook_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "lab05.ipynb"
    os.mkfifo(fifo)
    with pytest.raises(InvalidNotebook, match="not a regular file"):
        _within(20, lambda: read_submission(fifo, "eve", 64))



def test_the_digest_a_grade_is_keyed_on_never_blocks_on_a_fifo(tmp_path: Path) -> None:
    """`Grader.grade` digests the file before reading it (a FIFO there held it forever)."""
    fifo = tmp_path / "lab05.ipynb"
    os.mkfifo(fifo)
    assert _within(20, lambda: sha256_of(fifo)) == ""
    real = tmp_path / "real.ipynb"
    real.write_text(NOTEBOOK)
    assert sha256_of(real) == hashlib.sha256(NOTEBOOK.encode()).hexdigest()
