"""Late work: each student's due date, how late they were, and what it costs.

The policy is declared in `grading_config.yaml` (`deadline:`, see config.py)
so it is the same for every student and written down once: a due date, a
grace period, a share of the points earned taken per day or part of a day
late (capped), and optionally a cutoff after which late work scores zero.
Extensions move one student's due date (and the cutoff with it) by days or to
a new date.

Lateness is elapsed time between two instants, never wall-clock arithmetic:
a time written without an offset is read in the course's `timezone` and
every comparison is made in UTC, so one instant costs the same however it was
written, and a day late is 24 real hours also across a DST change. The grace
period only decides whether work is late at all; days are counted from the
due date itself, each day started a whole day. An extension of N days moves
the due date N calendar days in the course's timezone (23:59 stays 23:59).

When the submission time is unknown the rule is stated, never guessed
silently: Canvas's `_LATE_` file-name mark without a time counts as one day
late (the smallest penalty; give the time in `submission_times` for the exact
figure) unless the student has an extension; no time and no mark is on time.

Extension and time rows remember their line (`SideRows`), so a row whose id
matches nobody can be reported by its line, as an unmatched override is.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from autograder.config import Deadline
from autograder.report.csvfile import Row, read_side_file, too_many_cells
from autograder.score.final import Late

DAY = timedelta(days=1)
T = TypeVar("T")


class LateError(Exception):
    """A file of the late policy (extensions, submission times) is unusable; one line per problem."""


def zone(deadline: Deadline) -> tzinfo:
    """Where dates without an offset are read: the config's timezone, else this machine's."""
    if deadline.timezone:
        return ZoneInfo(deadline.timezone)
    return _local_zone()


def _local_zone() -> tzinfo:
    """This machine's zone with its DST rules (TZ, else /etc/localtime), else today's offset."""
    try:
        name = os.environ.get("TZ", "").lstrip(":")
        if name:
            return ZoneInfo(name)
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError, KeyError):  # (ZoneInfoNotFoundError is a KeyError)
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local


def aware(moment: datetime, where: tzinfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=where)


def parse_time(text: str, where: tzinfo) -> datetime:
    """An ISO 8601 date and time (`2025-03-14T23:59`, `2025-03-14 23:59:00-05:00`, `...Z`)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time like 2025-03-14T23:59") from None
    return aware(moment, where)


@dataclass(frozen=True)
class Extension:
    days: float = 0.0
    due: datetime | None = None  # a new due date; wins over days

    def apply(self, due: datetime, where: tzinfo) -> datetime:
        """The moved due date; `days` are calendar days in `where` (23:59 stays 23:59)."""
        if self.due is not None:
            return self.due
        return due.astimezone(where) + timedelta(days=self.days)


