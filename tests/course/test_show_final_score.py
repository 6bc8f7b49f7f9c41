"""`show` prints what the student's page shows, the final score included (s5: `show` said
126 / 126 while the page said "Your final score: 113.4 / 126 ... Late by 1 day: −12.6")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.cli import main
from autograder.report.gradescope import results_path, write_results
from autograder.score.final import TOTAL, AppliedOverride, Late, Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest

CHECK = "f: does it"


def show(tmp_path: Path, standing: Standing, capsys: pytest.CaptureFixture[str]) -> list[str]:
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump({"tests": {CHECK: {"points": 126}}}))
    row = SubmissionResult("obriensean_1003", Status.GRADED, "",
                           [Check(CHECK, 126.0, 126.0, True, "", "visible")], 126.0)
    row.final = finalise(126.0, standing)
    out = tmp_path / "grades"
    write_results(row, results_path(out, row.submission_id))
    assert main(["show", row.submission_id, "--out", str(out), "--config", str(config)]) == 0
    return capsys.readouterr().out.splitlines()


def test_show_prints_the_final_score_and_the_late_penalty(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]):
    late = Late(submitted_at="2025-03-15T10:00:00-05:00", source="Gradescope metadata",
                due="2025-03-14T23:59:00-05:00", days_late=1, percent=10.0)
    lines = show(tmp_path, Standing(late=late), capsys)
    assert lines[1] == "Score 126 / 126 (100%), 1 of 1 checks passed"
    assert lines[2] == "Final score 113.4 / 126 (90%); the checks gave 126:"
    assert lines[3] == ("  Late by 1 day (handed in 2025-03-15T10:00:00-05:00, due "
                        "2025-03-14T23:59:00-05:00): −12.6 (10%)")


def test_show_prints_each_override_with_its_reason_and_author(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]):
    raise_it = AppliedOverride(TOTAL, 126.0, 127.0, "regrade request", "Prof Ruiz", "2025-03-16")
    lines = show(tmp_path, Standing(overrides=[raise_it]), capsys)
    assert lines[2] == "Final score 127 / 126 (101%); the checks gave 126:"
    assert lines[3] == "  Total: 126 → 127, by Prof Ruiz on 2025-03-16: “regrade request”"


def test_nothing_more_when_nothing_changed_the_checks_sum(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]):
    lines = show(tmp_path, Standing(name="O'Brien, Seán", roster="enrolled"), capsys)
    assert not any(line.startswith("Final score") for line in lines)


def test_an_extension_that_made_it_on_time_is_said(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]):
    """An ops review: an extension showed in no gradebook column, page or `show` line."""
    extended = Late(submitted_at="2025-03-16T10:00:00-05:00", source="Canvas",
                    due="2025-03-18T23:59:00-05:00", days_late=0,
                    note="extension to 2025-03-18T23:59:00-05:00")
    lines = show(tmp_path, Standing(late=extended), capsys)
    assert "On time: extension to 2025-03-18T23:59:00-05:00" in lines
    assert not any(line.startswith("Final score") for line in lines)
