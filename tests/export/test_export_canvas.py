"""`export canvas`: the final score the gradebook shows, a Points Possible row, and only ids a
roster gives (s4: an override for a student with nothing handed in never reached Canvas; s13:
`submission_1001` and `jones_lab_5.ipynb` became Canvas user ids 1001 and 5)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.export.canvas import CanvasExportError, export_canvas
from autograder.report.batch_record import BATCH, BatchRecord
from autograder.report.gradescope import results_path, write_results
from autograder.score.final import TOTAL, AppliedOverride, Late, Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest

CHECK = "f: does it"
COLUMN = "Lab 5 (4242)"
CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
"Okafor, Ada",1001,S1001,aokafor,A
"E, Erin",1005,S1005,erin,A
"Yet, Nobody",1099,S1099,nyet,B
"""


def result(sid: str, score: float, status: Status = Status.GRADED,
           standing: Standing | None = None) -> SubmissionResult:
    row = SubmissionResult(sid, status, "", [Check(CHECK, score, 10.0, score == 10, "",
                                                   "visible")], 10.0)
    row.final = finalise(score, standing or Standing())
    return row


def grades(tmp_path: Path, results: list[SubmissionResult], roster: str | None) -> Path:
    out = tmp_path / "grades"
    for row in results:
        write_results(row, results_path(out, row.submission_id))
    files = {}
    if roster is not None:
        (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
        files["roster"] = str(tmp_path / "roster.csv")
    record = BatchRecord("2025-03-15T00:00:00+00:00", "test", "config.yaml", "0" * 64,
                         files=files)
    record.add_results(results)
    record.write(out / BATCH)
    return out


def ran_with(out: Path, tmp_path: Path, export: str) -> None:
    """The run in `out` used a config (its batch.json names it) with `COLUMN` and `export`'s
    further lines under `export:`."""
    config = tmp_path / "run_config.yaml"
    config.write_text(f"tests:\n  '{CHECK}': {{points: 10}}\nexport:\n  canvas_column: "
                      f"'{COLUMN}'\n{export}", encoding="utf-8")
    record = BatchRecord.read(out / BATCH)
    record.config_path = str(config)
    record.write(out / BATCH)


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_final_scores_overrides_of_missing_students_and_points_possible(tmp_path: Path):
    late = Standing(late=Late(days_late=1, percent=10.0))
    by_hand = Standing(overrides=[AppliedOverride(TOTAL, 0.0, 9.0, "emailed; graded by hand",
                                                  "Prof. Ruiz")])
    out = grades(tmp_path, [result("okafor_1001", 10.0, standing=late),
                            result("erin_1005", 0.0, Status.MISSING, by_hand),
                            result("yetnobody_1099", 0.0, Status.MISSING)], CANVAS_ROSTER)
    report = export_canvas(out, tmp_path / "canvas.csv", COLUMN)
    assert read(tmp_path / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", COLUMN],
        ["Points Possible", "", "", "", "", "10"],
        ["Okafor, Ada", "1001", "S1001", "aokafor", "A", "9"],
        ["E, Erin", "1005", "S1005", "erin", "A", "9"],  # the override reaches Canvas
        ["Yet, Nobody", "1099", "S1099", "nyet", "B", ""],  # nothing handed in, no decision
    ]
    assert (report.students, report.scores, report.blank) == (3, 2, ["yetnobody_1099"])


def test_without_a_roster_it_refuses_and_writes_nothing(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]):
    out = grades(tmp_path, [result("submission_1001", 10.0), result("jones_lab_5", 8.0)], None)
    with pytest.raises(CanvasExportError, match="no roster to match students through"):
        export_canvas(out, tmp_path / "canvas.csv", COLUMN)
    code = main(["export", "canvas", "--grades", str(out), "--out", str(tmp_path / "c.csv"),
                 "--column", COLUMN])
    assert code == 2 and "never guessed from file names" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists() and not (tmp_path / "canvas.csv").exists()


@pytest.mark.parametrize(("roster", "sid", "identity"), [
    ("id,name\nS1001,\"Okafor, Chidi\"\n", "S1001", ["Okafor, Chidi", "", "S1001", "", ""]),
    ("First Name,Last Name,SID,Email,Role\nChidi,Okafor,2001,cokafor@uni.edu,Student\n", "2001",
     ["Chidi Okafor", "", "2001", "cokafor@uni.edu", ""]),
])
def test_a_roster_without_canvas_ids_leaves_id_empty_and_fills_the_sis_columns(
        tmp_path: Path, roster: str, sid: str, identity: list[str]):
    out = grades(tmp_path, [result(sid, 7.0)], roster)
    export_canvas(out, tmp_path / "canvas.csv", COLUMN)
    assert read(tmp_path / "canvas.csv")[2] == [*identity, "7"]


def test_the_column_is_the_runs_configs_when_none_is_named(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    """An instructor's review ran `export canvas` from another folder: the column was named
    after that folder's config (a new Canvas assignment) instead of the run's
    `export.canvas_column`. Without --column, --config or --lab, the run's config (its
    batch.json) names it."""
    out = grades(tmp_path, [result("okafor_1001", 10.0)], CANVAS_ROSTER)
    ran_with(out, tmp_path, "")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "grading_config.yaml").write_text(f"tests:\n  '{CHECK}': {{points: 10}}\n"
                                                   "assignment: other\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    assert main(["export", "canvas", "--grades", str(out), "--out", str(tmp_path / "c.csv")]) == 0
    assert read(tmp_path / "c.csv")[0][-1] == COLUMN


def test_missing_is_the_runs_configs_unless_the_command_names_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`export.missing: zero` in the run's config sends 0 for nothing handed in (no deadline
    known: the window is closed); `--missing blank` on the command wins over it."""
    out = grades(tmp_path, [result("okafor_1001", 10.0),
                            result("yetnobody_1099", 0.0, Status.MISSING)], CANVAS_ROSTER)
    ran_with(out, tmp_path, "  missing: zero\n")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "canvas", "--grades", str(out), "--out", str(tmp_path / "c.csv")]) == 0
    assert read(tmp_path / "c.csv")[4][-1] == "0"  # Yet, Nobody
    assert main(["export", "canvas", "--grades", str(out), "--out", str(tmp_path / "c.csv"),
                 "--missing", "blank"]) == 0
    assert read(tmp_path / "c.csv")[4][-1] == ""
