"""Per-row work at a batch's end, spread over forked processes.

Why: a batch's end writes a `results.json` and a feedback page for every row (~5 ms a row
of JSON and templating: ~2.5 s for 500 rows) in the batch's one process, while the CPUs its
judges used sit idle. Forked children inherit the rows and the work (nothing is pickled but
a share's number), each does every n-th row, and an error in any of them is raised here as
it would have been in one process. Few rows are done here: a fork of this process (torch
imported) costs more than it saves. A child dies with this process (`die_with_parent`): a
killed batch leaves nothing writing into its output folder.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from autograder.sandbox.zygote import die_with_parent

FORK_FROM = 64  # rows: below this, one process
START_S = 10.0  # the longest a share waits for the others to start (then it goes on alone)
_TASK: list[tuple[Sequence[Any], Callable[[Any], None], Any]] = []  # what the children inherit


def for_each(rows: Sequence[Any], work: Callable[[Any], None], processes: int | None = None,
             fork_from: int = FORK_FROM) -> None:
    """`work(row)` for every row, in as many processes as this one may use (or
    `processes`), each row once; returns when all are done."""
    count = min(processes or len(os.sched_getaffinity(0)), len(rows))
    if count <= 1 or len(rows) < fork_from:
        for row in rows:
            work(row)
        return
    context = multiprocessing.get_context("fork")
    _TASK[:] = [(rows, work, context.Barrier(count))]
    try:
        with ProcessPoolExecutor(count, mp_context=context, initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            for done in [pool.submit(_share, k, count) for k in range(count)]:
                done.result()  # (re-raises the child's error)
    finally:
        _TASK.clear()


def _share(k: int, count: int) -> None:
    rows, work, together = _TASK[0]
    # Each share in a process of its own: the pool starts one per share, but the first to
    # start could take the next share too before the others are up (on a busy machine),
    # leaving a CPU idle. Rows are never at stake: after `START_S` a share goes on alone.
    with contextlib.suppress(threading.BrokenBarrierError):
        together.wait(START_S)
    for row in rows[k::count]:
        work(row)
