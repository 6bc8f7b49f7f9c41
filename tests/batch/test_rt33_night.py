"""Red team 33: three ways a grading night gave a student's work to nobody, or to another.

A class folder named with a date (`lab05_2025_03_14`) reads as a Canvas upload's name
(name, user id, file id, file): the whole class was one student's. A roster of `jane` and
`jane-2` gave the folder `jane-2` to Jane (its `-2` read as a further notebook of hers). A
plain roster's `alice@uni.edu` was exported as the row's id, `alice_uni.edu`, which Canvas
matches to nobody.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from upload_helpers import write

from autograder.batch.discover import discover
from autograder.batch.roster import load_roster
from autograder.export.canvas import _identity, _owner


def nb(source: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "source": source, "metadata": {},
                                  "outputs": [], "execution_count": None}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def test_a_class_folder_named_like_a_canvas_upload_is_the_class(tmp_path: Path) -> None:
    write(tmp_path, {
        "lab05_2025_03_14/okafor_1001_5001_lab05.ipynb": nb("a = 1"),
        "lab05_2025_03_14/lee_1002_5002_lab05.ipynb": nb("b = 1"),
        "lab05_2025_03_14/kim_LATE_1003_5003_lab05.ipynb": nb("c = 1"),
    })
    found = discover([tmp_path / "lab05_2025_03_14"], tmp_path / "unpacked", assignment="lab05")
    rows = {f.submission_id: f.path.read_bytes() for f in found.submissions}
    assert rows == {"okafor_1001": nb("a = 1"), "lee_1002": nb("b = 1"), "kim_1003": nb("c = 1")}


def test_one_students_canvas_named_folder_is_still_theirs(tmp_path: Path) -> None:
    write(tmp_path, {"okafor_1001_5001_lab05/lab05.ipynb": nb("a = 1"),
                     "okafor_1001_5001_lab05/notes.ipynb": nb("n = 1")})
    found = discover([tmp_path / "okafor_1001_5001_lab05"], tmp_path / "unpacked",
                     assignment="lab05")
    assert {f.submission_id for f in found.submissions} == {"okafor_1001", "okafor_1001-2"}


def test_a_rostered_id_ending_in_a_number_is_its_own_student(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("id,name\njane,Jane J\njane-2,Jane Two\n")
    roster = load_roster(tmp_path / "roster.csv")
    assert roster.match("jane-2").name == "Jane Two"  # type: ignore[union-attr]
    assert roster.match("jane").name == "Jane J"  # type: ignore[union-attr]
    assert roster.match("jane-3").name == "Jane J"  # type: ignore[union-attr]  # (hers)


def test_a_plain_rosters_id_is_exported_as_written(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("id,name\nalice@uni.edu,Alice A\n")
    roster = load_roster(tmp_path / "roster.csv")
    alice = roster.match("alice_uni.edu")
    assert alice is not None and alice.key == "alice_uni.edu"
    assert _identity(alice, "plain")[2] == "alice@uni.edu"  # (Canvas's SIS User ID column)


def test_a_row_graded_with_a_gradescope_roster_exports_to_canvas(tmp_path: Path) -> None:
    """The row recorded its student's SID (the Gradescope roster's id); Canvas's gradebook
    holds it as the SIS User ID."""
    (tmp_path / "canvas.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "\"Roe, Jane\",9001,2001,jroe,Sec1\n"
        "\"Smith, Carl\",9003,2003,csmith,Sec1\n")
    roster = load_roster(tmp_path / "canvas.csv")
    row = SimpleNamespace(submission_id="submission_1", final=SimpleNamespace(roster_id="2003"))
    owner = _owner(roster, row)  # type: ignore[arg-type]
    assert owner is not None and owner.name == "Smith, Carl"


def test_a_row_named_by_a_cleaned_email_is_its_students(tmp_path: Path) -> None:
    """A folder `five@uni.edu/` graded before the roster was given is the row
    `five_uni.edu`: the roster given later knows her by it."""
    (tmp_path / "roster.csv").write_text("First Name,Last Name,SID,Email,Role\n"
                                         "Five,F,S2001,five@uni.edu,Student\n")
    five = load_roster(tmp_path / "roster.csv").match("five_uni.edu")
    assert five is not None and five.sid == "S2001"


def test_a_rostered_students_stray_upload_is_an_invalid_row_saying_what_came(
        tmp_path: Path) -> None:
    from autograder.batch.course import _stray

    write(tmp_path, {"class/hugo.tar.gz": b"\x1f\x8b", "class/ivan.ipynb.txt": nb("x = 1"),
                     "class/bert.ipynb": nb("b = 1"), "class/README.md": b"notes"})
    (tmp_path / "roster.csv").write_text("id,name\nhugo,Hugo\nivan,Ivan\nbert,Bert\nzoe,Zoe\n")
    roster = load_roster(tmp_path / "roster.csv")
    found = discover([tmp_path / "class"], tmp_path / "unpacked", assignment="lab05")
    why = {s.key: _stray(found, roster, s) for s in roster.students}
    assert "hugo.tar.gz" in why["hugo"] and "ivan.ipynb.txt" in why["ivan"]
    assert "rename it to end in .ipynb" in why["ivan"]
    assert why["zoe"] == "" and why["bert"] == ""  # (nothing of Zoe's; Bert's is graded)
