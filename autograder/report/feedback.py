"""`<id>/feedback.html`: one student's view — the score, every check, what to fix.

Built so a student finds the place to fix: checks grouped by the notebook's Parts in
notebook order, the failures of a Part first and its passes folded away (native
`<details>`, no script), a function not attempted yet said once instead of once per
check, and a cell that raised shown as Jupyter shows it — the heading above it, its
first line, the error and the student's own offending line.

The page is self-contained (inline CSS, no script, no outside resources) so it
can be mailed, uploaded to an LMS or opened from disk. Everything that reaches
it is escaped: check messages quote what the student's code returned or raised.

Every mark is true: a check that kept its points because its mistake is charged by
another check (`TestResult.assessed_by`) shows a neutral "–" with "not assessed
separately: see …", never ✓; a check whose points a person changed (overrides.csv) shows
"✎" with the points they gave, who and why, and what the check itself gave. And a student
sees only what `visibility` allows (report/visibility.py, Gradescope's rule); the
instructor's copy shows everything.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from autograder.report.atomic import write_text
from autograder.report.sanitize import printable
from autograder.report.visibility import STUDENT, Audience, Withheld, for_audience
from autograder.score.final import AppliedOverride, Final
from autograder.score.results import CellIssue, Status, SubmissionResult, TestResult

#: A check's overrides by check name (`Final.by_check`): what a person set on single checks.
Changes = dict[str, tuple[AppliedOverride, ...]]
MARK = {"pass": "✓", "fail": "✗", "waived": "–", "changed": "✎"}

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


def counted(count: int, noun: str, plural: str = "") -> str:
    """"1 student", "2 students" (`plural` for a noun not made plural by an s)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


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
    """Whether this row is a real verdict rather than a placeholder for a check that never ran
    or one that was not assessed separately (its mistake is another check's)."""
    return was_run(result) and test.mistake != "not-run" and not test.waived


# Mistake tags that mean "not attempted yet" rather than "attempted and wrong": the
# function still raises NotImplementedError, the name is not defined, no answer was given,
# or the check never ran. Feedback says these once per function; the dashboard keeps them
# apart from the real mistakes.
NOT_ATTEMPTED = frozenset({"not-implemented", "missing", "no-answer", "not-run"})


def not_attempted(result: SubmissionResult, test: TestResult) -> bool:
    return not test.passed and (test.mistake in NOT_ATTEMPTED or not was_run(result)
                                or test.mistake == result.status.value)


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
    waived: str = ""  # not assessed separately: the check that charges the mistake
    visibility: str = "visible"  # the config's, named on the instructor's copy
    # a person changed its points (overrides.csv): who, why, and what the check gave
    changed: str = ""

    @property
    def state(self) -> str:
        """pass, fail, waived (neutral) or changed (by a person): the mark the page and
        `show` print."""
        if self.changed:
            return "changed"
        return "waived" if self.waived else "pass" if self.passed else "fail"


@dataclass(frozen=True)
class FunctionView:
    """One graded function (or answer) of a Part: its checks, and a one-line summary when
    the function was not attempted (not implemented, not defined, no answer)."""

    function: str
    tests: list[TestView]
    summary: str = ""  # set when every failed check says the same "not attempted" thing
    cell: CellIssue | None = None  # the failed cell that should have defined it

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
    def failed(self) -> list[TestView]:
        return [t for t in self.tests if t.state == "fail"]

    @property
    def passing(self) -> list[TestView]:
        return [t for t in self.tests if t.state == "pass"]

    @property
    def waived(self) -> list[TestView]:
        return [t for t in self.tests if t.state == "waived"]

    @property
    def changed(self) -> list[TestView]:
        return [t for t in self.tests if t.state == "changed"]

    @property
    def shown_open(self) -> list[TestView]:
        """The checks listed open: failed, changed by a person, not assessed separately."""
        return self.failed + self.changed + self.waived

    @property
    def anchor(self) -> str:
        return "fn-" + _slug(self.function)


