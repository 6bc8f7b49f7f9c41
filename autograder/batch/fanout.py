"""Per-row work at a batch's end, spread over forked processes.

Why: a batch's end writes a `results.json` and a feedback page for every row (~5 ms a row
of JSON and templating: ~2.5 s for 500 rows) in the batch's one process, while the CPUs its
judges used sit idle. Forked children inherit the rows and the work (nothing is pickled but
a share's number), each does every n-th row, and an error in any of them is raised here as
it would have been in one process. Few rows are done here: a fork of this process (torch
imported) costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

FORK_FROM = 64  # rows: below this, one process
_TASK: list[tuple[Sequence[Any], Callable[[Any], None]]] = []  # what the children inherit


def for_each(rows: Sequence[Any], work: Callable[[Any], None], processes: int | None = None,
             fork_from: int = FORK_FROM) -> None:
    """`work(row)` for every row, in as many processes as this one may use (or
    `processes`), each row once; returns when all are done."""
    count = min(processes or len(os.sched_getaffinity(0)), len(rows))
    if count <= 1 or len(rows) < fork_from:
        for row in rows:
            work(row)
        return
    _TASK[:] = [(rows, work)]
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(count, mp_context=context) as pool:
            for done in [pool.submit(_share, k, count) for k in range(count)]:
                done.result()  # (re-raises the child's error)
    finally:
        _TASK.clear()


def _share(k: int, count: int) -> None:
    rows, work = _TASK[0]
    for row in rows[k::count]:
        work(row)
