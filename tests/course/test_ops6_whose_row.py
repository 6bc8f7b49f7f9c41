"""Every enrolled student keeps a row of their own, and a submission finds its student by
the name it was handed in under (ops6 grading night: Alpha Y's `missing` row took the id of a
folder `alpha` that was nobody's and vanished; a folder `five@uni.edu` was "not on roster"
because it was matched only as `five_uni.edu`; Gradescope's extra notebook `submission_504-2`
was "not on roster" while its submission was Two Books's)."""

from __future__ import annotations

from pathlib import Path

import yaml

from autograder.batch.course import CourseOutcome, apply_course, load_course
from autograder.batch.discover import Discovery, Found, discover
from autograder.config import load_config
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest

CHECK = "f: does it"
GRADESCOPE_ROSTER = """First Name,Last Name,SID,Email,Role
Alpha,X,2008,alpha@x.edu,Student
Alpha,Y,,alpha@y.edu,Student
Beta,Z,,beta@z.edu,Student
Jane,Roe,2001,jroe@uni.edu,Student
Five,Folder,2005,five@uni.edu,Student
Two,Books,2010,books@uni.edu,Student
"""
METADATA = """submission_504:
  :submitters:
  - :name: Two Books
    :sid: '2010'
    :email: books@uni.edu
  :created_at: 2025-03-16 12:00:00.000000000 +00:00
"""


def course_files(tmp_path: Path, roster: str, deadline: bool = False) -> Path:
    raw: dict[str, object] = {"tests": {CHECK: {"points": 4}}, "roster": "roster.csv"}
    if deadline:
        raw["deadline"] = {"due": "2025-03-14T23:59:00+00:00", "penalty": {"per_day_percent": 10}}
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump(raw))
    return config


def graded(sid: str) -> SubmissionResult:
    return SubmissionResult(sid, Status.GRADED, "", [Check(CHECK, 4.0, 4.0, True, "",
                                                           "visible")], 4.0)


def apply(config: Path, found: list[Found], inputs: list[Path] | None = None) -> CourseOutcome:
    course = load_course(load_config(config), config)
    return apply_course(course, [graded(f.submission_id) for f in found], Discovery(found),
                        inputs or [])


def enrolled_rows(outcome: CourseOutcome) -> dict[str, str]:
    """{row id: its student's name} for every row a rostered student owns."""
    return {r.submission_id: r.final.name for r in outcome.results
            if r.final is not None and r.final.roster == "enrolled"}


def notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return path


def test_a_folder_named_by_an_id_two_students_share_never_takes_a_students_row(tmp_path: Path):
    config = course_files(tmp_path, GRADESCOPE_ROSTER)
    outcome = apply(config, [Found("alpha", notebook(tmp_path / "alpha" / "lab05.ipynb"))])
    rows = {r.submission_id: r for r in outcome.results}
    assert rows["alpha"].final is not None and rows["alpha"].final.roster == "not on roster"
    assert rows["alpha"].status is Status.GRADED
    # Alpha Y has no SID: her row is her whole email, since `alpha` is also Alpha X's
    assert rows["alpha_y.edu"].status is Status.MISSING
    assert sorted(enrolled_rows(outcome).values()) == [
        "Alpha X", "Alpha Y", "Beta Z", "Five Folder", "Jane Roe", "Two Books"]
    assert outcome.not_on_roster == ["alpha"]


def test_every_enrolled_student_has_a_row_even_when_their_key_is_taken(tmp_path: Path):
    """The guard: a plain roster's id `alpha` is also another student's email local part, so
    it names neither; a folder `alpha` is nobody's, and Al's own row must not be it."""
    roster = "id,name,email\nalpha,Al Pha,al@x.edu\nbeth,Beth B,alpha@y.edu\n"
    config = course_files(tmp_path, roster)
    outcome = apply(config, [Found("alpha", notebook(tmp_path / "alpha" / "lab05.ipynb"))])
    assert sorted(enrolled_rows(outcome).values()) == ["Al Pha", "Beth B"]  # one per student
    ids = [r.submission_id for r in outcome.results]
    assert len(ids) == len(set(i.casefold() for i in ids)) == 3
    assert outcome.not_on_roster == ["alpha"]


def test_a_folder_named_by_email_matches_its_student(tmp_path: Path):
    config = course_files(tmp_path, GRADESCOPE_ROSTER)
    five = tmp_path / "in" / "five@uni.edu"
    notebook(five / "lab05.ipynb")
    found = discover([five], tmp_path / "unpacked", assignment="lab05")
    assert [f.submission_id for f in found.submissions] == ["five_uni.edu"]
    outcome = apply(config, found.submissions)
    assert enrolled_rows(outcome)["five_uni.edu"] == "Five Folder"
    assert "2005" not in {r.submission_id for r in outcome.results}  # not also `missing`
    assert outcome.not_on_roster == []


