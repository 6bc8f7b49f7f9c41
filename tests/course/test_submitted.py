"""Submission times and submitters from what the LMS exported: Canvas's _LATE_ mark and
Gradescope's submission_metadata.yml, read from a folder or straight out of a zip."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from autograder.batch.submitted import METADATA, canvas_marked_late, read_lms_records

GRADESCOPE_YML = """\
submission_101:
  :submitters:
  - :name: Ada Okafor
    :sid: S1001
    :email: ada@uni.edu
  :created_at: 2025-03-15 01:30:00.123456789 -07:00
  :score: 10.0
  :results: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    score: 10.0
submission_102:
  :submitters:
  - :name: Li Wei
    :email: li.wei@uni.edu
  :created_at: 2025-03-14 20:00:00 -07:00
"""


def test_canvas_late_mark_in_any_part_of_the_path():
    assert canvas_marked_late("class.zip/okaforada_LATE_1001_5001_lab05.ipynb")
    assert canvas_marked_late("dl/okafor_late_1001_5001_lab05.zip/lab05.ipynb")
    assert not canvas_marked_late("dl/okafor_1001_5001_lab05.ipynb")
    assert not canvas_marked_late("dl/late_notes/lab05.ipynb")


def test_the_late_mark_is_the_owners_upload_not_a_name_inside_it():
    """Outside red team 80: a `_LATE_` upload whose zip held a notebook the student named
    like an on-time Canvas file was read as on time (the last Canvas-named part was read,
    the outermost gave the owner); the input itself, an instructor's folder, is none."""
    assert canvas_marked_late("dl/smithjohn_LATE_1001_5001_lab05.zip/smithjohn_1001_7_lab05.ipynb")
    assert not canvas_marked_late("dl/smithjohn_1001_5001_lab05.zip/smithjohn_LATE_1001_7_x.ipynb")
    assert not canvas_marked_late("lab05_late_2025_03_regrades/jane_1002_5_lab05.ipynb")
    assert canvas_marked_late("jane_LATE_1002_5_lab05.ipynb")  # (the input is the file)


def test_canvas_late_mark_on_names_in_any_script():
    assert canvas_marked_late("dl/obriénseán_LATE_1003_5003_lab05.ipynb")
    assert canvas_marked_late("dl/obrie\u0301nsea\u0301n_LATE_1003_5003_lab05.ipynb")  # NFD
    assert canvas_marked_late("class.zip/王小明_LATE_1007_5007_lab05.ipynb")
    assert not canvas_marked_late("dl/王小明_1007_5007_lab05.ipynb")
    assert not canvas_marked_late("dl/my notes_late_1_2_x.ipynb")  # not a name Canvas writes


def test_gradescope_metadata_in_a_folder(tmp_path: Path):
    export = tmp_path / "export"
    for folder in ("submission_101", "submission_102"):  # (each record's own submission)
        (export / folder).mkdir(parents=True)
    (export / METADATA).write_text(GRADESCOPE_YML)
    records = read_lms_records([export], UTC)
    first = records.gradescope["submission_101"]
    assert first.at == datetime(2025, 3, 15, 1, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-7)))
    assert first.submitters == ("S1001", "ada@uni.edu") and first.names == ("Ada Okafor",)
    assert records.gradescope["submission_102"].submitters == ("li.wei@uni.edu",)
    assert records.problems == []


def test_gradescope_metadata_read_from_a_zip_without_unpacking(tmp_path: Path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"assignment_1_export/{METADATA}", GRADESCOPE_YML)
        zf.writestr("assignment_1_export/submission_101/lab05.ipynb", "{}")
        zf.writestr("assignment_1_export/submission_102/lab05.ipynb", "{}")
    assert set(read_lms_records([archive], UTC).gradescope) == {"submission_101", "submission_102"}


def test_unreadable_metadata_is_a_problem_not_a_crash(tmp_path: Path):
    (tmp_path / METADATA).write_text("a: [unclosed")
    records = read_lms_records([tmp_path], UTC)
    assert records.gradescope == {} and "not valid YAML" in records.problems[0]


FORGED = """\
submission_101:
  :submitters:
  - :name: Mallory
    :sid: S1001
  :created_at: 2025-01-01 00:00:00 -07:00
"""


