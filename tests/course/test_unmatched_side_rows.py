"""Extension and submission-time rows whose id matches nobody are reported like unmatched
overrides (s14: a typo'd `S101` charged s101 a late penalty with nothing said anywhere)."""

from __future__ import annotations

from pathlib import Path

import yaml

from autograder.batch.course import apply_course, load_course
from autograder.batch.discover import Discovery, Found
from autograder.config import load_config
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest

CHECK = "f: does it"


def course_files(tmp_path: Path, roster: str | None = None) -> Path:
    deadline = {"due": "2025-03-08T23:59:00+00:00", "extensions": "extensions.csv",
                "submission_times": "times.csv", "penalty": {"per_day_percent": 10}}
    raw: dict[str, object] = {"tests": {CHECK: {"points": 4}}, "deadline": deadline}
    if roster is not None:
        (tmp_path / "roster.csv").write_text(roster)
        raw["roster"] = "roster.csv"
    (tmp_path / "extensions.csv").write_text("id,days\nS101,3\ns999,2\n")
    (tmp_path / "times.csv").write_text("id,submitted_at\n"
                                        "s101,2025-03-10T12:00:00+00:00\n"
                                        "s1O2,2025-03-12T12:00:00+00:00\n")
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump(raw))
    return config


def graded(sid: str) -> SubmissionResult:
    return SubmissionResult(sid, Status.GRADED, "", [Check(CHECK, 4.0, 4.0, True, "",
                                                           "visible")], 4.0)


def apply(tmp_path: Path, config: Path) -> tuple[list[str], dict[str, SubmissionResult]]:
    course = load_course(load_config(config), config)
    results = [graded("s101"), graded("s102")]
    discovery = Discovery([Found(r.submission_id, tmp_path / f"{r.submission_id}.ipynb")
                           for r in results])
    outcome = apply_course(course, results, discovery, [])
    return outcome.problems, {r.submission_id: r for r in outcome.results}


def test_rows_matching_nobody_are_problems_naming_file_line_and_id(tmp_path: Path):
    problems, rows = apply(tmp_path, course_files(tmp_path))
    ext, times = tmp_path / "extensions.csv", tmp_path / "times.csv"
    assert problems == [
        f"{ext}:2: S101: matches no submission or student; extension not applied",
        f"{ext}:3: s999: matches no submission or student; extension not applied",
        f"{times}:3: s1O2: matches no submission or student; time not used",
    ]
    # what happened is still what the files say: s101 late (no extension), s102 on time
    assert rows["s101"].final is not None and rows["s101"].final.late is not None
    assert rows["s101"].final.late.days_late == 2
    assert rows["s102"].final is not None and rows["s102"].final.penalty == 0


def test_a_row_naming_a_roster_student_by_another_id_matches(tmp_path: Path):
    roster = "id,name\ns101,Ann\ns102,Bo\n"
    problems, rows = apply(tmp_path, course_files(tmp_path, roster))
    assert [p.split(": ", 2)[1] for p in problems] == ["s999", "s1O2"]
    assert rows["s101"].final is not None and rows["s101"].final.penalty == 0  # S101 = s101


def test_two_rows_for_one_student_are_named_and_the_latest_due_date_applies(tmp_path: Path):
    """A semester review: a section's blanket `1003,1` above the accommodation `S1003,2` for
    the same student; the first row found won, in silence, and the student lost a day."""
    roster = "Student,ID,SIS User ID\nAnn,101,s101\nBo,102,s102\n"
    config = course_files(tmp_path, roster)
    ext = tmp_path / "extensions.csv"
    ext.write_text("id,days\n101,1\ns101,3\n")
    (tmp_path / "times.csv").write_text("id,submitted_at\ns101,2025-03-10T12:00:00+00:00\n")
    problems, rows = apply(tmp_path, config)
    named = [p for p in problems if "is named by" in p]
    assert named == [f"{ext}: s101 is named by 2 rows (line 2: 101, line 3: s101); the latest "
                     "due date they give is applied"], problems
    late = rows["s101"].final.late if rows["s101"].final is not None else None
    assert late is not None and late.days_late == 0 and late.due.startswith("2025-03-11")
