"""Whose upload is it (nothing graded): a zip or folder named after a student is that student's,
and only an LMS export of several students is a class download.

The audit's s10 (Fay's `fay.zip`, whose one entry was named like Okafor's Canvas file,
replaced Okafor's work and left Fay `missing`), s9 (Ben's and Cal's zips with two notebooks
each became rows `lab05`, `lab05-2`, `lab05_final`, `notes`, naming neither) and s21
(`grade subs/s101 subs/s102` made `lab05`, `lab05-2`).
"""

from __future__ import annotations

import json
from pathlib import Path

from upload_helpers import ids, write, zipped

from autograder.batch.discover import discover


def nb(source: str = "x = 1") -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def sources(found) -> dict[str, bytes]:
    return {f.submission_id: f.path.read_bytes() for f in found.submissions}


def test_a_canvas_named_entry_in_a_students_zip_stays_theirs(tmp_path: Path):
    inbox = write(tmp_path / "in", {
        "okaforchidi_1001_5001_lab05.ipynb": nb("okafor = 1"),
        "fay.zip": zipped({"okaforchidi_1001_9999_lab05.ipynb": nb("fay = 1")}),
    })
    for given in ([inbox], [inbox / "okaforchidi_1001_5001_lab05.ipynb", inbox / "fay.zip"]):
        found = discover(given, tmp_path / "unpacked", assignment="lab05")
        assert sources(found) == {"okaforchidi_1001": nb("okafor = 1"), "fay": nb("fay = 1")}
        assert found.duplicates == []


def test_students_zips_with_two_notebooks_are_their_own(tmp_path: Path):
    classroom = write(tmp_path / "cls", {
        "ben.zip": zipped({"lab05.ipynb": nb("ben = 1"), "lab05_final.ipynb": nb("ben = 2")}),
        "cal.zip": zipped({"lab05.ipynb": nb("cal = 1"), "notes.ipynb": nb("cal = 2")}),
        "eve/lab05.ipynb": nb("eve = 1"),
        "README.txt": b"class notes",
    })
    expected = {"ben": nb("ben = 1"), "ben-2": nb("ben = 2"), "cal": nb("cal = 1"),
                "cal-2": nb("cal = 2"), "eve": nb("eve = 1")}
    found = discover([classroom], tmp_path / "unpacked", assignment="lab05")
    assert sources(found) == expected  # every notebook handed in is a row, under its uploader
    given = discover(sorted(classroom.iterdir()), tmp_path / "unpacked2", assignment="lab05")
    assert sources(given) == expected
    assert any("cal.zip/notes.ipynb: another notebook for cal; graded as cal-2" in d
               for d in found.duplicates)
    # a student's further notebook is still their work (to the judges' call plans)
    assert {f.submission_id: f.student for f in found.submissions} == {
        "ben": "ben", "ben-2": "ben", "cal": "cal", "cal-2": "cal", "eve": "eve"}


def test_student_folders_given_one_by_one_are_named_after_the_folder(tmp_path: Path):
    subs = write(tmp_path / "subs", {"s101/lab05.ipynb": nb("a = 1"), "s102/lab05-1.ipynb": nb("b = 1"),
                                     "s103/lab05.ipynb": nb("c = 1"), "s103/data.csv": b"1,2",
                                     "s103/.ipynb_checkpoints/lab05-checkpoint.ipynb": nb("old")})
    one_by_one = discover([subs / "s101", subs / "s102", subs / "s103/"], tmp_path / "u1",
                          assignment="lab05")
    together = discover([subs], tmp_path / "u2", assignment="lab05")
    assert sources(one_by_one) == sources(together) == {
        "s101": nb("a = 1"), "s102": nb("b = 1"), "s103": nb("c = 1")}
    assert not one_by_one.duplicates


def test_a_folder_that_may_be_a_class_stays_a_class_folder(tmp_path: Path):
    # a notebook named after a student next to `lab05.ipynb`, or student folders next to it:
    # each could be another student's, so the folder is a class's (ids by name, as before)
    mixed = write(tmp_path / "mixed", {"lab05.ipynb": nb("a = 1"), "alice.ipynb": nb("b = 1")})
    nested = write(tmp_path / "nested", {"lab05.ipynb": nb("c = 1"), "bob/lab05.ipynb": nb("d = 1")})
    assert set(ids(discover([mixed], tmp_path / "u1", assignment="lab05"))) == {"lab05", "alice"}
    assert set(ids(discover([nested], tmp_path / "u2", assignment="lab05"))) == {"lab05", "bob"}
    # without the assignment's name nothing is taken for one student's folder
    single = write(tmp_path / "s101", {"lab05.ipynb": nb("e = 1")})
    assert set(ids(discover([single], tmp_path / "u3"))) == {"lab05"}


