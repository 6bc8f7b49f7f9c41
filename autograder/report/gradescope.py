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
    """Atomically; a file that already says the same is left alone, so a resumed or
    repeated run (which re-applies the course to every row) rewrites only what changed."""
    text = json.dumps(result.to_gradescope(), indent=2, ensure_ascii=False) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_text(path, text)


def read_results(path: Path) -> SubmissionResult:
    return SubmissionResult.from_gradescope(json.loads(path.read_text(encoding="utf-8")))
