"""The terminal view of one result (`python -m autograder show ID --out DIR [--failed]`).

Plain text wrapped to 100 columns, in the same order and grouping as the feedback
page: the total (then the final score with each override and late penalty, as the
page's "Your final score"), the cells that raised (where Jupyter shows them, with the student's
line), then each Part in notebook order with its functions, failures first; a function
not attempted yet is one line. `failed_only` leaves out what passed. Like the page, it
shows a student only the checks `visibility` allows (report/visibility.py; `show --all`:
the instructor's view, everything) and marks a check that was not assessed separately
with "–", never ✓, and a check whose points a person changed with "✎", the points given, who
and why. Control characters
are replaced, because messages quote what student code printed or raised and must not
drive the terminal.
"""

from __future__ import annotations

import textwrap

from autograder.report.course_view import final_lines
from autograder.report.feedback import (
    MARK,
    STATUS_LABEL,
    FunctionView,
    TestView,
    check_changes,
    failed_cells,
    parts,
    percent,
    points,
    shown_score,
    was_run,
)
from autograder.report.sanitize import printable
from autograder.report.visibility import STUDENT, Audience, for_audience
from autograder.score.results import Status, SubmissionResult

WIDTH = 100


def clean(text: str) -> str:
    """`text` with terminal control characters (ANSI escapes included) made harmless."""
    return printable(text.expandtabs(4), keep_newlines=True)


def _wrap(text: str, indent: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in clean(text).splitlines() or [""]:
        lines += textwrap.wrap(line, width, initial_indent=indent, subsequent_indent=indent,
                               break_on_hyphens=False) or [indent.rstrip()]
    return lines


def _row(mark: str, text: str, right: str, width: int, indent: str = "  ") -> list[str]:
    """`indent mark text ... right`, with `right` flush to the last column of the first line."""
    lead = f"{indent}{mark} " if mark else indent
    room = max(10, width - len(lead) - len(right) - 2)
    wrapped = textwrap.wrap(clean(text), room, break_on_hyphens=False) or [""]
    first = f"{lead}{wrapped[0]:<{room}}  {right}"
    return [first, *(" " * len(lead) + line for line in wrapped[1:])]


def _test(test: TestView, width: int) -> list[str]:
    label = test.description + (f" [{test.visibility}]" if test.visibility != "visible" else "")
    lines = _row(MARK[test.state], label,
                 f"{points(test.score)} / {points(test.max_score)}", width, indent="    ")
    for text in (test.changed, test.message, test.detail):
        if text:
            lines += _wrap(text, " " * 8, width)
    if test.mistake:
        lines += _wrap(f"mistake: {test.mistake}", " " * 8, width)
    return lines


def _function(fn: FunctionView, width: int, failed_only: bool) -> list[str]:
    mark = "✗" if fn.failed else MARK["changed"] if fn.changed else "✓"
    lines = _row(mark, fn.function, f"{points(fn.score)} / {points(fn.max_score)}", width)
    if fn.summary:
        lines += _wrap(fn.summary, " " * 6, width)
        if fn.cell is not None and fn.cell.error:
            where = f"in {fn.cell.location}" + (f", line {fn.cell.line}" if fn.cell.line else "")
            lines += _wrap(where + (f": {fn.cell.code}" if fn.cell.code else ""), " " * 6, width)
        return lines
    for test in fn.shown_open:
        lines += _test(test, width)
    if fn.passing and fn.failed:
        if failed_only:
            lines += _wrap(f"(+ {len(fn.passing)} passed)", " " * 6, width)
        else:
            for test in fn.passing:
                lines += _test(test, width)
    elif not failed_only:
        for test in fn.passing:
            lines += _test(test, width)
    return lines


def render(result: SubmissionResult, width: int = WIDTH, failed_only: bool = False,
           audience: Audience = STUDENT) -> str:
    changes = check_changes(result)  # (the view drops `final` while checks are withheld)
    result, withheld = for_audience(result, audience)
    views = parts(result, changes)
    states = [t.state for part in views for t in part.tests]
    passed, waived, changed = (states.count(s) for s in ("pass", "waived", "changed"))
    score = shown_score(views)
    lines = [f"Submission {clean(result.submission_id)}: {STATUS_LABEL[result.status].lower()}"]
    lines += _wrap(f"Score {points(score)} / {points(result.max_score)} "
                   f"({percent(score, result.max_score):.0f}%), {passed} of "
                   f"{len(result.tests)} checks passed"
                   + (f", {changed} changed by hand ({MARK['changed']})" if changed else "")
                   + (f", {waived} not assessed separately" if waived else ""), "", width)
    for line in final_lines(result):  # overrides and late penalty, as the page shows them
        lines += _wrap(line.lstrip(), "  " if line.startswith(" ") else "", width)
    if withheld.count:
        lines += _wrap(withheld.describe() + " (`show --all`: every check)", "", width)
    if result.status is not Status.GRADED:
        lines += _wrap(f"Reason: {result.reason or 'not given'}", "", width)
    cells = failed_cells(result)
    if cells:
        lines += ["", "Cells that failed when the notebook ran:"]
        for cell in cells:
            why = cell.headline
            if cell.consequence or cell.not_implemented:
                why += " (follows from an earlier error or a function not implemented yet)"
            lines += _wrap(f"- {why}", "  ", width)
            where = f"in {cell.location}" + (f", line {cell.line}" if cell.line else "")
            lines += _wrap(where + (":" if cell.code else ""), " " * 4, width)
            if cell.code:
                lines += _wrap(cell.code, " " * 6, width)
    if not was_run(result):
        lines += ["", "No check could run."]
    else:
        for part in views:
            if failed_only and not part.failing:
                continue
            lines.append("")
            lines += _row("", part.title, f"{points(part.score)} / {points(part.max_score)}",
                          width, indent="")
            for fn in part.failing:
                lines += _function(fn, width, failed_only)
            if failed_only:
                if part.passing:
                    lines += _wrap(f"(+ {len(part.passing)} function"
                                   f"{'s' if len(part.passing) != 1 else ''} passed: "
                                   f"{', '.join(f.function for f in part.passing)})", "  ", width)
            else:
                for fn in part.passing:
                    lines += _function(fn, width, failed_only)
    if result.notes:
        lines += ["", "Notes:"]
        for note in result.notes:
            lines += [f"  - {line[4:]}" if i == 0 else line
                      for i, line in enumerate(_wrap(note, " " * 4, width))]
    return "\n".join(line.rstrip() for line in lines) + "\n"
