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

Canvas reads an existing column's scores against the points that assignment is worth in
Canvas, never against the file's `Points Possible` row. So when the roster is Canvas's own
gradebook export and its `Points Possible` row gives the target column another maximum
than the lab's (a 135-point lab in a 100-point column), every score is scaled to it
(`final × 100 / 135`, to 0.01) and the summary says so: written unscaled, 135 / 135 would
import as 135 %. A column without Canvas's assignment id (`Lab 5` rather than `Lab 5
(123456)`) is written, with a warning: Canvas creates a new assignment from it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from autograder.batch.roster import Roster, RosterError, Student, load_roster
from autograder.report.batch_record import BATCH, BatchRecord
from autograder.report.csvfile import read_csv, write_csv
from autograder.report.gradescope import read_results, results_path, unfinished
from autograder.report.sanitize import csv_cell
from autograder.score.results import Status, SubmissionResult, own_row

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
_ASSIGNMENT_ID = re.compile(r"\(\d+\)\s*$")  # Canvas's column name ends in its assignment id
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
    blank: list[str] = field(default_factory=list)  # rostered, nothing handed in, no override
    zeroed: list[str] = field(default_factory=list)  # ... sent as 0 (`missing="zero"`)
    still_open: list[str] = field(default_factory=list)  # "id (until ...)": ... window open
    left_out: list[str] = field(default_factory=list)  # "id: why"
    several: list[str] = field(default_factory=list)  # a student with more than one row
    unchosen: list[str] = field(default_factory=list)  # "key: why": left blank, rows disagree
    no_row: list[str] = field(default_factory=list)  # rostered, no row in the grades folder
    mixed: list[str] = field(default_factory=list)  # exported rows out of another maximum
    points: float = 0.0  # Points Possible (the column's, when the scores were scaled to it)
    lab_max: float = 0.0  # the lab's maximum, as graded
    column: str = ""
    warnings: list[str] = field(default_factory=list)
    check: list[str] = field(default_factory=list)  # "key: why": sent, worth a look first

    @property
    def scaled(self) -> bool:
        return bool(self.lab_max) and self.points != self.lab_max

    def describe(self) -> str:
        kinds = [(len(self.blank), "nothing handed in"),
                 (len(self.still_open), "nothing handed in yet, still open"),
                 (len(self.unchosen), "with rows that disagree"),
                 (len(self.no_row), "with no row in the grades folder")]
        blanks = sum(n for n, _ in kinds)
        why = ", ".join(f"{n} {what}" for n, what in kinds if n)
        lines = [f"canvas: {self.path}: {self.students} students, {self.scores} scores, "
                 f"{blanks} left blank" + (f" ({why})" if why else "")]
        if self.scaled:
            lines.append(
                f"  scaled: {self.column!r} is worth {self.points:g} points in Canvas (the "
                f"roster's Points Possible row), the lab {self.lab_max:g}: each final score "
                f"× {self.points:g}/{self.lab_max:g}, to 0.01 ({self.lab_max:g} is sent as "
                f"{self.points:g}). To send points out of {self.lab_max:g}, make the "
                f"assignment worth {self.lab_max:g} in Canvas and give its new gradebook "
                "export as --roster")
        lines += [f"  warning: {line}" for line in self.warnings]
        lines += [f"  check: {line}" for line in self.check]
        if self.zeroed:
            lines.append(f"  0 for nothing handed in (missing: zero), no override: "
                         f"{', '.join(self.zeroed)}")
        if self.still_open:
            lines.append(f"  left blank, nothing handed in yet, still open to them (missing: "
                         f"zero waits until then): {', '.join(self.still_open)}")
        if self.blank:
            lines.append(f"  left blank, nothing handed in and no override: {', '.join(self.blank)}")
        lines += [f"  left blank: {line}" for line in self.unchosen]
        if self.no_row:
            lines.append(f"  left blank, no row in the grades folder (not on the run's roster?): "
                         f"{', '.join(self.no_row)}")
        lines += [f"  not exported: {line}" for line in self.left_out]
        lines += [f"  several rows: {line}" for line in self.several]
        if self.mixed:
            lines.append(f"  warning: exported out of another maximum than Points Possible "
                         f"{self.lab_max or self.points:g} (--mixed-max): {', '.join(self.mixed)}")
        return "\n".join(lines)


def _results(grades: Path) -> tuple[BatchRecord, list[SubmissionResult]]:
    batch_path = grades / BATCH
    if not batch_path.is_file():
        raise CanvasExportError(f"{grades} holds no {BATCH}: grade first "
                                f"(`python -m autograder grade ... --out {grades}`)")
    try:
        record = BatchRecord.read(batch_path)
        results = [read_results(results_path(grades, sid)) for sid in record.rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CanvasExportError(f"{grades}: results could not be read ({exc})") from None
    stopped = unfinished(results, grades)
    if stopped:
        raise CanvasExportError(stopped)
    return record, results


def export_canvas(grades: Path, out: Path, column: str, roster_path: Path | None = None,
                  mixed_max: bool = False, missing: str = "blank",
                  now: datetime | None = None) -> CanvasExport:
    """Write the import; `mixed_max`: export even when the rows' maximums differ (a config
    changed between runs; refused otherwise, CanvasExportError naming the rows); `missing`:
    "zero" sends 0 for a rostered student with nothing handed in and no override, once their
    hand-in window (`Late.closes`, extension applied) has closed at `now` (default: the
    moment of the export), "blank" leaves the cell empty."""
    record, results = _results(grades)
    if roster_path is None and record.files.get("roster"):
        roster_path = Path(record.files["roster"])
    try:
        roster = load_roster(roster_path) if roster_path is not None else None
    except RosterError as exc:
        raise CanvasExportError(str(exc)) from None
    if roster is None:
        raise CanvasExportError(NO_ROSTER)
    report = CanvasExport(out, column=column)
    chosen = _students_rows(roster, results, report)
    top = _maximum(record, [r for r in chosen.values() if r is not None] or results)
    worth = _column_points(roster, column, report)
    report.mixed = [f"{r.submission_id} (out of {r.max_score:g})" for r in chosen.values()
                    if r is not None and _score(r) != "" and r.max_score != top]
    if report.mixed and not mixed_max:
        raise CanvasExportError(
            f"{grades}: rows graded out of another maximum than {top:g}, the last run's (the "
            f"config changed between runs): {', '.join(report.mixed)}; Canvas would read each against "
            f"Points Possible {top:g}. Grade them again with the current config (give `grade` "
            "their notebooks again: a changed config grades them anew), or export anyway with "
            "--mixed-max")
    points = worth if worth is not None and worth > 0 and worth != top and top > 0 else top
    zero = _zero_for_missing(chosen, report, now or datetime.now(UTC)) \
        if missing == "zero" else set()
    rows = [[*_identity(student, roster.kind),
             "0" if student.key in zero else _score(chosen[student.key], top, points)]
            for student in roster.students]
    write_csv(out, [*HEADER, column], [_points_possible(points), *rows])
    report.students = len(rows)
    report.scores = sum(1 for row in rows if row[-1] != "")
    undecided = {line.split(": ", 1)[0] for line in report.unchosen}
    mine = {key for key, row in chosen.items() if row is not None}
    waiting = {line.split(" (", 1)[0] for line in report.still_open}
    report.blank = [s.key for s in roster.students if s.key in mine and s.key not in zero
                    and s.key not in waiting and _score(chosen[s.key]) == ""]
    report.no_row = [s.key for s in roster.students
                     if s.key not in mine and s.key not in undecided]
    assert report.students == (report.scores + len(report.blank) + len(report.no_row)
                               + len(undecided) + len(waiting)), "every empty cell has its reason"
    report.points, report.lab_max = points, top
    report.check = _to_check(chosen, top, record.config_sha256)
    if worth == 0 and top > 0:
        report.warnings.append(
            f"{column!r} is worth 0 points in Canvas (the roster's Points Possible row): "
            f"scores are sent out of the lab's {top:g}, as extra credit")
    return report


def _to_check(chosen: dict[str, SubmissionResult | None], top: float,
              config_sha256: str = "") -> list[str]:
    """The scores sent that a TA should look at before importing them, as `grade`'s summary
    flagged them (an ops review: the export said nothing of a final of -69 or of 136, nor of
    a notebook that could not be graded, sent as 0): a final outside 0..maximum, a row whose
    notebook was not graded (invalid, timed out, crashed), and a row kept from a run under
    another config than the last run's (`config_sha256`: a semester review re-ran one section
    after a tolerance fix; the other sections' rows kept the old one, exported silently)."""
    found = []
    for key, row in chosen.items():
        if row is None or row.status is Status.MISSING or _score(row) == "":
            continue
        if config_sha256 and row.config_sha256 and row.config_sha256 != config_sha256:
            found.append(f"{key}: graded under another config than the last run's (its tests, "
                         "limits, tolerances or visibility): give `grade` its notebook again")
        final = row.final.final if row.final is not None else row.score
        if final < 0 or final > top:
            found.append(f"{key}: final {final:g} is outside 0..{top:g} (overrides)")
        if row.status is not Status.GRADED:
            why = f" ({row.reason[:120]})" if row.reason else ""
            found.append(f"{key}: {row.status.value}{why}, sent as {final:g}")
    return found


def _zero_for_missing(chosen: dict[str, SubmissionResult | None], report: CanvasExport,
                      now: datetime) -> set[str]:
    """The students sent 0 for nothing handed in: no override, and their window closed (a
    row with no deadline known closes at once); the rest still open are listed, not zeroed
    (a 0 in Canvas while an extension runs tells the student they failed)."""
    zero: set[str] = set()
    for key, row in chosen.items():
        if row is None or row.status is not Status.MISSING or _score(row) != "":
            continue
        late = row.final.late if row.final is not None else None
        closes = _moment(late.closes) if late is not None else None
        if late is not None and closes is not None and closes > now:
            report.still_open.append(f"{key} (until {late.closes})")
        else:
            zero.add(key)
            report.zeroed.append(key)
    return zero


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _column_points(roster: Roster, column: str, report: CanvasExport) -> float | None:
    """What Canvas's column is worth, from the `Points Possible` row of Canvas's gradebook
    export given as the roster (None: not said there); a column without an assignment id
    is warned about (Canvas creates a new assignment from it)."""
    try:
        rows = read_csv(roster.path) if roster.kind == "canvas" else []
    except (OSError, UnicodeDecodeError, ValueError):
        rows = []
    known = [c for c in (rows[0] if rows else {}) if _ASSIGNMENT_ID.search(c)]
    if not _ASSIGNMENT_ID.search(column):
        like = [c for c in known if c.casefold().startswith(column.strip().casefold())]
        report.warnings.append(
            f"column {column!r} has no Canvas assignment id ('<name> (<id>)'): Canvas creates a "
            "new assignment from it" + (f"; to fill the existing one, pass --column {like[0]!r}"
                                        if like else
                                        "; to fill an existing one, pass its name as Canvas's "
                                        "gradebook export writes it, e.g. 'Lab 5 (123456)'"))
    elif known and column not in known:
        report.warnings.append(f"column {column!r} is not in the roster's gradebook export "
                               f"{roster.path} (its assignments: {', '.join(known[:5])}"
                               f"{' ...' if len(known) > 5 else ''})")
    for row in rows:
        if row.get("Student", "").strip().casefold() == POINTS_POSSIBLE.casefold():
            try:
                worth = float(row.get(column, "").strip())
            except ValueError:
                return None
            return worth if math.isfinite(worth) and worth >= 0 else None
    return None


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


def _score(result: SubmissionResult | None, lab_max: float = 0.0, points: float = 0.0) -> str:
    """The final score the gradebook shows (scaled from `lab_max` to `points` when they
    differ, to 0.01); empty only for nothing handed in and no override."""
    score = result.lms_score if result is not None else None
    if score is None:
        return ""
    if lab_max > 0 and points != lab_max:
        return f"{round(score * points / lab_max, 2):g}"
    return f"{score:g}"


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
    """The student's row the gradebook gives them (`results.own_row`, the rule the dashboard
    counts by too), with what was not exported listed in `report`."""
    own = own_row(mine)
    chosen = own.row
    if chosen is not None and own.extras:
        report.several.append(
            f"{key}: exported {chosen.submission_id} ({_score(chosen) or 'blank'}), their "
            f"main notebook's row; not their further notebooks {', '.join(own.extras)}. To count "
            f"one of those, override {chosen.submission_id} (overrides.csv: "
            f"{chosen.submission_id},total,<points>,<reason>,<who>)")
    listed = ", ".join(f"{r.submission_id} ({_score(r) or 'blank'})" for r in own.mains)
    if chosen is not None and own.others:
        report.several.append(f"{key}: rows {listed} give the same final; exported it")
    if own.disagree:
        report.unchosen.append(f"{key}: several rows, each a hand-in of its own: {listed}; left "
                               "blank: keep one (delete the other's folder in the grades folder) "
                               "or decide with an override, then export again")
    return chosen


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
        # The id another roster knew them by, which this one holds too (a Gradescope SID is
        # Canvas's SIS User ID: an outside red team's export of a Gradescope-roster run with
        # Canvas's gradebook as the roster matched nobody). Never a Canvas user id: those are
        # numbers another student's SID may be.
        wanted = final.roster_id.strip().lower()
        if wanted and wanted not in roster.shared:
            for student in roster.students:
                if wanted in student.names():
                    return student
    if final is not None and final.roster:
        # (the run had a roster and found nobody: not guessed again here — outside red team
        # 97's `mallory_1002`, a name Mallory chose, which the run left on no roster, was read
        # as Canvas user 1002's and blanked Alice's cell as "several rows")
        return None
    return roster.match(result.submission_id)  # (a run without a roster: its ids as they are)
