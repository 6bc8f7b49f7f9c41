"""The terminal view and `python -m autograder show ID --out DIR`."""

from __future__ import annotations

import dataclasses

import pytest
from report_samples import (
    INVALID_REASON,
    RAISED,
    SECRET_DETAIL,
    TIMEOUT_REASON,
    WRONG_SUM,
    by_id,
    sample_results,
)

from autograder.cli import main
from autograder.report.gradescope import results_path, write_results
from autograder.report.terminal import WIDTH, render
from autograder.report.visibility import INSTRUCTOR
from autograder.score.final import Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Row  # not a test class for pytest


@pytest.fixture(scope="module")
def results():
    return sample_results()


def test_render_lists_checks_by_part_and_function(results):
    text = render(by_id(results, "bob"), audience=INSTRUCTOR)  # `show --all`
    lines = text.splitlines()
    assert lines[0] == "Submission bob: graded"
    assert lines[1] == "Score 5 / 8 (62%), 2 of 4 checks passed"
    # the part row (no `parts` in this config: the function), then the function, failures first
    assert lines[3].startswith("mse_loss") and lines[3].endswith("2 / 5")
    assert lines[4].startswith("  ✗ mse_loss") and lines[4].endswith("2 / 5")
    matches = next(line for line in lines if "matches F.mse_loss" in line)
    assert matches.startswith("    ✗ ") and matches.endswith("0 / 2") and len(matches) == WIDTH
    backward = next(line for line in lines if "backward gives" in line)
    assert backward.startswith("    ✓ ") and backward.endswith("2 / 2")
    assert lines.index(matches) < lines.index(backward)
    assert "        " + WRONG_SUM in lines
    assert "        mistake: wrong" in lines
    assert "implemented without F.mse_loss [hidden]" in text
    assert SECRET_DETAIL not in text and "mistake: forbidden" not in text
    assert lines[-2:] == ["Notes:", "  - Cell 3 printed 5000 lines; the output was cut."]


def test_render_failed_only(results):
    text = render(by_id(results, "bob"), failed_only=True)
    assert "✓" not in text and "backward gives" not in text and "(+ 1 passed)" in text
    assert "evaluate" not in text  # a part with nothing failed is left out


def test_render_status_reason_and_detail(results):
    dave = render(by_id(results, "dave"))
    assert "Submission dave: timed out" in dave and f"Reason: {TIMEOUT_REASON}" in dave
    carol = render(by_id(results, "carol"))
    assert RAISED in carol and 'File "<cell 7>", line 3, in evaluate' in carol
    erin = render(by_id(results, "erin"))
    assert erin.count(INVALID_REASON) == 1 and "could not be graded" in erin


def test_render_wraps_to_100_columns_and_neutralises_control_characters():
    long_name = "loss: " + "a rather long description of what this check looks at " * 3
    message = "\x1b[2J\x1b[31mred\x07 " + "word " * 60
    result = SubmissionResult("zed", Status.GRADED, "", [
        Row(long_name, 0.0, 1.5, False, message, "visible", "wrong"),
    ], max_score=1.5, notes=["note " * 40])
    text = render(result)
    assert all(len(line) <= WIDTH for line in text.splitlines())
    assert "\x1b" not in text and "\x07" not in text and "�[31mred�" in text
    assert text.splitlines()[3].endswith("0 / 1.5")
    assert sum(line.startswith("        word") for line in text.splitlines()) >= 2


@pytest.fixture
def out(results, tmp_path):
    for result in results:  # (as a finished run writes them: each with its final score)
        row = dataclasses.replace(result, final=finalise(result.score, Standing()))
        write_results(row, results_path(tmp_path, row.submission_id))
    return tmp_path


def test_show_prints_one_submission(out, capsys):
    assert main(["show", "carol", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Submission carol: graded\nScore 0 / 7 (0%)")  # its 1: hidden
    assert "implemented without F.mse_loss" not in captured.out  # hidden from students
    assert main(["show", "carol", "--out", str(out), "--all"]) == 0
    assert "implemented without F.mse_loss [hidden]" in capsys.readouterr().out
    assert "✗ matches F.mse_loss for every reduction" in captured.out
    assert "<script>alert('pwned')</script>" in captured.out  # plain text: shown as written
    assert captured.err == ""


def test_show_failed_leaves_out_what_passed(out, capsys):
    assert main(["show", "bob", "--out", str(out), "--failed"]) == 0
    printed = capsys.readouterr().out
    assert "✗ matches F.mse_loss" in printed and "backward gives" not in printed


def test_show_unknown_id_lists_some_available(out, capsys):
    assert main(["show", "bobby", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no submission 'bobby'" in captured.err and "available: bob" in captured.err
    assert main(["show", "../carol", "--out", str(out)]) == 2
    assert "available:" in capsys.readouterr().err


def test_show_without_results(tmp_path, capsys):
    assert main(["show", "bob", "--out", str(tmp_path / "missing")]) == 2
    assert "is not an output folder" in capsys.readouterr().err
    assert main(["show", "bob", "--out", str(tmp_path)]) == 2
    assert "holds no results" in capsys.readouterr().err


def test_show_unreadable_results(tmp_path, capsys):
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "results.json").write_text("{not json", encoding="utf-8")
    assert main(["show", "bob", "--out", str(tmp_path)]) == 2
    assert "could not be read" in capsys.readouterr().err
