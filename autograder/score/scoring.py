"""Turn verdicts and sandbox incidents into a scored `SubmissionResult`.

Every configured check gets a row, whatever happened: a check that never ran
(the worker was lost, the time budget ran out) is a failed row with a reason,
so partial credit for the honest work is kept and nothing silently vanishes.
Rows come in notebook order (the config's `parts`), each tagged with its Part.
"""

from __future__ import annotations

from autograder.check.plugin import Verdict
from autograder.config import GradingConfig
from autograder.sandbox.session import Incidents
from autograder.score.results import Status, SubmissionResult, TestResult


def score(submission_id: str, verdicts: dict[str, Verdict], config: GradingConfig,
          incidents: Incidents, notes: list[str]) -> SubmissionResult:
    tests = []
    for name in config.ordered_tests():
        verdict = verdicts.get(name) or Verdict(False, f"{name.split(':')[0]}: this check did not "
                                                       "run (grading stopped early).", "not-run")
        points = config.points(name)
        tests.append(TestResult(
            name=name, score=points if verdict.passed else 0.0, max_score=points,
            passed=verdict.passed, output=verdict.message,
            visibility=config.visibility(name), mistake=verdict.mistake,
            part=config.part(name), assessed_by=verdict.assessed_by if verdict.passed else "",
        ))
    status, reason = Status.GRADED, ""
    if incidents.timeouts:
        status, reason = Status.TIMEOUT, "; ".join(dict.fromkeys(incidents.timeouts))
    elif incidents.crashes:
        status, reason = Status.CRASHED, "; ".join(dict.fromkeys(incidents.crashes))
    return SubmissionResult(submission_id=submission_id, status=status, reason=reason,
                            tests=tests, max_score=config.max_score, notes=notes)


def unscored(submission_id: str, config: GradingConfig, status: Status,
             reason: str) -> SubmissionResult:
    """A submission that could not be run at all still gets every row, at zero."""
    tests = [TestResult(name=name, score=0.0, max_score=config.points(name), passed=False,
                        output=f"Not graded: {reason}", visibility=config.visibility(name),
                        mistake=status.value, part=config.part(name))
             for name in config.ordered_tests()]
    return SubmissionResult(submission_id=submission_id, status=status, reason=reason,
                            tests=tests, max_score=config.max_score)
