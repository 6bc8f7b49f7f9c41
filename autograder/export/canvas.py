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

The score written is the final one (overrides and late penalty applied) of the
student's own row, as the gradebook shows it, never a maximum over their rows:
a further notebook of theirs (`<id>-2`, not the assignment's notebook) is listed,
not exported (the TA counts it with an override on the main row), and two rows
of one student that are each a hand-in of its own, with different finals, leave
the cell empty and are listed. A rostered student with nothing handed in and
no override gets an empty cell, which Canvas leaves alone (its
missing-submission policy applies). A submission no roster student owns cannot
be imported and is listed instead. Rows graded out of different maximums (the
config changed between runs) are refused, naming them, unless `mixed_max`:
Canvas would read every score against the one `Points Possible`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.course import extra_of
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
    unchosen: list[str] = field(default_factory=list)  # "key: why": left blank, rows disagree
    mixed: list[str] = field(default_factory=list)  # exported rows out of another maximum
    points: float = 0.0  # Points Possible

    def describe(self) -> str:
        lines = [f"canvas: {self.path}: {self.students} students, {self.scores} scores, "
                 f"{len(self.blank)} left blank (nothing handed in)"]
        lines += [f"  not exported: {line}" for line in self.left_out]
        lines += [f"  left blank: {line}" for line in self.unchosen]
        lines += [f"  several rows: {line}" for line in self.several]
        if self.mixed:
            lines.append(f"  warning: exported out of another maximum than Points Possible "
                         f"{self.points:g} (--mixed-max): {', '.join(self.mixed)}")
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


def export_canvas(grades: Path, out: Path, column: str, roster_path: Path | None = None,
                  mixed_max: bool = False) -> CanvasExport:
    """Write the import; `mixed_max`: export even when the rows' maximums differ (a config
    changed between runs; refused otherwise, CanvasExportError naming the rows)."""
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
    chosen = _students_rows(roster, results, report)
    top = _maximum(record, [r for r in chosen.values() if r is not None] or results)
    report.mixed = [f"{r.submission_id} (out of {r.max_score:g})" for r in chosen.values()
                    if r is not None and _score(r) != "" and r.max_score != top]
    if report.mixed and not mixed_max:
        raise CanvasExportError(
            f"{grades}: rows graded out of another maximum than {top:g}, the last run's (the "
            f"config changed between runs): {', '.join(report.mixed)}; Canvas would read each against "
            f"Points Possible {top:g}. Grade them again with the current config (give `grade` "
            "their notebooks again: a changed config grades them anew), or export anyway with "
            "--mixed-max")
    rows = [[*_identity(student, roster.kind), _score(chosen[student.key])]
            for student in roster.students]
    write_csv(out, [*HEADER, column], [_points_possible(top), *rows])
    report.students = len(rows)
    report.scores = sum(1 for row in rows if row[-1] != "")
    undecided = {line.split(": ", 1)[0] for line in report.unchosen}
    report.blank = [s.key for s in roster.students
                    if _score(chosen[s.key]) == "" and s.key not in undecided]
    report.points = top
    return report


def _maximum(record: BatchRecord, results: list[SubmissionResult]) -> float:
    """The lab's maximum: as the last run's config gives it (its rows, and the `missing`
    rows it made), else the highest of the rows'."""
    latest = Counter(r.max_score for r in results if r.status is Status.MISSING
                     or (r.config_sha256 and r.config_sha256 == record.config_sha256))
    if latest:
        return latest.most_common(1)[0][0]
    return max((r.max_score for r in results), default=0.0)


def _points_possible(top: float) -> list[str]:
    """Canvas's second row: the column's maximum, under the student columns left empty."""
    return [POINTS_POSSIBLE, *[""] * (len(HEADER) - 1), f"{round(top, 6):g}"]


def _score(result: SubmissionResult | None) -> str:
    """The final score the gradebook shows; empty only for nothing handed in and no override."""
    if result is None or (result.status is Status.MISSING
                          and not (result.final and result.final.overrides)):
        return ""
    return f"{round(result.final_score, 6):g}"


def _students_rows(roster: Roster, results: list[SubmissionResult],
                   report: CanvasExport) -> dict[str, SubmissionResult | None]:
    """Each rostered student's own row, by key (None: none to export)."""
    by_student: dict[str, list[SubmissionResult]] = {}
    for result in results:
        owner = _owner(roster, result)
        if owner is None:
            report.left_out.append(f"{result.submission_id}: not on the roster")
        else:
            by_student.setdefault(owner.key, []).append(result)
    return {student.key: _own_row(student.key, by_student.get(student.key, []), report)
            for student in roster.students}


def _own_row(key: str, mine: list[SubmissionResult],
             report: CanvasExport) -> SubmissionResult | None:
    """The student's row the gradebook gives them: never a maximum over their rows. Their
    further notebooks (`<id>-2`, ...: not the assignment's notebook) are not their grade;
    the TA chooses one with an override on the main row. Two rows that are each a main
    one (two hand-ins under two ids) with different finals: none is exported."""
    ids = {r.submission_id for r in mine}
    main = [r for r in mine if not extra_of(r.submission_id, ids)]
    extras = sorted(r.submission_id for r in mine if r not in main)
    if len(main) == 1:
        chosen = main[0]
        if extras:
            report.several.append(
                f"{key}: exported {chosen.submission_id} ({_score(chosen) or 'blank'}), their "
                f"main notebook's row; not their further notebooks {', '.join(extras)}. To count "
                f"one of those, override {chosen.submission_id} (overrides.csv: "
                f"{chosen.submission_id},total,<points>,<reason>,<who>)")
        return chosen
    if not main:
        return None
    finals = {_score(r) for r in main}
    listed = ", ".join(f"{r.submission_id} ({_score(r) or 'blank'})" for r in main)
    if len(finals) == 1:
        report.several.append(f"{key}: rows {listed} give the same final; exported it")
        return main[0]
    report.unchosen.append(f"{key}: several rows, each a hand-in of its own: {listed}; left "
                           "blank: keep one (delete the other's folder in the grades folder) "
                           "or decide with an override, then export again")
    return None


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
