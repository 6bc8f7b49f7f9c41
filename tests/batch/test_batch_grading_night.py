"""A course's grading night end to end, through the command line: a Canvas download with a
wrong-file upload, a submission of two files, the same bytes under two ids, a late submission, an
extension, a student not on the roster and one on it with nothing handed in, and overrides;
then the Canvas import file, and a `--regrade` that keeps every override."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
    Points Possible,,,,
"Okafor, Ada",1001,S1001,aokafor,A
"Lindqvist, Bo",1002,S1002,blindqvist,A
"Tanaka, Emi",1003,S1003,etanaka,B
"García, Lucía",1010,S1010,lgarcia,B
"Nobody, Yet",1099,S1099,nyet,B
"""
OVERRIDES = """id,check,points,reason,who
lindqvist_1002,total,+2,regrade request: Part A answer accepted,TA Kim
S1010,total,5,emailed the notebook on time; graded by hand,Prof. Ruiz
"""


def rows(path: Path, key: str) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture
def class_night(tmp_path: Path, short_config: Path) -> dict[str, Path]:
    course = tmp_path / "course"
    course.mkdir()
    raw = yaml.safe_load(short_config.read_text())
    raw.update(roster="roster.csv", overrides="overrides.csv",
               export={"canvas_column": "Lab 5 (4242)"},
               deadline={"due": "2025-03-14T23:59:00+00:00", "grace_minutes": 15,
                         "extensions": "extensions.csv", "submission_times": "times.csv",
                         "penalty": {"per_day_percent": 10, "max_percent": 50}})
    config = course / "grading_config.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    (course / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (course / "overrides.csv").write_text(OVERRIDES, encoding="utf-8")
    (course / "extensions.csv").write_text("id,days\nS1003,3\n")
    (course / "times.csv").write_text("id,submitted_at\nlindqvist_1002,2025-03-16T10:00:00+00:00\n")
    subs = tmp_path / "canvas_download"
    subs.mkdir()
    shutil.copy(FIXTURES / "reference_code.ipynb", subs / "okafor_1001_5001_lab05.ipynb")
    shutil.copy(FIXTURES / "honest_only_mse.ipynb", subs / "okafor_1001_5009_scratch.ipynb")
    shutil.copy(FIXTURES / "honest_only_mse.ipynb", subs / "lindqvist_LATE_1002_5002_lab05.ipynb")
    shutil.copy(FIXTURES / "reference_code.ipynb", subs / "tanaka_LATE_1003_5003_lab05.ipynb")
    (subs / "garcia_1010_5010_notes.txt").write_text("my notes, not the notebook\n")
    shutil.copy(FIXTURES / "mutant_no_zero_grad.ipynb", subs / "stranger_4242_6001_lab05.ipynb")
    return {"config": config, "subs": subs, "out": tmp_path / "grades",
            "canvas": tmp_path / "canvas.csv"}


