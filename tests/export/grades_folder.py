"""A grade run's folder made without grading: each result written as the run writes it, the
roster given, and the batch record naming it (what `export canvas` reads)."""

from __future__ import annotations

from pathlib import Path

from autograder.report.batch_record import BATCH, BatchRecord
from autograder.report.gradescope import results_path, write_results
from autograder.score.results import SubmissionResult


def grades_folder(tmp_path: Path, results: list[SubmissionResult], roster: str) -> Path:
    out = tmp_path / "grades"
    for row in results:
        write_results(row, results_path(out, row.submission_id))
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    record = BatchRecord("2025-03-15T00:00:00+00:00", "test", "config.yaml", "0" * 64,
                         files={"roster": str(tmp_path / "roster.csv")})
    record.add_results(results)
    record.write(out / BATCH)
    return out
