"""The course around a batch: roster, deadline, overrides, and where each result came from.

Loaded and checked before anything is graded (`load_course`: every problem in
the side files at once, one line each, so a typo never costs a grading run),
applied after grading (`apply_course`): each row gets its student, its late
penalty, its overrides and its final score; every rostered student nothing
was found for gets a `missing` row; a submission nobody on the roster owns is
flagged. Pure bookkeeping on finished results: nothing here is graded.

A row with no `Found` is a result an earlier run left in the output folder
(`finish.earlier_results`): this run's inputs say nothing about it, so what
that run learnt from its own inputs stands in for them (who the student was
on the roster, the Gradescope time, the Canvas `_LATE_` mark in its source),
while the roster, overrides and deadline are this run's, as for every row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TypeVar

from autograder import __version__
from autograder.batch.discover import Discovery, Found
from autograder.batch.roster import Roster, RosterError, Student, load_roster
from autograder.batch.submitted import LmsRecords, canvas_marked_late, read_lms_records
from autograder.config import ConfigError, GradingConfig
from autograder.score.final import Final, Late, Standing, Trace, finalise
from autograder.score.late import (
    Extension,
    LateError,
    assess,
    load_extensions,
    load_submission_times,
    unmatched,
    zone,
)
from autograder.score.overrides import Override, OverrideError, apply_overrides, load_overrides
from autograder.score.results import Status, SubmissionResult
from autograder.score.scoring import unscored

NOT_ON_ROSTER = "not on roster"
ENROLLED = "enrolled"
MISSING_REASON = "no submission received"
GRADESCOPE_TIME = "Gradescope metadata"
T = TypeVar("T")


@dataclass
class Course:
    config: GradingConfig
    roster: Roster | None = None
    overrides: list[Override] = field(default_factory=list)
    extensions: dict[str, Extension] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # what was read: roster, overrides, ...


@dataclass
class CourseOutcome:
    results: list[SubmissionResult]
    missing: list[str] = field(default_factory=list)
    not_on_roster: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # ids in side files that match nobody


def _where(given: str | Path | None, config_value: str | None, config_path: Path) -> Path | None:
    if given is not None:
        return Path(given)
    if config_value:
        path = Path(config_value)
        return path if path.is_absolute() else config_path.parent / path
    return None


def load_course(config: GradingConfig, config_path: Path, roster: Path | None = None,
                overrides: Path | None = None) -> Course:
    """Read the roster, overrides, extensions and submission times; ConfigError lists every problem."""
    course = Course(config)
    problems: list[str] = []
    roster_path = _where(roster, config.roster, config_path)
    if roster_path is not None:
        try:
            course.roster = load_roster(roster_path)
            course.files["roster"] = str(roster_path)
        except RosterError as exc:
            problems.append(str(exc))
    overrides_path = _where(overrides, config.overrides, config_path)
    if overrides_path is not None:
        try:
            course.overrides = load_overrides(overrides_path, list(config.tests))
            course.files["overrides"] = str(overrides_path)
        except OverrideError as exc:
            problems += str(exc).splitlines()
    deadline = config.deadline
    if deadline is not None:
        where = zone(deadline)
        for key, loader in (("extensions", load_extensions),
                            ("submission_times", load_submission_times)):
            path = _where(None, getattr(deadline, key), config_path)
            if path is None:
                continue
            try:
                setattr(course, "extensions" if key == "extensions" else "times",
                        loader(path, where))
                course.files[key] = str(path)
            except LateError as exc:
                problems += str(exc).splitlines()
    if problems:
        raise ConfigError("\n".join(problems))
    return course


def _lookup(table: dict[str, T], sid: str, student: Student | None,
               roster: Roster | None) -> T | None:
    """A side file's entry for this row: by submission id, else by any roster id of its student."""
    if sid in table:
        return table[sid]
    if student is not None and roster is not None:
        for key, value in table.items():
            if roster.find(key) == student:
                return value
    return None