@dataclass(frozen=True)
class PartView:
    """A Part of the notebook (config `parts`) with its functions in notebook order; without
    a mapping every function is its own part."""

    title: str
    functions: list[FunctionView]

    @property
    def tests(self) -> list[TestView]:
        return [t for f in self.functions for t in f.tests]

    @property
    def score(self) -> float:
        return sum(f.score for f in self.functions)

    @property
    def max_score(self) -> float:
        return sum(f.max_score for f in self.functions)

    @property
    def passed(self) -> int:
        return sum(t.state == "pass" for t in self.tests)

    @property
    def failing(self) -> list[FunctionView]:
        """Functions shown open: a failed check, one a person changed, or one not assessed
        separately (never folded under "all passed")."""
        return [f for f in self.functions if f.shown_open]

    @property
    def to_fix(self) -> list[FunctionView]:
        return [f for f in self.functions if f.failed]

    @property
    def passing(self) -> list[FunctionView]:
        return [f for f in self.functions if not f.shown_open]

    @property
    def anchor(self) -> str:
        return "part-" + _slug(self.title)

    # kept for callers that think of a part as one function
    @property
    def function(self) -> str:
        return self.title


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


def description(name: str) -> str:
    """The part of a test name after '<function>: '."""
    return name.split(":", 1)[1].strip() if ":" in name else name


def _changed(test: TestResult, changes: tuple[AppliedOverride, ...]) -> str:
    """A check's overrides in a sentence: the points now, by whom and why, what it gave."""
    said = "; ".join(f"set to {points(o.after)} by {o.who}{' on ' + o.when if o.when else ''}: "
                     f"“{o.reason}”" for o in changes)
    verdict = "passed" if test.passed and not test.waived else (
        "not assessed separately" if test.waived else "failed")
    return f"Points changed by hand: {said} (the check {verdict}: {points(test.score)} / " \
           f"{points(test.max_score)})."


def _view(result: SubmissionResult, test: TestResult,
          changes: tuple[AppliedOverride, ...] = ()) -> TestView:
    text = test.output.strip()
    if not was_run(result) and text == f"Not graded: {result.reason}".strip():
        text = ""  # the banner already says why; don't repeat it on every row
    message, _, detail = text.partition("\n")
    hidden = test.visibility == "hidden"
    mistake = "" if hidden or test.passed or not was_checked(result, test) else test.mistake
    return TestView(
        description=description(test.name), passed=test.passed and not test.waived,
        score=changes[-1].after if changes else test.score, max_score=test.max_score,
        message=message.strip(),
        detail="" if hidden else detail.strip("\n"),
        mistake=mistake, hidden=hidden, waived=test.assessed_by if test.waived else "",
        visibility=test.visibility, changed=_changed(test, changes) if changes else "",
    )


def defining_cell(result: SubmissionResult, function: str) -> CellIssue | None:
    """The cell that failed before it could define `function` (its error is the real one)."""
    return next((c for c in result.cells if function in c.defines and (c.error or c.fatal)),
                None)


def cell_failure(cell: CellIssue) -> str:
    """`SyntaxError: '(' was never closed` — what went wrong in a cell, in one phrase."""
    return cell.error or cell.fatal or "it did not run"


def _summary(result: SubmissionResult, function: str, tests: list[TestResult]) -> str:
    failed = [t for t in tests if not t.passed]
    if not failed or not was_run(result) or len({t.mistake for t in failed}) != 1:
        return ""
    kind = failed[0].mistake
    if kind == "not-implemented":
        return (f"`{function}` is not implemented yet: it still raises NotImplementedError "
                f"({len(failed)} check{'s' if len(failed) > 1 else ''} waiting on it).")
    if kind == "missing":
        cell = defining_cell(result, function)
        if cell is not None:
            line = f", line {cell.line}" + (":" if cell.code else ".") if cell.line else "."
            return (f"`{function}` is not defined because its cell failed: "
                    f"{cell_failure(cell)}{line}")
        return (f"`{function}` is not defined: run the cell that defines it and keep the "
                "name from the assignment.")
    if kind == "no-answer" and len(failed) == 1:
        return ""  # the check's own message already says it in one line
    if kind == "raised" and len(failed) == len(tests) > 1:
        # every check stopped at the same error (an instructor's review: the same two lines
        # under each of seven checks), said once with the count
        said = {_RAISED_ON.sub("", t.output) for t in failed}
        if len(said) == 1:
            return said.pop().replace("this check needs", f"its {len(failed)} checks need", 1)
    return ""


