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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import TypeVar

from autograder import __version__
from autograder.batch.discover import Discovery, Found, _lms_owner, _safe
from autograder.batch.roster import Roster, RosterError, Student, load_roster
from autograder.batch.submitted import LmsRecords, canvas_marked_late, read_lms_records
from autograder.config import ConfigError, GradingConfig
from autograder.score.final import (
    ENROLLED,
    NOT_ON_ROSTER,
    Final,
    Late,
    Standing,
    Trace,
    finalise,
)
from autograder.score.late import (
    Extension,
    LateError,
    assess,
    aware,
    closing,
    load_extensions,
    load_submission_times,
    unmatched,
    zone,
)
from autograder.score.overrides import Override, OverrideError, apply_overrides, load_overrides
from autograder.score.results import Status, SubmissionResult, extra_of
from autograder.score.scoring import unscored

MISSING_REASON = "no submission received"
GRADESCOPE_TIME = "Gradescope metadata"
T = TypeVar("T")
_MEMBER = re.compile(r"^(submission_\d+)\.")  # a Gradescope group member's row: `<submission>.<id>`


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
            course.files["roster"] = str(roster_path.resolve())
        except RosterError as exc:
            problems.append(str(exc))
    overrides_path = _where(overrides, config.overrides, config_path)
    if overrides_path is not None:
        try:
            course.overrides = load_overrides(overrides_path, list(config.tests),
                                              {name: t.points for name, t in config.tests.items()})
            course.files["overrides"] = str(overrides_path.resolve())
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
        sid = result.submission_id
        _trace(result, found.get(sid), now)
        owners[sid] = _owner(roster, sid, lms, found.get(sid)) or (
            None if sid in found else _earlier_owner(roster, result))
    _extras_follow_their_main(owners, found)
    rows = list(results)
    if roster is not None:
        claimed = {s.key for s in owners.values() if s is not None}
        taken = {sid.casefold() for sid in owners}
        for student in roster.students:
            if student.key in claimed:
                continue
            key = _free_id(student, taken)  # never the id of a row that is not theirs
            came = _stray(discovery, roster, student)
            missing = unscored(key, config, Status.INVALID, came) if came else \
                unscored(key, config, Status.MISSING, MISSING_REASON)
            missing.trace = Trace(graded_at=now, engine_version=__version__)
            rows.append(missing)
            owners[key] = student
            taken.add(key.casefold())
            outcome.missing.append(key)
        outcome.not_on_roster = sorted(sid for sid, s in owners.items() if s is None)
        every = {s.key for s in owners.values() if s is not None}
        assert len(every) == len(roster.students), (  # every enrolled student has a row
            f"rostered rows for {len(every)} of {len(roster.students)} students")
    outcome.problems += _not_given_again(results, found, owners)
    targets = _override_targets(course, owners, outcome, _hand_ins(owners, found, lms))
    for table, what in ((course.extensions, "extension not applied"),
                        (course.times, "time not used")):
        outcome.problems += unmatched(table, lambda key: bool(_rows_for(key, roster, owners)), what)
    outcome.problems += _several_rows(course.extensions, roster, owners,
                                      "the latest due date they give is applied")
    outcome.problems += _several_rows(course.times, roster, owners,
                                      "the one by submission id, else the first, is used")
    for result in rows:
        sid = result.submission_id
        owner = owners.get(sid)
        record = lms.gradescope.get(_lms_id(sid, found.get(sid)))
        standing = Standing()
        if roster is not None:
            standing.roster = ENROLLED if owner is not None else NOT_ON_ROSTER
        if owner is not None:
            standing.name, standing.roster_id = owner.name, owner.roster_id
        else:
            standing.name = (", ".join(record.names) if record is not None
                             else _earlier(result, found).name)
        if config.deadline is not None and result.status is not Status.MISSING:
            standing.late = _late(course, result, found.get(sid), owner, lms)
            outcome.problems += _late_mark_unheeded(standing.late, found.get(sid), result)
        elif config.deadline is not None:  # nothing handed in: when it would stop counting
            standing.late = closing(config.deadline, _extension_for(course, sid, owner))
        scores = {t.name: t.score for t in result.tests}
        standing.overrides = apply_overrides(scores, targets.get(sid, []))
        outcome.problems += _lowering(sid, targets.get(sid, []), scores)
        result.final = finalise(result.score, standing)
        outcome.problems += _out_of_range(result)
        outcome.results.append(result)
    outcome.results.sort(key=lambda r: r.submission_id)
    return outcome


def _earlier_late_mark(result: SubmissionResult) -> bool:
    """The Canvas late mark of an earlier run's row: as that run read it (`Trace.canvas_late`),
    else — a row from before it was kept — read from where the row came from."""
    if result.trace.canvas_late is not None:
        return result.trace.canvas_late
    return bool(result.trace.source) and canvas_marked_late(result.trace.source)