def apply_course(course: Course, results: list[SubmissionResult], discovery: Discovery,
                 inputs: list[Path]) -> CourseOutcome:
    config, roster = course.config, course.roster
    where: tzinfo = zone(config.deadline) if config.deadline else UTC
    lms = read_lms_records(inputs, where)
    found = {f.submission_id: f for f in discovery.submissions}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    outcome = CourseOutcome(results=[], problems=list(lms.problems))
    owners: dict[str, Student | None] = {}
    for result in results:
        _trace(result, found.get(result.submission_id), now)
        owners[result.submission_id] = _owner(roster, result.submission_id, lms) or (
            None if result.submission_id in found else _earlier_owner(roster, result))
    rows = list(results)
    if roster is not None:
        claimed = {s.key for s in owners.values() if s is not None}
        for student in roster.students:
            if student.key not in claimed and student.key not in owners:
                missing = unscored(student.key, config, Status.MISSING, MISSING_REASON)
                missing.trace = Trace(graded_at=now, engine_version=__version__)
                rows.append(missing)
                owners[student.key] = student
                outcome.missing.append(student.key)
        outcome.not_on_roster = sorted(sid for sid, s in owners.items() if s is None)
    targets = _override_targets(course, owners, outcome)
    for table, what in ((course.extensions, "extension not applied"),
                        (course.times, "time not used")):
        outcome.problems += unmatched(table, lambda key: bool(_rows_for(key, roster, owners)), what)
    for result in rows:
        sid = result.submission_id
        owner = owners.get(sid)
        standing = Standing()
        if roster is not None:
            standing.roster = ENROLLED if owner is not None else NOT_ON_ROSTER
        if owner is not None:
            standing.name, standing.roster_id = owner.name, owner.roster_id
        else:
            standing.name = (", ".join(lms.gradescope[sid].names) if sid in lms.gradescope
                             else _earlier(result, found).name)
        if config.deadline is not None and result.status is not Status.MISSING:
            standing.late = _late(course, result, found.get(sid), owner, lms)
        scores = {t.name: t.score for t in result.tests}
        standing.overrides = apply_overrides(scores, targets.get(sid, []))
        result.final = finalise(result.score, standing)
        outcome.results.append(result)
    outcome.results.sort(key=lambda r: r.submission_id)
    return outcome


def _trace(result: SubmissionResult, found: Found | None, now: str) -> None:
    trace = result.trace
    if not result.source_sha256 and found is not None and found.path.is_file():
        result.source_sha256 = hashlib.sha256(found.path.read_bytes()).hexdigest()  # invalid rows
    result.trace = replace(trace, source=found.origin if found else trace.source,
                           attempt=found.attempt if found else trace.attempt,
                           graded_at=trace.graded_at or now,
                           engine_version=trace.engine_version or __version__)


def _earlier(result: SubmissionResult, found: dict[str, Found]) -> Final:
    """What an earlier run's inputs said about a row this run was not given (an empty
    `Final` for a row of this run's own, or one never finalised)."""
    if result.submission_id in found or result.final is None:
        return Final(0.0, 0.0, 0.0, 0.0)
    return result.final


def _earlier_owner(roster: Roster | None, result: SubmissionResult) -> Student | None:
    """The student an earlier run matched this row to (by LMS metadata this run lacks)."""
    final = result.final
    if roster is None or final is None or final.roster != ENROLLED or not final.roster_id:
        return None
    return roster.find(final.roster_id)


def _owner(roster: Roster | None, sid: str, lms: LmsRecords) -> Student | None:
    if roster is None:
        return None
    submitters = lms.gradescope[sid].submitters if sid in lms.gradescope else ()
    return roster.match(sid, submitters)


def _override_targets(course: Course, owners: dict[str, Student | None],
                      outcome: CourseOutcome) -> dict[str, list[Override]]:
    targets: dict[str, list[Override]] = {}
    for override in course.overrides:
        ids = _rows_for(override.target, course.roster, owners)
        if not ids:
            outcome.problems.append(f"{course.files.get('overrides', 'overrides')}:{override.line}: "
                                    f"{override.target}: matches no submission or student; "
                                    "not applied")
        for sid in ids:
            targets.setdefault(sid, []).append(override)
    return targets


def _rows_for(key: str, roster: Roster | None, owners: dict[str, Student | None]) -> list[str]:
    """The rows a side file's id names: that submission, else every row of that roster student."""
    if key in owners:
        return [key]
    student = roster.find(key) if roster else None
    return [sid for sid, s in owners.items() if student is not None and s == student]


def _late(course: Course, result: SubmissionResult, found: Found | None, student: Student | None,
          lms: LmsRecords) -> Late:
    deadline = course.config.deadline
    assert deadline is not None
    sid = result.submission_id
    extension = _lookup(course.extensions, sid, student, course.roster)
    record = lms.gradescope.get(sid)
    submitted: datetime | None = None
    if record is not None and record.at is not None:
        submitted, source = record.at, GRADESCOPE_TIME
    else:
        submitted = _lookup(course.times, sid, student, course.roster)
        source = "submission_times" if submitted is not None else ""
        if submitted is None and found is None:  # an earlier run's row: its Gradescope time
            submitted, source = _earlier_time(result)
    origin = found.origin if found is not None else result.trace.source
    marked = bool(origin) and canvas_marked_late(origin)
    if submitted is None and marked:
        source = "Canvas _LATE_ mark"
    return assess(deadline, submitted=submitted, source=source, marked_late=marked,
                  extension=extension)


def _earlier_time(result: SubmissionResult) -> tuple[datetime | None, str]:
    """The submission time an earlier run read from Gradescope's metadata for this row."""
    late = result.final.late if result.final is not None else None
    if late is None or late.source != GRADESCOPE_TIME or not late.submitted_at:
        return None, ""
    try:
        return datetime.fromisoformat(late.submitted_at), GRADESCOPE_TIME
    except ValueError:
        return None, ""
