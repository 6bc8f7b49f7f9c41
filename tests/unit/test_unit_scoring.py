"""The verdict mapping alone: an exception a check ends with → a verdict (check/plugin.py),
and verdicts → rows, points and a status (score/scoring.py). No worker, no pytest session."""

from __future__ import annotations

import pytest

from autograder.check.plugin import Verdict, verdict_for
from autograder.check.registry import CheckFailed, CheckSpec
from autograder.config import GradingConfig
from autograder.sandbox import protocol
from autograder.sandbox.session import (
    CallTimeout,
    Incidents,
    MissingFunction,
    OutOfTime,
    StudentError,
    WorkerLost,
    describe_call,
    describe_value,
)
from autograder.score.results import GRADER_ERROR, Status
from autograder.score.scoring import score, unscored

SPEC = CheckSpec("f: returns the sum", "f should add its arguments.")
CONFIG = GradingConfig.model_validate({"tests": {
    "f: returns the sum": {"points": 2},
    "f: raises on bad input": {"points": 1, "visibility": "hidden"},
    "g: is defined": {"points": 3},
}})


def student_error(kind: str, message: str = "boom", own: bool = True) -> StudentError:
    return StudentError("f", {"type": kind, "message": message, "own": own})


@pytest.mark.parametrize(("error", "passed", "mistake", "words"), [
    (None, True, "", ""),
    (CheckFailed("f adds one too many.", "off-by-one"), False, "off-by-one", "one too many"),
    (MissingFunction("f"), False, "missing", "`f` is not defined"),
    (student_error("NotImplementedError"), False, "not-implemented", "not implemented yet"),
    (student_error("KeyError", "x"), False, "raised", "f raised KeyError"),
    # raised inside a library the function called (a meta tensor copied out): not a stub
    (student_error("NotImplementedError", "Cannot copy out of meta tensor", own=False), False,
     "raised", "f raised NotImplementedError: Cannot copy out of meta tensor"),
    (CallTimeout("f ran past its 8 s limit"), False, "timeout", "time limit"),
    (WorkerLost("the worker crashed"), False, "crashed", "could not complete"),
    (protocol.ProtocolError("bad frame"), False, "crashed", "could not complete"),
    (OutOfTime("budget"), False, "timeout", "total time limit"),
    (AssertionError("plain assert"), False, "wrong", "should add its arguments"),
])
def test_each_way_a_check_ends_has_its_verdict(error: BaseException | None, passed: bool,
                                               mistake: str, words: str) -> None:
    verdict = verdict_for(SPEC, error)
    assert verdict.passed is passed
    assert verdict.mistake == mistake
    assert words in verdict.message
    assert verdict.harness_error == ""


def test_a_subclass_of_a_builtin_error_is_that_error_and_forged_kinds_are_dropped() -> None:
    shape = StudentError("f", {"type": "ShapeError", "message": "",
                               "kinds": ["ValueError", "Exception", "BaseException"]})
    assert shape.is_a("ValueError") and shape.is_a("ShapeError") and not shape.is_a("KeyError")
    forged = StudentError("f", {"type": "X", "kinds": ["ValueError()", "os", 3, "TypeError"]})
    assert forged.info["kinds"] == ("TypeError",) and not forged.is_a("ValueError")


def test_a_bug_in_the_check_itself_is_a_harness_error_not_the_students() -> None:
    verdict = verdict_for(SPEC, ZeroDivisionError("division by zero"))
    assert not verdict.passed and verdict.mistake == GRADER_ERROR
    assert "not because of your code" in verdict.message  # never worded as their mistake
    assert "ZeroDivisionError" in verdict.harness_error and SPEC.name in verdict.harness_error


def test_points_follow_verdicts_and_every_configured_check_gets_a_row() -> None:
    verdicts = {"f: returns the sum": Verdict(True, ""),
                "f: raises on bad input": Verdict(False, "f accepted None.", "no-check")}
    result = score("s1", verdicts, CONFIG, Incidents(), ["cell 2: NameError"])
    rows = {t.name: t for t in result.tests}
    assert set(rows) == set(CONFIG.tests)
    assert rows["f: returns the sum"].score == 2 and rows["f: returns the sum"].passed
    assert rows["f: raises on bad input"].score == 0
    assert rows["f: raises on bad input"].visibility == "hidden"
    assert rows["f: raises on bad input"].mistake == "no-check"
    # g never reported a verdict (grading stopped early): a failed row that says so.
    assert rows["g: is defined"].score == 0 and rows["g: is defined"].mistake == "not-run"
    assert "did not run" in rows["g: is defined"].output
    assert result.score == 2 and result.max_score == 6
    assert result.status is Status.GRADED and result.notes == ["cell 2: NameError"]


def test_a_timeout_outranks_a_crash_and_keeps_the_points_earned() -> None:
    incidents = Incidents(timeouts=["cell 3 ran past 30 s", "cell 3 ran past 30 s"],
                          crashes=["the worker crashed"])
    result = score("s1", {"f: returns the sum": Verdict(True, "")}, CONFIG, incidents, [])
    assert result.status is Status.TIMEOUT and result.reason == "cell 3 ran past 30 s"
    assert result.score == 2
    crashed = score("s1", {}, CONFIG, Incidents(crashes=["segfault"]), [])
    assert crashed.status is Status.CRASHED and crashed.reason == "segfault"