def _late_mark_unheeded(late: Late, found: Found | None, result: SubmissionResult) -> list[str]:
    """A row the submission-times file calls on time whose file Canvas marked `_LATE_`: the
    file's time wins, and the summary says they disagree (an instructor's review: a times.csv
    row from the first download made a later `_LATE_` resubmission on time, silently)."""
    origin = found.origin if found is not None else result.trace.source
    marked = found.late if found is not None else _earlier_late_mark(result)
    if late.source != "submission_times" or late.days_late or not marked:
        return []
    return [f"{result.submission_id}: on time by the submission-times file "
            f"({late.submitted_at}), but Canvas marked its file late ({origin}): check that "
            "the file's time is this upload's"]


def _out_of_range(result: SubmissionResult) -> list[str]:
    """An override that takes a final past the maximum or below 0: kept (a person decided it,
    extra credit too), but said, since a typo (`12` for `1.2`) would reach the LMS as well."""
    final = result.final
    if final is None or not final.overrides or 0 <= final.final <= result.max_score:
        return []
    where = f"above the maximum {result.max_score:g}" if final.final > 0 else "below 0"
    return [f"{result.submission_id}: final {final.final:g} is {where} after overrides "
            f"({', '.join(o.reason for o in final.overrides)}); kept as decided: check "
            "overrides.csv if it is not extra credit"]


def _lms_id(sid: str, found: Found | None) -> str:
    """Whose LMS record a row reads: a further notebook (`submission_504-2`) is part of the
    same submission as its student's main row, so it has that row's submitters and time."""
    return found.main if found is not None and found.main else sid


def _extras_follow_their_main(owners: dict[str, Student | None], found: dict[str, Found]) -> None:
    """A student's further notebook (`<id>-2`) is theirs as its main row is (a Gradescope
    submission's `scratch.ipynb`, an older result without a roster id)."""
    for sid, owner in owners.items():
        if owner is not None:
            continue
        main = found[sid].main if sid in found and found[sid].main else extra_of(sid, set(owners))
        if main and owners.get(main) is not None:
            owners[sid] = owners[main]


def _stray(discovery: Discovery, roster: Roster, student: Student) -> str:
    """Why a rostered student with no notebook has an `invalid` row, not a `missing` one:
    a file of theirs at the top of the class folder that is no notebook (an outside red
    team's `hugo.tar.gz`, `ivan.ipynb.txt`: "no submission received" for work handed in)."""
    # (a Canvas user id read only from a name Canvas wrote: outside red team 97's
    # `mallory_1003.pdf`, a name of the student's choosing, made Bob's row "handed in
    # mallory_1003.pdf")
    shown = [where for sid, where in discovery.stray if roster.match(
        sid, lms_named=_lms_owner(PurePosixPath(where).name) is not None) == student]
    if not shown:
        return ""
    names = ", ".join(PurePosixPath(where).name for where in shown[:3])
    renamed = any(where.lower().endswith(".ipynb.txt") for where in shown)
    return (f"handed in {names}, which is not a notebook, so nothing was graded: "
            + ("rename it to end in .ipynb (a browser added .txt) and hand it in again"
               if renamed else "hand in the .ipynb file itself (or a .zip holding it)"))


def _free_id(student: Student, taken: set[str]) -> str:
    """The id of a rostered student's `missing` row: their key, unless a row that is not
    theirs already has it (a folder `alpha` when `alpha` names two students, so neither):
    then their whole email, else `<key>+2`, `+3`, ... A row never stands for two people."""
    if student.key.casefold() not in taken:
        return student.key
    email = _safe(student.email) if student.email else ""
    if email and email.casefold() not in taken:
        return email
    n = 2
    while f"{student.key}+{n}".casefold() in taken:
        n += 1
    return f"{student.key}+{n}"


def _not_given_again(results: list[SubmissionResult], found: dict[str, Found],
                     owners: dict[str, Student | None]) -> list[str]:
    """Rows kept from earlier runs whose student (or main row) this run graded again from
    its inputs without them: an extra notebook of an older upload (a new download holds
    only the latest), or an older hand-in under another id. Kept, never dropped in
    silence, and named: a TA decides (delete the folder to drop one)."""
    given: dict[str, list[str]] = {}
    for sid in found:
        owner = owners.get(sid)
        given.setdefault(owner.key if owner is not None else sid, []).append(sid)
    lines = []
    for result in results:
        sid = result.submission_id
        if sid in found or result.status is Status.MISSING:
            continue
        owner = owners.get(sid)
        whose = owner.key if owner is not None else extra_of(sid, set(found))
        if whose and whose in given:
            lines.append(f"{sid}: kept from an earlier run, though this run graded "
                         f"{', '.join(sorted(given[whose]))} for the same student without it "
                         "(a file of an older upload?): still in the gradebook, not exported "
                         "as their grade; delete its folder in the output folder if it no "
                         "longer counts")
    return lines


