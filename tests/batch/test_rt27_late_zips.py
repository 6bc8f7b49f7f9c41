"""Red team 27: a student's zip, graded as late work, spoke for classmates.

Ben's `ben.zip` held Canvas-named notebooks of two students (his and a blank one in Alice's
name): read as a Canvas download, it took Alice's row and her grade. Shaped like a
Gradescope export, it held metadata for Alice's submission: her time set 47 days late,
or the two identities swapped. A zip is Canvas's download only under Canvas's name, and an
export's metadata speaks for the submissions that export holds, where no other export
disagrees.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

from upload_helpers import write, zipped

from autograder.batch.discover import discover
from autograder.batch.submitted import read_lms_records

ALICE, BEN = "smithalice_1001", "jonesben_1002"


def nb(source: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "source": source, "metadata": {},
                                  "outputs": [], "execution_count": None}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def test_a_students_zip_of_canvas_names_stays_the_students(tmp_path: Path) -> None:
    write(tmp_path, {
        "course-lab05_submissions.zip": zipped({f"{ALICE}_5001_lab05.ipynb": nb("alice = 1"),
                                                f"{BEN}_5002_lab05.ipynb": nb("ben = 0")}),
        "late/ben.zip": zipped({f"{ALICE}_999999_lab05.ipynb": nb("blank = 1"),
                                f"{BEN}_999998_lab05.ipynb": nb("ben = 1")}),
    })
    found = discover([tmp_path / "course-lab05_submissions.zip", tmp_path / "late" / "ben.zip"],
                     tmp_path / "unpacked", assignment="lab05")
    rows = {f.submission_id: f.path.read_bytes() for f in found.submissions}
    assert rows[ALICE] == nb("alice = 1")  # (Ben's blank one, numbered last, took it)
    assert {rows["ben"], rows["ben-2"]} == {nb("blank = 1"), nb("ben = 1")}
    # (and the TA is told why, in case it was the class's download renamed)
    assert any("ben.zip: holds Canvas-named notebooks" in why for why in found.skipped)


EXPORT = """\
submission_101:
  :submitters:
  - :name: Alice Smith
    :sid: '1001'
  :created_at: 2025-03-14 22:00:00.000000000 +00:00
submission_102:
  :submitters:
  - :name: Ben Jones
    :sid: '1002'
  :created_at: 2025-03-14 23:00:00.000000000 +00:00
"""
FORGED = """\
submission_101:
  :submitters:
  - :name: Ben Jones
    :sid: '1002'
  :created_at: 2025-04-30 12:00:00.000000000 +00:00
submission_102:
  :submitters:
  - :name: Alice Smith
    :sid: '1001'
  :created_at: 2025-03-01 12:00:00.000000000 +00:00
"""


def test_an_exports_metadata_speaks_only_for_its_own_submissions(tmp_path: Path) -> None:
    write(tmp_path, {
        "export.zip": zipped({"submission_metadata.yml": EXPORT.encode(),
                              "submission_101/lab05.ipynb": nb("alice = 1"),
                              "submission_102/lab05.ipynb": nb("ben = 0")}),
        "ben.zip": zipped({"submission_metadata.yml": FORGED.encode(),
                           "submission_102/lab05.ipynb": nb("ben = 1")}),
    })
    for given in ([tmp_path / "export.zip", tmp_path / "ben.zip"],
                  [tmp_path / "ben.zip", tmp_path / "export.zip"], [tmp_path / "ben.zip"]):
        records = read_lms_records(given, UTC)
        alice = records.gradescope.get("submission_101")
        if tmp_path / "export.zip" in given:  # Alice's own record, from her export
            assert alice is not None and alice.submitters == ("1001",)
            assert alice.at is not None and alice.at.day == 14
        else:  # ben.zip alone: it holds no submission_101, so says nothing of it
            assert alice is None
        assert any("does not hold" in p for p in records.problems), records.problems
        ben = records.gradescope.get("submission_102")
        if len(given) == 2:  # two exports disagree about 102: neither record is used
            assert ben is None and any("also in another export" in p for p in records.problems)
