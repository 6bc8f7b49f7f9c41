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
the LMS said who submitted it (Gradescope's `submission_metadata.yml`). An id
two students share (the local part of `alpha@x.edu` and `alpha@y.edu`) names
neither: a guess would hand one student's grade to the other.

A Canvas student's key is what Canvas's download names them
(`<sortable name, only letters and digits, lower case>_<user id>`, Unicode
letters kept: `müllerjürgen_1002`), so a student's row has the same id whether
they handed something in or not. A Gradescope student without a SID is keyed
by their email's local part, or by the whole email when another student also goes
by that local part (their own email's, or their SID).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
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
        # ... and each as a row's id spells it (a folder `five@uni.edu/` is the row
        # `five_uni.edu`: a row graded before the roster was given is matched by that)
        return {_folded(n) for i in ids if i for n in (i, _safe(i))}


@dataclass
class Roster:
    path: Path
    kind: str  # "canvas", "gradescope" or "plain"
    students: list[Student] = field(default_factory=list)

    @cached_property
    def shared(self) -> set[str]:
        """Ids more than one student has: they identify nobody."""
        counts = Counter(name for student in self.students for name in student.names())
        return {name for name, n in counts.items() if n > 1}

    def match(self, submission_id: str, submitters: Iterable[str] = (), lms_named: bool = True,
              further_of: str = "") -> Student | None:
        """The student a submission belongs to; `submitters`: ids the LMS gave (SID, email).
        `lms_named`: the id is one an LMS wrote (False: made from a folder or file name the
        student chose); `further_of`: the row is a further notebook of this row's student.

        An id's Canvas user id (`name_1002`) and a `-N` suffix name someone only where the LMS
        or the grader wrote them: outside red team 80's `mallory_1002.ipynb` and `jdoe-7.ipynb`,
        names of the student's choosing, were given to Canvas user 1002 and to jdoe."""
        # The id itself (or the LMS's submitters) first: `jane-2` is a student of its own
        # when the roster says so, and a further notebook of `jane` only when it does not (an
        # outside red team's roster of jane and jane-2 gave jane-2's row to jane)
        exact = {_folded(submission_id), *(_folded(s) for s in submitters if s)} - self.shared
        base = further_of or (_EXTRA.sub("", submission_id) if lms_named else "")
        for wanted in (exact, {_folded(base)} - self.shared if base else set()):
            for student in self.students:
                if student.names() & wanted:
                    return student
        canvas = _CANVAS_ID.match(submission_id) if lms_named else None
        if canvas is not None:
            for student in self.students:
                if student.canvas_id and student.canvas_id == canvas[1]:
                    return student
        return None

    def by_roster_id(self, roster_id: str) -> Student | None:
        """The student whose `roster_id` this is (recorded in a row's final: always one)."""
        return next((s for s in self.students if roster_id and s.roster_id == roster_id), None)

    def find(self, key: str) -> Student | None:
        """The student a person named in a side file (extensions, overrides): any of their ids."""
        lowered = _folded(key)
        if lowered in self.shared:
            return None
        for student in self.students:
            if lowered in student.names() or (student.canvas_id and lowered == student.canvas_id):
                return student
        return None


def _folded(text: str) -> str:
    """An id as matching compares it: composed (NFC, as submission ids are: a decomposed é
    typed or pasted from a macOS file name is the same letter) and in lower case."""
    return unicodedata.normalize("NFC", text.strip()).lower()


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
    if roster.kind == "gradescope":
        roster.students = _email_keys(roster.students)
    counts = Counter(s.key.casefold() for s in roster.students)  # matching ignores case
    twice = sorted({s.key for s in roster.students if counts[s.key.casefold()] > 1})
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
    return Student(key=_safe(f"{canvas_name(name)}_{canvas_id}"), name=name, canvas_id=canvas_id,
                   sis_user_id=_get(row, "sis user id"), sis_login_id=_get(row, "sis login id"),
                   section=_get(row, "section"))


def canvas_name(sortable: str) -> str:
    """The name part Canvas gives a student's files in a download (`lib/content_zipper.rb`):
    the sortable name ("Müller, Jürgen"), `_<digits>_` joined, lower case, only word characters
    (Unicode letters, marks, digits, `_`) kept: `müllerjürgen`."""
    text = re.sub(r"_(\d+)_", r"\1", unicodedata.normalize("NFC", sortable)).lower()
    kept = "".join(c for c in text if c.isalnum() or c == "_" or unicodedata.category(c).startswith("M"))
    return kept or "student"


def _email_keys(students: list[Student]) -> list[Student]:
    """Students keyed by an email's local part that another student also goes by (the local
    part of their email, their SID, ...): keyed by the whole email (`alpha_y.edu`). A shared id
    names nobody, so a row named by it would be nobody's: a submission of that name (a folder
    `alpha`) is not this student's, and their own row must not take its id."""
    counts = Counter(name for s in students for name in s.names())
    return [replace(s, key=_safe(s.email))
            if not s.sid and s.email and counts[s.key.lower()] > 1 else s
            for s in students]


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
    # (the id as written is what the LMS knows, and what an export sends: `alice@uni.edu`,
    # whose row is `alice_uni.edu` — an outside red team's export sent the row's id)
    return Student(key=_safe(key), name=_get(row, "name"), email=_get(row, "email"),
                   section=_get(row, "section"), sis_user_id=key)