def test_a_gradescope_submissions_extra_notebook_is_its_submitters(tmp_path: Path):
    config = course_files(tmp_path, GRADESCOPE_ROSTER, deadline=True)
    export = tmp_path / "export"
    notebook(export / "submission_504" / "lab05.ipynb")
    (export / "submission_504" / "scratch.ipynb").write_text('{"other": 1}')
    (export / "submission_metadata.yml").write_text(METADATA)
    found = discover([export], tmp_path / "unpacked", assignment="lab05")
    assert [f.submission_id for f in found.submissions] == ["submission_504", "submission_504-2"]
    outcome = apply(config, found.submissions, [export])
    rows = {r.submission_id: r for r in outcome.results}
    assert enrolled_rows(outcome)["submission_504-2"] == "Two Books"
    assert "submission_504-2" not in outcome.not_on_roster
    late = rows["submission_504-2"].final.late  # type: ignore[union-attr]
    assert late is not None and late.source == "Gradescope metadata" and late.days_late == 2


def test_an_override_past_the_maximum_or_below_zero_is_kept_and_said(tmp_path: Path):
    config = course_files(tmp_path, "id,name\nlee,Lee L\nkim,Kim K\nann,Ann A\n")
    (tmp_path / "overrides.csv").write_text(
        "id,check,points,reason,who\n"
        "lee,total,+3,extra credit: the bonus question,Prof. Ruiz\n"
        "kim,total,-12,typo for -1.2,TA Kim\n"
        "ann,total,-1,late by hand,TA Kim\n")
    course = load_course(load_config(config), config, overrides=tmp_path / "overrides.csv")
    found = [Found(sid, tmp_path / f"{sid}.ipynb") for sid in ("lee", "kim", "ann")]
    outcome = apply_course(course, [graded(f.submission_id) for f in found], Discovery(found), [])
    finals = {r.submission_id: r.final.final for r in outcome.results}  # type: ignore[union-attr]
    assert finals == {"lee": 7.0, "kim": -8.0, "ann": 3.0}  # as decided: never clamped
    said = [line for line in outcome.problems if " after overrides " in line]
    assert len(said) == 2
    assert said[0].startswith("lee: final 7 is above the maximum 4 after overrides")
    assert said[1].startswith("kim: final -8 is below 0 after overrides")


def test_one_decision_entered_twice_for_a_row_is_applied_and_said(tmp_path: Path):
    """An instructor's review: the same +5 entered twice for one row (a copied line, or under
    the row's id and the student's SID) applied twice, and nothing said so. It is still
    applied as written (two decisions may be alike), and the summary names both lines."""
    config = course_files(tmp_path, "id,name\nlee,Lee L\nkim,Kim K\n")
    (tmp_path / "overrides.csv").write_text(
        "id,check,points,reason,who\n"
        "lee,total,+1,participation,TA Kim\n"
        "lee,total,+1,participation,TA Lee\n"
        "kim,total,+1,participation,TA Kim\n"
        "kim,total,+1,second bonus,TA Kim\n")
    course = load_course(load_config(config), config, overrides=tmp_path / "overrides.csv")
    found = [Found(sid, tmp_path / f"{sid}.ipynb") for sid in ("lee", "kim")]
    outcome = apply_course(course, [graded(f.submission_id) for f in found], Discovery(found), [])
    said = [line for line in outcome.problems if "the same override as" in line]
    assert len(said) == 1 and ":3: lee: the same override as line 2" in said[0], said
    finals = {r.submission_id: r.final.final for r in outcome.results}  # type: ignore[union-attr]
    assert finals == {"lee": 6.0, "kim": 6.0}


def test_a_times_file_calling_a_canvas_late_upload_on_time_is_said(tmp_path: Path):
    """An instructor's review: a submission-times row from the first download (on time) made a
    later resubmission Canvas marked `_LATE_` on time, silently. The file still wins (it is the
    instructor's), and the summary says the two disagree."""
    raw = {"tests": {CHECK: {"points": 4}}, "roster": "roster.csv",
           "deadline": {"due": "2025-03-14T23:59:00+00:00", "penalty": {"per_day_percent": 10},
                        "submission_times": "times.csv"}}
    (tmp_path / "roster.csv").write_text("id,name\nlee,Lee L\nkim,Kim K\n", encoding="utf-8")
    (tmp_path / "times.csv").write_text("id,submitted_at\nlee,2025-03-14T23:00:00+00:00\n"
                                        "kim,2025-03-14T23:00:00+00:00\n", encoding="utf-8")
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump(raw))
    found = [Found("lee", tmp_path / "lee_LATE_1001_5001_lab05.ipynb",
                   shown="dl/lee_LATE_1001_5001_lab05.ipynb", late=True),  # (as discovered)
             Found("kim", tmp_path / "kim_1002_5002_lab05.ipynb",
                   shown="dl/kim_1002_5002_lab05.ipynb")]
    outcome = apply(config, found)
    said = [line for line in outcome.problems if "Canvas marked its file late" in line]
    assert len(said) == 1 and said[0].startswith("lee: on time by the submission-times file"), \
        outcome.problems
    assert {r.submission_id: r.final.late.days_late  # type: ignore[union-attr]
            for r in outcome.results} == {"lee": 0, "kim": 0}
