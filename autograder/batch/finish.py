"""The end of a batch: the course applied, then every file a person reads written once.

Grading produces raw results; this turns them into the batch's outputs in
one place, so each file agrees with the others: `results.json` per row (raw
verdicts, final score, trace), `gradebook.csv`, `final_grades.csv`,
`batch.json`, the feedback pages and the dashboard.

Results accumulate in the output folder, as in nbgrader's gradebook: the rows
are this run's results *and* every result an earlier run left in `--out` for
a submission this run was not given (`earlier_results`), so grading one late
notebook into the class's folder never turns the others into `missing` and
every file above still lists the whole class. `missing` is only for a
rostered student with no result on disk at all. An earlier result is left out
only when this run graded its very file under another id (the file decides,
not the old name), or when it was itself a `missing` row (made again from the
roster if still due).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from autograder import __version__
from autograder.batch.course import Course, apply_course
from autograder.batch.discover import Discovery
from autograder.batch.fanout import for_each
from autograder.config import GradingConfig
from autograder.report.batch_record import BATCH, FINAL_GRADES, BatchRecord, write_final_grades
from autograder.report.dashboard import write_dashboard
from autograder.report.feedback import lab_title, write_feedback
from autograder.report.gradebook import write_gradebook
from autograder.report.gradescope import RESULTS, read_results, results_path, write_results
from autograder.report.visibility import INSTRUCTOR, INSTRUCTOR_PAGES, student_audience
from autograder.score.results import Status, SubmissionResult


def finish(results: list[SubmissionResult], discovery: Discovery, course: Course,
           inputs: list[Path], config_path: Path, config_sha: str, out: Path,
           test_names: list[str], instructor_pages: bool = False, *,
           engine: str = __version__,
           checks_changed: Sequence[str] = ()) -> tuple[list[SubmissionResult], BatchRecord]:
    """Apply the course to `results` and the earlier results in `out`, write every output;
    return the rows and the record. The students' pages show what `visibility` allows now;
    `instructor_pages` also writes `out/instructor/<id>/feedback.html` with every check.
    `engine`: what graded this run (`run.grading_code`); `checks_changed`: ids regraded
    because it changed."""
    config: GradingConfig = course.config
    earlier, notes = earlier_results(out, results, discovery)
    discovery.duplicates += same_as_earlier(results, earlier)
    outcome = apply_course(course, results + earlier, discovery, inputs)
    audience = student_audience(config, out)  # (one "now" for every page of the batch)
    title = lab_title(config_path.parent, config.assignment)  # the lab's TITLE, else its name

    def write_row(result: SubmissionResult) -> None:
        write_results(result, results_path(out, result.submission_id))
        write_feedback(result, out, title, audience)
        if instructor_pages:
            write_feedback(result, out / INSTRUCTOR_PAGES, title, INSTRUCTOR)

    rows = outcome.results
    if rows:  # the first here: its templates compiled once, for the children to inherit
        write_row(rows[0])
    for_each(rows[1:], write_row)
    record = BatchRecord(ran_at=datetime.now(UTC).isoformat(timespec="seconds"),
                         engine_version=engine, config_path=str(config_path.resolve()),
                         config_sha256=config_sha, inputs=[str(p) for p in inputs],
                         files=dict(course.files), skipped=list(discovery.skipped),
                         missing=outcome.missing, not_on_roster=outcome.not_on_roster,
                         problems=outcome.problems + notes,
                         earlier=sorted(r.submission_id for r in earlier),
                         checks_changed=sorted(checks_changed))
    record.sort_duplicates(discovery.duplicates)
    record.add_results(outcome.results)
    write_gradebook(outcome.results, test_names, out / "gradebook.csv")
    write_final_grades(outcome.results, out / FINAL_GRADES)
    record.write(out / BATCH)
    write_dashboard(outcome.results, config, out, batch=record, pages=False, title=title)
    return outcome.results, record


def same_as_earlier(results: list[SubmissionResult],
                    earlier: list[SubmissionResult]) -> list[str]:
    """A duplicate line for each row of this run whose notebook has the same bytes as a row
    kept from an earlier run under another id (a semester review graded one section, then
    another: a byte-identical copy across them was never named, though every result holds
    its notebook's sha256). Within one run, discovery names them."""
    first: dict[str, SubmissionResult] = {}
    for row in earlier:
        if row.source_sha256 and row.status is not Status.MISSING:
            first.setdefault(row.source_sha256, row)
    lines = []
    for row in results:
        same = first.get(row.source_sha256) if row.source_sha256 else None
        if same is not None and same.submission_id != row.submission_id:
            lines.append(f"{row.trace.source or row.submission_id}: same bytes as "
                         f"{same.trace.source or same.submission_id} ({same.submission_id}, "
                         f"graded in an earlier run); graded as {row.submission_id} too")
    return lines


def earlier_results(out: Path, results: list[SubmissionResult],
                    discovery: Discovery) -> tuple[list[SubmissionResult], list[str]]:
    """The results earlier runs wrote into `out` for submissions this run was not given,
    and a line for each one left out for a reason a TA should see."""
    given = {r.submission_id for r in results}
    sources = {f.origin for f in discovery.submissions}
    kept: list[SubmissionResult] = []
    notes: list[str] = []
    for path in sorted(out.glob(f"*/{RESULTS}")):
        sid = path.parent.name
        if sid in given or sid.startswith(".") or sid == INSTRUCTOR_PAGES or path.is_symlink():
            continue
        try:
            result = read_results(path)
        except (ValueError, KeyError, TypeError, OSError) as exc:
            notes.append(f"{path}: an earlier result that cannot be read ({type(exc).__name__}); "
                         "not in the gradebook")
            continue
        if result.status is Status.MISSING:
            continue  # nothing was handed in: the roster says again whether that still holds
        if result.submission_id != sid:
            notes.append(f"{path}: holds the result of {result.submission_id!r}, not {sid!r}; "
                         "not in the gradebook")
            continue
        if result.trace.source and result.trace.source in sources:
            notes.append(f"{sid}: an earlier result for {result.trace.source}, graded in this "
                         "run under another id; left out")
            continue
        kept.append(result)
    return kept, notes