class SideRows(dict[str, T]):
    """A side file's rows by id, remembering each id's line (for a message naming it)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.lines: dict[str, int] = {}


def unmatched(table: Mapping[str, object], known: Callable[[str], bool], what: str) -> list[str]:
    """One line per id of `table` (a `SideRows`) that `known` does not recognise."""
    path = getattr(table, "path", "?")
    lines: dict[str, int] = getattr(table, "lines", {})
    return [f"{path}:{lines.get(key, '?')}: {key}: matches no submission or student; {what}"
            for key in table if not known(key)]


def load_extensions(path: Path, where: tzinfo) -> SideRows[Extension]:
    """`id,days` or `id,due` (either or both columns; `due` wins), one student per row."""
    return _rows(path, where, _extension)


def _extension(row: Row, where: tzinfo) -> Extension:
    due, days = row.get("due", ""), row.get("days", "")
    if not due and not days:
        raise ValueError("give `days` (extra days) or `due` (a new due date)")
    if due:
        return Extension(due=parse_time(due, where))
    try:
        value = float(days)
    except ValueError:
        raise ValueError(f"days {days!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"days {days!r} must be 0 or more")
    return Extension(days=value)


def load_submission_times(path: Path, where: tzinfo) -> SideRows[datetime]:
    """`id,submitted_at`: times the instructor supplies where the export carries none."""
    return _rows(path, where, lambda row, w: parse_time(_need(row, "submitted_at"), w))


def _need(row: Row, column: str) -> str:
    if not row.get(column):
        raise ValueError(f"no `{column}`")
    return row[column]


def _rows(path: Path, where: tzinfo, parse: Callable[[Row, tzinfo], T]) -> SideRows[T]:
    found: SideRows[T] = SideRows(path)
    problems: list[str] = []
    for row in read_side_file(path, LateError):
        key, line = row.get("id", ""), row.line
        if row.extra:
            problems.append(f"{path}:{line}: {too_many_cells(row)}")
        elif not key:
            problems.append(f"{path}:{line}: no `id`")
        elif key.casefold() in {k.casefold() for k in found.lines}:
            # (in any case: ids are matched so, and one of two rows would win in silence —
            # an outside red team's `bob,3` and `BOB,0`)
            problems.append(f"{path}:{line}: {key} appears twice")
        else:
            found.lines[key] = line
            try:
                found[key] = parse(row, where)
            except ValueError as exc:
                problems.append(f"{path}:{line}: {key}: {exc}")
    if problems:
        raise LateError("\n".join(problems))
    return found


def elapsed(later: datetime, earlier: datetime) -> timedelta:
    """Real time between two aware instants (in UTC: never wall-clock, whatever their zones)."""
    return later.astimezone(UTC) - earlier.astimezone(UTC)


def assess(deadline: Deadline, *, submitted: datetime | None, source: str = "",
           marked_late: bool = False, extension: Extension | None = None) -> Late:
    """How late one submission is and what share of its score that costs."""
    where = zone(deadline)
    due, cutoff = _due_and_cutoff(deadline, extension)
    granted = f"extension to {due.isoformat()}" if extension else ""
    if submitted is None:
        if marked_late and extension is None:
            return _charge(deadline, 1, "", source, due,
                           "late by the LMS's mark, time unknown: counted as one day late")
        note = "late by the LMS's mark, within the extension" if marked_late else ""
        return Late("", source, due.isoformat(), 0, 0.0, "; ".join(p for p in (granted, note) if p))
    submitted = aware(submitted, where)
    stamp, delay = submitted.isoformat(), elapsed(submitted, due)
    if cutoff is not None and elapsed(submitted, cutoff) > timedelta(0):
        return Late(stamp, source, due.isoformat(), _days(delay), 100.0,
                    f"after the cutoff {cutoff.isoformat()}: no credit")
    if delay <= timedelta(minutes=deadline.grace_minutes):
        return Late(stamp, source, due.isoformat(), 0, 0.0, granted)
    return _charge(deadline, _days(delay), stamp, source, due, granted)


def closing(deadline: Deadline, extension: Extension | None = None) -> Late:
    """A row with nothing handed in: the student's due date and when hand-ins stop counting
    for them (`Late.closes`: the cutoff, moved with the due date, else due + grace)."""
    due, cutoff = _due_and_cutoff(deadline, extension)
    closes = cutoff if cutoff is not None else due + timedelta(minutes=deadline.grace_minutes)
    return Late(due=due.isoformat(), closes=closes.isoformat())


def _due_and_cutoff(deadline: Deadline,
                    extension: Extension | None) -> tuple[datetime, datetime | None]:
    """The student's due date and cutoff, in the course's zone; an extension moves both (the
    late window keeps its real length when the due date moves)."""
    where = zone(deadline)
    base = aware(deadline.due, where).astimezone(where)
    due = extension.apply(base, where) if extension else base
    cutoff = deadline.penalty.zero_after
    if cutoff is not None:
        cutoff = (due.astimezone(UTC) + elapsed(aware(cutoff, where), base)).astimezone(where)
    return due, cutoff


def _days(delay: timedelta) -> int:
    """Days or part days of real time: 1 minute late is day 1, 24 h 1 min is day 2."""
    return max(1, math.ceil(delay / DAY))


def _charge(deadline: Deadline, days: int, stamp: str, source: str, due: datetime,
            note: str) -> Late:
    penalty = deadline.penalty
    percent = min(penalty.max_percent, penalty.per_day_percent * days)
    return Late(stamp, source, due.isoformat(), days, round(percent, 6), note)
