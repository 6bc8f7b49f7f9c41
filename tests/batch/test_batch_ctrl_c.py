"""Ctrl-C stops a batch: the run ends within seconds, its judges with it, and no row is
written after it said it stopped (an ops review: it printed "interrupted", then went on
grading what was queued for 12–14 s and wrote a dozen more rows)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
HONEST = ("reference_code", "honest_only_mse", "mutant_no_zero_grad")


def _rows(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("*/results.json")}


@pytest.mark.slow
def test_ctrl_c_ends_the_run_and_nothing_is_written_after_it(tmp_path: Path,
                                                              short_config: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for copy in range(4):  # (more than the judges can hold: some still queued at the signal)
        for name in HONEST:
            shutil.copy(FIXTURES / f"{name}.ipynb", subs / f"{name}_{copy}.ipynb")
    batch = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out",
                              str(out), "--workers", "2", "--no-progress", "--config",
                              str(short_config)], cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not _rows(out):  # grading has begun: the first row is written
            assert batch.poll() is None, "the batch ended before it could be interrupted"
            assert time.monotonic() < deadline, "the batch never wrote a row"
            time.sleep(0.05)
        tree = {p.pid: p.create_time() for p in psutil.Process(batch.pid).children(True)}
        os.killpg(batch.pid, signal.SIGINT)  # as Ctrl-C: the whole foreground group
        signalled = time.monotonic()
        at_signal = _rows(out)
        _, stderr = batch.communicate(timeout=60)
        assert time.monotonic() - signalled < 15, "the run went on after Ctrl-C"
        assert batch.returncode == 130 and "interrupted" in stderr
        after = _rows(out) - at_signal
        # (at most the rows the two judges were finishing as the signal came)
        assert len(after) <= 2, sorted(after)
        assert len(_rows(out)) < 4 * len(HONEST), "every row was graded: nothing was stopped"
        time.sleep(2)
        assert _rows(out) - at_signal == after, "rows written after the run ended"
        running = []
        for pid, started in tree.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                process = psutil.Process(pid)
                if process.create_time() == started and process.status() != psutil.STATUS_ZOMBIE:
                    running.append(pid)
        assert running == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(batch.pid, signal.SIGKILL)