def test_only_lms_exports_of_several_students_are_class_downloads(tmp_path: Path):
    canvas_two = {"ada_1_11_lab05.ipynb": nb("ada = 1"), "bo_2_22_lab05.ipynb": nb("bo = 1")}
    canvas_one = {"ada_1_11_lab05.ipynb": nb("ada = 2")}
    gradescope_one = {"assignment_9_export/submission_metadata.yml": b"submission_7: {}\n",
                      "assignment_9_export/submission_7/lab05.ipynb": nb("gs = 1")}
    write(tmp_path, {"mail.zip": zipped(canvas_two), "kim.zip": zipped(canvas_one),
                     "CS101-Lab_5_submissions.zip": zipped(canvas_one),
                     "CS101-Lab_6_submissions.zip": zipped(canvas_two),
                     "export.zip": zipped(gradescope_one),
                     "pairs.zip": zipped({"p/lab05.ipynb": nb("p = 1"), "q/lab05.ipynb": nb("q = 1")})})
    cases = {"CS101-Lab_6_submissions.zip": {"ada_1", "bo_2"},  # Canvas's download
             # Canvas names of two students in a zip by another name: what someone handed in
             # (red team 27's `ben.zip`, graded as late work, took a classmate's row)
             "mail.zip": {"mail", "mail-2"},
             "kim.zip": {"kim"},  # of one: the uploader's own zip
             "CS101-Lab_5_submissions.zip": {"ada_1"},  # ...unless Canvas named the zip
             "export.zip": {"submission_7"},  # Gradescope's export layout
             "pairs.zip": {"p", "q"}}  # given directly: one folder per student
    for name, expected in cases.items():
        assert set(ids(discover([tmp_path / name], tmp_path / f"u-{name}", assignment="lab05"))) \
            == expected, name
    # inside a class folder, a zip of folders is one student's upload
    classroom = write(tmp_path / "cls", {"pairs.zip": zipped({"p/lab05.ipynb": nb("p = 1"),
                                                              "q/lab05.ipynb": nb("q = 1")})})
    assert set(ids(discover([classroom], tmp_path / "u-cls", assignment="lab05"))) == {
        "pairs", "pairs-2"}


def test_a_canvas_named_file_in_a_students_folder_stays_theirs(tmp_path: Path):
    """Red team 20: Ben's folder held `okafor_1001_99999_lab05.ipynb` (the template); it took
    Okafor's row and demoted Okafor's own work to a duplicate — in the class's run and when
    Ben's folder was graded alone into the class's results. A folder per student is that
    student's, as a zip is; an LMS export unpacked into a folder is still read as one."""
    classroom = write(tmp_path / "cls", {
        "okafor_1001/lab05.ipynb": nb("okafor = 1"),
        "ben/okafor_1001_99999_lab05.ipynb": nb("stub = 1"),
        "canvas/ada_1_11_lab05.ipynb": nb("ada = 1"),  # Canvas's download, unzipped here
        "canvas/bo_2_22_lab05.ipynb": nb("bo = 1"),
    })
    found = discover([classroom], tmp_path / "u1", assignment="lab05")
    assert sources(found) == {"okafor_1001": nb("okafor = 1"), "ben": nb("stub = 1"),
                              "ada_1": nb("ada = 1"), "bo_2": nb("bo = 1")}
    assert found.duplicates == []
    # Ben's folder graded on its own: his own notebook and the other one, both his
    write(tmp_path / "late", {"ben/lab05.ipynb": nb("ben = 1"),
                              "ben/okafor_1001_99999_lab05.ipynb": nb("stub = 1")})
    alone = discover([tmp_path / "late" / "ben"], tmp_path / "u2", assignment="lab05")
    assert sources(alone) == {"ben": nb("ben = 1"), "ben-2": nb("stub = 1")}
    # ... while a folder of Canvas files of two students given alone is the class's
    both = discover([classroom / "canvas"], tmp_path / "u3", assignment="lab05")
    assert set(ids(both)) == {"ada_1", "bo_2"}


