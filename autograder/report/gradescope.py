"""`results.json` in Gradescope's schema: the canonical record of a graded submission."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.report.atomic import write_text
from autograder.report.sanitize import json_text
from autograder.score.results import SubmissionResult

RESULTS = "results.json"


def results_path(out: Path, submission_id: str) -> Path:
    return out / submission_id / RESULTS


def write_results(result: SubmissionResult, path: Path) -> None:
    """Atomically; a file that already says the same is left alone, so a resumed or
    repeated run (which re-applies the course to every row) rewrites only what changed."""
    text = json_text(result.to_gradescope())
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_text(path, text)


def read_results(path: Path) -> SubmissionResult:
    return SubmissionResult.from_gradescope(json.loads(path.read_text(encoding="utf-8")))


def unfinished(results: list[SubmissionResult], grades: Path) -> str:
    """Why `grades` cannot be exported or published yet ("" when it can): rows a grade run
    wrote and did not finish. A run writes each row's raw result as it is graded and gives
    every row its final score (overrides, late penalty) at its end (`batch.finish`), so a
    row with none is one a stopped run left (an ops review: Ctrl-C during a --regrade, then
    `export canvas` sent raw scores, a student past the cutoff 97.04 instead of 0)."""
    pending = sorted(r.submission_id for r in results if r.final is None)
    known = {r.submission_id for r in results}
    for path in sorted(grades.glob(f"*/{RESULTS}")):  # (a row that run added: in no gradebook)
        if path.parent.name not in known and not path.is_symlink():
            try:
                if read_results(path).final is None:
                    pending.append(path.parent.name)
            except (OSError, ValueError, KeyError, TypeError):
                continue  # (the gradebook's own reading reports what it cannot read)
    if not pending:
        return ""
    listed = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5
                                       else "")
    return (f"the last grade run into {grades} did not finish: {len(pending)} row(s) have no "
            f"final score yet ({listed}); run the grade command again without --regrade to "
            "finish them (what was graded is kept), then try again")
