"""Outside red team 97 (grading night): names a student chose, read as an LMS's or as a
classmate's id outside the grade run's own matching (an LMS export, a stray file, `show`), an
override keyed by a roster id that is also a student-named row's id, and a loose file named
like Gradescope's own submissions. Each against its control."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from upload_helpers import write

from autograder.batch.course import Course, CourseOutcome, _override_targets
from autograder.batch.discover import discover
from autograder.batch.roster import load_roster
from autograder.config import GradingConfig
from autograder.export.canvas import export_canvas
from autograder.score.final import Standing, finalise
from autograder.score.overrides import Override
from autograder.score.results import Status, SubmissionResult
from tests.export.grades_folder import grades_folder

COLUMN = "Lab 5 (123)"
ROSTER = f"""Student,ID,SIS User ID,SIS Login ID,Section,{COLUMN}
    Points Possible,,,,,135
"Smith, Alice",1002,S1002,asmith,Sec1,
"Jones, Bob",1003,S1003,bjones,Sec1,
"""


def nb(source: str = "x = 1") -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
            "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


def row(sid: str, score: float, roster: str, roster_id: str = "") -> SubmissionResult:
    result = SubmissionResult(sid, Status.GRADED, "", [], 135.0)
    result.final = finalise(score, Standing(roster=roster, roster_id=roster_id))
    return result


def test_a_row_the_run_left_on_no_roster_is_nobodys_in_the_canvas_export(tmp_path: Path):
    """`mallory_1002`, a name Mallory chose, was left "not on roster" by the run; the export
    read Canvas user 1002 in it and blanked Alice's cell as "several rows"."""
    grades = grades_folder(tmp_path, [row("smithalice_1002", 135.0, "enrolled", "1002"),
                                      row("mallory_1002", 0.0, "not on roster")], ROSTER)
    report = export_canvas(grades, tmp_path / "canvas.csv", COLUMN)
    with (tmp_path / "canvas.csv").open(newline="", encoding="utf-8-sig") as handle:
        cells = {r["Student"]: r[COLUMN] for r in csv.DictReader(handle)}
    assert cells["Smith, Alice"] == "135", (cells, report)


def test_an_override_by_a_roster_id_goes_to_that_student_not_a_row_of_that_name(
        tmp_path: Path):
    """`1003.ipynb` made a row `1003`; the override keyed by Bob's Canvas id 1003 went there."""
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = load_roster(tmp_path / "roster.csv")
    bob = roster.find("1003")
    assert bob is not None
    override = Override("1003", "total", 10.0, True, "regrade", "TA", line=2)
    course = Course(GradingConfig.model_construct(), roster, [override])
    outcome = CourseOutcome([])
    owners = {"jonesbob_1003": bob, "1003": None}
    targets = _override_targets(course, owners, outcome, {})
    assert set(targets) == {"jonesbob_1003"}
    assert any("1003: a roster id of jonesbob_1003's" in p for p in outcome.problems)
    # (the control: a row of the student's own under that id takes it, as before)
    control = _override_targets(course, {"1003": bob}, CourseOutcome([]), {})
    assert set(control) == {"1003"}


def test_a_loose_file_named_like_a_gradescope_submission_is_not_that_submission(
        tmp_path: Path):
    inbox = write(tmp_path / "in", {"submission_101.ipynb": nb("x = 2")})
    found = discover([inbox / "submission_101.ipynb"], tmp_path / "unpacked",
                     assignment="lab05")
    assert [f.submission_id for f in found.submissions] == ["submission_101-named"]
    export = write(tmp_path / "gs", {"submission_metadata.yml": b"{}\n",
                                     "submission_101/lab05.ipynb": nb("x = 1")})
    found = discover([export], tmp_path / "unpacked2", assignment="lab05")
    assert [f.submission_id for f in found.submissions] == ["submission_101"]


def test_a_stray_file_named_with_a_classmates_canvas_id_is_not_theirs(tmp_path: Path):
    """Bob handed nothing in; `mallory_1003.pdf` at the class folder's top made his row
    "handed in mallory_1003.pdf" (a Canvas user id read from a name Mallory chose)."""
    from autograder.batch.course import _stray

    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = load_roster(tmp_path / "roster.csv")
    bob = roster.find("1003")
    assert bob is not None
    for stray, his in (("mallory_1003.pdf", False), ("jonesbob_1003.pdf", True)):
        classroom = write(tmp_path / stray, {"smithalice_1002_5002_lab05.ipynb": nb(),
                                             stray: b"%PDF-1.4"})
        found = discover([classroom], tmp_path / f"unpacked-{stray}", assignment="lab05")
        assert (stray in _stray(found, roster, bob)) is his, stray
