"""Ops review 22 (grading night): whatever a student handed in ends as a row of its own.

An upload that gives nothing to grade (only a PDF in a Gradescope submission's folder of an
export zip, a student's folder `kevin/lab05.pdf`, a Canvas file the download holds damaged)
was `missing: no submission received`, as if nothing had come. Each is now the student's
`invalid` row saying what came and what to hand in. A class download that cannot be opened at
all stops `grade` (exit 2) instead of marking the class missing; a fresh download of the same
files is no `replaced:` row; a killed run's unpacked zips do not stay; a resumed run keeps
when each reused row was graded. Nothing is graded in a sandbox here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from upload_helpers import write, zipped

from autograder.batch.discover import Found, Limits, discover
from autograder.batch.inputs import InputError, check_grade_inputs
from autograder.batch.run import _replaced, _sha, _stamp, grade_batch
from autograder.cli import main
from autograder.config import load_config
from autograder.lab import Lab
from autograder.report.gradescope import read_results, results_path, write_results
from autograder.score.final import Trace
from autograder.score.results import Status
from autograder.score.scoring import unscored

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "grading_config.yaml"
IVAN = "ivanovaivan_LATE_1011_5012_lab05.ipynb"  # Canvas's name for Ivan's upload


def nb(source: str = "x = 1") -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
            "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


def damaged(members: dict[str, bytes], broken: str) -> bytes:
    """A zip whose list of contents reads fine but one member's bytes are damaged (its CRC
    no longer matches: a download corrupted on the way)."""
    data = bytearray(zipped(members))
    start = data.index(members[broken])  # (stored: the member's bytes as they are)
    data[start + 5] ^= 0xFF
    return bytes(data)


def problems(found) -> dict[str, str]:
    return {f.submission_id: f.problem for f in found.submissions}


def test_a_gradescope_submission_holding_only_a_pdf_is_its_invalid_row(tmp_path: Path):
    export = write(tmp_path, {"assignment_1_export.zip": zipped({
        "assignment_1_export/submission_metadata.yml": b"submission_201: {}\n",
        "assignment_1_export/submission_201/lab05.ipynb": nb("a = 1"),
        "assignment_1_export/submission_205/lab05.pdf": b"%PDF-1.4",
    })}) / "assignment_1_export.zip"
    found = discover([export], tmp_path / "unpacked", assignment="lab05")
    assert problems(found) == {
        "submission_201": "",
        "submission_205": "no notebook in your upload (found: “lab05.pdf”); hand in the notebook "
                          "itself (lab05.ipynb)"}
    (frank,) = [f for f in found.submissions if f.problem]
    assert frank.origin.endswith("assignment_1_export/submission_205")


def test_a_students_folder_holding_only_a_pdf_is_their_invalid_row(tmp_path: Path):
    classroom = write(tmp_path / "class_folders", {"S1002/lab05.ipynb": nb("b = 1"),
                                                   "kevin/lab05.pdf": b"%PDF-1.4",
                                                   "kevin/.DS_Store": b"x"})
    (classroom / "dana").mkdir()  # an empty folder: nothing came, no row
    found = discover([classroom], tmp_path / "unpacked", assignment="lab05")
    assert problems(found) == {
        "S1002": "",
        "kevin": "no notebook in your upload (found: “lab05.pdf”); hand in the notebook itself "
                 "(lab05.ipynb)"}


def test_a_folder_of_a_class_zip_holding_only_a_pdf_is_its_students_row(tmp_path: Path):
    zipped_class = write(tmp_path, {"class.zip": zipped({
        "class/alice/lab05.ipynb": nb("a = 1"), "class/bob/lab05.pdf": b"%PDF-1.4",
        "class/carl/work/lab05.ipynb": nb("c = 1")})}) / "class.zip"
    found = discover([zipped_class], tmp_path / "unpacked", assignment="lab05")
    assert problems(found) == {
        "alice": "", "carl": "",
        "bob": "no notebook in your upload (found: “lab05.pdf”); hand in the notebook itself "
               "(lab05.ipynb)"}


def test_a_damaged_member_of_a_canvas_download_is_its_students_invalid_row(tmp_path: Path):
    members = {"andersonamy_1001_5001_lab05.ipynb": nb("amy = 1"), IVAN: nb("ivan = 1" * 50)}
    name = "crc_bad_submissions.zip"
    download = write(tmp_path, {name: damaged(members, IVAN)}) / name
    check_grade_inputs([download], tmp_path / "out", 1)  # it opens: graded, not refused
    found = discover([download], tmp_path / "unpacked", assignment="lab05")
    rows = problems(found)
    assert set(rows) == {"andersonamy_1001", "ivanovaivan_1011"} and not rows["andersonamy_1001"]
    assert rows["ivanovaivan_1011"].startswith("your “lab05.ipynb” arrived damaged and could not "
                                               "be read (Bad CRC-32")
    assert rows["ivanovaivan_1011"].endswith("; hand in the notebook again")
    assert any(f"crc_bad_submissions.zip:{IVAN}: could not be unpacked" in s for s in found.skipped)


def test_a_damaged_notebook_in_a_students_own_zip_says_so(tmp_path: Path):
    upload = damaged({"lab05.ipynb": nb("ivan = 1" * 50), "notes.txt": b"hi"}, "lab05.ipynb")
    batch = write(tmp_path / "batch", {"ivanovaivan_1011_5012_lab05.zip": upload,
                                       "submission_7/lab05.zip": upload})
    found = discover([batch], tmp_path / "unpacked", assignment="lab05")
    for sid in ("ivanovaivan_1011", "submission_7"):
        assert problems(found)[sid].startswith(
            "your “lab05.ipynb” arrived damaged and could not be read (Bad CRC-32"), sid


def test_a_zip_too_large_in_a_students_folder_is_their_row_not_the_end_of_the_batch(
        tmp_path: Path):
    big = zipped({"lab05.ipynb": b"0" * (2 * 1024 * 1024)}, zipfile.ZIP_DEFLATED)
    classroom = write(tmp_path / "class", {"kevin/work.zip": big, "amy/lab05.ipynb": nb()})
    found = discover([classroom], tmp_path / "unpacked", Limits(upload_bytes=1024 * 1024),
                     assignment="lab05")
    assert problems(found) == {"amy": "", "kevin": "your upload holds more than 1 MB once "
                               "unpacked (nested zips included), not unpacked"}


def test_the_run_gives_the_empty_upload_a_row_never_missing(tmp_path: Path):
    """End to end, with a roster: the student whose folder held only a PDF is `invalid`."""
    classroom = write(tmp_path / "class", {"S1010/lab05.pdf": b"%PDF-1.4"})
    roster = write(tmp_path, {"roster.csv": b"id,name\nS1010,Kevin Kim\n"}) / "roster.csv"
    out = tmp_path / "out"
    summary = grade_batch([classroom], out, CONFIG, workers=1, progress=False, roster=roster)
    assert [(r.submission_id, r.status) for r in summary.results] == [("S1010", Status.INVALID)]
    assert summary.record is not None and summary.record.missing == []
    assert "no submission received" not in summary.describe()


# --------------------------------------------------------------- a download cut short

def test_a_zip_named_on_the_command_line_that_cannot_be_opened_stops_grade(tmp_path: Path,
                                                                          capsys):
    whole = zipped({f"s{i}_{i}_1_lab05.ipynb": nb(f"s = {i}") for i in range(1, 12)})
    truncated = write(tmp_path, {"truncated.zip": whole[: len(whole) // 2]}) / "truncated.zip"
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"truncated\.zip cannot be read as a zip archive"):
        check_grade_inputs([truncated], out, 1)
    assert main(["grade", str(truncated), "--out", str(out), "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "truncated.zip cannot be read as a zip archive" in error and "download it again" in error
    assert not out.exists()  # nothing graded, nothing written


# --------------------------------------------------------------- replaced: only another file

def test_a_fresh_download_of_the_same_file_is_not_a_replaced_row(tmp_path: Path):
    config = load_config(CONFIG)
    out = tmp_path / "out"
    first = write(tmp_path / "d1", {"amy.ipynb": nb("amy = 1")}) / "amy.ipynb"
    earlier = unscored("andersonamy_1001", config, Status.GRADED, "")
    earlier.source_sha256 = _sha(first)
    earlier.trace = Trace(source="submissions.zip/andersonamy_1001_5001_lab05.ipynb", attempt=5001)
    write_results(earlier, results_path(out, "andersonamy_1001"))
    previous = read_results(results_path(out, "andersonamy_1001"))
    same = write(tmp_path / "d2", {"amy.ipynb": nb("amy = 1")}) / "amy.ipynb"
    other = write(tmp_path / "d3", {"amy.ipynb": nb("amy = 2")}) / "amy.ipynb"
    # the same bytes in a new download (even under another Canvas file id): the same file
    assert _replaced(previous, Found("andersonamy_1001", same, 5011,
                                     shown="submissions2.zip/andersonamy_1001_5011_lab05.ipynb")) == ""
    # the same Canvas file (its id), its bytes changed on the way: the same file
    assert _replaced(previous, Found("andersonamy_1001", other, 5001,
                                     shown="submissions2.zip/andersonamy_1001_5001_lab05.ipynb")) == ""
    said = _replaced(previous, Found("andersonamy_1001", other, 5011,
                                     shown="submissions2.zip/andersonamy_1001_5011_lab05.ipynb"))
    assert said.startswith("andersonamy_1001: graded earlier from submissions.zip/")
    assert said.endswith("(check this file is theirs)")


# --------------------------------------------------------------- a killed run, resumed

def test_a_result_written_by_a_judge_says_when_it_was_graded():
    """A run killed before its end leaves results with no time: the run that resumes reuses
    them, and its `graded_at` was that run's own time for every row."""
    result = unscored("amy", load_config(CONFIG), Status.GRADED, "")
    _stamp(result, "0.1.0+abc")
    assert result.trace.graded_at and result.trace.engine_version == "0.1.0+abc"
    kept = unscored("amy", load_config(CONFIG), Status.INVALID, "x")
    _stamp(kept, "0.1.0+abc", "2025-03-15T04:00:00+00:00")
    assert kept.trace.graded_at == "2025-03-15T04:00:00+00:00"


