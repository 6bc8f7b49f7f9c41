"""Results accumulate in `--out` (audit finding 1): grading one more notebook into the class's
folder keeps every earlier student's result, and every file built from the rows (gradebook,
final grades, batch.json, dashboard, Canvas export) lists them; `missing` is only for a
rostered student with no result on disk. Driven through `finish`, the end of every batch, with
results as the judges write them: nothing is graded here."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import yaml

from autograder.batch.course import load_course
from autograder.batch.discover import Discovery, Found
from autograder.batch.finish import finish
from autograder.config import load_config
from autograder.export.canvas import export_canvas
from autograder.report.gradescope import read_results, results_path, write_results
from autograder.score.final import Final, Trace
from autograder.score.results import Status, SubmissionResult
from autograder.score.scoring import unscored

ROOT = Path(__file__).resolve().parents[2]
ROSTER = "id,name,email\nalice,Alice A,alice@x.edu\nbob,Bob B,bob@x.edu\n" \
         "erin,Erin E,erin@x.edu\nzed,Zed Z,zed@x.edu\nS2004,Dana D,dana@x.edu\n"


def config_file(tmp_path: Path, deadline: bool = False) -> Path:
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text())
    if deadline:
        raw["deadline"] = {"due": "2025-03-14T23:59:00+00:00",
                           "penalty": {"per_day_percent": 10, "max_percent": 50}}
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def full_marks(sid: str, config_path: Path, source: Path) -> SubmissionResult:
    result = unscored(sid, load_config(config_path), Status.GRADED, "")
    result.tests = [dataclasses.replace(t, score=t.max_score, passed=True, output="", mistake="")
                    for t in result.tests]
    result.source_sha256 = "ab" * 32
    result.trace = Trace(source=str(source), graded_at="2025-03-15T00:00:00+00:00",
                         engine_version="0.1.0+test")
    return result


def notebook(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("{}")
    return path


def run(tmp_path: Path, config_path: Path, results: list[SubmissionResult],
        out: Path, roster: Path | None = None) -> list[SubmissionResult]:
    """One batch's end over `results`, found at the paths their traces name."""
    config = load_config(config_path)
    course = load_course(config, config_path, roster)
    found = [Found(r.submission_id, Path(r.trace.source)) for r in results]
    inputs = sorted({f.path.parent for f in found})
    rows, _ = finish(results, Discovery(submissions=found), course, inputs, config_path, "c" * 64,
                     out, list(config.tests))
    return rows


