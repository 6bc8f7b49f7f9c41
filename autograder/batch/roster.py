"""The class list: who should have handed something in, and who each submission is.

Without a roster the gradebook only knows what was found; with one, every
enrolled student gets a row (`missing` when nothing of theirs was found) and a
submission nobody on the roster owns is flagged. Accepted as exported:

- Canvas's gradebook export (`Student, ID, SIS User ID, SIS Login ID, Section, ...`;
  its "Points Possible" row and the test student are skipped);
- Gradescope's roster (`First Name, Last Name, SID, Email, Role, ...`; only students);
- any CSV with an `id` column (and optionally `name`, `email`).

A submission id matches a student when it equals one of their ids (roster id,
SID, SIS user or login id, email or its local part, case-insensitively), when
it is a Canvas name `<name>_<user id>` whose number is their Canvas ID, or when
the LMS said who submitted it (Gradescope's `submission_metadata.yml`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.discover import _safe
from autograder.report.csvfile import read_side_file

_CANVAS_ID = re.compile(r"^.+_(\d+)(?:-\d+)?$")  # name_userid, or name_userid-2 (a second notebook)
_EXTRA = re.compile(r"-\d+$")


class RosterError(Exception):
    """The roster file is missing or not a roster; the message names the file."""


@dataclass(frozen=True)
class Student:
    key: str  # the gradebook id of this student's row when nothing of theirs was found
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    sid: str = ""
    email: str = ""

    @property
    def roster_id(self) -> str:
        """The id the LMS knows them by (Canvas ID, else SID, else the key)."""
        return self.canvas_id or self.sid or self.sis_user_id or self.key

    def names(self) -> set[str]:
        ids = {self.key, self.sid, self.sis_user_id, self.sis_login_id, self.email,
               self.email.split("@", 1)[0] if "@" in self.email else ""}
        return {i.lower() for i in ids if i}


@dataclass
class Roster:
    path: Path
    kind: str  # "canvas", "gradescope" or "plain"
    students: list[Student] = field(default_factory=list)

    def match(self, submission_id: str, submitters: Iterable[str] = ()) -> Student | None:
        """The student a submission belongs to; `submitters`: ids the LMS gave (SID, email)."""
        base = _EXTRA.sub("", submission_id)
        wanted = {submission_id.lower(), base.lower(), *(s.lower() for s in submitters if s)}
        for student in self.students:
            if student.names() & wanted:
                return student
        canvas = _CANVAS_ID.match(submission_id)
        if canvas is not None:
            for student in self.students:
                if student.canvas_id and student.canvas_id == canvas[1]:
                    return student
        return None

    def find(self, key: str) -> Student | None:
        """The student a person named in a side file (extensions, overrides): any of their ids."""
        lowered = key.strip().lower()
        for student in self.students:
            if lowered in student.names() or (student.canvas_id and lowered == student.canvas_id):
                return student
        return None


def load_roster(path: Path) -> Roster:
    rows = read_side_file(path, RosterError, "roster ")
    columns = {c.lower() for row in rows[:1] for c in row} or _header(path)
    if {"student", "id"} <= columns:
        roster = Roster(path, "canvas", [s for r in rows if (s := _canvas(r)) is not None])
    elif "sid" in columns or {"first name", "last name"} <= columns or (
            "email" in columns and "id" not in columns):
        roster = Roster(path, "gradescope", [s for r in rows if (s := _gradescope(r)) is not None])
    elif "id" in columns:
        roster = Roster(path, "plain", [s for r in rows if (s := _plain(r)) is not None])
    else:
        raise RosterError(f"roster {path}: not a roster: expected Canvas's columns (Student, ID, "
                          "SIS User ID, ...), Gradescope's (First Name, Last Name, SID, Email) "
                          "or an `id` column")
    keys = [s.key for s in roster.students]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise RosterError(f"roster {path}: the same student twice: {', '.join(twice)}")
    if not roster.students:
        raise RosterError(f"roster {path}: no students in it")
    return roster


def _header(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig") as handle:
        return {c.strip().lower() for c in handle.readline().split(",")}


def _get(row: dict[str, str], *names: str) -> str:
    lowered = {k.lower(): v for k, v in row.items()}
    for name in names:
        if lowered.get(name):
            return lowered[name]
    return ""


def _canvas(row: dict[str, str]) -> Student | None:
    name, canvas_id = _get(row, "student"), _get(row, "id")
    if not canvas_id or name.lower() in ("points possible", "student, test", "test student"):
        return None
    last, _, first = name.partition(",")
    folded = unicodedata.normalize("NFKD", last + first).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]", "", folded.lower()) or "student"  # Canvas's "lastfirst" style
    return Student(key=_safe(f"{slug}_{canvas_id}"), name=name, canvas_id=canvas_id,
                   sis_user_id=_get(row, "sis user id"), sis_login_id=_get(row, "sis login id"),
                   section=_get(row, "section"))


def _gradescope(row: dict[str, str]) -> Student | None:
    role = _get(row, "role")
    if role and role.lower() != "student":
        return None
    first, last = _get(row, "first name"), _get(row, "last name")
    name = " ".join(p for p in (first, last) if p) or _get(row, "name")
    sid, email = _get(row, "sid"), _get(row, "email")
    key = sid or (email.split("@", 1)[0] if email else "")
    if not key:
        return None
    return Student(key=_safe(key), name=name, sid=sid, email=email,
                   section=_get(row, "sections", "section"))


def _plain(row: dict[str, str]) -> Student | None:
    key = _get(row, "id")
    if not key:
        return None
    return Student(key=_safe(key), name=_get(row, "name"), email=_get(row, "email"),
                   section=_get(row, "section"))
