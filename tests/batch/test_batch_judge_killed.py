"""A judge's death costs no other submission its row (an outside red team: a notebook that
took a judge's memory crashed two honest rows with it, as the process pool, once broken,
failed every pending submission). The pending ones are graded in a fresh pool; the one a
judge was grading is graded alone, and charged only if its judge dies there too."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import yaml

from autograder.batch import run
from autograder.batch.run import grade_batch
from autograder.grader import Grader
from autograder.report.gradescope import read_results
from autograder.score.results import Status

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "submissions"
HONEST = ("ada", "bob", "cy")
HANG_S = 150  # a hung judge: far past any limit of these tests


def batch_of(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.ipynb").write_bytes((FIXTURES / "reference_code.ipynb").read_bytes())
    return folder


def killing(monkeypatch: pytest.MonkeyPatch, kills) -> None:
    """Judges (forked from this process) kill themselves when `kills(submission_id)`."""
    grade = Grader.grade

    def grade_or_die(self, path, submission_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kills(submission_id):
            os.kill(os.getpid(), signal.SIGKILL)
        return grade(self, path, submission_id, *args, **kwargs)

    monkeypatch.setattr(Grader, "grade", grade_or_die)


@pytest.mark.slow
def test_a_notebook_that_kills_its_judge_costs_only_its_own_row(tmp_path: Path,
                                                                 short_config: Path,
                                                                 monkeypatch) -> None:
    killing(monkeypatch, lambda submission_id: submission_id == "killer")
    summary = grade_batch([batch_of(tmp_path, "killer", *HONEST)], tmp_path / "out",
                          short_config, workers=2, progress=False)
    rows = {r.submission_id: r for r in summary.results}
    assert set(rows) == {"killer", *HONEST}
    assert all(rows[n].status is Status.GRADED and rows[n].score == rows[n].max_score
               for n in HONEST), {n: (rows[n].status, rows[n].reason) for n in HONEST}
    assert rows["killer"].status is Status.CRASHED
    assert "killed while it graded this notebook, alone as well" in rows["killer"].reason


@pytest.mark.slow
def test_a_judge_killed_once_from_outside_loses_nothing(tmp_path: Path, short_config: Path,
                                                        monkeypatch) -> None:
    flag = tmp_path / "killed-once"

    def once(submission_id: str) -> bool:
        if submission_id != "bob" or flag.exists():
            return False
        flag.touch()
        return True

    killing(monkeypatch, once)
    summary = grade_batch([batch_of(tmp_path, *HONEST)], tmp_path / "out", short_config,
                          workers=2, progress=False)
    assert flag.exists()  # (bob's first judge was killed)
    assert sorted(r.submission_id for r in summary.results) == sorted(HONEST)
    assert all(r.status is Status.GRADED and r.score == r.max_score for r in summary.results)


@pytest.mark.slow
def test_a_judge_that_hangs_past_the_limit_is_stopped_and_only_its_row_charged(
        tmp_path: Path, short_config: Path, monkeypatch) -> None:
    """The judge's own stages have no deadline of their own (red team 66: a malformed notebook
    held one for 11 minutes in a regular expression): the batch stops a judge still on one
    submission past its limit, charges that row as a timeout, and grades the rest."""
    grade = Grader.grade

    def grade_or_hang(self, path, submission_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        if submission_id == "hangs":  # (a hang in C looks the same from outside)
            time.sleep(HANG_S)  # (then graded as usual: a batch with no watch rates it)
        return grade(self, path, submission_id, *args, **kwargs)

    monkeypatch.setattr(Grader, "grade", grade_or_hang)
    monkeypatch.setattr(run, "JUDGE_GRACE_S", 2.0, raising=False)
    raw = yaml.safe_load(short_config.read_text())
    raw["limits"]["submission_timeout_s"] = 15
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    started = time.monotonic()
    summary = grade_batch([batch_of(tmp_path, "hangs", *HONEST)], tmp_path / "out",
                          config, workers=2, progress=False)
    assert time.monotonic() - started < HANG_S  # (the batch did not wait for the hung judge)
    rows = {r.submission_id: r for r in summary.results}
    assert set(rows) == {"hangs", *HONEST}
    assert all(rows[n].status is Status.GRADED and rows[n].score == rows[n].max_score
               for n in HONEST), {n: (rows[n].status, rows[n].reason) for n in HONEST}
    assert rows["hangs"].status is Status.TIMEOUT
    assert "ran past its time limit" in rows["hangs"].reason
    written = read_results(tmp_path / "out" / "hangs" / "results.json")
    assert written.status is Status.TIMEOUT


@pytest.mark.slow
def test_judges_the_watch_stops_again_and_again_cost_only_their_own_rows(
        tmp_path: Path, short_config: Path, monkeypatch) -> None:
    """Red team 71: each judge the watch stops breaks its pool; with one judge nothing else was
    held then, so each such stop counted as a death from outside, and after the third every
    row not yet graded was charged "the grading processes kept being killed". A pool that
    recorded a row went forward: the rows after three hung notebooks are graded."""
    grade = Grader.grade

    def grade_or_hang(self, path, submission_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        if submission_id.startswith("hangs"):
            time.sleep(HANG_S)
        return grade(self, path, submission_id, *args, **kwargs)

    monkeypatch.setattr(Grader, "grade", grade_or_hang)
    monkeypatch.setattr(run, "JUDGE_GRACE_S", 1.0, raising=False)
    raw = yaml.safe_load(short_config.read_text())
    raw["limits"]["submission_timeout_s"] = 6
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    summary = grade_batch([batch_of(tmp_path, "hangs1", "hangs2", "hangs3", "later")],
                          tmp_path / "out", config, workers=1, progress=False)
    rows = {r.submission_id: r for r in summary.results}
    assert {rows[n].status for n in ("hangs1", "hangs2", "hangs3")} == {Status.TIMEOUT}
    assert rows["later"].status is Status.GRADED, rows["later"].reason
    assert rows["later"].score == rows["later"].max_score