def test_an_invalid_row_made_again_unchanged_keeps_when_it_was_made(tmp_path: Path,
                                                                   monkeypatch):
    import autograder.batch.run as run

    batch = write(tmp_path / "batch", {"lee_77_3_report.pdf": b"%PDF-1.4"})
    out = tmp_path / "out"

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # a run killed before its end
        patch.setattr(run, "finish", killed)
        with pytest.raises(KeyboardInterrupt):
            grade_batch([batch], out, CONFIG, workers=1, progress=False)
    path = results_path(out, "lee_77")
    first = read_results(path).trace.graded_at
    assert first
    time.sleep(1.1)  # (graded_at has whole seconds)
    grade_batch([batch], out, CONFIG, workers=1, progress=False)  # resumed
    assert read_results(path).trace.graded_at == first
    data = json.loads(path.read_text(encoding="utf-8"))
    data["extra_data"]["trace"]["graded_at"] = "2025-03-15T04:00:00+00:00"  # (an older run)
    path.write_text(json.dumps(data), encoding="utf-8")
    grade_batch([batch], out, CONFIG, workers=1, progress=False)
    assert read_results(path).trace.graded_at == "2025-03-15T04:00:00+00:00"


def test_a_killed_runs_unpacked_zips_are_removed_when_it_dies(tmp_path: Path):
    code = ("import sys, time\n"
            "from pathlib import Path\n"
            "from autograder.batch.discover import unpacking\n"
            "with unpacking(Path(sys.argv[1])) as folder:\n"
            "    (folder / 'lab05.ipynb').write_text('{}')\n"
            "    print(folder, flush=True)\n"
            "    time.sleep(120)\n")
    run = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                           stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        folder = Path(run.stdout.readline().strip())
        assert folder.is_dir()
        os.kill(run.pid, signal.SIGKILL)  # no `finally` of its own runs
        run.wait()
        deadline = time.monotonic() + 20
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not folder.exists()
    finally:
        if run.poll() is None:
            run.kill()


