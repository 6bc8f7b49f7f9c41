"""`export canvas --missing zero`: nothing handed in becomes 0 in Canvas, but only once the
student's own hand-in window has closed (a course that zero-fills missing work otherwise
told a student on an extension they had failed); the default stays an empty cell."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from autograder.batch.course import apply_course, load_course
from autograder.batch.discover import Discovery
from autograder.config import ConfigError, Deadline, load_config
from autograder.export.canvas import export_canvas
from autograder.score.final import TOTAL, AppliedOverride, Standing, finalise
from autograder.score.late import Extension, closing
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest
from tests.export.grades_folder import grades_folder

CHECK = "f: does it"
COLUMN = "Lab 5 (123456)"
ROSTER = f"""Student,ID,SIS User ID,SIS Login ID,Section,{COLUMN}
    Points Possible,,,,,135
"Anderson, Amy",1001,S1001,amy@uni.edu,LEC 001,
"Chen, Carl",1003,S1003,carl@uni.edu,LEC 001,
"Kim, Kevin",1010,S1010,kevin@uni.edu,LEC 001,
"""
DUE = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)
POLICY = Deadline.model_validate({"due": DUE, "grace_minutes": 15, "timezone": "UTC"})
WITH_CUTOFF = Deadline.model_validate({
    "due": DUE, "timezone": "UTC",
    "penalty": {"per_day_percent": 10, "zero_after": DUE + timedelta(days=7)}})


def row(sid: str, score: float, roster_id: str, status: Status = Status.GRADED,
        closes: datetime | None = None, override: float | None = None) -> SubmissionResult:
    result = SubmissionResult(sid, status, "", [Check(CHECK, score, 135.0, score == 135.0, "",
                                                      "visible")], 135.0)
    late = closing(POLICY, Extension(due=closes - timedelta(minutes=15))) \
        if closes is not None else None
    overrides = [AppliedOverride(TOTAL, score, override, "excused", "Prof. Ruiz")] \
        if override is not None else []
    result.final = finalise(score, Standing(roster="enrolled", roster_id=roster_id, late=late,
                                            overrides=overrides))
    return result


def cells(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return {r["Student"]: r[COLUMN] for r in csv.DictReader(handle)}


def test_missing_work_is_zero_once_the_window_closed_and_blank_while_it_is_open(tmp_path: Path):
    now = datetime(2025, 3, 20, tzinfo=UTC)
    grades = grades_folder(tmp_path, [
        row("amy", 120.0, "1001"),
        row("carl", 0.0, "1003", Status.MISSING, closes=now - timedelta(days=1)),
        row("kevin", 0.0, "1010", Status.MISSING, closes=now + timedelta(days=2))], ROSTER)
    report = export_canvas(grades, tmp_path / "c.csv", COLUMN, missing="zero", now=now)
    assert cells(tmp_path / "c.csv") == {"Points Possible": "135", "Anderson, Amy": "120",
                                          "Chen, Carl": "0", "Kim, Kevin": ""}
    assert (report.scores, report.zeroed, report.blank) == (2, ["chencarl_1003"], [])
    assert report.still_open == ["kimkevin_1010 (until 2025-03-22T00:00:00+00:00)"]
    said = report.describe()
    assert "0 for nothing handed in (missing: zero), no override: chencarl_1003" in said
    assert "still open to them" in said and "kimkevin_1010 (until 2025-03-22" in said
    assert "1 left blank" in said.splitlines()[0]


def test_the_default_leaves_missing_work_blank_and_an_override_always_wins(tmp_path: Path):
    now = datetime(2025, 3, 20, tzinfo=UTC)
    grades = grades_folder(tmp_path, [
        row("amy", 0.0, "1001", Status.MISSING, closes=now - timedelta(days=1), override=50.0),
        row("carl", 0.0, "1003", Status.MISSING, closes=now - timedelta(days=1)),
        row("kevin", 0.0, "1010", Status.MISSING)], ROSTER)  # no deadline known: closed
    export_canvas(grades, tmp_path / "blank.csv", COLUMN, now=now)
    assert cells(tmp_path / "blank.csv") == {"Points Possible": "135", "Anderson, Amy": "50",
                                              "Chen, Carl": "", "Kim, Kevin": ""}
    report = export_canvas(grades, tmp_path / "zero.csv", COLUMN, missing="zero", now=now)
    assert cells(tmp_path / "zero.csv") == {"Points Possible": "135", "Anderson, Amy": "50",
                                             "Chen, Carl": "0", "Kim, Kevin": "0"}
    assert sorted(report.zeroed) == ["chencarl_1003", "kimkevin_1010"] and report.still_open == []


def test_a_window_closes_at_the_cutoff_moved_by_the_extension_else_after_the_grace():
    assert closing(POLICY).closes == (DUE + timedelta(minutes=15)).isoformat()
    assert closing(WITH_CUTOFF).closes == (DUE + timedelta(days=7)).isoformat()
    moved = closing(WITH_CUTOFF, Extension(days=3))
    assert moved.due == (DUE + timedelta(days=3)).isoformat()
    assert moved.closes == (DUE + timedelta(days=10)).isoformat()
    assert (moved.days_late, moved.percent, moved.note) == (0, 0.0, "")


def test_a_rostered_student_with_nothing_handed_in_gets_their_own_window(tmp_path: Path):
    (tmp_path / "roster.csv").write_text("id,name\n1002,Bob Baker\n1003,Carl Chen\n")
    (tmp_path / "ext.csv").write_text("id,days\n1003,4\n")
    (tmp_path / "grading_config.yaml").write_text(yaml.safe_dump({
        "tests": {CHECK: {"points": 135}}, "roster": "roster.csv",
        "deadline": {"due": "2025-03-14T23:59:00+00:00", "timezone": "UTC",
                     "extensions": "ext.csv"}}))
    config = load_config(tmp_path / "grading_config.yaml")
    course = load_course(config, tmp_path / "grading_config.yaml")
    outcome = apply_course(course, [], Discovery([]), [])
    closes = {r.submission_id: r.final.late.closes  # type: ignore[union-attr]
              for r in outcome.results if r.status is Status.MISSING}
    assert closes == {"1002": "2025-03-14T23:59:00+00:00", "1003": "2025-03-18T23:59:00+00:00"}
    assert all(r.final is not None and r.final.penalty == 0 for r in outcome.results)


def test_the_config_names_the_default_and_refuses_other_words(tmp_path: Path):
    base = {"tests": {CHECK: {"points": 135}}}
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump({**base, "export": {"missing": "zero"}}))
    assert load_config(path).export.missing == "zero"
    path.write_text(yaml.safe_dump(base))
    assert load_config(path).export.missing == "blank"
    path.write_text(yaml.safe_dump({**base, "export": {"missing": "0"}}))
    with pytest.raises(ConfigError, match="missing"):
        load_config(path)