def _trace(result: SubmissionResult, found: Found | None, now: str) -> None:
    trace = result.trace
    if not result.source_sha256 and found is not None and found.path.is_file():
        result.source_sha256 = hashlib.sha256(found.path.read_bytes()).hexdigest()  # invalid rows
    result.trace = replace(trace, source=found.origin if found else trace.source,
                           attempt=found.attempt if found else trace.attempt,
                           canvas_late=found.late if found else trace.canvas_late,
                           graded_at=trace.graded_at or now,
                           engine_version=trace.engine_version or __version__)


def _earlier(result: SubmissionResult, found: dict[str, Found]) -> Final:
    """What an earlier run's inputs said about a row this run was not given (an empty
    `Final` for a row of this run's own, or one never finalised)."""
    if result.submission_id in found or result.final is None:
        return Final(0.0, 0.0, 0.0, 0.0)
    return result.final


def _earlier_owner(roster: Roster | None, result: SubmissionResult) -> Student | None:
    """The student an earlier run matched this row to (by LMS metadata or a folder's name
    this run lacks): by the roster id it recorded, exactly, else by any of their ids."""
    final = result.final
    if roster is None or final is None or final.roster != ENROLLED or not final.roster_id:
        return None
    return roster.by_roster_id(final.roster_id) or roster.find(final.roster_id)


def _owner(roster: Roster | None, sid: str, lms: LmsRecords, found: Found | None) -> Student | None:
    """Who on the roster a row is: by the ids the LMS gave, by the folder's or file's own
    name before it was made an id (`five@uni.edu`, whose id is `five_uni.edu`), by its id."""
    if roster is None:
        return None
    record = lms.gradescope.get(_lms_id(sid, found))
    submitters = record.submitters if record is not None else ()
    raw = (found.raw,) if found is not None and found.raw else ()
    # (an id made from a name the student chose is matched as written: no Canvas user id
    # read from it, no `-N` taken off it but the grader's own further notebooks')
    return roster.match(sid, (*submitters, *raw), lms_named=found is None or not found.raw,
                        further_of=found.main if found is not None else "")


def _hand_ins(owners: dict[str, Student | None], found: dict[str, Found],
              lms: LmsRecords) -> dict[str, str]:
    """{row: the submission it was graded from} for each member of a Gradescope group
    submission (`submission_202.1003` → `submission_202`), this run's or an earlier one's."""
    of: dict[str, str] = {}
    for group, members in lms.groups.items():
        for member in members:
            if member in owners and group in owners:
                of[member] = group
    for sid in owners:
        item = found.get(sid)
        if item is not None and item.group:
            of[sid] = item.group
        elif item is None and sid not in of:  # an earlier run's member row: `<submission>.<id>`
            match = _MEMBER.match(sid)
            if match is not None and match[1] in owners:
                of[sid] = match[1]
    return of


def _override_targets(course: Course, owners: dict[str, Student | None],
                      outcome: CourseOutcome,
                      hand_ins: dict[str, str]) -> dict[str, list[Override]]:
    """The rows each override applies to. A submission id: every row graded from that
    submission (each member of a group; Gradescope regrades a group's submission as one);
    a roster id: that student's rows, not their further notebooks (those count only through
    their main row, which an override there decides)."""
    targets: dict[str, list[Override]] = {}
    for override in course.overrides:
        student = course.roster.find(override.target) if course.roster else None
        # A roster id of one student that is also another row's id (a notebook named
        # `1003.ipynb`, not Canvas user 1003's) is the roster's student, as the README keys
        # overrides (outside red team 97: Bob's +10 went to the student-named row)
        taken = override.target in owners and student is not None \
            and owners[override.target] is not student
        if override.target in owners and not taken:
            submission = hand_ins.get(override.target, override.target)
            ids = sorted(sid for sid in owners
                         if sid == submission or hand_ins.get(sid) == submission)
            if len(ids) > 1:
                override = replace(override, scope=f"{submission} is a group submission: "
                                   f"applied to each member's row, {', '.join(ids)}")
        else:
            if taken and student is not None:
                outcome.problems.append(
                    f"{course.files.get('overrides', 'overrides')}:{override.line}: "
                    f"{override.target}: a roster id of {student.key}'s and the id of another "
                    f"row ({override.target}); applied to {student.key}'s rows")
            ids = ([sid for sid, s in owners.items() if s == student] if taken
                   else _rows_for(override.target, course.roster, owners))
            mains = [sid for sid in ids if not extra_of(sid, set(ids))]
            ids = mains or ids
        if not ids:
            outcome.problems.append(f"{course.files.get('overrides', 'overrides')}:{override.line}: "
                                    f"{override.target}: matches no submission or student; "
                                    "not applied")
        for sid in ids:
            same = next((o for o in targets.get(sid, [])
                         if (o.check, o.points, o.relative, o.reason)
                         == (override.check, override.points, override.relative,
                             override.reason)), None)
            if same is not None:
                # (an instructor's review: one decision entered under a Canvas id and a SID
                # applied twice, +5 +5, and nothing said so)
                outcome.problems.append(
                    f"{course.files.get('overrides', 'overrides')}:{override.line}: {sid}: "
                    f"the same override as line {same.line} (check, points and reason), "
                    "applied again; delete one if it is one decision")
            targets.setdefault(sid, []).append(override)
    return targets