def test_any_command_given_the_output_folder_removes_a_dead_runs_unpacked_zips(tmp_path: Path):
    out = tmp_path / "out"
    stale = out / ".unpacked-999999999-abc"  # no such pid
    (stale / "class").mkdir(parents=True)
    (stale / "class" / "lab05.ipynb").write_text("{}")
    mine = out / f".unpacked-{os.getpid()}-abc"  # a run still alive: left alone
    mine.mkdir()
    assert main(["show", "nobody", "--out", str(out)]) == 2  # (no results: nothing to show)
    assert not stale.exists() and mine.is_dir()


@pytest.mark.slow
def test_a_resumed_run_keeps_when_the_killed_run_graded_each_row(tmp_path: Path, monkeypatch,
                                                                 short_config: Path):
    """The run killed after grading, before its end (`finish`): the run that resumes reuses
    the notebook's result and keeps its time."""
    import autograder.batch.run as run

    batch = write(tmp_path / "batch", {
        "amy_1_1_lab05.ipynb": (ROOT / "tests/fixtures/submissions/reference_code.ipynb").read_bytes()})
    out = tmp_path / "out"
    engine = run.grading_code(Lab.locate(config=CONFIG))  # (one for both runs: the checks
    monkeypatch.setattr(run, "grading_code", lambda lab: engine)  # may be edited meanwhile)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(run, "finish", killed)
        with pytest.raises(KeyboardInterrupt):
            grade_batch([batch], out, short_config, workers=1, progress=False)
    first = read_results(results_path(out, "amy_1")).trace.graded_at
    assert first  # written with the result, before the run's end
    time.sleep(1.1)  # (graded_at has whole seconds)
    summary = grade_batch([batch], out, short_config, workers=1, progress=False)
    assert summary.reused == 1 and summary.graded_now == 0
    assert read_results(results_path(out, "amy_1")).trace.graded_at == first
