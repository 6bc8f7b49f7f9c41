"""`export canvas` sends scores against the points Canvas's column is worth, and names every
empty cell by why (ops22 grading night: a 135-point lab went to a 100-point "Lab 5 (123456)"
column unscaled, so students could import at 135 %; `--column "Lab 5"` without Canvas's
assignment id was accepted in silence; the headline said "1 left blank" over 3 empty cells)."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.export.canvas import export_canvas
from autograder.score.final import Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest
from tests.export.grades_folder import grades_folder

CHECK = "f: does it"
COLUMN = "Lab 5 (123456)"
# Canvas's own gradebook export: its Points Possible row gives the column's maximum
ROSTER = f"""Student,ID,SIS User ID,SIS Login ID,Section,{COLUMN}
    Points Possible,,,,,100
"Anderson, Amy",1001,S1001,amy@uni.edu,LEC 001,
"Chen, Carl",1003,S1003,carl@uni.edu,LEC 001,
"Garcia, Gina",1007,S1007,gina@uni.edu,LEC 002,
"Kim, Kevin",1010,S1010,kevin@uni.edu,LEC 001,
"Baker, Bob",1002,S1002,bob@uni.edu,LEC 001,
"""


def result(sid: str, score: float, roster_id: str, status: Status = Status.GRADED
           ) -> SubmissionResult:
    row = SubmissionResult(sid, status, "", [Check(CHECK, score, 135.0, score == 135.0, "",
                                                   "visible")], 135.0)
    row.final = finalise(score, Standing(roster="enrolled", roster_id=roster_id))
    return row


def grades(tmp_path: Path, roster: str = ROSTER) -> Path:
    """Amy's two hand-ins disagree; Kevin handed nothing in; Bob has no row at all (he joined
    the course after the run: the export's roster is newer than the run's)."""
    results = [result("andersonamy_1001", 135.0, "1001"), result("amy_uni.edu", 131.0, "1001"),
               result("chencarl_1003", 117.9, "1003"), result("garciagina_1007", 135.0, "1007"),
               result("kimkevin_1010", 0.0, "1010", Status.MISSING)]
    return grades_folder(tmp_path, results, roster)


def read(path: Path, column: str = COLUMN) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return {row["Student"]: row[column] for row in csv.DictReader(handle)}


def test_scores_are_scaled_to_the_points_the_canvas_column_is_worth(tmp_path: Path):
    report = export_canvas(grades(tmp_path), tmp_path / "canvas.csv", COLUMN)
    cells = read(tmp_path / "canvas.csv")
    assert cells["Points Possible"] == "100"
    assert cells["Garcia, Gina"] == "100" and cells["Chen, Carl"] == "87.33"  # 117.9 × 100/135
    assert (report.points, report.lab_max) == (100.0, 135.0)
    assert ("  scaled: 'Lab 5 (123456)' is worth 100 points in Canvas (the roster's Points "
            "Possible row), the lab 135: each final score × 100/135") in report.describe()
    # a column worth the lab's maximum is sent as the gradebook has it
    same = export_canvas(grades(tmp_path, ROSTER.replace(",,,,,100", ",,,,,135")),
                         tmp_path / "same.csv", COLUMN)
    assert read(tmp_path / "same.csv")["Chen, Carl"] == "117.9"
    assert "  scaled:" not in same.describe()


def test_a_column_without_an_assignment_id_is_warned_about(tmp_path: Path):
    report = export_canvas(grades(tmp_path), tmp_path / "canvas.csv", "Lab 5")
    assert ("  warning: column 'Lab 5' has no Canvas assignment id ('<name> (<id>)'): Canvas "
            "creates a new assignment from it; to fill the existing one, pass --column "
            "'Lab 5 (123456)'") in report.describe().splitlines()
    assert read(tmp_path / "canvas.csv", "Lab 5")["Chen, Carl"] == "117.9"  # a new column
    assert "warning" not in export_canvas(grades(tmp_path), tmp_path / "c.csv",
                                          COLUMN).describe()


def test_every_empty_cell_is_counted_and_named_by_why(tmp_path: Path):
    report = export_canvas(grades(tmp_path), tmp_path / "canvas.csv", COLUMN)
    cells = read(tmp_path / "canvas.csv")
    empty = sorted(name for name, cell in cells.items() if cell == "")
    assert empty == ["Anderson, Amy", "Baker, Bob", "Kim, Kevin"]
    lines = report.describe().splitlines()
    assert lines[0].endswith("5 students, 2 scores, 3 left blank (1 nothing handed in, "
                             "1 with rows that disagree, 1 with no row in the grades folder)")
    assert "  left blank, nothing handed in and no override: kimkevin_1010" in lines
    assert any(line.startswith("  left blank: andersonamy_1001: several rows") for line in lines)
    assert any(line.startswith("  left blank, no row in the grades folder") and
               line.endswith(": bakerbob_1002") for line in lines)
