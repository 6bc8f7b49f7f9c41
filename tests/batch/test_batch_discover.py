"""Discovery alone (nothing graded): ids, zips, LMS layouts, what is skipped and reported."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from upload_helpers import ids, write, zipped

from autograder.batch.discover import discover, student_id


def nb(source: str = "x = 1") -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.mark.parametrize(("name", "folders", "expected"), [
    ("smith_123_2_lab05.ipynb", (), ("smith_123", 2)),
    ("smithjohn_late_123_456_lab05.ipynb", (), ("smithjohn_123", 456)),
    ("smithjohn_LATE_123_456_lab05-1.ipynb", (), ("smithjohn_123", 456)),
    ("lab05.ipynb", ("smithjohn_123_456_lab05_2024_03_01T10_00_00_123456",), ("smithjohn_123", 456)),
    # otter's export zip is named <notebook>_<timestamp>: not a Canvas name
    ("lab05.ipynb", ("lab05_2024_03_01T10_00_00_123456",), ("lab05_2024_03_01T10_00_00_123456", 0)),
    ("lab05.ipynb", ("assignment_99_export", "submission_12345"), ("submission_12345", 0)),
    ("lab05.ipynb", ("okafor", "work"), ("okafor", 0)),
    ("Lab 05 (final).ipynb", (), ("Lab_05_final", 0)),
    ("..ipynb", (), ("submission", 0)),
    ("index.html.ipynb", (), ("index.html_", 0)),
    ("lab05.ipynb", ("ö" * 200,), ("ö" * 80, 0)),  # Unicode kept, length capped
    ("lab05.ipynb", ("王" * 100,), ("王" * 53, 0)),  # at most 160 bytes of UTF-8
    # Canvas keeps Unicode letters in its names (content_zipper.rb: [[:word:]])
    ("müllerjürgen_1002_5002_lab05.ipynb", (), ("müllerjürgen_1002", 5002)),
    ("mu\u0308llerju\u0308rgen_1002_5002_lab05.ipynb", (), ("müllerjürgen_1002", 5002)),  # NFD
    ("obriénseán_LATE_1003_5003_lab05.ipynb", (), ("obriénseán_1003", 5003)),
    ("王小明_1007_5007_lab05.ipynb", (), ("王小明_1007", 5007)),
    ("lab05.ipynb", ("Anna Müller",), ("Anna_Müller", 0)),
])
def test_ids_are_stable_and_filesystem_safe(name, folders, expected):
    assert student_id(name, folders) == expected


def test_layouts_zips_and_duplicates(tmp_path: Path):
    canary = tmp_path / "unpickled"

    class Canary:
        def __reduce__(self):
            return (open, (str(canary), "w"))

    otter_log = pickle.dumps(Canary())
    gradescope = zipped({
        "assignment_99_export/submission_metadata.yml": b"submission_1: {}\n",
        "assignment_99_export/submission_1/lab05.ipynb": nb("a = 1"),
        "assignment_99_export/submission_2/lab05.ipynb": nb("a = 2"),
    })
    lee = zipped({"lab05.ipynb": nb("lee = 1"), ".OTTER_LOG": otter_log, "lab05.pdf": b"%PDF"})
    batch = write(tmp_path / "batch", {
        "ada.ipynb": nb("ada = 1"),
        "ada_again.ipynb": nb("ada = 1"),  # same bytes, another name
        "smith_123_1_lab05.ipynb": nb("old = 1"),
        "smith_123_2_lab05.ipynb": nb("new = 1"),
        "submission_12345/lab05.ipynb": nb("gs = 1"),
        "submission_12345/submission_metadata.yml": b":submitters: []\n",
        "okafor/work/lab05.ipynb": nb("okafor = 1"),
        "okafor/.OTTER_LOG": otter_log,
        "okafor/.ipynb_checkpoints/lab05-checkpoint.ipynb": nb("ck = 1"),
        "class.zip": zipped({"jones.ipynb": nb("jones = 1"), "lee_otter.zip": lee,
                             "__MACOSX/._jones.ipynb": b"junk", "../escape.ipynb": nb()}),
        "export.zip": gradescope,
        "notes.txt": b"hello",
        "broken.zip": b"PK not really",
    })
    found = discover([batch], tmp_path / "out" / ".inputs", assignment="lab05")
    again = discover([batch], tmp_path / "out" / ".inputs", assignment="lab05")

    assert ids(found) == {
        "ada": "ada.ipynb", "ada_again": "ada_again.ipynb", "smith_123": "smith_123_2_lab05.ipynb",
        "smith_123-2": "smith_123_1_lab05.ipynb",  # one Canvas submission's two files: both graded
        "submission_12345": "lab05.ipynb", "okafor": "lab05.ipynb",
        # a zip that is no LMS export is its uploader's, whatever it holds: the assignment's
        # notebook (from lee_otter.zip inside it) first, the other as class-2
        "class": "lab05.ipynb", "class-2": "jones.ipynb",
        "submission_1": "lab05.ipynb", "submission_2": "lab05.ipynb",
        "broken": "broken.zip"}  # an unreadable zip is its uploader's invalid row
    assert [f.submission_id for f in found.submissions if f.problem] == ["broken"]
    assert next(f for f in found.submissions if f.problem).problem.startswith(
        "your upload is not a readable zip")
    assert [(f.submission_id, f.path) for f in again.submissions] == [
        (f.submission_id, f.path) for f in found.submissions]
    assert any("smith_123_1_lab05.ipynb: another notebook for smith_123; graded as smith_123-2"
               in d for d in found.duplicates)
    assert not any("older attempt" in d for d in found.duplicates)
    assert any("ada_again.ipynb: same bytes as" in d and "ada.ipynb (ada)" in d for d in found.duplicates)
    skipped = "\n".join(found.skipped)
    for what in ("notes.txt: not a notebook", "submission_metadata.yml: not a notebook",
                 "lee_otter.zip:.OTTER_LOG: hidden file ignored", "lab05.pdf: not a notebook",
                 "broken.zip: not a readable zip"):
        assert what in skipped, what
    assert not list((tmp_path / "out").rglob(".OTTER_LOG")) and not canary.exists()
    assert not list(tmp_path.rglob("escape.ipynb")) and not list(tmp_path.rglob("._jones.ipynb"))


def test_single_zips_name_their_student_and_class_zips_are_transparent(tmp_path: Path):
    write(tmp_path, {"smith.zip": zipped({"smith/lab05.ipynb": nb("s = 1")}),
                     # given on the command line: one folder per student, inside a wrapping folder
                     "class.zip": zipped({"class/alice/lab05.ipynb": nb("a = 1"),
                                          "class/bob/work/lab05.ipynb": nb("b = 1")}),
                     "one.ipynb": nb("o = 1")})
    found = discover([tmp_path / "smith.zip", tmp_path / "class.zip", tmp_path / "one.ipynb",
                      tmp_path / "missing.ipynb"], tmp_path / "unpacked")
    assert set(ids(found)) == {"smith", "alice", "bob", "one"}
    assert any("missing.ipynb: no such file" in s for s in found.skipped)


def test_two_notebooks_of_one_student_are_both_graded_and_reported(tmp_path: Path):
    write(tmp_path / "in", {"okafor/lab05.ipynb": nb("a = 1"), "okafor/scratch.ipynb": nb("b = 1"),
                            "okafor/copy/lab05.ipynb": nb("a = 1")})
    found = discover([tmp_path / "in"], tmp_path / "unpacked")
    assert set(ids(found)) == {"okafor", "okafor-2"}
    assert any("identical to" in d and "graded once as okafor" in d for d in found.duplicates)
    assert any("another notebook for okafor; graded as okafor-2" in d for d in found.duplicates)


def test_zips_nested_too_deep_are_skipped(tmp_path: Path):
    data = zipped({"lab05.ipynb": nb()})
    for level in range(6):
        data = zipped({f"level{level}.zip": data})
    (tmp_path / "deep.zip").write_bytes(data)
    found = discover([tmp_path / "deep.zip"], tmp_path / "unpacked")
    assert [(f.submission_id, f.problem) for f in found.submissions] == [
        ("deep", "no notebook in your upload (found: “level5.zip/level4.zip/level3.zip/level2.zip” "
                 "(nested too deep)); hand in the notebook itself (an .ipynb file)")]
    assert any("nested more than" in s for s in found.skipped)


def test_a_zip_whose_lzma_member_is_corrupt_is_its_uploaders_invalid_row(tmp_path: Path):
    # (an outside red team's: the LZMA decoder's own error ended the whole batch)
    import zipfile

    data = bytearray(zipped({"lab05.ipynb": nb("x = 1" + " " * 5000)}, zipfile.ZIP_LZMA))
    start = 30 + len("lab05.ipynb") + 20  # inside the member's compressed bytes
    for i in range(start, start + 40):
        data[i] ^= 0xA5
    batch = tmp_path / "in"
    write(batch, {"lzma_bad.zip": bytes(data), "fine.ipynb": nb()})
    found = discover([batch], tmp_path / "out" / ".inputs", assignment="lab05")
    rows = {f.submission_id: f for f in found.submissions}
    assert set(rows) == {"lzma_bad", "fine"}
    assert rows["lzma_bad"].problem and not rows["fine"].problem


def test_a_student_s_notebooks_past_the_cap_are_rows_saying_why_not_graded(tmp_path: Path):
    """A zip of thousands of tiny notebooks was as many gradings: one student's upload took
    the grading night. The first `notebooks_per_student` different ones are graded (the
    assignment's first); each further one is still a row, `invalid`, saying why."""
    from autograder.batch.discover import Limits

    files = {f"work/n{i:02d}.ipynb": nb(f"x = {i}") for i in range(13)}
    files["lab05.ipynb"] = nb("main = 1")
    files["copy.ipynb"] = nb("x = 0")  # identical to one graded: reported, no row
    batch = write(tmp_path / "batch", {"lee.zip": zipped(files), "ada.ipynb": nb("ada = 1")})
    found = discover([batch], tmp_path / "unpack", Limits(notebooks_per_student=4),
                     assignment="lab05")
    lee = {f.submission_id: f for f in found.submissions if f.submission_id.startswith("lee")}
    assert len(lee) == 14 and lee["lee"].path.name == "lab05.ipynb" and not lee["lee"].problem
    graded = sorted(sid for sid, f in lee.items() if not f.problem)
    assert graded == ["lee", "lee-2", "lee-3", "lee-4"]
    for sid, f in lee.items():
        if f.problem:
            assert f.main == "lee" and "more than 4 different notebooks" in f.problem, sid
    assert {f.submission_id for f in found.submissions} >= {"ada"}
    assert any("copy.ipynb" in d and "identical" in d for d in found.duplicates)


def test_a_hidden_notebook_is_listed_as_skipped_never_silently_dropped(tmp_path: Path):
    """Red team 64: `.hank.ipynb` in a class folder (or a zip) had no row and no line saying
    why; Jupyter's autosaved copies in `.ipynb_checkpoints/` stay unlisted."""
    write(tmp_path / "class", {"ana.ipynb": nb(), ".hank.ipynb": nb("y = 2"),
                               ".ipynb_checkpoints/ana-checkpoint.ipynb": nb(),
                               "ben.zip": zipped({"lab05.ipynb": nb("z = 3"),
                                                  ".lab05.ipynb": nb("z = 4"),
                                                  "__MACOSX/._lab05.ipynb": b"\0"})})
    found = discover([tmp_path / "class"], tmp_path / "unpacked")
    assert sorted(ids(found)) == ["ana", "ben"]
    skipped = "\n".join(found.skipped)
    assert "class/.hank.ipynb: hidden file (its name starts with '.')" in skipped
    assert "ben.zip:.lab05.ipynb: hidden file" in skipped
    assert "checkpoint" not in skipped and "__MACOSX" not in skipped


def test_a_notebook_hidden_by_its_folder_or_a_bare_name_ends_as_a_row_or_a_line(tmp_path: Path):
    """Red team 66: a `.zed/` student folder, a file named `.ipynb` (no suffix to Python), a
    student folder whose only notebook is hidden or Jupyter's checkpoint copy, a zip whose
    notebooks are all in hidden folders: no row and no line. Each student whose upload held
    only hidden notebooks now has an `invalid` row saying what came; every hidden notebook
    (but the autosaved copies) is listed as skipped."""
    write(tmp_path / "class", {
        "okafor/lab05.ipynb": nb(), "hank/.ipynb": nb("y = 2"),
        "ivy/.ipynb_checkpoints/lab05-checkpoint.ipynb": nb(), ".zed/lab05.ipynb": nb(),
        ".ipynb": nb(), "ben.zip": zipped({".work/lab05.ipynb": nb(),
                                           ".ipynb_checkpoints/lab05-checkpoint.ipynb": nb()})})
    found = discover([tmp_path / "class"], tmp_path / "unpacked")
    rows = {f.submission_id: f.problem for f in found.submissions}
    assert sorted(rows) == ["ben", "hank", "ivy", "okafor"]
    assert not rows["okafor"]
    assert "“.ipynb” (hidden)" in rows["hank"]
    assert "“.ipynb_checkpoints/” (hidden, 1 notebook or zip)" in rows["ivy"]
    assert "“.work/lab05.ipynb” (hidden)" in rows["ben"]
    skipped = "\n".join(found.skipped)
    assert "class/.zed/: holds 1 notebook or zip: in a hidden folder" in skipped
    assert "class/.ipynb: hidden file" in skipped and "class/hank/.ipynb: hidden file" in skipped
    assert "ben.zip:.work/lab05.ipynb: in a hidden folder" in skipped
    assert "checkpoint" not in skipped  # (autosaved copies: in rows only where all there is)


def test_only_a_long_entry_names_head_is_read_as_an_lms_name() -> None:
    """Red team 66: the Canvas pattern's search grows with the square of a name's length, and a
    zip's entry name can be 64 KB (13.8 s for 16 KB in discovery): the pattern sees only the
    head of a name (`MAX_LMS_NAME`), where Canvas writes the owner. Red team 82: the rest is the
    student's own file name, which makes a Canvas name any length — one 300-byte upload name
    made the whole class download one upload — so a long name's head still names its owner."""
    from autograder.batch import discover as found

    canvas_like = "smith_123_456_lab05.ipynb"
    assert found._lms(canvas_like) is not None
    assert found._lms("a_1_" * 4_000 + canvas_like) is None
    assert found._lms("x" * (found.MAX_LMS_NAME - len(canvas_like)) + canvas_like) is not None
    long = found._lms("bobb_1002_5002_" + "x" * 300 + ".ipynb")
    assert long is not None and (long.sid, long.number) == ("bobb_1002", 5002)


def test_a_canvas_name_whose_file_part_is_an_otter_timestamp_names_its_owner() -> None:
    """Red team 82: a student's upload named `_2025_03_14T10_00_00_000000.ipynb` left nothing
    of the Canvas name once otter's timestamp was cut, and the whole download became one
    upload; otter's own export zip (`lab05_<timestamp>`) is still no Canvas name."""
    assert student_id("bobb_1002_5002__2025_03_14T10_00_00_000000.ipynb") == ("bobb_1002", 5002)
    assert student_id("lab05.ipynb", ("lab05_2024_03_01T10_00_00_123456",)) == (
        "lab05_2024_03_01T10_00_00_123456", 0)


@pytest.mark.parametrize("bob", ["bobb_1002_5002__2025_03_14T10_00_00_000000.ipynb",
                                 "bobb_1002_5002_" + "x" * 300 + ".ipynb"])
def test_one_oddly_named_upload_leaves_the_class_download_whole(tmp_path: Path, bob: str):
    """Red team 82: every student of a three-student Canvas download was `missing` because one
    file's name was read as no Canvas name; each is its student's row now, the long name
    unpacked under a name a file system takes."""
    download = tmp_path / "lab05_submissions.zip"
    download.write_bytes(zipped({"alicea_1001_5001_lab05.ipynb": nb(), bob: nb("y = 2"),
                                 "carolc_1003_5003_lab05.ipynb": nb("z = 3")}))
    found = discover([download], tmp_path / "unpacked")
    assert sorted(ids(found)) == ["alicea_1001", "bobb_1002", "carolc_1003"], found
    assert not [f for f in found.submissions if f.problem]


def test_a_file_name_in_a_reason_is_quoted_so_it_cannot_go_on_in_the_graders_voice(
        tmp_path: Path):
    """Red team 82: an upload holding one file named `lab05.pdf) and lab05.ipynb, graded in
    full: 135 of 135 (no action needed` made its row's reason read "no notebook in your upload
    (found: lab05.pdf) and lab05.ipynb, graded in full: 135 of 135 (no action needed); hand in
    …". Each name is quoted, its own curly quotes shown straight, the grader's note outside."""
    name = "lab05.pdf”) and lab05.ipynb, graded in full: 135 of 135 (no action needed"
    (tmp_path / "bob.zip").write_bytes(zipped({name: b"%PDF", ".notes/x.ipynb": nb()}))
    (row,) = discover([tmp_path / "bob.zip"], tmp_path / "unpacked").submissions
    assert row.problem.startswith(
        'no notebook in your upload (found: “lab05.pdf") and lab05.ipynb, graded in full: 135 '
        'of 135 (no action needed”, “.notes/x.ipynb” (hidden))'), row.problem