def test_an_unscored_submission_still_has_every_row_at_zero() -> None:
    result = unscored("s1", CONFIG, Status.INVALID, "the file is empty")
    assert result.status is Status.INVALID and result.reason == "the file is empty"
    assert [t.score for t in result.tests] == [0, 0, 0]
    assert {t.name for t in result.tests} == set(CONFIG.tests)
    assert all(t.mistake == "invalid" and "Not graded" in t.output for t in result.tests)
    assert result.max_score == 6


def test_a_student_error_says_where_and_not_the_checks_own_advice() -> None:
    """The check's advice is about what it looks at; a function that raised never got there
    (an evaluate that raises is not told to call model.eval())."""
    verdict = verdict_for(SPEC, StudentError("f", {
        "type": "RuntimeError", "message": "Boolean value of Tensor with more than one value is "
        "ambiguous", "where": "cell 2, line 3"}))
    assert "f raised RuntimeError: Boolean value of Tensor with more than one value is " \
        "ambiguous (cell 2, line 3)" in verdict.message
    assert "fix this error first" in verdict.message and SPEC.feedback not in verdict.message


def test_a_student_error_names_the_call_it_raised_on_without_its_values() -> None:
    """The input a function raised on, rebuilt from what the student is told: each tensor's
    dtype and shape, the parameters as they are (a hidden tensor's values never)."""
    import numpy as np
    import torch

    secret = torch.tensor([[0.123456, 9.87654]], dtype=torch.float64)
    called = describe_call("f", (secret, [1, 2, 3], np.zeros((2, 3), dtype=np.int64)),
                           {"reduction": "sum", "dim": -1, "delta": 0.5, "flag": None}, gpu=True)
    assert called == ("f(a float64 tensor of shape (1, 2), a list of 3 items, an int64 NumPy array "
                      "of shape (2, 3), reduction='sum', dim=-1, delta=0.5, flag=None) with its "
                      "tensors on the GPU")
    assert describe_value("x" * 100) == "a str" and describe_value((1,)) == "a tuple of 1 item"
    assert describe_value(torch.zeros(2, dtype=torch.int64)) == "an int64 tensor of shape (2,)"
    error = StudentError("f", {"type": "IndexError", "message": "tuple index out of range",
                               "where": "cell 2, line 3"}, describe_call("f", (secret,), {}))
    verdict = verdict_for(SPEC, error)
    assert ("f raised IndexError: tuple index out of range (cell 2, line 3) when called as "
            "f(a float64 tensor of shape (1, 2)) — fix this error first") in verdict.message
    assert "0.123" not in verdict.message and "9.87" not in verdict.message


def test_a_crash_that_cost_only_a_cell_leaves_the_row_graded_with_a_note() -> None:
    from autograder.grader import crash_spared_the_checks

    segfault = "the cell that starts “# peek” crashed with a segmentation fault; it was skipped"
    verdicts = {name: Verdict(True, "") for name in CONFIG.tests}
    result = crash_spared_the_checks(score("s1", verdicts, CONFIG,
                                           Incidents(crashes=[segfault]), [segfault]))
    assert result.status is Status.GRADED and result.reason == segfault  # the note
    assert result.score == result.max_score == 6
    # a check the crash stopped (its call killed the worker), or one that never ran: crashed
    stopped = {**verdicts, "g: is defined": Verdict(False, "g: grading could not complete "
                                                           "because the worker died.", "crashed")}
    result = crash_spared_the_checks(score("s1", stopped, CONFIG, Incidents(crashes=["x"]), []))
    assert result.status is Status.CRASHED
    partial = {name: v for name, v in verdicts.items() if name != "g: is defined"}
    result = crash_spared_the_checks(score("s1", partial, CONFIG, Incidents(crashes=["x"]), []))
    assert result.status is Status.CRASHED
    # a timeout is still a timeout, and a clean row stays as it was
    result = crash_spared_the_checks(score("s1", verdicts, CONFIG,
                                           Incidents(timeouts=["cell 3 ran past 30 s"],
                                                     crashes=[segfault]), []))
    assert result.status is Status.TIMEOUT
    result = crash_spared_the_checks(score("s1", verdicts, CONFIG, Incidents(), []))
    assert result.status is Status.GRADED and result.reason == ""


def test_the_batch_summary_lists_graded_rows_with_a_note(tmp_path) -> None:
    from autograder.batch.run import Summary

    segfault = "the cell that starts “# peek” crashed with a segmentation fault; it was skipped"
    noted = score("dave", {name: Verdict(True, "") for name in CONFIG.tests}, CONFIG,
                  Incidents(), [])
    noted.reason = segfault
    plain = score("ann", {}, CONFIG, Incidents(), [])
    lines = Summary(tmp_path, [noted, plain]).describe().splitlines()
    assert lines[0].startswith("2 submissions (2 graded)")
    assert f"  graded, with a note: dave: {segfault}" in lines
    assert not any("ann:" in line for line in lines)
