"""The pytest plugin that connects hidden checks to one running submission.

Fixtures expose the sandboxed student, the reference and the tolerances; the
report hook turns each test's outcome into a verdict with a message a student
can act on. Exceptions that come from the student's side (their function
raised, is missing, hung, or killed its worker) become specific feedback;
anything else is the check's declared feedback.
"""

from __future__ import annotations

import dataclasses
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy
import pytest

from autograder.check.context import CheckContext
from autograder.check.fresh import begin_draws
from autograder.check.registry import CheckFailed, CheckSpec, HeldTo, take_attribution
from autograder.check.tamper import take_declared
from autograder.config import Tolerances
from autograder.sandbox import protocol
from autograder.sandbox.quoting import quotable_function
from autograder.sandbox.rng import seed_rngs
from autograder.sandbox.session import (
    CallTimeout,
    MissingFunction,
    OutOfTime,
    StudentError,
    StudentSession,
    WorkerLost,
)
from autograder.score.results import GRADER_ERROR


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    mistake: str = ""
    harness_error: str = ""
    # A pass that is not a pass: the check held the student to their own variant because
    # the mistake is the check named here's to charge (registry.attributed_to).
    assessed_by: str = ""
    # The kinds of worker evidence the verdict rests on ("calls", "scenarios"): a submission
    # that changed what they come from anywhere loses it (grader.void_tampered).
    rests_on: frozenset[str] = frozenset()
    # An attributed pass's failure, should the check it names not charge the mistake
    # (`settle_attributions`): the check's own feedback.
    fallback: str = ""


def seed_check(name: str, fresh: bytes = b"") -> None:
    """The judge's random generators (torch's, Python's, numpy's), seeded from the check's
    name just before the check runs (both runners); `fresh`: the submission's key for the
    check's fresh draws (`fresh_seed`).

    Why: a check that draws its inputs from them (`torch.randn(5)`) otherwise got whatever
    the judge's earlier work left in them — the submissions graded before this one, in this
    judge — so a notebook's inputs, and for a function wrong only on some inputs its grade,
    depended on the batch's order, its number of judges and whether it was resumed. Seeded
    by name, a check draws the same inputs for every submission and every regrade, and its
    calls are the same requests each time (answered from those sent ahead:
    `sandbox.session.CallPlans`). A check that wants values no notebook can know beforehand
    draws them with `fresh_seed`."""
    seed = zlib.crc32(name.encode("utf-8"))
    seed_rngs(seed)
    random.seed(seed)
    numpy.random.seed(seed)
    begin_draws(name, fresh)


def not_assessed_message(other: str) -> str:
    return f"Not assessed separately: see “{other}” (the mistake is charged there, once)."


def verdict_for(spec: CheckSpec, error: BaseException | None, assessed_by: str = "",
                rests_on: frozenset[str] = frozenset()) -> Verdict:
    if isinstance(error, HeldTo):  # (a pass held to another check: `registry.held_to`)
        assessed_by, error = assessed_by or error.other, None
    return dataclasses.replace(_verdict(spec, error, assessed_by), rests_on=rests_on)


def _verdict(spec: CheckSpec, error: BaseException | None, assessed_by: str) -> Verdict:
    function = spec.name.split(":", 1)[0]
    if error is None:
        if assessed_by and assessed_by != spec.name:
            return Verdict(True, not_assessed_message(assessed_by), assessed_by=assessed_by,
                           fallback=spec.feedback)
        return Verdict(True, "")
    if isinstance(error, CheckFailed):
        return Verdict(False, error.message, error.mistake)
    if isinstance(error, MissingFunction):
        name = str(error)
        return Verdict(False, f"`{name}` is not defined: make sure the cell that defines it "
                              "runs without errors and keeps the name from the assignment.",
                       "missing")
    if isinstance(error, StudentError):
        if error.kind == "NotImplementedError" and error.own:
            helper = error.info.get("function", "")
            if helper and helper != error.name and quotable_function(helper):
                # (red team 35: a correct cross_entropy over a stub log_softmax was told it
                # is not implemented itself)
                return Verdict(False, f"{error.name} calls {helper}, which is not implemented "
                                      "yet (it still raises NotImplementedError): this check "
                                      f"counts once {helper} works.", "not-implemented")
            return Verdict(False, f"{error.name} is not implemented yet (it still raises "
                                  "NotImplementedError).", "not-implemented")
        # The error and where it happened, not this check's own advice: the advice is about
        # what the check looks at (model.eval(), no_grad …), which misleads when the function
        # did not get that far.
        on = f" when called as {error.called_with}" if error.called_with else ""
        return Verdict(False, f"{error.name} raised {error.excerpt()}{on} — fix this error "
                              f"first: this check needs {error.name} to run to the end.", "raised")
    if isinstance(error, CallTimeout):
        return Verdict(False, f"{function} did not finish within the time limit: look for a "
                              "loop that never ends.", "timeout")
    if isinstance(error, (WorkerLost, protocol.ProtocolError)):
        return Verdict(False, f"{function}: grading could not complete because {error}.",
                       "crashed")
    if isinstance(error, OutOfTime):
        return Verdict(False, f"{function}: not graded, the notebook used up its total time "
                              "limit.", "timeout")
    if isinstance(error, AssertionError):
        return Verdict(False, spec.feedback, "wrong")
    # The check's own code raised: a bug in the lab's check or reference, not the student's
    # mistake. Not worded as theirs; the row goes to the instructor (grader.py).
    return Verdict(False, "Not graded yet: this check failed inside the autograder itself, "
                          "not because of your code. Your instructor is told, and it is "
                          "graded again once fixed.", GRADER_ERROR,
                   harness_error=f"{spec.name}: {type(error).__name__}: {error}"[:300])


