"""Overrides with the late rules and with group submissions (ops22 grading night: a -150
integrity override on a late row gave -19, then a "late penalty" of -1.9 raised it to -17.1
and the summary printed "--1.9 points"; after the cutoff a -65 was raised to 0 and the
"below 0" problem never appeared; `submission_202,total,100` changed Bob's row of a group
submission while Carl's row of the same hand-in kept its old score)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from autograder.batch.course import CourseOutcome, apply_course, load_course
from autograder.batch.discover import Discovery, Found
from autograder.config import load_config
from autograder.report.batch_record import BatchRecord, course_lines
from autograder.score.final import TOTAL, AppliedOverride, Late, Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest

CHECK = "f: does it"
ROSTER = """First Name,Last Name,SID,Email,Role
Bob,Baker,1002,bob@uni.edu,Student
Carl,Chen,1003,carl@uni.edu,Student
Dana,Davis,1004,dana@uni.edu,Student
Gina,Garcia,1007,gina@uni.edu,Student
Zoe,Nunez,1008,zoe@uni.edu,Student
"""
METADATA = """submission_202:
  :submitters:
  - :name: Bob Baker
    :sid: '1002'
    :email: bob@uni.edu
  - :name: Carl Chen
    :sid: '1003'
    :email: carl@uni.edu
  :created_at: 2025-03-14 20:00:00.000000000 -05:00