# The call a "raised" verdict names (`check.plugin`): each check's own, the error the same
_RAISED_ON = re.compile(r" when called as .*?(?= — fix this error first)", re.DOTALL)


def check_changes(result: SubmissionResult) -> Changes:
    """The overrides a person set on single checks of `result` (none before finalising)."""
    return result.final.by_check() if result.final is not None else {}


def parts(result: SubmissionResult, changes: Changes | None = None) -> list[PartView]:
    """The tests grouped by Part, then by function, in the order the results list them
    (notebook order: see `GradingConfig.ordered_tests`); a check a person changed
    (`changes`, default: the result's own overrides) shows the points they gave."""
    changes = check_changes(result) if changes is None else changes
    grouped: dict[str, dict[str, list[TestResult]]] = {}
    for test in result.tests:
        function = test.function.strip()
        grouped.setdefault(test.part or function, {}).setdefault(function, []).append(test)
    return [
        PartView(title, [FunctionView(function,
                                      [_view(result, t, changes.get(t.name, ())) for t in tests],
                                      "" if any(t.name in changes for t in tests)
                                      else _summary(result, function, tests),
                                      defining_cell(result, function))
                         for function, tests in functions.items()])
        for title, functions in grouped.items()
    ]


def shown_score(views: list[PartView]) -> float:
    """The points the checks shown add up to, a person's changes to single checks included."""
    return round(sum(t.score for part in views for t in part.tests), 6)


def late_cost(final: Final) -> str:
    """What lateness cost, sign-correct: "−13.1 (10%)", or why nothing was taken (a penalty
    is a share of the points earned: a score at or below 0 has none)."""
    late = final.late
    percent_taken = f"{points(late.percent)}%" if late is not None else "0%"
    if final.penalty > 0 or late is None or not late.percent:
        return f"−{points(final.penalty)} ({percent_taken})"
    if final.adjusted < 0:
        return f"nothing taken (the score before it, {points(final.adjusted)}, is below 0)"
    return "nothing taken (the score is 0)"


def late_line(final: Final) -> str:
    """The late penalty as the student's page and `show` say it; "" when not late."""
    late = final.late
    if late is None or not late.days_late:
        return ""
    handed = f" (handed in {late.submitted_at}, due {late.due})" if late.submitted_at else ""
    note = f"; {late.note}" if late.note else ""
    return (f"Late by {late.days_late} day{'' if late.days_late == 1 else 's'}{handed}: "
            f"{late_cost(final)}{note}")


@dataclass(frozen=True)
class CellView:
    location: str
    error: str
    line: int
    code: str
    fatal: str
    consequence: bool  # a NameError for a name an earlier failed cell should have defined
    not_implemented: bool  # the cell stopped at a function still raising NotImplementedError

    @property
    def headline(self) -> str:
        """What went wrong, once: the error, else why the cell was skipped, saying "this
        cell" where that reason names the cell (its place is shown beside it)."""
        return self.error or self.skipped or "it did not run"

    @property
    def skipped(self) -> str:
        """`fatal` without its own copy of the cell's place: "This cell crashed with a
        segmentation fault; it was skipped"."""
        if not self.fatal or not self.location or self.location not in self.fatal:
            return self.fatal
        text = self.fatal.replace(self.location, "this cell", 1)
        return text[0].upper() + text[1:] if self.fatal.startswith(self.location) else text


