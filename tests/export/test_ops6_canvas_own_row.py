"""`export canvas` gives each student the gradebook's row for them, never the highest of their
rows, and never mixes maximums in silence (ops6 grading night: a scratch notebook worth full
marks was exported over the assignment's notebook worth 0; a stale extra from an earlier
download was exported over the student's latest; 27 rows out of 126 went to Canvas under
Points Possible 138)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.export.canvas import CanvasExportError, export_canvas
from autograder.score.final import Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest
from tests.export.grades_folder import grades_folder

CHECK = "f: does it"
COLUMN = "Lab 5 (4242)"
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
"Test, Tina",1030,S1030,tt,A
"Ok, Ok",1031,S1031,ok,A
"""


def result(sid: str, score: float, maximum: float = 10.0, status: Status = Status.GRADED,
           roster_id: str = "") -> SubmissionResult:
    row = SubmissionResult(sid, status, "", [Check(CHECK, score, maximum, score == maximum, "",
                                                   "visible")], maximum)
    row.final = finalise(score, Standing(roster="enrolled" if roster_id else "",
                                         roster_id=roster_id))
    return row


def grades(tmp_path: Path, results: list[SubmissionResult]) -> Path:
    return grades_folder(tmp_path, results, ROSTER)


def exported(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return {row["Student"]: row[COLUMN] for row in csv.DictReader(handle)}


def test_the_students_own_row_not_the_highest_of_their_notebooks(tmp_path: Path):
    out = grades(tmp_path, [result("tinatest_1030", 0.0), result("tinatest_1030-2", 10.0),
                            result("okok_1031", 7.0), result("okok_1031-2", 9.0),
                            result("okok_1031-3", 10.0)])
    report = export_canvas(out, tmp_path / "canvas.csv", COLUMN)
    scores = exported(tmp_path / "canvas.csv")
    assert (scores["Test, Tina"], scores["Ok, Ok"]) == ("0", "7")
    assert any(line.startswith("testtina_1030: exported tinatest_1030 (0)")
               and "tinatest_1030-2" in line for line in report.several)
    assert any("okok_1031-2, okok_1031-3" in line for line in report.several)


def test_two_hand_ins_of_one_student_that_disagree_are_left_blank_and_named(tmp_path: Path):
    """Two rows that are each a hand-in of its own (a Canvas download and a folder named by
    the student's SIS id): the TA decides; no maximum is taken."""
    out = grades(tmp_path, [result("tinatest_1030", 4.0), result("S1030", 9.0),
                            result("okok_1031", 7.0)])
    report = export_canvas(out, tmp_path / "canvas.csv", COLUMN)
    assert exported(tmp_path / "canvas.csv")["Test, Tina"] == ""
    assert report.blank == []  # not "nothing handed in"
    assert len(report.unchosen) == 1 and "S1030 (9)" in report.unchosen[0] \
        and "tinatest_1030 (4)" in report.unchosen[0]
    assert "left blank: testtina_1030" in report.describe()


def test_rows_out_of_another_maximum_are_refused_naming_them_unless_allowed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = grades(tmp_path, [result("tinatest_1030", 10.0, maximum=10.0),
                            result("okok_1031", 12.0, maximum=12.0)])
    canvas = tmp_path / "canvas.csv"
    with pytest.raises(CanvasExportError, match=r"tinatest_1030 \(out of 10\)"):
        export_canvas(out, canvas, COLUMN)
    assert not canvas.exists()
    args = ["export", "canvas", "--grades", str(out), "--out", str(canvas), "--column", COLUMN]
    assert main(args) == 2 and "--mixed-max" in capsys.readouterr().err
    assert not canvas.exists()

    assert main([*args, "--mixed-max"]) == 0
    assert "warning: exported out of another maximum than Points Possible 12" in \
        capsys.readouterr().out
    with canvas.open(newline="", encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle))[1][-1] == "12"


def test_points_possible_is_the_last_runs_maximum_even_when_it_went_down(tmp_path: Path):
    """Checks were removed: the last run graded out of 10, an older row kept out of 12. The
    older row is the one named, and Points Possible stays the lab's maximum now."""
    newer = result("tinatest_1030", 10.0, maximum=10.0)
    newer.config_sha256 = "0" * 64  # the last run's config (`grades` records it)
    out = grades(tmp_path, [newer, result("okok_1031", 12.0, maximum=12.0)])
    with pytest.raises(CanvasExportError, match=r"okok_1031 \(out of 12\)") as refused:
        export_canvas(out, tmp_path / "canvas.csv", COLUMN)
    assert "tinatest_1030" not in str(refused.value)
    report = export_canvas(out, tmp_path / "canvas.csv", COLUMN, mixed_max=True)
    assert report.points == 10 and report.mixed == ["okok_1031 (out of 12)"]