def check_outputs(night: dict[str, Path]) -> None:
    out = night["out"]
    book = rows(out / "gradebook.csv", "submission_id")
    assert {sid: r["status"] for sid, r in book.items()} == {
        "okafor_1001": "graded", "okafor_1001-2": "graded", "lindqvist_1002": "graded",
        "tanaka_1003": "graded",
        "garcia_1010": "invalid", "stranger_4242": "graded", "nobodyyet_1099": "missing"}
    full = float(book["okafor_1001"]["max"])
    assert float(book["okafor_1001"]["final"]) == full and book["okafor_1001"]["roster"] == "enrolled"
    # late by 1 day 10 h (2 days started): 20 % of the score after the +2 override
    lind = book["lindqvist_1002"]
    raw = float(lind["total"])
    assert 0 < raw < full
    assert (lind["days_late"], lind["override"]) == ("2", "+2")
    assert float(lind["late_penalty"]) == pytest.approx((raw + 2) * 0.2)
    assert float(lind["final"]) == pytest.approx((raw + 2) * 0.8)
    # Canvas's LATE mark, no time, but a 3-day extension (given by SIS id): no penalty
    tanaka = book["tanaka_1003"]
    assert (tanaka["late_penalty"], float(tanaka["final"])) == ("", full)
    # the wrong file: an invalid row with its reason, overridden by hand through the roster id
    assert "garcia_1010_5010_notes.txt" in book["garcia_1010"]["reason"]
    assert float(book["garcia_1010"]["final"]) == 5 and book["garcia_1010"]["name"] == "García, Lucía"
    assert book["stranger_4242"]["roster"] == "not on roster"
    assert (book["nobodyyet_1099"]["final"], book["nobodyyet_1099"]["name"]) == ("0", "Nobody, Yet")

    finals = rows(out / "final_grades.csv", "id")
    # (nothing handed in and no override: empty, as export canvas leaves it; status missing)
    assert (finals["nobodyyet_1099"]["final_score"], finals["nobodyyet_1099"]["status"]) == (
        "", "missing")
    assert {sid: float(r["final_score"]) for sid, r in finals.items() if r["final_score"]} == {
        sid: float(r["final"]) for sid, r in book.items() if sid != "nobodyyet_1099"}

    batch = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert batch["missing"] == ["nobodyyet_1099"] and batch["not_on_roster"] == ["stranger_4242"]
    assert any("okafor_1001_5009_scratch.ipynb: another notebook for okafor_1001; graded as "
               "okafor_1001-2" in line for line in batch["other_duplicates"])
    assert any("tanaka_LATE_1003_5003_lab05.ipynb: same bytes as" in line for line in batch["identical"])
    assert {(o["id"], o["reason"], o["who"]) for o in batch["overrides"]} == {
        ("lindqvist_1002", "regrade request: Part A answer accepted", "TA Kim"),
        ("garcia_1010", "emailed the notebook on time; graded by hand", "Prof. Ruiz")}
    assert batch["config_sha256"] and batch["files"]["roster"].endswith("roster.csv")

    result = json.loads((out / "lindqvist_1002" / "results.json").read_text(encoding="utf-8"))
    trace = result["extra_data"]["trace"]
    assert trace["source"].endswith("lindqvist_LATE_1002_5002_lab05.ipynb") and trace["attempt"] == 5002
    assert trace["graded_at"] and trace["engine_version"]
    assert result["extra_data"]["source_sha256"] and result["extra_data"]["config_sha256"]
    assert result["score"] == pytest.approx(float(lind["final"]))

    page = (out / "index.html").read_text(encoding="utf-8")
    assert "regrade request: Part A answer accepted" in page and "nobodyyet_1099" in page
    assert (out / "garcia_1010" / "feedback.html").is_file()
    assert (out / "nobodyyet_1099" / "feedback.html").is_file()

    canvas = list(csv.reader(night["canvas"].open(newline="", encoding="utf-8-sig")))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 5 (4242)"]
    assert canvas[1] == ["Points Possible", "", "", "", "", f"{full:g}"]  # Canvas's own layout
    assert {r[1]: r[5] for r in canvas[2:]} == {
        "1001": f"{full:g}", "1002": f"{round((raw + 2) * 0.8, 6):g}", "1003": f"{full:g}",
        "1010": "5", "1099": ""}


@pytest.mark.slow
def test_grading_night_end_to_end_and_a_regrade_keeps_the_overrides(class_night: dict[str, Path]):
    night = class_night
    grade = ["grade", str(night["subs"]), "--out", str(night["out"]), "--config",
             str(night["config"]), "--workers", "2", "--no-progress"]
    export = ["export", "canvas", "--grades", str(night["out"]), "--out", str(night["canvas"]),
              "--config", str(night["config"])]
    first = run(*grade)
    assert "not on roster: stranger_4242" in first.stdout
    assert "missing: nobodyyet_1099" in first.stdout
    exported = run(*export)
    assert "not exported: stranger_4242: not on the roster" in exported.stdout
    check_outputs(night)

    again = run(*grade, "--regrade")
    assert "graded 5 now, 0 up to date" in again.stdout  # the wrong file is not graded
    run(*export)
    check_outputs(night)