def failed_cells(result: SubmissionResult) -> list[CellView]:
    """The cells that raised, in notebook order; a cell that failed only because an earlier
    failed cell never defined a name is marked as a consequence."""
    views = []
    undefined: set[str] = set()
    for cell in result.cells:
        name = re.match(r"NameError: name '(\w+)' is not defined", cell.error)
        views.append(CellView(cell.location, cell.error, cell.line, cell.code, cell.fatal,
                              consequence=bool(name and name.group(1) in undefined),
                              not_implemented=cell.error.startswith("NotImplementedError")))
        undefined.update(cell.defines)
    return views


def _shown(value: object) -> object:
    """A value as a page shows it (`environment`'s finalize): text with no control or bidi
    character (a filter's markup stays markup: removing them adds none)."""
    if isinstance(value, Markup):
        return Markup(printable(str(value), keep_newlines=True))
    return printable(value, keep_newlines=True) if isinstance(value, str) else value


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # every value a page shows, whatever field it came from, with no control or bidi
        # character: escaping stops markup, not a terminal's ESC or a reordered line (red
        # team 67: a heading's ESC and BEL reached feedback.html through a cell's location)
        finalize=_shown,
    )
    env.filters["points"] = points
    env.filters["code"] = inline_code
    env.filters["counted"] = counted
    env.globals["late_line"] = late_line
    env.globals["late_cost"] = late_cost
    env.globals["MARK"] = MARK
    env.globals["STATUS_LABEL"] = {s.value: label for s, label in STATUS_LABEL.items()}
    return env


def passed_count(result: SubmissionResult) -> int:
    """Checks that really passed (not those kept without being assessed separately)."""
    return sum(t.passed and not t.waived for t in result.tests)


def render_feedback(result: SubmissionResult, assignment: str = "",
                    audience: Audience = STUDENT) -> str:
    """The page for `audience`: a student's shows only the checks `visibility` allows them
    now (report/visibility.py; the default: a student, no deadline, nothing published —
    visible checks only, so a page made without thought leaks nothing)."""
    changes = check_changes(result)  # (the view drops `final` while checks are withheld)
    result, withheld = for_audience(result, audience)
    return _render(result, assignment, withheld, audience.instructor, changes)


def _render(result: SubmissionResult, assignment: str, withheld: Withheld,
            instructor: bool, changes: Changes | None = None) -> str:
    views = parts(result, changes)
    score = shown_score(views)
    return environment().get_template("feedback.html.j2").render(
        withheld=withheld.describe(),
        instructor=instructor,
        result=result,
        assignment=assignment,
        status=result.status.value,
        status_label=STATUS_LABEL[result.status],
        status_help=STATUS_HELP[result.status],
        score=score,
        percent=percent(score, result.max_score),
        parts=views,
        cells=failed_cells(result),
        passed=sum(t.state == "pass" for part in views for t in part.tests),
        waived=sum(t.state == "waived" for part in views for t in part.tests),
        changed=sum(t.state == "changed" for part in views for t in part.tests),
        ran=was_run(result),
        graded_on=graded_on(result.trace.graded_at),
        attempt=result.trace.attempt,
    )


def graded_on(stamp: str) -> str:
    """When the row was graded, as a page says it ("2026-12-07 09:41 UTC"); "" when the
    row does not say (or not in ISO 8601)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def lab_title(root: Path, assignment: str) -> str:
    """How the lab's pages name it: its declared title (`TITLE = "..."` in `solutions/
    <assignment>_checks/spec.py` under `root`, as `assign` uses it; read as a literal, the
    module is not imported), else its name."""
    from autograder.lab import Lab

    spec = Lab(Path(root), assignment).checks / "spec.py"
    try:
        tree = ast.parse(spec.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return assignment
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "TITLE":
            try:
                title = ast.literal_eval(value)
            except ValueError:
                return assignment
            return title.strip() if isinstance(title, str) and title.strip() else assignment
    return assignment


def write_feedback(result: SubmissionResult, out_dir: Path, assignment: str = "",
                   audience: Audience = STUDENT) -> Path:
    """Write `out_dir/<submission id>/feedback.html` for `audience` and return its path."""
    path = feedback_path(Path(out_dir), result.submission_id)
    write_text(path, render_feedback(result, assignment, audience))
    return path
