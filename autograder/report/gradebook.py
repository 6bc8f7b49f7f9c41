"""`gradebook.csv`: one row per submission, whatever happened to it, LMS-ready.

Ids and reasons carry text a student chose (file names, exception messages),
so every text cell goes through `csv_cell`: no control characters, and nothing
a spreadsheet would run as a formula.

A check's column holds its points (numbers an LMS can import); a check that kept its
points without being assessed separately is named in `not_assessed_separately`
("<check> → see <the check charged>"), so no cell reads as a pass it was not.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.report.atomic import write_text
from autograder.report.course_columns import COURSE_COLUMNS, course_cells
from autograder.report.csvfile import BOM
from autograder.report.sanitize import csv_cell
from autograder.score.results import SubmissionResult


def notebook_order(test_names: list[str], results: list[SubmissionResult]) -> list[str]:
    """The check columns in the order the results list their checks (notebook order, by
    Part: `GradingConfig.ordered_tests`); a name no result has keeps its place at the end."""
    rank: dict[str, int] = {}
    for result in results:
        for test in result.tests:
            rank.setdefault(test.name, len(rank))
    return sorted(test_names, key=lambda name: rank.get(name, len(rank)))


def write_gradebook(results: list[SubmissionResult], test_names: list[str], path: Path) -> None:
    test_names = notebook_order(test_names, results)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # "tampering": flagged when the notebook changed the grader or torch internals
    writer.writerow([csv_cell(h) for h in ["submission_id", "status", "reason", "total", "max",
                                            *COURSE_COLUMNS, *test_names, "tampering",
                                            "not_assessed_separately"]])
    for result in sorted(results, key=lambda r: r.submission_id):
        by_name = result.check_scores()  # a person's override of a check (overrides.csv) included
        writer.writerow([csv_cell(result.submission_id), csv_cell(result.status.value),
                         csv_cell(result.reason),
                         f"{result.score:g}", f"{result.max_score:g}", *course_cells(result),
                         *(f"{by_name.get(name, 0.0):g}" for name in test_names),
                         "yes" if result.tampered else "",
                         csv_cell("; ".join(f"{t.name} → see {t.assessed_by}"
                                            for t in result.tests if t.waived))])
    text = buffer.getvalue()
    write_text(path, text if text.isascii() else BOM + text)  # Excel reads "→" right
