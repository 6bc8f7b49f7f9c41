"""Canvas downloads (nothing graded): all of a student's files are one submission, and names in
any script are Canvas names.

Canvas names each file of "Download Submissions" `<name>_<user id>_<file id>_<file>`
(`lib/content_zipper.rb`: `"#{filename}_#{file.id}_#{display_name}"` for each attachment of
the student's current submission), with `name` the sortable name stripped to `[[:word:]]`,
which keeps Unicode letters. The audit's s16 (a lab05.ipynb and a scratch.ipynb: the scratch
file, with the higher file id, was graded as the "latest attempt") and s6 (`müllerjürgen_…`
not recognised) are the cases here.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

from upload_helpers import ids, write, zipped

from autograder.batch.discover import discover
from autograder.batch.roster import load_roster
from autograder.batch.submitted import canvas_marked_late


def nb(source: str = "x = 1") -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def source(found, sid: str) -> bytes:
    return next(f for f in found.submissions if f.submission_id == sid).path.read_bytes()


def test_two_files_of_one_submission_grade_the_assignments_notebook(tmp_path: Path):
    for lab_id, scratch_id in ((6001, 6002), (6002, 6001)):  # whichever file Canvas numbered last
        dl = write(tmp_path / f"dl{lab_id}", {f"doejane_1001_{lab_id}_lab05.ipynb": nb("real = 1"),
                                             f"doejane_1001_{scratch_id}_scratch.ipynb": nb("s = 1")})
        found = discover([dl], tmp_path / f"unpacked{lab_id}", assignment="lab05")
        assert ids(found) == {"doejane_1001": f"doejane_1001_{lab_id}_lab05.ipynb",
                              "doejane_1001-2": f"doejane_1001_{scratch_id}_scratch.ipynb"}
        assert found.duplicates == [
            f"{dl}/doejane_1001_{scratch_id}_scratch.ipynb: another notebook for doejane_1001; graded as "
            f"doejane_1001-2 (doejane_1001 is {dl}/doejane_1001_{lab_id}_lab05.ipynb, the "
            "assignment's notebook)"]
        assert not any("older attempt" in d for d in found.duplicates)


def test_canvas_and_browser_renamings_are_still_the_assignments_notebook(tmp_path: Path):
    dl = write(tmp_path / "dl", {"lee_77_9001_notes.ipynb": nb("n = 1"),
                                 "lee_77_9000_lab05-1.ipynb": nb("mine = 1"),
                                 "ng_66_8001_Untitled.ipynb": nb("u = 1"),
                                 "ng_66_8000_LAB05 (1).ipynb": nb("ng = 1")})
    found = discover([dl], tmp_path / "unpacked", assignment="lab05.ipynb")  # either spelling
    assert ids(found)["lee_77"] == "lee_77_9000_lab05-1.ipynb"
    assert ids(found)["ng_66"] == "ng_66_8000_LAB05 (1).ipynb"


def test_none_or_several_named_like_the_assignment_the_last_numbered_wins(tmp_path: Path):
    dl = write(tmp_path / "dl", {"ann_1_500_a.ipynb": nb("a = 1"), "ann_1_700_b.ipynb": nb("b = 1"),
                                 "bo_2_900_lab05.ipynb": nb("c = 1"), "bo_2_950_lab05-1.ipynb": nb("d = 1")})
    found = discover([dl], tmp_path / "unpacked", assignment="lab05")
    assert ids(found) == {"ann_1": "ann_1_700_b.ipynb", "ann_1-2": "ann_1_500_a.ipynb",
                          "bo_2": "bo_2_950_lab05-1.ipynb", "bo_2-2": "bo_2_900_lab05.ipynb"}
    assert any("none is named like the assignment's notebook" in d for d in found.duplicates)
    assert any("of 2 named like the assignment's notebook" in d for d in found.duplicates)


def without_utf8_flag(data: bytes) -> bytes:
    """The zip with its UTF-8 name flag cleared, names left in UTF-8: what Canvas's rubyzip writes."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos, position = zf.infolist(), zf.start_dir
    for info in infos:
        out[info.header_offset + 7] &= ~0x08  # general purpose flags, bit 11
    for _ in infos:
        assert out[position:position + 4] == b"PK\x01\x02"
        out[position + 9] &= ~0x08
        n, m, k = struct.unpack("<HHH", out[position + 28:position + 34])
        position += 46 + n + m + k
    return bytes(out)


CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
"Okafor, Chidi",1001,S1001,cokafor,A
"Müller, Jürgen",1002,S1002,jmuller,A
"O'Brién, Seán",1003,S1003,sobrien,B
"王, 小明",1007,S1007,xwang,B
"""


def test_non_ascii_canvas_names_are_canvas_names_in_a_folder_and_in_canvas_zip(tmp_path: Path):
    files = {"müllerjürgen_1002_5002_lab05.ipynb": nb("m = 1"),
             "obriénseán_LATE_1003_5003_lab05.ipynb": nb("o = 1"),
             "王小明_1007_5007_lab05.ipynb": nb("w = 1"),
             "okaforchidi_1001_5001_lab05.ipynb": nb("k = 1")}
    archive = without_utf8_flag(zipped(files))
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:  # as Python reads Canvas's zip: cp437
        assert "m├╝llerj├╝rgen_1002_5002_lab05.ipynb" in zf.namelist()
    write(tmp_path, {"CS101-Lab_5_submissions.zip": archive})
    folder = write(tmp_path / "dl", files)
    roster = load_roster(write(tmp_path, {"roster.csv": CANVAS_ROSTER.encode()}) / "roster.csv")
    for given in (folder, tmp_path / "CS101-Lab_5_submissions.zip"):
        found = discover([given], tmp_path / f"unpacked-{given.name}", assignment="lab05")
        expected = {"müllerjürgen_1002", "obriénseán_1003", "王小明_1007", "okaforchidi_1001"}
        assert set(ids(found)) == expected and not found.duplicates
        by_id = {f.submission_id: f for f in found.submissions}
        assert source(found, "müllerjürgen_1002") == nb("m = 1")
        assert [sid for sid, f in by_id.items() if canvas_marked_late(f.origin)] == ["obriénseán_1003"]
        for sid in expected:  # each matches its student, whose missing row would have the same id
            student = roster.match(sid)
            assert student is not None and student.key == sid


def test_a_notebook_the_lms_did_not_name_beside_its_download_is_its_own_row(tmp_path: Path):
    """An instructor's review: one `ivanova fixed.ipynb` dropped into the unzipped Canvas
    download (a section folder of the class folder) made every notebook there one student's
    (`sec1`, `sec1-2`, ...), 13 students `missing`, and past ten notebooks ungraded. A few
    notebooks the LMS did not name beside those of several students leave the download a
    download: each student keeps their row, the stray notebook gets its own, and the run says
    so. (A folder of mostly unnamed notebooks stays one student's folder.)"""
    students = {f"student{k}_{1000 + k}_{5000 + k}_lab05.ipynb": nb(f"s = {k}") for k in range(6)}
    write(tmp_path / "class" / "sec1", {**students, "ivanova fixed.ipynb": nb("fixed = 1")})
    found = discover([tmp_path / "class"], tmp_path / "unpacked", assignment="lab05")
    assert ids(found) == {**{f"student{k}_{1000 + k}": f"student{k}_{1000 + k}_{5000 + k}_lab05.ipynb"
                             for k in range(6)}, "ivanova_fixed": "ivanova fixed.ipynb"}
    assert any("ivanova fixed.ipynb: not named as the LMS names its files" in line
               and "its own row ivanova_fixed" in line for line in found.skipped)
    write(tmp_path / "class2" / "ben", {"student0_1000_5000_lab05.ipynb": nb(),
                                         "student1_1001_5001_lab05.ipynb": nb(),
                                         "mine.ipynb": nb(), "scratch.ipynb": nb()})
    found = discover([tmp_path / "class2"], tmp_path / "unpacked2", assignment="lab05")
    assert ids(found) and all(sid.split("-")[0] == "ben" for sid in ids(found))  # (ben's)
