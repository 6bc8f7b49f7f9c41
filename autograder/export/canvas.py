"""A Canvas gradebook import file from a graded output folder, matched through the roster.

Canvas imports a CSV whose first columns identify the student (`Student, ID,
SIS User ID, SIS Login ID, Section`) followed by one column per assignment,
named `<name> (<assignment id>)` as in Canvas's own gradebook export; a column
name Canvas does not know becomes a new assignment. The row under the header,
`Points Possible`, gives the column's maximum (the only place the importer
reads a new assignment's points from). Canvas matches each row on `ID` (its
user id), then `SIS User ID`, then `SIS Login ID`, then the name.

So every id written comes from a roster, never from a file name: without a
roster the export refuses (a number in `submission_1001` or `jones_lab_5` is
not a Canvas user id, and a wrong one lands the grade on another student).
A roster without Canvas ids (Gradescope's, or a plain `id` list) leaves `ID`
empty and fills the SIS columns Canvas also matches on.

The score written is the final one (overrides and late penalty applied), as
the gradebook shows it; a rostered student with nothing handed in and no
override gets an empty cell, which Canvas leaves alone (its missing-submission
policy applies). A submission no roster student owns cannot be imported and
is listed instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.roster import Roster, RosterError, Student, load_roster
from autograder.report.batch_record import BATCH, BatchRecord
from autograder.report.csvfile import write_csv
from autograder.report.gradescope import read_results, results_path
from autograder.report.sanitize import csv_cell
from autograder.score.results import Status, SubmissionResult

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
NO_ROSTER = ("no roster to match students through: give --roster with Canvas's gradebook "
             "export (Grades → Export; it also names the column, '<name> (<assignment id>)'), "
             "or grade with --roster; Canvas ids are never guessed from file names")


class CanvasExportError(Exception):
    """The grades folder or roster cannot be exported; the message says which and why."""


@dataclass
class CanvasExport:
    path: Path
    students: int = 0
    scores: int = 0
    blank: list[str] = field(default_factory=list)  # rostered, nothing handed in
    left_out: list[str] = field(default_factory=list)  # "id: why"
    several: list[str] = field(default_factory=list)  # a student with more than one row

    def describe(self) -> str:
        lines = [f"canvas: {self.path}: {self.students} students, {self.scores} scores, "
                 f"{len(self.blank)} left blank (nothing handed in)"]
        lines += [f"  not exported: {line}" for line in self.left_out]
        lines += [f"  several rows: {line}" for line in self.several]
        return "\n".join(lines)


def _results(grades: Path) -> tuple[BatchRecord, list[SubmissionResult]]:
    batch_path = grades / BATCH
    if not batch_path.is_file():
        raise CanvasExportError(f"{grades} holds no {BATCH}: grade first "
                                f"(`python -m autograder grade ... --out {grades}`)")
    try:
        record = BatchRecord.read(batch_path)
        return record, [read_results(results_path(grades, sid)) for sid in record.rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CanvasExportError(f"{grades}: results could not be read ({exc})") from None


def export_canvas(grades: Path, out: Path, column: str, roster_path: Path | None = None) -> CanvasExport:
    record, results = _results(grades)
    if roster_path is None and record.files.get("roster"):
        roster_path = Path(record.files["roster"])
    try:
        roster = load_roster(roster_path) if roster_path is not None else None
    except RosterError as exc:
        raise CanvasExportError(str(exc)) from None
    if roster is None:
        raise CanvasExportError(NO_ROSTER)
    report = CanvasExport(out)
    rows = _with_roster(roster, results, report)
    write_csv(out, [*HEADER, column], [_points_possible(results), *rows])
    report.students = len(rows)
    report.scores = sum(1 for row in rows if row[-1] != "")
    return report


def _points_possible(results: list[SubmissionResult]) -> list[str]:
    """Canvas's second row: the column's maximum, under the student columns left empty."""
    top = max((r.max_score for r in results), default=0.0)
    return [POINTS_POSSIBLE, *[""] * (len(HEADER) - 1), f"{round(top, 6):g}"]


def _score(result: SubmissionResult | None) -> str:
    """The final score the gradebook shows; empty only for nothing handed in and no override."""
    if result is None or (result.status is Status.MISSING
                          and not (result.final and result.final.overrides)):
        return ""
    return f"{round(result.final_score, 6):g}"


def _best(sid: str, rows: list[SubmissionResult], report: CanvasExport) -> SubmissionResult:
    best = max(rows, key=lambda r: (r.status is not Status.MISSING, r.final_score))
    if len(rows) > 1:
        report.several.append(f"{sid}: {', '.join(r.submission_id for r in rows)}; exported "
                              f"{best.submission_id} (the highest)")
    return best


def _with_roster(roster: Roster, results: list[SubmissionResult],
                 report: CanvasExport) -> list[list[str]]:
    by_student: dict[str, list[SubmissionResult]] = {}
    for result in results:
        owner = _owner(roster, result)
        if owner is None:
            report.left_out.append(f"{result.submission_id}: not on the roster")
        else:
            by_student.setdefault(owner.key, []).append(result)
    rows = []
    for student in roster.students:
        mine = by_student.get(student.key, [])
        chosen = _best(student.key, mine, report) if mine else None
        score = _score(chosen)
        if score == "":
            report.blank.append(student.key)
        rows.append([*_identity(student, roster.kind), score])
    return rows


def _identity(student: Student, kind: str) -> list[str]:
    """The student columns: Canvas's own ids, else the SIS ones Canvas also matches on (a
    plain roster's `id` as the SIS User ID); never an id the roster does not give."""
    sis_user = student.sis_user_id or student.sid or (student.key if kind == "plain" else "")
    return [csv_cell(student.name), csv_cell(student.canvas_id), csv_cell(sis_user),
            csv_cell(student.sis_login_id or student.email), csv_cell(student.section)]


def _owner(roster: Roster, result: SubmissionResult) -> Student | None:
    final = result.final
    if final is not None and final.roster_id:
        for student in roster.students:
            if student.roster_id == final.roster_id:
                return student
    return roster.match(result.submission_id)
