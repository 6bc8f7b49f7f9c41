"""Feedback to hand back: each student's page, and nothing else of the grade run.

A grade run's folder is the instructor's record. Beside each student's `feedback.html`
lies `results.json`, which holds every check, hidden and not-yet-published ones included:
Gradescope enforces their visibility on its own site, but a grades folder zipped and sent
to a class, or one student's folder mailed back, carries them all. nbgrader keeps the
same line (`generate_feedback` writes a feedback folder apart from the gradebook).

`export feedback` writes, into a folder of its own, only what a student may see at the
moment of the export: each student's page rendered for a student (the visibility rules
and the run's publish state, `report/visibility.py`), under their row's id, and a
`manifest.csv` for the TA who sends them (id, roster name and id, status, the page, how
many checks it withholds). Rows with nothing handed in get no page. The folder holds
nothing else, so handing it back whole is safe; exported again (after `publish`, or a
regrade) it is rewritten, and a page of a row no longer in the run is removed and said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autograder.batch.roster import Roster, RosterError, load_roster
from autograder.config import GradingConfig
from autograder.report.atomic import write_text
from autograder.report.batch_record import BATCH, BatchRecord
from autograder.report.csvfile import write_csv
from autograder.report.feedback import FEEDBACK, feedback_path, write_feedback
from autograder.report.gradescope import read_results, results_path, unfinished
from autograder.report.sanitize import csv_cell
from autograder.report.visibility import for_audience, student_audience
from autograder.score.results import Status

MANIFEST = "manifest.csv"
# (email and login from the run's roster, where it has them: the TA mails the pages from it)
MANIFEST_HEADER = ["id", "name", "roster_id", "email", "login", "status", "page",
                   "withheld_checks"]
# Written first and last: a folder holding it is one of ours (never write into another)
MARK = ".autograder-feedback"


class FeedbackExportError(Exception):
    """The grades folder cannot be exported there; the message says which and why."""


@dataclass
class FeedbackExport:
    out: Path
    pages: int = 0
    missing: list[str] = field(default_factory=list)  # rows with nothing handed in: no page
    withheld: int = 0  # pages that hold back checks (not yet published or due)
    removed: list[str] = field(default_factory=list)  # pages of rows no longer in the run

    def describe(self) -> str:
        lines = [f"feedback: {self.out}: {self.pages} pages, {MANIFEST}"]
        if self.withheld:
            lines.append(f"  {self.withheld} pages withhold checks not yet published or due "
                         "(export again after `publish` or the due date to show them)")
        if self.missing:
            lines.append(f"  no page, nothing handed in: {', '.join(self.missing)}")
        if self.removed:
            lines.append(f"  removed, no longer a row of the run: {', '.join(self.removed)}")
        return "\n".join(lines)


def _run_roster(record: BatchRecord) -> Roster | None:
    """The roster the run used, where it still reads (an ops review: the manifest had no
    email or login to send the pages with)."""
    try:
        return load_roster(Path(record.files["roster"]))
    except (KeyError, OSError, RosterError):
        return None


def export_feedback(grades: Path, out: Path, config: GradingConfig, title: str,
                    now: datetime | None = None) -> FeedbackExport:
    """Write the students' pages of the run in `grades` into `out`, as a student may see
    them at `now` (default: the moment of the export)."""
    grades, out = grades.resolve(), out.resolve()
    if not (grades / BATCH).is_file():
        raise FeedbackExportError(f"{grades} holds no {BATCH}: grade first "
                                  f"(`python -m autograder grade ... --out {grades}`)")
    if out == grades or grades in out.parents or out in grades.parents:
        raise FeedbackExportError(f"--out {out} is the grades folder, inside it or around "
                                  "it: give a folder of its own (the grades folder holds "
                                  "every check's results, which is what must not go back)")
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / MARK).is_file())):
        raise FeedbackExportError(f"--out {out} exists and is not a feedback folder of "
                                  "ours: give a new or empty folder")
    try:
        record = BatchRecord.read(grades / BATCH)
        results = [read_results(results_path(grades, sid)) for sid in record.rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FeedbackExportError(f"{grades}: results could not be read ({exc})") from None
    stopped = unfinished(results, grades)
    if stopped:
        raise FeedbackExportError(stopped)
    audience = student_audience(config, grades, now)
    report = FeedbackExport(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / MARK, "pages for students made by `python -m autograder export "
                           "feedback`\n")
    rows: list[list[str]] = []
    roster = _run_roster(record)
    for result in results:
        if result.status is Status.MISSING:
            report.missing.append(result.submission_id)
            continue
        page = write_feedback(result, out, title, audience)
        held = for_audience(result, audience)[1].count
        report.pages += 1
        report.withheld += bool(held)
        final = result.final
        student = roster.by_roster_id(final.roster_id) if roster and final else None
        rows.append([csv_cell(result.submission_id), csv_cell(final.name if final else ""),
                     csv_cell(final.roster_id if final else ""),
                     csv_cell(student.email if student else ""),
                     csv_cell(student.sis_login_id if student else ""), result.status.value,
                     csv_cell(str(page.relative_to(out))), str(held)])
    write_csv(out / MANIFEST, MANIFEST_HEADER, rows)
    kept = {result.submission_id for result in results if result.status is not Status.MISSING}
    for stale in sorted(out.glob(f"*/{FEEDBACK}")):
        if stale.parent.name not in kept and stale == feedback_path(out, stale.parent.name):
            stale.unlink()
            if not any(stale.parent.iterdir()):
                stale.parent.rmdir()
            report.removed.append(stale.parent.name)
    return report
