"""Fast unit tests of the visibility rule (Gradescope's, report/visibility.py) and of the
neutral state of a check not assessed separately, in every rendering."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest

from autograder.check.plugin import verdict_for
from autograder.check.registry import CheckSpec, attributed_to, take_attribution
from autograder.config import GradingConfig
from autograder.report.feedback import render_feedback
from autograder.report.gradebook import write_gradebook
from autograder.report.terminal import render
from autograder.report.visibility import (
    INSTRUCTOR,
    STUDENT,
    Audience,
    for_audience,
    reveal_time,
    set_published,
    student_audience,
)
from autograder.score.results import NOT_ASSESSED, Status, SubmissionResult
from autograder.score.results import TestResult as Row

DUE = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(("visibility", "audience", "shown"), [
    ("visible", STUDENT, True),
    ("hidden", STUDENT, False),
    ("hidden", Audience(published=True), False),
    ("hidden", INSTRUCTOR, True),
    ("after_due_date", STUDENT, False),  # no deadline known: waits for publishing
    ("after_due_date", Audience(published=True), True),
    ("after_due_date", Audience(now=DUE - timedelta(minutes=1), reveal_after=DUE), False),
    ("after_due_date", Audience(now=DUE, reveal_after=DUE), True),
    # publishing before the (late) due date releases after_published checks only: students
    # who can still hand in never see the concept checks (ops review 22)
    ("after_due_date", Audience(now=DUE - timedelta(days=1), reveal_after=DUE, published=True),
     False),
    ("after_published", Audience(now=DUE - timedelta(days=1), reveal_after=DUE, published=True),
     True),
    ("after_published", Audience(now=DUE + timedelta(days=9), reveal_after=DUE), False),
    ("after_published", Audience(published=True), True),
    ("after_published", INSTRUCTOR, True),
])
def test_visibility_rule(visibility, audience, shown):
    assert audience.shows(visibility) is shown


def _config(deadline: dict | None = None) -> GradingConfig:
    return GradingConfig.model_validate({
        "tests": {"f: a": {"points": 1}}, **({"deadline": deadline} if deadline else {})})


def test_reveal_time_is_the_late_due_date_else_due_plus_grace(tmp_path):
    assert reveal_time(_config()) is None
    grace = _config({"due": "2025-03-14T23:59:00+00:00", "grace_minutes": 15})
    assert reveal_time(grace) == DUE + timedelta(minutes=15)
    late = _config({"due": "2025-03-14T23:59:00+00:00",
                    "penalty": {"per_day_percent": 10, "zero_after": "2025-03-21T23:59:00+00:00"}})
    assert reveal_time(late) == DUE + timedelta(days=7)
    before = student_audience(grace, tmp_path, now=DUE)
    after = student_audience(grace, tmp_path, now=DUE + timedelta(minutes=16))
    assert not before.shows("after_due_date") and after.shows("after_due_date")
    assert not after.shows("after_published")
    set_published(tmp_path)
    assert student_audience(_config(), tmp_path).shows("after_published")
    set_published(tmp_path, False)
    assert not student_audience(_config(), tmp_path).shows("after_published")


RAW = "cross_entropy: takes raw logits"
VALUES = "cross_entropy: matches F.cross_entropy"
QUESTION = "q_logits: why raw logits"
SECRET = "f: hidden check"


def _result() -> SubmissionResult:
    values = verdict_for(CheckSpec(VALUES, "fb"), None, assessed_by=RAW)
    return SubmissionResult("s1", Status.GRADED, "", [
        Row(RAW, 0.0, 2.0, False, "you applied softmax twice", "visible", "double-softmax"),
        Row(VALUES, 3.0, 3.0, values.passed, values.message, "visible",
            assessed_by=values.assessed_by),
        Row(QUESTION, 2.0, 2.0, True, "", "after_due_date"),
        Row(SECRET, 0.0, 1.0, False, "the secret message", "hidden", "wrong"),
    ], max_score=8.0)


def test_attribution_is_taken_once_and_makes_a_neutral_verdict():
    attributed_to(RAW)
    assert take_attribution() == RAW and take_attribution() == ""
    verdict = verdict_for(CheckSpec(VALUES, "fb"), None, assessed_by=RAW)
    assert verdict.passed and verdict.assessed_by == RAW and RAW in verdict.message
    failed = verdict_for(CheckSpec(VALUES, "fb"), AssertionError(), assessed_by=RAW)
    assert not failed.passed and failed.assessed_by == ""  # a failure is its own verdict


def test_results_json_keeps_gradescope_status_and_carries_the_state():
    data = _result().to_gradescope()
    row = next(t for t in data["tests"] if t["name"] == VALUES)
    assert row["status"] == "passed" and row["score"] == 3.0
    assert row["output"].startswith("Not assessed separately: see “" + RAW)
    assert row["extra_data"] == {"assessed_by": RAW, "state": NOT_ASSESSED}
    back = SubmissionResult.from_gradescope(json.loads(json.dumps(data)))
    assert next(t for t in back.tests if t.name == VALUES).waived


def test_a_hidden_check_with_points_holds_back_gradescopes_total():
    """Gradescope shows the total unless a test waits for a date or for publishing; a
    `hidden` test is assumed to carry no points (red team 64): its points would move the
    total students see. The whole result then waits for publishing; each test keeps its own
    visibility."""
    data = _result().to_gradescope()
    assert data["visibility"] == "after_published"
    assert {t["name"]: t["visibility"] for t in data["tests"]}[RAW] == "visible"
    pointless = SubmissionResult("s2", Status.GRADED, "", [
        Row(RAW, 0.0, 2.0, False, "", "visible"), Row(SECRET, 0.0, 0.0, True, "", "hidden")],
        max_score=2.0)
    assert "visibility" not in pointless.to_gradescope()


def test_student_view_withholds_checks_and_their_points():
    view, withheld = for_audience(_result(), STUDENT)
    assert [t.name for t in view.tests] == [RAW, VALUES]
    assert view.max_score == 5.0 and view.score == 3.0 and withheld.count == 2
    assert "when your instructor publishes" in withheld.describe()
    assert "not shown to students" in withheld.describe()
    assert for_audience(_result(), INSTRUCTOR)[0].tests == _result().tests


def test_page_and_terminal_show_the_neutral_state_never_a_pass():
    page = render_feedback(_result(), "lab", INSTRUCTOR)
    rows = [r[:r.index("</li>")] for r in page.split('<li class="test')[1:]]
    row = next(r for r in rows if "matches F.cross_entropy" in r)
    assert row.startswith(' waived"') and "✓" not in row and "–" in row
    assert "Not assessed separately" in row and "1 not assessed separately" in page
    assert "1 of 4 checks passed" in page  # the concept question; the waived one is not
    text = render(_result(), audience=INSTRUCTOR)
    line = next(line for line in text.splitlines() if "matches F.cross_entropy" in line)
    assert line.lstrip().startswith("– ") and "1 not assessed separately" in text
    student = render(_result())
    assert "hidden check" not in student and "the secret message" not in student
    assert "q_logits" not in student and "2 more checks (3 points)" in student


def test_gradebook_names_the_check_not_assessed_separately(tmp_path):
    write_gradebook([_result()], [RAW, VALUES, QUESTION, SECRET], tmp_path / "g.csv")
    with (tmp_path / "g.csv").open(encoding="utf-8-sig") as handle:
        row = next(csv.DictReader(handle))
    assert row[VALUES] == "3"
    assert row["not_assessed_separately"] == f"{VALUES} → see {RAW}"


def test_a_page_with_withheld_checks_never_says_every_check_passed():
    """An instructor's review: before the due date a student whose withheld concept answer was
    wrong (133/135 in truth) read "121 / 121 … Every check passed" above the notice that 7
    checks are withheld. A mark shown is true: the page says what it shows passed."""
    passing = SubmissionResult("s2", Status.GRADED, "", [
        Row(RAW, 2.0, 2.0, True, "", "visible"),
        Row(SECRET, 0.0, 1.0, False, "the secret message", "hidden", "wrong")], max_score=3.0)
    student = render_feedback(passing, "lab", STUDENT)
    assert "Every check passed" not in student and "the withheld checks" in student
    assert "the secret message" not in student
    everyone = SubmissionResult("s3", Status.GRADED, "", [Row(RAW, 2.0, 2.0, True, "", "visible")],
                                max_score=2.0)
    assert "Every check passed" in render_feedback(everyone, "lab", STUDENT)