def test_a_row_graded_again_from_another_file_is_said(tmp_path: Path):
    """Red team 20: Ben's folder graded alone into the class's results replaced Okafor's row
    (graded earlier from Okafor's own file) and the run said nothing. A row that changes files
    is named in the run's summary; one graded again from the same file is not."""
    from autograder.batch.discover import Found
    from autograder.batch.run import Summary, _earlier, _replaced
    from autograder.config import load_config
    from autograder.report.gradescope import results_path, write_results
    from autograder.score.final import Trace
    from autograder.score.results import Status
    from autograder.score.scoring import unscored

    out = tmp_path / "out"
    config = load_config(Path(__file__).resolve().parents[2] / "grading_config.yaml")
    result = unscored("okafor_1001", config, Status.GRADED, "")
    result.trace = Trace(source="class/okafor_1001_5001_lab05.ipynb")
    write_results(result, results_path(out, "okafor_1001"))
    same = Found("okafor_1001", tmp_path / "x.ipynb", shown="class/okafor_1001_5001_lab05.ipynb")
    other = Found("okafor_1001", tmp_path / "y.ipynb", shown="late/ben/okafor_1001_99999_lab05.ipynb")
    assert _replaced(_earlier(out, same), same) == ""
    assert _replaced(_earlier(out, Found("new", tmp_path / "z.ipynb")), same) == ""
    said = _replaced(_earlier(out, other), other)
    assert said == ("okafor_1001: graded earlier from class/okafor_1001_5001_lab05.ipynb, now "
                    "from late/ben/okafor_1001_99999_lab05.ipynb (check this file is theirs)")
    assert f"  replaced: {said}" in Summary(out=out, replaced=[said]).describe().splitlines()


def test_a_students_zip_of_folders_given_beside_others_stays_theirs(tmp_path: Path):
    """Red team 21: `grade ben.zip lee.zip okafor.zip`, Ben's zip holding `okafor/lab05.ipynb`
    (a template) and `ben/lab05.ipynb`, was read as a class download: Okafor's row became
    Ben's forgery. A zip whose folders name another given path's student is its uploader's;
    given alone, a zip of one folder per student is still a class's."""
    write(tmp_path, {
        "ben.zip": zipped({"okafor/lab05.ipynb": nb("forged = 1"), "ben/lab05.ipynb": nb("ben = 1")}),
        "okafor.zip": zipped({"lab05.ipynb": nb("okafor = 1")}),
    })
    found = discover([tmp_path / "ben.zip", tmp_path / "okafor.zip"], tmp_path / "u1",
                     assignment="lab05")
    assert sources(found)["okafor"] == nb("okafor = 1")
    assert {sources(found)[k] for k in ("ben", "ben-2")} == {nb("forged = 1"), nb("ben = 1")}
    alone = discover([tmp_path / "ben.zip"], tmp_path / "u2", assignment="lab05")
    assert set(ids(alone)) == {"okafor", "ben"}


def test_a_students_zip_shaped_like_a_gradescope_export_stays_theirs(tmp_path: Path):
    """Red team 68: `bob.zip` in a class folder, holding a `submission_metadata.yml`, its own
    `submission_77/lab05.ipynb` and a planted `carol/lab05.ipynb`, was taken for Gradescope's
    export: the planted notebook became carol's row (hers moved to carol-2), and no row was
    bob's. An export holds nothing beside its metadata but `submission_<n>` folders."""
    classroom = write(tmp_path / "cls", {
        "carol/lab05.ipynb": nb("carol = 1"),
        "bob.zip": zipped({"submission_metadata.yml": b"submission_77: {}\n",
                           "submission_77/lab05.ipynb": nb("bob = 1"),
                           "carol/lab05.ipynb": nb("planted = 1")}),
    })
    found = discover([classroom], tmp_path / "unpacked", assignment="lab05")
    assert sources(found)["carol"] == nb("carol = 1")
    assert {sources(found)[k] for k in ("bob", "bob-2")} == {nb("bob = 1"), nb("planted = 1")}
    export = write(tmp_path / "gs", {"export.zip": zipped({
        "submission_metadata.yml": b"submission_77: {}\n",
        "submission_77/lab05.ipynb": nb("bob = 1")})})
    assert set(ids(discover([export], tmp_path / "unpacked2", assignment="lab05"))) == \
        {"submission_77"}  # (an export's shape: still Gradescope's)