def table(path: Path, key: str) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def test_grading_one_late_notebook_keeps_everyone_graded_before(tmp_path: Path) -> None:
    config_path = config_file(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "grades"
    subs = tmp_path / "subs"
    alice = full_marks("alice", config_path, notebook(subs, "alice.ipynb"))
    bob = unscored("bob", load_config(config_path), Status.CRASHED, "the cell exited with code 3")
    bob.trace = Trace(source=str(notebook(subs, "bob.ipynb")))
    run(tmp_path, config_path, [alice, bob], out, roster)
    assert read_results(results_path(out, "erin")).status is Status.MISSING  # before she sends it

    erin = full_marks("erin", config_path, notebook(tmp_path / "late", "erin.ipynb"))
    rows = run(tmp_path, config_path, [erin], out, roster)

    full = alice.max_score
    statuses = {"alice": "graded", "bob": "crashed", "erin": "graded", "zed": "missing",
                "S2004": "missing"}
    assert {r.submission_id: r.status.value for r in rows} == statuses
    kept = read_results(results_path(out, "alice"))
    assert (kept.status, kept.score, kept.final_score) == (Status.GRADED, full, full)
    assert kept.trace.source == str(subs / "alice.ipynb")
    assert "no submission received" not in (out / "alice" / "feedback.html").read_text()
    assert read_results(results_path(out, "bob")).status is Status.CRASHED
    assert {sid: r["status"] for sid, r in table(out / "gradebook.csv", "submission_id").items()} \
        == statuses
    finals = table(out / "final_grades.csv", "id")
    assert set(finals) == set(statuses) and float(finals["alice"]["final_score"]) == full
    batch = json.loads((out / "batch.json").read_text())
    assert sorted(batch["rows"]) == sorted(statuses)
    assert batch["earlier"] == ["alice", "bob"] and sorted(batch["missing"]) == ["S2004", "zed"]
    page = (out / "index.html").read_text()
    assert "alice" in page and "bob" in page

    canvas = tmp_path / "canvas.csv"
    export_canvas(out, canvas, "Lab 5", roster)
    scores = {r["Student"]: r["Lab 5"] for r in csv.DictReader(canvas.open(encoding="utf-8-sig"))}
    assert scores["Alice A"] == f"{full:g}" and scores["Erin E"] == f"{full:g}"
    assert scores["Zed Z"] == ""


def test_an_earlier_row_keeps_what_its_own_inputs_said(tmp_path: Path) -> None:
    """Who a Gradescope submission's student was (from that run's metadata) and Canvas's
    `_LATE_` mark in its file's name are not in this run's inputs; they still count."""
    config_path = config_file(tmp_path, deadline=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "grades"
    group = full_marks("submission_1003", config_path, tmp_path / "export" / "submission_1003"
                       / "lab05.ipynb")
    group.final = Final(raw=group.score, adjusted=group.score, penalty=0.0, final=group.score,
                        name="Dana D", roster="enrolled", roster_id="S2004")
    write_results(group, results_path(out, "submission_1003"))  # as that run left it
    late = full_marks("bob", config_path, tmp_path / "dl" / "bob_LATE_1002_5002_lab05.ipynb")
    write_results(late, results_path(out, "bob"))

    erin = full_marks("erin", config_path, notebook(tmp_path / "mail", "erin.ipynb"))
    rows = {r.submission_id: r for r in run(tmp_path, config_path, [erin], out, roster)}

    dana = rows["submission_1003"].final
    assert dana is not None and (dana.roster, dana.name, dana.roster_id) == (
        "enrolled", "Dana D", "S2004")
    assert "S2004" not in rows  # not `missing`: her group's result is on disk
    bob = rows["bob"].final
    assert bob is not None and bob.late is not None and bob.late.days_late == 1
    assert bob.final == round(bob.adjusted * 0.9, 6)
    assert read_results(results_path(out, "bob")).final_score == bob.final


def test_an_earlier_result_of_a_file_this_run_names_otherwise_is_left_out(tmp_path: Path) -> None:
    """The file decides, not the old id: a notebook graded now under a new id replaces the
    row an earlier run made for it (reported; its folder is left as it was)."""
    config_path = config_file(tmp_path)
    out = tmp_path / "grades"
    source = notebook(tmp_path / "dl", "muller_1002_5002_lab05.ipynb")
    old = full_marks("m_ller_1002_5002_lab05", config_path, source)
    write_results(old, results_path(out, old.submission_id))
    missing = unscored("zed", load_config(config_path), Status.MISSING, "no submission received")
    write_results(missing, results_path(out, "zed"))  # no roster now: not a row any more

    rows = run(tmp_path, config_path, [full_marks("muller_1002", config_path, source)], out)

    assert [r.submission_id for r in rows] == ["muller_1002"]
    batch = json.loads((out / "batch.json").read_text())
    assert batch["earlier"] == []
    assert any(line.startswith("m_ller_1002_5002_lab05: ") for line in batch["problems"])
    assert results_path(out, old.submission_id).is_file()  # nothing deleted


def test_an_earlier_rows_late_mark_is_kept_as_its_run_read_it(tmp_path: Path) -> None:
    """Red team 82: a later run into the same output folder read an earlier row's Canvas
    `_LATE_` mark again from its source — an absolute path, whose folders the instructor
    names: a `lab05_2025_03_14/` folder read as an on-time Canvas name dropped Bob's mark,
    `lab05_late_2025_03_regrades/` marked Alice late. The mark discovery read is kept with
    the row (`Trace.canvas_late`)."""
    config_path = config_file(tmp_path, deadline=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "grades"
    config = load_config(config_path)
    bob = full_marks("bob", config_path, notebook(tmp_path / "lab05_2025_03_14" / "dl",
                                                  "bob_LATE_1002_5002_lab05.ipynb"))
    alice = full_marks("alice", config_path, notebook(tmp_path / "lab05_late_2025_03_regrades",
                                                      "alice_1001_5001_lab05.ipynb"))
    found = [Found("bob", Path(bob.trace.source), late=True),
             Found("alice", Path(alice.trace.source), late=False)]
    finish([bob, alice], Discovery(submissions=found), load_course(config, config_path, roster),
           sorted({f.path.parent for f in found}), config_path, "c" * 64, out,
           list(config.tests))

    erin = full_marks("erin", config_path, notebook(tmp_path / "mail", "erin.ipynb"))
    rows = {r.submission_id: r for r in run(tmp_path, config_path, [erin], out, roster)}

    late = rows["bob"].final
    assert late is not None and late.late is not None and late.late.days_late == 1, late
    on_time = rows["alice"].final
    assert on_time is not None and (on_time.late is None or not on_time.late.days_late), on_time
    assert read_results(results_path(out, "bob")).trace.canvas_late is True
