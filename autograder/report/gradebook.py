"""`gradebook.csv`: one row per submission, whatever happened to it, LMS-ready."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.report.atomic import write_text
from autograder.score.results import SubmissionResult


def write_gradebook(results: list[SubmissionResult], test_names: list[str], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["submission_id", "status", "reason", "total", "max", *test_names])
    for result in sorted(results, key=lambda r: r.submission_id):
        by_name = {t.name: t.score for t in result.tests}
        writer.writerow([result.submission_id, result.status.value, result.reason,
                         f"{result.score:g}", f"{result.max_score:g}",
                         *(f"{by_name.get(name, 0.0):g}" for name in test_names)])
    write_text(path, buffer.getvalue())
