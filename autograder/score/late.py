"""Late work: each student's due date, how late they were, and what it costs.

The policy is declared in `grading_config.yaml` (`deadline:`, see config.py)
so it is the same for every student and written down once: a due date, a
grace period, a share of the points earned taken per day or part of a day
late (capped), and optionally a cutoff after which late work scores zero.
Extensions move one student's due date (and the cutoff with it) by days or to
a new date.

When the submission time is unknown the rule is stated, never guessed
silently: Canvas's `_LATE_` file-name mark without a time counts as one day
late (the smallest penalty; give the time in `submission_times` for the exact
figure) unless the student has an extension; no time and no mark is on time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from autograder.config import Deadline
from autograder.report.csvfile import read_side_file
from autograder.score.final import Late

DAY = timedelta(days=1)
T = TypeVar("T")


class LateError(Exception):
    """A file of the late policy (extensions, submission times) is unusable; one line per problem."""


def zone(deadline: Deadline) -> tzinfo:
    """Where dates without an offset are read: the config's timezone, else this machine's."""
    if deadline.timezone:
        return ZoneInfo(deadline.timezone)
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

    def apply(self, due: datetime) -> datetime:
        return self.due if self.due is not None else due + timedelta(days=self.days)


def load_extensions(path: Path, where: tzinfo) -> dict[str, Extension]:
    """`id,days` or `id,due` (either or both columns; `due` wins), one student per row."""
    return _rows(path, where, _extension)


def _extension(row: dict[str, str], where: tzinfo) -> Extension:
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


def load_submission_times(path: Path, where: tzinfo) -> dict[str, datetime]:
    """`id,submitted_at`: times the instructor supplies where the export carries none."""
    return _rows(path, where, lambda row, w: parse_time(_need(row, "submitted_at"), w))


def _need(row: dict[str, str], column: str) -> str:
    if not row.get(column):
        raise ValueError(f"no `{column}`")
    return row[column]


def _rows(path: Path, where: tzinfo,
          parse: Callable[[dict[str, str], tzinfo], T]) -> dict[str, T]:
    rows = read_side_file(path, LateError)
    found: dict[str, T] = {}
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        key = row.get("id", "")
        if not key:
            problems.append(f"{path}:{line}: no `id`")
            continue
        if key in seen:
            problems.append(f"{path}:{line}: {key} appears twice")
            continue
        seen.add(key)
        try:
            found[key] = parse(row, where)
        except ValueError as exc:
            problems.append(f"{path}:{line}: {key}: {exc}")
    if problems:
        raise LateError("\n".join(problems))
    return found



def assess(deadline: Deadline, *, submitted: datetime | None, source: str = "",
           marked_late: bool = False, extension: Extension | None = None) -> Late:
    """How late one submission is and what share of its score that costs."""
    where = zone(deadline)
    base = aware(deadline.due, where)
    due = extension.apply(base) if extension else base
    moved = due - base
    cutoff = deadline.penalty.zero_after
    cutoff = aware(cutoff, where) + moved if cutoff is not None else None
    granted = f"extension to {due.isoformat()}" if extension else ""
    if submitted is None:
        if marked_late and extension is None:
            return _charge(deadline, 1, "", source, due,
                           "late by the LMS's mark, time unknown: counted as one day late")
        note = "late by the LMS's mark, within the extension" if marked_late else ""
        return Late("", source, due.isoformat(), 0, 0.0, "; ".join(p for p in (granted, note) if p))
    stamp = submitted.isoformat()
    if cutoff is not None and submitted > cutoff:
        return Late(stamp, source, due.isoformat(), _days(submitted - due), 100.0,
                    f"after the cutoff {cutoff.isoformat()}: no credit")
    over = submitted - due - timedelta(minutes=deadline.grace_minutes)
    if over <= timedelta(0):
        return Late(stamp, source, due.isoformat(), 0, 0.0, granted)
    return _charge(deadline, _days(submitted - due), stamp, source, due, granted)


def _days(delay: timedelta) -> int:
    """Days or part days: 1 minute late is day 1, 24 h 1 min is day 2."""
    return max(1, math.ceil(delay / DAY))


def _charge(deadline: Deadline, days: int, stamp: str, source: str, due: datetime,
            note: str) -> Late:
    penalty = deadline.penalty
    percent = min(penalty.max_percent, penalty.per_day_percent * days)
    return Late(stamp, source, due.isoformat(), days, round(percent, 6), note)
