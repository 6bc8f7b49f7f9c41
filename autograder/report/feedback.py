"""`<id>/feedback.html`: one student's view — the score, every check, what to fix.

The page is self-contained (inline CSS, no script, no outside resources) so it
can be mailed, uploaded to an LMS or opened from disk. Everything that reaches
it is escaped: check messages quote what the student's code returned or raised.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from autograder.report.atomic import write_text
from autograder.score.results import Status, SubmissionResult, TestResult

TEMPLATES = Path(__file__).resolve().parent / "templates"
FEEDBACK = "feedback.html"

STATUS_LABEL = {
    Status.GRADED: "Graded",
    Status.TIMEOUT: "Timed out",
    Status.CRASHED: "Crashed",
    Status.INVALID: "Could not be graded",
    Status.MISSING: "No submission",
}

STATUS_HELP = {
    Status.GRADED: "",
    Status.TIMEOUT: "Grading ran out of time. Look for a loop that never ends or training that "
                    "runs far longer than asked; the checks that finished still count.",
    Status.CRASHED: "Your notebook's process stopped unexpectedly while it was being graded "
                    "(for example it used too much memory). The checks that finished still "
                    "count.",
    Status.INVALID: "Your submission could not be opened or run, so no check could be scored. "
                    "Fix the problem above and submit again.",
    Status.MISSING: "Nothing was received from you for this assignment. If you did hand "
                    "something in, tell your instructor.",
}


def points(value: float) -> str:
    """Points the way the gradebook writes them: 2, 1.5, 0.25."""
    return f"{round(value, 2):g}"


def percent(score: float, max_score: float) -> float:
    return 100.0 * score / max_score if max_score > 0 else 0.0


def inline_code(text: str) -> Markup:
    """Escape `text`, then show `backticked` spans as code (messages use that convention)."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show the text as it is
        return escape(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


def feedback_path(out: Path, submission_id: str) -> Path:
    return out / submission_id / FEEDBACK


def feedback_href(submission_id: str) -> str:
    """The link to a student's page from a page in the batch's output folder."""
    return f"{quote(submission_id, safe='')}/{FEEDBACK}"


def was_run(result: SubmissionResult) -> bool:
    """False when no check ran at all (every row is the zero `scoring.unscored` fills in)."""
    if result.status is Status.GRADED:
        return True
    return any(t.passed or t.mistake != result.status.value for t in result.tests)


def was_checked(result: SubmissionResult, test: TestResult) -> bool:
    """Whether this row is a real verdict rather than a placeholder for a check that never ran."""
    return was_run(result) and test.mistake != "not-run"


@dataclass(frozen=True)
class TestView:
    description: str
    passed: bool
    score: float
    max_score: float
    message: str
    detail: str
    mistake: str
    hidden: bool


@dataclass(frozen=True)
class PartView:
    function: str
    tests: list[TestView]

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def anchor(self) -> str:
        return "part-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in self.function)


def description(name: str) -> str:
    """The part of a test name after '<function>: '."""
    return name.split(":", 1)[1].strip() if ":" in name else name


def _view(result: SubmissionResult, test: TestResult) -> TestView:
    text = test.output.strip()
    if not was_run(result) and text == f"Not graded: {result.reason}".strip():
        text = ""  # the banner already says why; don't repeat it on every row
    message, _, detail = text.partition("\n")
    hidden = test.visibility == "hidden"
    mistake = "" if hidden or test.passed or not was_checked(result, test) else test.mistake
    return TestView(
        description=description(test.name), passed=test.passed, score=test.score,
        max_score=test.max_score, message=message.strip(),
        detail="" if hidden else detail.strip("\n"),
        mistake=mistake, hidden=hidden,
    )


def parts(result: SubmissionResult) -> list[PartView]:
    """The tests grouped by function, in the order the configuration lists them."""
    grouped: dict[str, list[TestView]] = {}
    for test in result.tests:
        grouped.setdefault(test.function.strip(), []).append(_view(result, test))
    return [PartView(function, tests) for function, tests in grouped.items()]


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["points"] = points
    env.filters["code"] = inline_code
    env.globals["STATUS_LABEL"] = {s.value: label for s, label in STATUS_LABEL.items()}
    return env


def render_feedback(result: SubmissionResult, assignment: str = "") -> str:
    return environment().get_template("feedback.html.j2").render(
        result=result,
        assignment=assignment,
        status=result.status.value,
        status_label=STATUS_LABEL[result.status],
        status_help=STATUS_HELP[result.status],
        percent=percent(result.score, result.max_score),
        parts=parts(result),
        passed=sum(t.passed for t in result.tests),
        ran=was_run(result),
    )


def write_feedback(result: SubmissionResult, out_dir: Path, assignment: str = "") -> Path:
    """Write `out_dir/<submission id>/feedback.html` and return its path."""
    path = feedback_path(Path(out_dir), result.submission_id)
    write_text(path, render_feedback(result, assignment))
    return path