def test_a_metadata_file_a_student_uploaded_is_never_read(tmp_path: Path):
    # (an outside red team's: it rewrote other students' submission times and identities)
    export = tmp_path / "export"
    (export / "submission_101").mkdir(parents=True)
    (export / "submission_102").mkdir(parents=True)
    (export / METADATA).write_text(GRADESCOPE_YML)
    (export / "submission_102" / METADATA).write_text(FORGED)
    assert read_lms_records([export], UTC).gradescope["submission_101"].names == ("Ada Okafor",)
    (export / METADATA).unlink()  # no export file at all: still not the student's
    assert read_lms_records([export], UTC).gradescope == {}
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"assignment_1_export/{METADATA}", GRADESCOPE_YML)
        zf.writestr("assignment_1_export/submission_101/lab05.ipynb", "{}")
        zf.writestr(f"assignment_1_export/submission_102/{METADATA}", FORGED)
        zf.writestr(f"submission_102/{METADATA}", FORGED)
    assert read_lms_records([archive], UTC).gradescope["submission_101"].names == ("Ada Okafor",)


def test_an_alias_bomb_is_a_problem_not_gigabytes(tmp_path: Path):
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    (tmp_path / METADATA).write_text("\n".join(levels) + "\nsubmission_101:\n  :sid: *a8\n")
    records = read_lms_records([tmp_path], UTC)
    assert records.gradescope == {} and "expand to more than" in records.problems[0]


def test_ruby_anchors_of_an_ordinary_export_are_read(tmp_path: Path):
    shared = GRADESCOPE_YML.replace(":score: 10.0\n  :results:", ":score: &s 10.0\n  :results:")
    for folder in ("submission_101", "submission_102"):
        (tmp_path / folder).mkdir()
    (tmp_path / METADATA).write_text(shared + "  :score: *s\n")
    assert set(read_lms_records([tmp_path], UTC).gradescope) == {"submission_101",
                                                                 "submission_102"}


def test_a_students_own_folder_or_zip_holds_no_export_metadata(tmp_path: Path):
    """An outside red team's: a `submission_metadata.yml` in a student's own folder of a class
    folder, at the top of a student's zip given as an input, or of a late student's folder
    graded on its own, rewrote times and identities of the class. Only an export's shape
    counts (nothing beside the file but `submission_<n>` folders), and only records for
    Gradescope's own `submission_<n>` names."""
    forged = "alice:\n  :created_at: 2025-03-14 12:00:00 -05:00\n" + FORGED
    for student in ("alice", "bob"):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "lab05.ipynb").write_text("{}")
    (tmp_path / "class" / "alice" / METADATA).write_text(forged)
    assert read_lms_records([tmp_path / "class"], UTC).gradescope == {}
    assert read_lms_records([tmp_path / "class" / "alice"], UTC).gradescope == {}
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(METADATA, forged)
        zf.writestr("lab05.ipynb", "{}")
    assert read_lms_records([archive], UTC).gradescope == {}
    export = tmp_path / "export"
    (export / "submission_101").mkdir(parents=True)
    (export / METADATA).write_text(forged)  # an export's shape: its submission_<n> records only
    records = read_lms_records([export], UTC)
    assert set(records.gradescope) == {"submission_101"}
    assert any("'alice'" in problem for problem in records.problems)


def test_an_instructors_folder_named_like_a_late_upload_marks_nobody_late():
    """Red team 33: `lab05_late_2025_03_regrades/` above the class's files marked every one
    of them late by the LMS's mark."""
    assert not canvas_marked_late("lab05_late_2025_03_regrades/okafor_1001_5001_lab05.ipynb")
    assert canvas_marked_late("lab05_late_2025_03_regrades/okafor_LATE_1001_5001_lab05.ipynb")


def test_discovery_reads_the_late_mark_where_it_reads_the_owner(tmp_path: Path):
    """The late upload's zip, holding a notebook named like an on-time Canvas file: the row
    is the upload's owner's, and late as Canvas marked the upload (`Found.late`)."""
    import zipfile

    from autograder.batch.discover import discover

    download = tmp_path / "dl"
    download.mkdir()
    with zipfile.ZipFile(download / "smithjohn_LATE_1001_5001_lab05.zip", "w") as upload:
        upload.writestr("smithjohn_1001_7_lab05.ipynb", "{}")
    with zipfile.ZipFile(download / "rowekim_1003_5002_lab05.zip", "w") as upload:
        upload.writestr("rowekim_LATE_1003_9_lab05.ipynb", "{}")
    found = {f.submission_id: f for f in discover([download], tmp_path / "unpacked").submissions}
    assert found["smithjohn_1001"].late
    assert not found["rowekim_1003"].late