def settle_attributions(verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
    """An attributed pass keeps its points only when the check it names charges the mistake:
    that check failed, or is itself an attributed pass whose named check does. Otherwise
    (it passed, never ran, or the chain goes round) the pass was not earned — a function
    wrong only where the named check never looks would be charged nowhere — and it is this
    check's failure, with its own feedback. A chain's pass points to where it ends, the
    check that charges the mistake (fe14: cross_entropy's double softmax sent a reader to a
    check that itself said "not assessed separately")."""
    def charged_by(name: str, seen: frozenset[str]) -> str:
        verdict = verdicts.get(name)
        if verdict is None or name in seen:
            return ""
        if not verdict.passed:
            return name
        return charged_by(verdict.assessed_by, seen | {name}) if verdict.assessed_by else ""

    settled = dict(verdicts)
    for name, verdict in verdicts.items():
        if not (verdict.passed and verdict.assessed_by):
            continue
        charging = charged_by(verdict.assessed_by, frozenset({name}))
        if not charging:
            settled[name] = dataclasses.replace(verdict, passed=False, message=verdict.fallback,
                                                mistake="wrong", assessed_by="")
        elif charging != verdict.assessed_by:
            settled[name] = dataclasses.replace(verdict, assessed_by=charging,
                                                message=not_assessed_message(charging))
    return settled


class GradingPlugin:
    def __init__(self, context: CheckContext | None = None) -> None:
        self._context = context
        self.verdicts: dict[str, Verdict] = {}

    def use(self, context: CheckContext) -> None:
        """The next run of the checks is for this submission."""
        self._context = context
        self.verdicts = {}

    @property
    def context(self) -> CheckContext:
        if self._context is None:
            raise RuntimeError("no submission to check: call use(context) first")
        return self._context

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "grading(spec): a graded check")

    @pytest.fixture(autouse=True)
    def _seeded(self, request: pytest.FixtureRequest) -> None:
        """Every check starts from its own seeds (`seed_check`), before its other fixtures."""
        marker = request.node.get_closest_marker("grading")
        seed_check(marker.kwargs["spec"].name if marker is not None else request.node.nodeid,
                   self.context.fresh if self._context is not None else b"")

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> Iterator[StudentSession]:
        """The student's session, told which check runs (its calls of the last submission
        are sent ahead in one request: `sandbox.session.CallPlans`)."""
        session = self.context.session
        marker = request.node.get_closest_marker("grading")
        session.begin_check(marker.kwargs["spec"].name if marker is not None else None)
        try:
            yield session
        finally:
            session.end_check(learn=False)  # (learnt from in makereport, when it passed)

    @pytest.fixture
    def ref(self) -> Any:
        return self.context.reference.module

    @pytest.fixture
    def answers(self) -> dict[str, Any]:
        return self.context.reference.answers

    @pytest.fixture
    def source(self) -> Any:
        return self.context.facts

    @pytest.fixture
    def tol(self) -> Tolerances:
        return self.context.config.tolerances

    @pytest.fixture
    def memo(self) -> dict[str, Any]:
        return self.context.memo

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        """Record the verdict and build a bare report.

        pytest's own report formats a long traceback for every failure (~0.1 s
        each, the main cost of grading a mostly-failing notebook); nobody reads
        it here, since the verdict's message is the feedback.
        """
        error = call.excinfo.value if call.excinfo is not None else None
        if call.when == "call" and self._context is not None:
            # A passing check made the calls every correct submission needs; a failing one
            # may have made diagnostic calls the next submission would not: learn from passes.
            self._context.session.end_check(learn=error is None)
        marker = item.get_closest_marker("grading")
        attributed = take_attribution() if call.when == "call" else ""
        rests_on = take_declared() if call.when == "call" else frozenset()
        if marker is not None and (call.when == "call" or (call.when == "setup" and error)):
            spec: CheckSpec = marker.kwargs["spec"]
            self.verdicts[spec.name] = verdict_for(spec, error, attributed, rests_on)
        outcome: Literal["passed", "failed"] = "passed" if error is None else "failed"
        longrepr = None if error is None else f"{type(error).__name__}: {error}"[:500]
        when = "setup" if call.when == "collect" else call.when
        return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, when,
                                 duration=call.duration, start=call.start, stop=call.stop)
