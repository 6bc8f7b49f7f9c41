"""`export feedback`: the pages a student may see, in a folder of their own, and nothing else
of the grade run (a grades folder's `results.json` holds every check, withheld ones too: a
student's folder mailed back whole showed the concept checks before their date)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from autograder.cli import main
from autograder.config import GradingConfig
from autograder.export.feedback import MANIFEST, MARK, FeedbackExportError, export_feedback
from autograder.report.batch_record import BATCH, BatchRecord
from autograder.report.visibility import set_published
from autograder.score.final import Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest
from tests.export.grades_folder import grades_folder

SHOWN = "mse_loss: matches F.mse_loss"
LATER = "q_logits: why raw logits go to cross-entropy"
CONFIG = {"tests": {SHOWN: {"points": 2}, LATER: {"points": 1, "visibility": "after_published"}}}
ROSTER = "id,name\n1001,Ada Okafor\n1002,Bob Baker\n"


def row(sid: str, status: Status = Status.GRADED, roster_id: str = "") -> SubmissionResult:
    result = SubmissionResult(sid, status, "", [
        Check(SHOWN, 2.0, 2.0, True, "", "visible"),
        Check(LATER, 0.0, 1.0, False, "q_logits: not the best answer — reread the section.",
              "after_published")], 3.0)
    result.final = finalise(result.score, Standing(name="Ada Okafor", roster="enrolled",
                                                   roster_id=roster_id))
    return result


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_only_the_students_pages_and_a_manifest_go_into_the_folder(tmp_path: Path):
    grades = grades_folder(tmp_path, [row("1001", roster_id="1001"),
                                      row("1002", Status.MISSING)], ROSTER)
    config = GradingConfig.model_validate(CONFIG)
    report = export_feedback(grades, tmp_path / "back", config, "Lab 5")
    back = tmp_path / "back"
    assert files(back) == [MARK, "1001/feedback.html", MANIFEST]
    page = (back / "1001" / "feedback.html").read_text(encoding="utf-8")
    assert "mse_loss" in page and "q_logits" not in page and "reread" not in page
    with (back / MANIFEST).open(newline="", encoding="utf-8-sig") as handle:
        assert list(csv.DictReader(handle)) == [{
            "id": "1001", "name": "Ada Okafor", "roster_id": "1001", "email": "", "login": "",
            "status": "graded", "page": "1001/feedback.html", "withheld_checks": "1"}]
    assert (report.pages, report.withheld, report.missing) == (1, 1, ["1002"])
    assert "1 pages withhold checks" in report.describe()
    # published, exported again: the concept check is shown, the same folder rewritten
    set_published(grades)
    again = export_feedback(grades, back, config, "Lab 5")
    assert "q_logits" in (back / "1001" / "feedback.html").read_text(encoding="utf-8")
    assert again.withheld == 0 and files(back) == [MARK, "1001/feedback.html", MANIFEST]


def test_a_page_of_a_row_no_longer_in_the_run_is_removed_and_said(tmp_path: Path):
    grades = grades_folder(tmp_path, [row("1001"), row("zz_wrong_file")], ROSTER)
    config = GradingConfig.model_validate(CONFIG)
    export_feedback(grades, tmp_path / "back", config, "Lab 5")
    record = BatchRecord.read(grades / BATCH)
    record.rows = ["1001"]
    record.write(grades / BATCH)
    report = export_feedback(grades, tmp_path / "back", config, "Lab 5")
    assert report.removed == ["zz_wrong_file"]
    assert files(tmp_path / "back") == [MARK, "1001/feedback.html", MANIFEST]


@pytest.mark.parametrize("where", ["grades", "grades/back", ".", "elsewhere"])
def test_it_never_writes_into_the_grades_folder_nor_a_folder_not_its_own(tmp_path: Path,
                                                                        where: str):
    grades = grades_folder(tmp_path, [row("1001")], ROSTER)
    if where == "elsewhere":
        (tmp_path / where).mkdir()
        (tmp_path / where / "notes.txt").write_text("the TA's")
    with pytest.raises(FeedbackExportError):
        export_feedback(grades, tmp_path / where, GradingConfig.model_validate(CONFIG), "Lab 5")
    assert not (tmp_path / "grades" / "back").exists()
    assert not (tmp_path / "grades" / MANIFEST).exists()


def test_the_command_reads_the_runs_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    grades = grades_folder(tmp_path, [row("1001")], ROSTER)
    config = tmp_path / "lab" / "grading_config.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    record = BatchRecord.read(grades / BATCH)
    record.config_path = str(config)
    record.write(grades / BATCH)
    assert main(["export", "feedback", "--grades", str(grades),
                 "--out", str(tmp_path / "back")]) == 0
    assert "feedback: " in capsys.readouterr().out
    assert (tmp_path / "back" / "1001" / "feedback.html").is_file()
    assert main(["export", "feedback", "--grades", str(grades), "--out", str(grades)]) == 2


def test_the_manifest_gives_each_students_email_from_the_runs_roster(tmp_path: Path):
    """An ops review: no email or login column to mail the pages from."""
    roster = "First Name,Last Name,SID,Email,Role\nAda,Okafor,1001,aokafor@uni.edu,Student\n"
    grades = grades_folder(tmp_path, [row("1001", roster_id="1001")], roster)
    export_feedback(grades, tmp_path / "back", GradingConfig.model_validate(CONFIG), "Lab 5")
    with (tmp_path / "back" / MANIFEST).open(newline="", encoding="utf-8-sig") as handle:
        (written,) = list(csv.DictReader(handle))
    assert (written["roster_id"], written["email"]) == ("1001", "aokafor@uni.edu")
