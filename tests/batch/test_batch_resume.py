"""A batch killed halfway (SIGKILL, the whole process group) resumes without regrading what it finished."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
NOTEBOOKS = {"a_ref": "reference_code", "b_mse": "honest_only_mse", "c_nzg": "mutant_no_zero_grad"}


def grade(subs: Path, out: Path, config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--workers", "1",
            "--no-progress", "--config", str(config), *extra]


def finished(out: Path) -> dict[str, float]:
    """Each graded row's own grading time: a new grading changes it; re-applying the course
    (late penalties, overrides) to a row already graded rewrites the file but not this."""
    graded = {}
    for path in out.glob("*/results.json"):
        try:
            graded[path.parent.name] = float(json.loads(path.read_text())["execution_time"])
        except (ValueError, KeyError):  # being written right now
            continue
    return graded


def run_to_end(command: list[str]) -> str:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_killed_batch_resumes_and_regrade_redoes_everything(tmp_path: Path, short_config: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for sid, name in NOTEBOOKS.items():
        shutil.copy(FIXTURES / f"{name}.ipynb", subs / f"{sid}.ipynb")

    batch = subprocess.Popen(grade(subs, out, short_config), cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not 1 <= len(finished(out)) < len(NOTEBOOKS):
            assert batch.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no submission finished in time"
            time.sleep(0.05)
    finally:  # the judges and the zygote too; workers die with the zygote (PDEATHSIG)
        os.killpg(batch.pid, signal.SIGKILL)
        batch.wait()
    before = finished(out)
    assert 1 <= len(before) < len(NOTEBOOKS)
    assert not (out / "gradebook.csv").exists()
    # As if the kill had come in the middle of writing a result: a temporary file, never renamed.
    missing = sorted(set(NOTEBOOKS) - set(before))[0]
    (out / missing).mkdir(exist_ok=True)
    (out / missing / ".results.json.k1ll3d00").write_text('{"score": ')

    resumed = run_to_end(grade(subs, out, short_config))
    left = len(NOTEBOOKS) - len(before)
    assert f"graded {left} now, {len(before)} up to date" in resumed
    after = finished(out)
    assert set(after) == set(NOTEBOOKS)
    assert {sid: after[sid] for sid in before} == before  # not graded again
    with (out / "gradebook.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = {row["submission_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(NOTEBOOKS) and all(r["status"] == "graded" for r in rows.values())
    partial = (".results.json.", ".feedback.html.", ".gradebook.csv.", ".index.html.")
    assert [p for p in out.rglob(".*") if p.name.startswith(partial)] == []

    again = run_to_end(grade(subs, out, short_config))
    assert f"graded 0 now, {len(NOTEBOOKS)} up to date" in again
    assert finished(out) == after

    regraded = run_to_end(grade(subs, out, short_config, "--regrade"))
    assert f"graded {len(NOTEBOOKS)} now, 0 up to date" in regraded
    assert any(finished(out)[sid] != after[sid] for sid in NOTEBOOKS)  # times to the ms
