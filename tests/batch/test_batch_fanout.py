"""A batch's end writes its rows in forked processes (`batch/fanout.py`): each row once,
an error in a child raised in the batch's process, few rows in the batch's process itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.batch.fanout import for_each


def _writer(folder: Path):
    def work(row: int) -> None:
        with open(folder / f"{row}.txt", "a", encoding="ascii") as handle:
            handle.write(f"{os.getpid()}\n")
    return work


def _writers(folder: Path, rows: int) -> list[list[str]]:
    return [(folder / f"{row}.txt").read_text(encoding="ascii").split() for row in range(rows)]


def test_many_rows_are_each_done_once_by_forked_processes(tmp_path: Path) -> None:
    for_each(list(range(50)), _writer(tmp_path), processes=2, fork_from=10)
    writers = _writers(tmp_path, 50)
    assert all(len(w) == 1 for w in writers)  # once each
    pids = {w[0] for w in writers}
    assert len(pids) == 2 and str(os.getpid()) not in pids


def test_few_rows_are_done_here(tmp_path: Path) -> None:
    for_each(list(range(5)), _writer(tmp_path), processes=2, fork_from=10)
    assert {w[0] for w in _writers(tmp_path, 5)} == {str(os.getpid())}


def test_an_error_in_a_child_is_raised_here(tmp_path: Path) -> None:
    write = _writer(tmp_path)

    def work(row: int) -> None:
        if row == 33:
            raise OSError("disk full")
        write(row)

    with pytest.raises(OSError, match="disk full"):
        for_each(list(range(50)), work, processes=2, fork_from=10)
