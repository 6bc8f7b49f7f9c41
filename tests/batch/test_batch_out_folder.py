"""The output folder belongs to one run and to the run's own files (audit findings 14, 16 and
the stale temporary files): no student's id is a name the run writes at the top of `--out`, so
a file named `final_grades.csv.ipynb` or a student `instructor` cannot stop the batch or take
the instructor pages; a second run into a folder in use exits 2 naming the first; what an
interrupted atomic write left is removed at the next run's start, and nothing else is.
Nothing is graded here: uploads without a notebook become `invalid` rows without a sandbox."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.batch.discover import RESERVED, student_id
from autograder.batch.inputs import LOCK, InputError, check_grade_inputs
from autograder.batch.roster import load_roster
from autograder.batch.run import TOP_FILES, _remove_partial, grade_batch
from autograder.export.feedback import MANIFEST
from autograder.report.atomic import is_leftover
from autograder.report.visibility import INSTRUCTOR_PAGES

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "grading_config.yaml"


def upload_without_notebook(folder: Path, name: str) -> Path:
    """A student's zip holding only a PDF: an `invalid` row under the zip's name."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.pdf", b"%PDF-1.4")
    return path


def test_every_name_the_run_writes_at_the_top_is_reserved() -> None:
    assert {*TOP_FILES, INSTRUCTOR_PAGES, MANIFEST} <= RESERVED
    assert student_id("manifest.csv.ipynb") == ("manifest.csv_", 0)  # (red team 64)
    assert student_id("final_grades.csv.ipynb") == ("final_grades.csv_", 0)
    assert student_id("batch.json.ipynb") == ("batch.json_", 0)
    assert student_id("lab05.ipynb", ("Instructor",)) == ("Instructor_", 0)


def test_a_rostered_student_named_like_an_output_gets_another_folder(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ninstructor,Ina Structor\npublished.json,P J\n")
    assert [s.key for s in load_roster(roster).students] == ["instructor_", "published.json_"]


def test_students_named_like_the_runs_own_files_do_not_stop_the_batch(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    for name in ("final_grades.csv.zip", "instructor.zip", "batch.json.zip"):
        upload_without_notebook(subs, name)
    out = tmp_path / "out"
    summary = grade_batch([subs], out, CONFIG, workers=1, progress=False, instructor_pages=True)
    ids = sorted(r.submission_id for r in summary.results)
    assert ids == ["batch.json_", "final_grades.csv_", "instructor_"]
    assert all(r.status.value == "invalid" for r in summary.results)
    assert (out / "final_grades.csv").is_file() and (out / "batch.json").is_file()
    assert json.loads((out / "batch.json").read_text())["rows"] == ids
    assert sorted(p.name for p in (out / INSTRUCTOR_PAGES).iterdir()) == ids
    assert (out / "instructor_" / "results.json").is_file()


def test_a_folder_where_the_run_writes_a_file_is_refused_before_grading(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    upload_without_notebook(subs, "ana.zip")
    out = tmp_path / "out"
    (out / "final_grades.csv").mkdir(parents=True)  # a student's folder, from an older version
    with pytest.raises(InputError, match=r"holds a folder named final_grades\.csv,"):
        grade_batch([subs], out, CONFIG, workers=1, progress=False)
    assert not (out / "ana").exists() and not (out / "gradebook.csv").exists()


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    upload_without_notebook(subs, "ana.zip")
    out = tmp_path / "out"
    out.mkdir()
    with (out / LOCK).open("w") as held:  # the first run, as it holds the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        with pytest.raises(InputError, match=r"another grade run \(pid 4242\) is using --out"):
            grade_batch([subs], out, CONFIG, workers=1, progress=False)
        assert not (out / "ana").exists() and not (out / "gradebook.csv").exists()
        # ... and `grade` says so among its first checks, before the sandbox starts (an ops
        # review's second run was told after 40 s)
        with pytest.raises(InputError, match=r"another grade run \(pid 4242\) is using --out"):
            check_grade_inputs([subs], out, None)
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out",
                               str(out), "--no-progress"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"error: another grade run (pid 4242) is using --out {out}: wait for it to finish, "
            "or choose another --out"]
    # released: the next run takes the folder, and says which process holds it meanwhile
    summary = grade_batch([subs], out, CONFIG, workers=1, progress=False)
    assert [r.submission_id for r in summary.results] == ["ana"]


def test_leftovers_of_interrupted_writes_are_removed_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = [out / ".batch.json.k1ll3d00", out / ".final_grades.csv.a_b4c9z0",
             out / ".gradebook.csv.qg4s4jh7", out / "ana" / ".results.json.zzzzzzzz",
             out / "ana" / ".feedback.html.12345678",
             out / INSTRUCTOR_PAGES / "ana" / ".feedback.html.abcdefgh"]
    kept = [out / ".notes.txt.abcdefgh", out / ".batch.json.toolong123", out / ".batch.json.ABCDEFGH",
            out / "ana" / "results.json", out / LOCK, out / "ana" / ".results.json"]
    for path in stale + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{")
    _remove_partial(out)
    assert [p for p in stale if p.exists()] == []
    assert [p for p in kept if not p.exists()] == []
    assert not is_leftover(out / "ana", {"ana"})  # a folder is never one


def test_export_and_publish_wait_for_a_run_still_writing_the_folder(tmp_path: Path) -> None:
    """An export made while a grade run still writes the folder takes half a class's scores,
    and publishing rewrites pages under it (ops review 22): both refuse, naming the run; once
    it is done they go ahead."""
    subs = tmp_path / "subs"
    upload_without_notebook(subs, "ana.zip")
    out = tmp_path / "out"
    grade_batch([subs], out, CONFIG, workers=1, progress=False)
    commands = (["export", "canvas", "--grades", str(out), "--out", str(tmp_path / "c.csv"),
                 "--column", "Lab 5 (1)"], ["publish", "--out", str(out)])
    with (out / LOCK).open("r+") as held:  # a second run, as it holds the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        for command in commands:
            done = subprocess.run([sys.executable, "-m", "autograder", *command], cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 2, done.stderr
            assert f"a grade run (pid 4242) is still writing {out}" in done.stderr
    assert not (tmp_path / "c.csv").exists()
    done = subprocess.run([sys.executable, "-m", "autograder", *commands[1]], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_lock_is_held_again_by_its_holder_and_released_at_its_end(tmp_path: Path) -> None:
    import os

    from autograder.batch.inputs import holding, running_in

    out = tmp_path / "out"
    out.mkdir()
    with holding(out):
        assert running_in(out) == str(os.getpid())  # (what export and publish read)
        with holding(out):  # the batch, inside `grade`'s own hold
            pass
        assert running_in(out) == str(os.getpid())
    assert running_in(out) is None


def test_grade_holds_an_existing_folder_before_the_sandbox_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ops review exported pages from a folder whose next run had been starting for 40 s
    (imports, the sandbox) without locking it yet."""
    import os

    from autograder.batch.inputs import running_in
    from autograder.cli import main
    from autograder.sandbox import client

    subs, out = tmp_path / "subs", tmp_path / "out"
    upload_without_notebook(subs, "ana.zip")
    out.mkdir()
    seen: list[str | None] = []

    class Started(Exception):
        pass

    def start_early(*args: object) -> None:
        seen.append(running_in(out))
        raise Started

    monkeypatch.setattr(client, "start_early", start_early)
    with pytest.raises(Started):
        main(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert seen == [str(os.getpid())]
    assert running_in(out) is None  # (released when the run ended, here by the exception)
