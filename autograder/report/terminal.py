"""The terminal view of one result (`python -m autograder show ID --out DIR`).

Plain text wrapped to 100 columns: the total, then each function's checks
with ✓/✗, points and the message. Control characters are replaced, because
messages quote what student code printed or raised and must not drive the
terminal.
"""

from __future__ import annotations

import textwrap

from autograder.report.feedback import STATUS_LABEL, parts, percent, points
from autograder.report.sanitize import printable
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


def render(result: SubmissionResult, width: int = WIDTH) -> str:
    passed = sum(t.passed for t in result.tests)
    lines = [f"Submission {clean(result.submission_id)}: {STATUS_LABEL[result.status].lower()}"]
    lines += _wrap(f"Score {points(result.score)} / {points(result.max_score)} "
                   f"({percent(result.score, result.max_score):.0f}%), {passed} of "
                   f"{len(result.tests)} checks passed", "", width)
    if result.status is not Status.GRADED:
        lines += _wrap(f"Reason: {result.reason or 'not given'}", "", width)
    for part in parts(result):
        lines.append("")
        lines += _row("", part.function, f"{points(part.score)} / {points(part.max_score)}",
                      width, indent="")
        for test in part.tests:
            label = test.description + (" [hidden]" if test.hidden else "")
            lines += _row("✓" if test.passed else "✗", label,
                          f"{points(test.score)} / {points(test.max_score)}", width)
            for text in (test.message, test.detail):
                if text:
                    lines += _wrap(text, " " * 6, width)
            if test.mistake:
                lines += _wrap(f"mistake: {test.mistake}", " " * 6, width)
    if result.notes:
        lines += ["", "Notes:"]
        for note in result.notes:
            lines += [f"  - {line[4:]}" if i == 0 else line
                      for i, line in enumerate(_wrap(note, " " * 4, width))]
    return "\n".join(line.rstrip() for line in lines) + "\n"