def test_a_renamed_class_download_is_the_summarys_first_word(tmp_path: Path):
    """An ops review renamed the class's Canvas download (`lab5_canvas.zip`): 17 students
    became one upload's rows, and the line saying why sat among thirty others. It is graded
    as one upload still (a student's zip of classmates' names must stay theirs: red team 27),
    and the summary says so first, before any row."""
    from autograder.batch.run import Summary

    write(tmp_path, {"lab5_canvas.zip": zipped({"ada_1_11_lab05.ipynb": nb("ada = 1"),
                                                "bo_2_22_lab05.ipynb": nb("bo = 1")}),
                     "class/zed_3_33_lab05.txt": b"not a notebook"})
    found = discover([tmp_path / "lab5_canvas.zip", tmp_path / "class"], tmp_path / "u",
                     assignment="lab05")
    lines = Summary(out=tmp_path / "out", discovery=found).describe().splitlines()
    assert lines[1].startswith("  check first: ") and lines[1].endswith(
        "unzip it into a folder.") and "lab5_canvas.zip: holds Canvas-named notebooks" in lines[1]
    assert sum("holds Canvas-named notebooks" in line for line in lines) == 1


def test_a_long_reason_is_cut_at_a_word_in_the_summary(tmp_path: Path):
    """An ops review read "... if this is the one to ma" in the summary."""
    from autograder.batch.run import Summary
    from autograder.score.results import Status, SubmissionResult

    reason = ("two notebooks in this upload, " + "word " * 60).strip()
    row = SubmissionResult("ana", Status.INVALID, reason, [], 10.0)
    line = next(line for line in Summary(out=tmp_path, results=[row]).describe().splitlines()
                if line.startswith("  invalid: ana: "))
    assert line.endswith("word …") and len(line) <= len("  invalid: ana: ") + 202


def test_a_file_that_is_an_invalid_rows_upload_is_said_once(tmp_path: Path):
    """The demo's garcia_1010 (a .txt handed in) was an `invalid` row and a `skipped` line."""
    from autograder.batch.discover import Discovery
    from autograder.batch.run import Summary
    from autograder.score.results import Status, SubmissionResult, Trace

    upload = "class/garcia_1010_5010_notes.txt"
    row = SubmissionResult("garcia_1010", Status.INVALID, "no notebook in your upload", [], 10.0)
    row.trace = Trace(source=upload)
    found = Discovery(skipped=[f"{upload}: not a notebook (.ipynb), skipped",
                               "class/README.txt: not a notebook (.ipynb), skipped"])
    lines = Summary(out=tmp_path, results=[row], discovery=found).describe().splitlines()
    assert "  invalid: garcia_1010: no notebook in your upload" in lines
    assert not any(line.startswith(f"  skipped: {upload}") for line in lines)
    assert "  skipped: class/README.txt: not a notebook (.ipynb), skipped" in lines


def test_a_zip_named_for_a_known_student_is_their_upload_whatever_its_shape(tmp_path: Path):
    """Red team 82: Ben's late `ben.zip`, graded on its own into the class's folder, held a
    template `okafor/lab05.ipynb` beside his own: one folder per student, it was read as a class
    download and replaced Okafor's row. A zip named for a student the course knows (on the
    roster, or with a row in the output folder) is theirs, and the run says why; a zip of
    student folders named for nobody the course knows is still a class's."""
    write(tmp_path, {
        "ben.zip": zipped({"okafor/lab05.ipynb": nb("forged = 1"), "ben/lab05.ipynb": nb("ben = 1")}),
        "section_b.zip": zipped({"okafor/lab05.ipynb": nb("okafor = 1"),
                                 "ben/lab05.ipynb": nb("ben = 1")}),
    })
    known = {"ben", "okafor"}.__contains__
    found = discover([tmp_path / "ben.zip"], tmp_path / "u1", assignment="lab05", known=known)
    assert set(ids(found)) == {"ben", "ben-2"}
    assert {sources(found)[k] for k in ("ben", "ben-2")} == {nb("forged = 1"), nb("ben = 1")}
    assert any(line.endswith("ben.zip: shaped like a class download but named for a student of "
                             "the course: graded as their upload. If it is the class's download, "
                             "give it another name.") for line in found.skipped)
    section = discover([tmp_path / "section_b.zip"], tmp_path / "u2", assignment="lab05",
                       known=known)
    assert sources(section) == {"okafor": nb("okafor = 1"), "ben": nb("ben = 1")}
    assert not any("named for a student" in line for line in section.skipped)


