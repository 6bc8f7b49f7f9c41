"""The end of a batch: the course applied, then every file a person reads written once.

Grading produces raw results; this turns them into the batch's outputs in
one place, so each file agrees with the others: `results.json` per row (raw
verdicts, final score, trace), `gradebook.csv`, `final_grades.csv`,
`batch.json`, the feedback pages and the dashboard.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from autograder import __version__
from autograder.batch.course import Course, apply_course
from autograder.batch.discover import Discovery
from autograder.batch.fanout import for_each
from autograder.config import GradingConfig
from autograder.report.batch_record import BATCH, FINAL_GRADES, BatchRecord, write_final_grades
from autograder.report.dashboard import write_dashboard
from autograder.report.feedback import write_feedback
from autograder.report.gradebook import write_gradebook
from autograder.report.gradescope import results_path, write_results
from autograder.report.visibility import INSTRUCTOR, INSTRUCTOR_PAGES, student_audience
from autograder.score.results import SubmissionResult


def finish(results: list[SubmissionResult], discovery: Discovery, course: Course,
           inputs: list[Path], config_path: Path, config_sha: str, out: Path,
           test_names: list[str],
           instructor_pages: bool = False) -> tuple[list[SubmissionResult], BatchRecord]:
    """Apply the course to `results`, write every output; return the rows and the record.
    The students' pages show what `visibility` allows now; `instructor_pages` also writes
    `out/instructor/<id>/feedback.html` with every check."""
    config: GradingConfig = course.config
    outcome = apply_course(course, results, discovery, inputs)
    audience = student_audience(config, out)  # (one "now" for every page of the batch)

    def write_row(result: SubmissionResult) -> None:
        write_results(result, results_path(out, result.submission_id))
        write_feedback(result, out, config.assignment, audience)
        if instructor_pages:
            write_feedback(result, out / INSTRUCTOR_PAGES, config.assignment, INSTRUCTOR)

    rows = outcome.results
    if rows:  # the first here: its templates compiled once, for the children to inherit
        write_row(rows[0])
    for_each(rows[1:], write_row)
    record = BatchRecord(ran_at=datetime.now(UTC).isoformat(timespec="seconds"),
                         engine_version=__version__, config_path=str(config_path.resolve()),
                         config_sha256=config_sha, inputs=[str(p) for p in inputs],
                         files=dict(course.files), skipped=list(discovery.skipped),
                         missing=outcome.missing, not_on_roster=outcome.not_on_roster,
                         problems=outcome.problems)
    record.sort_duplicates(discovery.duplicates)
    record.add_results(outcome.results)
    write_gradebook(outcome.results, test_names, out / "gradebook.csv")
    write_final_grades(outcome.results, out / FINAL_GRADES)
    record.write(out / BATCH)
    write_dashboard(outcome.results, config, out, batch=record, pages=False)
    return outcome.results, record
