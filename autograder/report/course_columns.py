"""The gradebook's course columns: who the student is, lateness, overrides, final score.

`total` stays the checks' sum (the raw score); these columns say what the
course did with it (score/final.py), so the row shows raw score, penalty and
final score side by side. Empty cells where there is nothing to say (no
roster, no deadline, no override).
"""

from __future__ import annotations

from autograder.report.sanitize import csv_cell
from autograder.score.results import SubmissionResult

COURSE_COLUMNS = ["name", "roster", "submitted_at", "days_late", "late_penalty", "override",
                  "final"]


def _number(value: float) -> str:
    return f"{round(value, 6):g}"


def course_cells(result: SubmissionResult) -> list[str]:
    final = result.final
    if final is None:
        return ["", "", "", "", "", "", _number(result.score)]
    late = final.late
    delta = round(final.adjusted - final.raw, 6)
    return [csv_cell(final.name), csv_cell(final.roster),
            csv_cell(late.submitted_at or ("marked late" if late.days_late else "")) if late else "",
            str(late.days_late) if late and late.days_late else "",
            _number(final.penalty) if final.penalty else "",
            (f"{delta:+g}" if delta else "0") if final.overrides else "",
            _number(final.final)]
