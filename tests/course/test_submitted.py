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


def test_canvas_late_mark_on_names_in_any_script():
    assert canvas_marked_late("dl/obriénseán_LATE_1003_5003_lab05.ipynb")
    assert canvas_marked_late("dl/obrie\u0301nsea\u0301n_LATE_1003_5003_lab05.ipynb")  # NFD
    assert canvas_marked_late("class.zip/王小明_LATE_1007_5007_lab05.ipynb")
    assert not canvas_marked_late("dl/王小明_1007_5007_lab05.ipynb")
    assert not canvas_marked_late("dl/my notes_late_1_2_x.ipynb")  # not a name Canvas writes


def test_gradescope_metadata_in_a_folder(tmp_path: Path):
    export = tmp_path / "export"
    export.mkdir()
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
    assert set(read_lms_records([archive], UTC).gradescope) == {"submission_101", "submission_102"}


def test_unreadable_metadata_is_a_problem_not_a_crash(tmp_path: Path):
    (tmp_path / METADATA).write_text("a: [unclosed")
    records = read_lms_records([tmp_path], UTC)
    assert records.gradescope == {} and "not valid YAML" in records.problems[0]
