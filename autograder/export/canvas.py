"""A Canvas gradebook import file from a graded output folder, matched through the roster.

Canvas imports a CSV whose first columns identify the student (`Student, ID,
SIS User ID, SIS Login ID, Section`; it matches on the ids) followed by one
column per assignment, named `<name> (<assignment id>)` as in Canvas's own
gradebook export; a column name Canvas does not know becomes a new
assignment. The score written is the final one (overrides and late penalty
applied); a rostered student with nothing handed in gets an empty cell, which
Canvas leaves alone (its missing-submission policy applies). A submission no
roster student owns cannot be imported and is listed instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.roster import Roster, RosterError, Student, load_roster
from autograder.report.batch_record import BATCH, BatchRecord
from autograder.report.csvfile import write_csv
from autograder.report.gradescope import read_results, results_path
from autograder.report.sanitize import csv_cell
from autograder.score.results import Status, SubmissionResult

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
_CANVAS_ID = re.compile(r"^(?P<name>.+)_(?P<uid>\d+)(?:-\d+)?$")


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
    report = CanvasExport(out)
    rows = _with_roster(roster, results, report) if roster else _without_roster(results, report)
    write_csv(out, [*HEADER, column], rows)
    report.students = len(rows)
    report.scores = sum(1 for row in rows if row[-1] != "")
    return report


def _score(result: SubmissionResult | None) -> str:
    if result is None or result.status is Status.MISSING:
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
        if chosen is None or chosen.status is Status.MISSING:
            report.blank.append(student.key)
        rows.append([csv_cell(student.name), csv_cell(student.canvas_id),
                     csv_cell(student.sis_user_id or student.sid),
                     csv_cell(student.sis_login_id or student.email), csv_cell(student.section),
                     _score(chosen)])
    return rows


def _owner(roster: Roster, result: SubmissionResult) -> Student | None:
    final = result.final
    if final is not None and final.roster_id:
        for student in roster.students:
            if student.roster_id == final.roster_id:
                return student
    return roster.match(result.submission_id)


def _without_roster(results: list[SubmissionResult], report: CanvasExport) -> list[list[str]]:
    """Canvas-named submissions only: `<name>_<user id>` gives the Canvas ID."""
    by_uid: dict[str, list[SubmissionResult]] = {}
    names: dict[str, str] = {}
    for result in results:
        match = _CANVAS_ID.match(result.submission_id)
        if match is None:
            report.left_out.append(f"{result.submission_id}: no Canvas user id in the name "
                                   "(give --roster)")
            continue
        by_uid.setdefault(match["uid"], []).append(result)
        names.setdefault(match["uid"], match["name"])
    rows = []
    for uid, mine in sorted(by_uid.items(), key=lambda kv: names[kv[0]]):
        best = _best(uid, mine, report)
        rows.append([csv_cell(names[uid]), uid, "", "", "", _score(best)])
    return rows
