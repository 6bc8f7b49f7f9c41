"""A batch's processes die with it (audit finding 15): `kill -9` of the batch's main process
alone (not its process group) ends its judges, its zygote and the zygote's workers, so
nothing goes on grading into `--out` for a run that was stopped. The processes are the ones
recorded from the batch's own tree before the kill, polled by pid (a reused pid is told apart
by its start time; a zombie runs nothing and counts as gone)."""

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
NOTEBOOKS = ("hostile_infinite_loop", "reference_code", "honest_only_mse", "mutant_no_zero_grad")
CHILD = """
import os, sys, time
from autograder.sandbox.zygote import die_with_parent

parent = os.getpid()
ready, armed = os.pipe()
child = os.fork()
if child == 0:
    die_with_parent(parent)
    os.write(armed, b"x")
    time.sleep(120)
    os._exit(0)
os.read(ready, 1)
print(child, flush=True)
time.sleep(120)
"""


def alive(recorded: dict[int, float]) -> list[int]:
    """The recorded processes still running (same pid and start time, not a zombie)."""
    running = []
    for pid, started in recorded.items():
        try:
            process = psutil.Process(pid)
            if process.create_time() == started and process.status() != psutil.STATUS_ZOMBIE:
                running.append(pid)
        except psutil.NoSuchProcess:
            continue
    return running


def wait_gone(recorded: dict[int, float], within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while (left := alive(recorded)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_a_child_dies_when_its_parent_is_killed() -> None:
    holder = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    try:
        assert holder.stdout is not None
        child = int(holder.stdout.readline())
        recorded = {child: psutil.Process(child).create_time()}
        holder.kill()
        holder.wait()
        assert wait_gone(recorded, 10) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(holder.pid, signal.SIGKILL)  # (only if the test failed: its own group)


def test_a_child_whose_parent_already_died_ends_at_once() -> None:
    """The race `die_with_parent` closes: the parent gone before the call, no signal comes."""
    code = ("import os; from autograder.sandbox.zygote import die_with_parent; "
            "die_with_parent(os.getppid() + 1); print('still here')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == -signal.SIGKILL and "still here" not in done.stdout


def test_the_zygote_ends_when_its_runs_pipe_closes(tmp_path: Path) -> None:
    """The fallback where no parent-death signal reaches it (a launcher that stays the
    zygote's parent; the run killed before the zygote armed the signal): the end of file on
    its stdin, which only the run and its judges hold, ends it, sandbox folder and all."""
    from autograder.sandbox.client import Zygote

    # `sh` runs the zygote as its child (not exec: a command follows) and outlives nothing
    zygote = Zygote([], launcher=("sh", "-c", '"$@"; :', "sh"), huge_pages=False)
    try:
        root = Path(zygote.root)
        assert (root / "zygote.sock").exists()
        assert zygote.process.stdin is not None
        zygote.process.stdin.close()  # as when the run and its judges are gone
        deadline = time.monotonic() + 30
        while root.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not root.exists()
    finally:
        zygote.close()


def _tree(main: psutil.Process) -> tuple[list[psutil.Process], list[psutil.Process],
                                         list[psutil.Process]]:
    """(zygotes, judges, workers) of the batch whose main process is `main`."""
    zygotes, judges, workers = [], [], []
    with contextlib.suppress(psutil.Error):
        for child in main.children():
            if any("autograder.sandbox.zygote" in part for part in child.cmdline()):
                zygotes.append(child)
                workers += child.children()
            else:
                judges.append(child)
    return zygotes, judges, workers


@pytest.mark.slow
def test_kill_9_of_the_batch_ends_its_judges_zygote_and_workers(tmp_path: Path,
                                                                  short_config: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(FIXTURES / f"{name}.ipynb", subs / f"{name}.ipynb")
    batch = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out",
                              str(out), "--workers", "2", "--no-progress", "--config",
                              str(short_config)], cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        main = psutil.Process(batch.pid)
        deadline = time.monotonic() + 240
        while True:  # until the batch grades: its zygote, a judge and a worker all up
            zygotes, judges, workers = _tree(main)
            if zygotes and judges and workers:
                break
            assert batch.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "the batch never started grading"
            time.sleep(0.05)
        recorded = {}
        for process in [*zygotes, *judges, *workers, *main.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                recorded[process.pid] = process.create_time()
        os.kill(batch.pid, signal.SIGKILL)  # the main process only, as `kill -9 PID` does
        batch.wait()
        assert wait_gone(recorded, 30) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(batch.pid, signal.SIGKILL)  # (only if the test failed: its own group)