"""
TIMES = "id,submitted_at\n1007,2025-03-25T12:00:00-05:00\n1008,2025-03-15T12:00:00-05:00\n"


def config_file(tmp_path: Path, overrides: str) -> Path:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "overrides.csv").write_text("id,check,points,reason,who\n" + overrides)
    (tmp_path / "times.csv").write_text(TIMES)
    raw = {"tests": {CHECK: {"points": 135}}, "roster": "roster.csv",
           "overrides": "overrides.csv",
           "deadline": {"due": "2025-03-14T23:59:00-05:00", "timezone": "America/Chicago",
                        "penalty": {"per_day_percent": 10, "max_percent": 50,
                                    "zero_after": "2025-03-21T23:59:00-05:00"},
                        "submission_times": "times.csv"}}
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def graded(sid: str, score: float) -> SubmissionResult:
    return SubmissionResult(sid, Status.GRADED, "", [Check(CHECK, score, 135.0, score == 135,
                                                           "", "visible")], 135.0)


def run(tmp_path: Path, overrides: str, rows: dict[str, float],
        found: list[Found] | None = None, inputs: list[Path] | None = None,
        earlier: dict[str, str] | None = None) -> CourseOutcome:
    """`earlier`: {row: its student's SID} for rows an earlier run matched to the roster."""
    config = config_file(tmp_path, overrides)
    course = load_course(load_config(config), config)
    if found is None:
        found = [Found(sid, tmp_path / f"{sid}.ipynb") for sid in rows]
    results = [graded(sid, score) for sid, score in rows.items()]
    for result in results:
        if earlier and result.submission_id in earlier:
            result.final = replace(finalise(result.score, Standing()), roster="enrolled",
                                   roster_id=earlier[result.submission_id])
    return apply_course(course, results, Discovery(found), inputs or [])


def finals(outcome: CourseOutcome) -> dict[str, float]:
    return {r.submission_id: r.final.final for r in outcome.results  # type: ignore[union-attr]
            if r.status is not Status.MISSING}


def test_a_late_penalty_never_raises_a_score_an_override_took_below_zero():
    late = Late(days_late=1, percent=10.0)
    final = finalise(131.0, Standing(overrides=[AppliedOverride(TOTAL, 131.0, -19.0, "integrity",
                                                                "Prof. Ruiz")], late=late))
    assert (final.adjusted, final.penalty, final.final) == (-19.0, 0.0, -19.0)
    cutoff = Late(days_late=9, percent=100.0, note="after the cutoff: no credit")
    final = finalise(135.0, Standing(overrides=[AppliedOverride(TOTAL, 135.0, -65.0, "integrity",
                                                                "Prof. Ruiz")], late=cutoff))
    assert (final.penalty, final.final) == (0.0, -65.0)  # not raised to 0 by "no credit"
    assert finalise(135.0, Standing(late=cutoff)).final == 0.0  # what the cutoff is for


def test_negative_overrides_with_lateness_are_kept_said_and_summarised_sign_correctly(
        tmp_path: Path):
    outcome = run(tmp_path, "1008,total,-150,academic integrity,Prof. Ruiz\n"
                            "1007,total,-200,cheating (after the cutoff),Prof. Ruiz\n",
                  {"submission_207": 131.0, "submission_206": 135.0, "submission_204": 131.0},
                  found=[Found("submission_207", tmp_path / "a.ipynb", raw="zoe@uni.edu"),
                         Found("submission_206", tmp_path / "b.ipynb", raw="gina@uni.edu"),
                         Found("submission_204", tmp_path / "c.ipynb", raw="dana@uni.edu")])
    assert finals(outcome) == {"submission_207": -19.0, "submission_206": -65.0,
                               "submission_204": 131.0}
    below = [p for p in outcome.problems if "below 0 after overrides" in p]
    assert sorted(p.split(":", 1)[0] for p in below) == ["submission_206", "submission_207"]
    record = BatchRecord("now", "test", "config.yaml", "0" * 64)
    record.add_results(outcome.results)
    lines = course_lines(record)
    late = [line for line in lines if line.startswith("  late:")]
    assert late == [
        "  late: submission_206: 11 day(s), nothing taken: the score after overrides, -65, is "
        "below 0 (after the cutoff 2025-03-21T23:59:00-05:00: no credit)",
        "  late: submission_207: 1 day(s), nothing taken: the score after overrides, -19, is "
        "below 0"]
    assert not any("--" in line for line in lines)


def test_an_override_on_a_group_submission_reaches_every_member(tmp_path: Path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "submission_metadata.yml").write_text(METADATA)
    nb = tmp_path / "lab05.ipynb"
    found = [Found("submission_202", nb), Found("submission_202.1003", nb, group="submission_202")]
    outcome = run(tmp_path, "submission_202,total,100,regrade request on the group,TA Kim\n",
                  {"submission_202": 133.0, "submission_202.1003": 133.0}, found, [export])
    assert finals(outcome) == {"submission_202": 100.0, "submission_202.1003": 100.0}
    record = BatchRecord("now", "test", "config.yaml", "0" * 64)
    record.add_results(outcome.results)
    said = [line for line in course_lines(record) if line.startswith("  override:")]
    assert said == [f"  override: {sid}: total 133 → 100 (regrade request on the group, TA Kim; "
                    "submission_202 is a group submission: applied to each member's row, "
                    "submission_202, submission_202.1003)"
                    for sid in ("submission_202", "submission_202.1003")]


def test_a_member_id_reaches_the_group_and_a_roster_id_only_that_student(tmp_path: Path):
    nb = tmp_path / "lab05.ipynb"
    # an earlier run's rows (not given again): the member row is known by its name alone
    outcome = run(tmp_path, "submission_202.1003,total,+1,regrade on the group,TA Kim\n"
                            "1002,total,-10,integrity: Bob alone,Prof. Ruiz\n",
                  {"submission_202": 133.0, "submission_202.1003": 133.0}, [Found("x", nb)],
                  earlier={"submission_202": "1002", "submission_202.1003": "1003"})
    assert finals(outcome)["submission_202"] == 124.0  # +1 for the group, -10 Bob's own
    assert finals(outcome)["submission_202.1003"] == 134.0


def test_a_roster_id_override_leaves_the_students_further_notebooks_alone(tmp_path: Path):
    nb = tmp_path / "lab05.ipynb"
    found = [Found("submission_203", nb, raw="dana@uni.edu"),
             Found("submission_203-2", tmp_path / "scratch.ipynb", main="submission_203")]
    outcome = run(tmp_path, "dana@uni.edu,total,+1,regrade request: typo,TA Lee\n",
                  {"submission_203": 131.0, "submission_203-2": 0.0}, found)
    assert finals(outcome) == {"submission_203": 132.0, "submission_203-2": 0.0}


def test_a_time_given_for_a_group_submission_reaches_every_member(tmp_path: Path):
    """Red team 33: `submission_202,<time>` in submission_times made the row
    `submission_202` 3 days late while the member's row `submission_202.1003` of the same
    hand-in kept the export's (on-time) time."""
    export = tmp_path / "export"
    export.mkdir()
    (export / "submission_metadata.yml").write_text(METADATA)
    nb = tmp_path / "lab05.ipynb"
    found = [Found("submission_202", nb), Found("submission_202.1003", nb, group="submission_202")]
    config = config_file(tmp_path, "")
    (tmp_path / "times.csv").write_text("id,submitted_at\n"
                                        "submission_202,2025-03-17T10:00:00-05:00\n")
    course = load_course(load_config(config), config)
    results = [graded(sid, 133.0) for sid in ("submission_202", "submission_202.1003")]
    outcome = apply_course(course, results, Discovery(found), [export])
    late = {r.submission_id: r.final.late.days_late  # type: ignore[union-attr]
            for r in outcome.results if r.status is not Status.MISSING}
    assert late == {"submission_202": 3, "submission_202.1003": 3}


def test_an_override_that_sets_a_check_below_its_grade_is_named(tmp_path: Path):
    """A semester review: half credit on a failing check (0 → 60 here), then a fixed check
    gave the row full marks, and the stale override took points back in silence. It is
    applied as written, and named; a change (`-10`) or a raise is not."""
    outcome = run(tmp_path, f"1002,{CHECK},60,half credit,TA\n1003,{CHECK},-10,integrity,TA\n"
                            f"1004,{CHECK},100,regrade,TA\n",
                  {"s1": 135.0, "s2": 135.0, "s3": 50.0},
                  found=[Found("s1", tmp_path / "a.ipynb", raw="bob@uni.edu"),
                         Found("s2", tmp_path / "b.ipynb", raw="carl@uni.edu"),
                         Found("s3", tmp_path / "c.ipynb", raw="dana@uni.edu")])
    named = [p for p in outcome.problems if "below the" in p]
    assert named == [f"override: s1: {CHECK} set to 60, below the 135 its check gives now "
                     "(written for an earlier grade?): applied as written"], outcome.problems
    assert finals(outcome)["s1"] == 60 and finals(outcome)["s2"] == 125
