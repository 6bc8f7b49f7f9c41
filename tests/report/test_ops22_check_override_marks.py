"""A check whose points a person changed shows the points they gave, who and why (ops22
grading night: q_logits overridden 2 → 0 still showed "✓ 2/2" and "Every check passed" on the
student's page and in `show`, and its gradebook column stayed 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.cli import main
from autograder.report.feedback import render_feedback
from autograder.report.gradescope import results_path, write_results
from autograder.report.terminal import render
from autograder.report.visibility import INSTRUCTOR
from autograder.score.final import TOTAL, AppliedOverride, Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest

Q = "q_logits: why raw logits go to cross-entropy"
F = "f: does it"
WHY = "answer copied from the lecture slides"


def changed_row() -> SubmissionResult:
    row = SubmissionResult("dana", Status.GRADED, "", [
        Check(F, 4.0, 4.0, True, "", "visible"),
        Check(Q, 2.0, 2.0, True, "", "visible")], 6.0)
    row.final = finalise(6.0, Standing(overrides=[AppliedOverride(Q, 2.0, 0.0, WHY,
                                                                  "Prof. Ruiz")]))
    return row


def test_the_page_marks_the_changed_check_with_the_points_given_who_and_why():
    page = render_feedback(changed_row(), "lab")
    item = page.split('<li class="test changed">', 1)[1].split("</li>", 1)[0]
    assert "✎" in item and "0 / 2" in item and "2 / 2" in item  # given, and what the check gave
    assert "Prof. Ruiz" in item and WHY in item
    assert "Every check passed" not in page
    assert "1 of 2 checks passed · 1 changed by hand" in page
    assert "<strong>4</strong> / 6 points" in page  # the checks as shown add up


def test_show_marks_it_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump({"tests": {F: {"points": 4}, Q: {"points": 2}}}))
    out = tmp_path / "grades"
    row = changed_row()
    write_results(row, results_path(out, row.submission_id))
    assert main(["show", "dana", "--out", str(out), "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert "Score 4 / 6 (67%), 1 of 2 checks passed, 1 changed by hand (✎)" in text
    line = next(line for line in text.splitlines() if line.startswith("    ")
                and "why raw logits" in line)
    assert line.lstrip().startswith("✎") and line.rstrip().endswith("0 / 2")
    assert "set to 0 by Prof. Ruiz" in text and "✓ q_logits" not in text


def test_a_failed_check_raised_by_hand_is_not_left_to_fix_and_says_it_failed():
    row = SubmissionResult("lee", Status.GRADED, "", [Check(F, 0.0, 4.0, False, "wrong values",
                                                            "visible", mistake="wrong")], 4.0)
    row.final = finalise(0.0, Standing(overrides=[
        AppliedOverride(F, 0.0, 4.0, "gradcheck flaky on their laptop", "TA Kim")]))
    text = render(row, audience=INSTRUCTOR)
    assert "Score 4 / 4 (100%), 0 of 1 checks passed, 1 changed by hand (✎)" in text
    assert "(the check failed: 0 / 4)" in " ".join(text.split())
    assert "To fix" not in render_feedback(row, "lab")


def test_check_scores_give_the_overridden_points_and_leave_the_verdicts_alone():
    row = changed_row()
    row.final = finalise(6.0, Standing(overrides=[
        AppliedOverride(Q, 2.0, 0.0, WHY, "Prof. Ruiz"),
        AppliedOverride(TOTAL, 4.0, 5.0, "bonus", "Prof. Ruiz")]))
    assert row.check_scores() == {F: 4.0, Q: 0.0}  # a total override changes no check
    assert [t.score for t in row.tests] == [4.0, 2.0]


def test_a_check_override_shows_in_its_gradebook_column(tmp_path: Path) -> None:
    import csv

    from autograder.report.gradebook import write_gradebook

    write_gradebook([changed_row()], [F, Q], tmp_path / "g.csv")
    with (tmp_path / "g.csv").open(encoding="utf-8-sig") as handle:
        cells = next(csv.DictReader(handle))
    assert (cells[Q], cells[F], cells["total"], cells["final"]) == ("0", "4", "6", "4")
