"""`results.json` in Gradescope's schema: the canonical record of a graded submission."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.report.atomic import write_text
from autograder.score.results import SubmissionResult

RESULTS = "results.json"


def results_path(out: Path, submission_id: str) -> Path:
    return out / submission_id / RESULTS


def write_results(result: SubmissionResult, path: Path) -> None:
    write_text(path, json.dumps(result.to_gradescope(), indent=2, ensure_ascii=False) + "\n")


def read_results(path: Path) -> SubmissionResult:
    return SubmissionResult.from_gradescope(json.loads(path.read_text(encoding="utf-8")))