def _rows_for(key: str, roster: Roster | None, owners: dict[str, Student | None]) -> list[str]:
    """The rows a side file's id names: that submission, else every row of that roster student."""
    if key in owners:
        return [key]
    student = roster.find(key) if roster else None
    return [sid for sid, s in owners.items() if student is not None and s == student]


def _lowering(sid: str, overrides: list[Override], scores: dict[str, float]) -> list[str]:
    """A line for each override that sets a check's score (not `+1`/`-2`) below what the check
    gives now: written for an earlier grade, it takes points back once the check passes (a
    semester review: half credit 0 → 1 on a failing check, then a fixed check gave 2, and the
    stale override silently made it 1 again). Applied as written all the same."""
    return [f"override: {sid}: {o.check} set to {o.points:g}, below the {scores[o.check]:g} "
            "its check gives now (written for an earlier grade?): applied as written"
            for o in overrides if not o.relative and o.check in scores
            and o.points < scores[o.check]]


def _several_rows(table: Mapping[str, object], roster: Roster | None,
                  owners: dict[str, Student | None], rule: str) -> list[str]:
    """A line for each row (submission) that more than one id of a side file names — its
    submission id and a roster id, or two roster ids of one student (a semester review: a
    section's blanket `1003,1` above the accommodation `S1003,2`, and the first won, in
    silence)."""
    path = getattr(table, "path", "?")
    lines: dict[str, int] = getattr(table, "lines", {})
    named: dict[str, list[str]] = {}
    for key in table:
        for sid in _rows_for(key, roster, owners):
            named.setdefault(sid, []).append(key)
    return [f"{path}: {sid} is named by {len(keys)} rows "
            f"({', '.join(f'line {lines.get(k, chr(63))}: {k}' for k in keys)}); {rule}"
            for sid, keys in sorted(named.items()) if len(keys) > 1]


def _extension_for(course: Course, sid: str, student: Student | None,
                   handed_in: str = "") -> Extension | None:
    """The extension of this row: of every row of the extensions file that names it (by
    submission id, a roster id of its student, the LMS hand-in), the one that moves the due
    date furthest (`_several_rows` says so)."""
    deadline = course.config.deadline
    found = [value for key, value in course.extensions.items()
             if key in (sid, handed_in) or (student is not None and course.roster is not None
                                            and course.roster.find(key) == student)]
    if deadline is None or len(found) < 2:
        return found[0] if found else None
    where = zone(deadline)
    base = aware(deadline.due, where).astimezone(where)
    return max(found, key=lambda e: e.apply(base, where))


def _late(course: Course, result: SubmissionResult, found: Found | None, student: Student | None,
          lms: LmsRecords) -> Late:
    deadline = course.config.deadline
    assert deadline is not None
    sid = result.submission_id
    # (each by this row, its student, else the LMS submission it is part of: a group's
    # members' rows `submission_1003` and `submission_1003.2004` are one hand-in, one time —
    # an outside red team's time for the submission made only one member late)
    handed_in = found.group if found is not None and found.group else _lms_id(sid, found)
    extension = _extension_for(course, sid, student, handed_in)
    record = lms.gradescope.get(handed_in)
    # The instructor's own file first: a time it gives wins over one read among the uploads
    # (an outside red team's forged metadata made a late upload look on time)
    submitted = _lookup(course.times, sid, student, course.roster)
    if submitted is None:
        submitted = course.times.get(handed_in)
    source = "submission_times" if submitted is not None else ""
    if submitted is None and record is not None and record.at is not None:
        submitted, source = record.at, GRADESCOPE_TIME
    elif submitted is None and found is None:  # an earlier run's row: its Gradescope time
        submitted, source = _earlier_time(result)
    # (this run's row: as its owner was read; an earlier run's: as its run read it)
    marked = found.late if found is not None else _earlier_late_mark(result)
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