def test_the_course_knows_a_student_by_the_roster_or_an_earlier_row(tmp_path: Path):
    """What `grade` tells discovery a student is: the roster's, by any of their ids, or one
    with a result in the output folder from an earlier run."""
    from autograder.batch.course import Course
    from autograder.batch.roster import load_roster
    from autograder.batch.run import _known_student
    from autograder.config import load_config
    from autograder.report.gradescope import results_path, write_results
    from autograder.score.results import Status
    from autograder.score.scoring import unscored

    roster = tmp_path / "roster.csv"
    roster.write_text("First Name,Last Name,SID,Email,Role,Sections\n"
                      "Ben,Bell,S2002,ben@uni.edu,Student,A\n", encoding="utf-8")
    out = tmp_path / "out"
    config = load_config(Path(__file__).resolve().parents[2] / "grading_config.yaml")
    write_results(unscored("okafor", config, Status.GRADED, ""), results_path(out, "okafor"))
    known = _known_student(out, Course(config, roster=load_roster(roster)))
    assert known("ben") and known("s2002") and known("okafor")
    assert not known("section_b") and not known("x" * 400)
    assert not _known_student(tmp_path / "empty", Course(config))("ben")


def test_a_folder_named_for_a_known_student_is_their_upload_whatever_its_shape(tmp_path: Path):
    """Red team 90: Ben's late `ben/`, holding `ben/lab05.ipynb` and a template
    `okafor/lab05.ipynb`, graded on its own into the class's folder, was read as a class folder
    and replaced Okafor's row. A folder given on the command line named for a student the
    course knows is theirs, as a zip so named is; one named for nobody is still a class's."""
    write(tmp_path, {"late/ben/ben/lab05.ipynb": nb("ben = 1"),
                     "late/ben/okafor/lab05.ipynb": nb("forged = 1"),
                     "section_b/ben/lab05.ipynb": nb("ben = 1"),
                     "section_b/okafor/lab05.ipynb": nb("okafor = 1")})
    known = {"ben", "okafor"}.__contains__
    found = discover([tmp_path / "late" / "ben"], tmp_path / "u1", assignment="lab05",
                     known=known)
    assert {sources(found)[k] for k in ("ben", "ben-2")} == {nb("forged = 1"), nb("ben = 1")}
    assert set(ids(found)) == {"ben", "ben-2"}
    assert any("named for a student of the course" in line for line in found.skipped)
    section = discover([tmp_path / "section_b"], tmp_path / "u2", assignment="lab05", known=known)
    assert sources(section) == {"okafor": nb("okafor = 1"), "ben": nb("ben = 1")}


def test_a_canvas_name_that_reads_as_a_classmates_is_read_by_the_roster(tmp_path: Path):
    """Red team 90: Canvas joins `_<digits>_` in a sortable name before it drops the other
    characters, so Mallory (user 1003), whose sortable name was `smithalice_-1002-_99999-_x`,
    had her file named `smithalice_1002_99999_x_1003_6003_lab05.ipynb`: read as Alice's
    (user 1002), it took Alice's row. Every reading is taken, and the Canvas roster's keys say
    whose it is; without a roster, the shortest reading, as before."""
    write(tmp_path / "dl", {
        "smithalice_1002_5002_Lab5_AliceSmith.ipynb": nb("alice = 1"),
        "smithalice_1002_99999_x_1003_6003_lab05.ipynb": nb("mallory = 1"),
        "alice_1002_5002_lab_1_2_final.ipynb": nb("digits in the file's own name = 1"),
    })
    keys = ["smithalice_1002", "smithalice_1002_99999_x_1003", "alice_1002"]
    found = discover([tmp_path / "dl"], tmp_path / "u1", assignment="lab05", canvas_keys=keys)
    assert sources(found)["smithalice_1002"] == nb("alice = 1")
    assert sources(found)["smithalice_1002_99999_x_1003"] == nb("mallory = 1")
    assert sources(found)["alice_1002"] == nb("digits in the file's own name = 1")
    alone = discover([tmp_path / "dl"], tmp_path / "u2", assignment="lab05")
    assert "smithalice_1002_99999_x_1003" not in ids(alone)  # (no roster: the shortest reading)
