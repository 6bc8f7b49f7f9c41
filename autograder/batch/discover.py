"""Find the submissions in what an instructor downloaded, and name them stably.

Accepts notebooks, folders and zip archives (nested too). Zips are unpacked by
the judge with size and path checks, never executed; only `.ipynb` files are
graded, everything else is reported, not fatal.

Why it is built this way: what a student uploads is hostile input that sits
next to everyone else's. A student's upload must never speak for another
student, never stop the batch, never fill the disk, and whatever it holds,
its uploader gets a row in the gradebook.

**Ids.** A submission's id depends only on its own path (and, for a zip, that
zip's contents), so re-running a batch names everything the same way:

- a Canvas name `name_userid_fileid_file` (`name_LATE_userid_...` when late;
  the outermost on the way wins: the LMS named it, the student did not) →
  `name_userid`. Canvas's third number is the id of that *file* (its
  attachment), not an attempt: a download holds only each student's latest
  submission, so every file of a student is part of one submission;
- a Gradescope export folder `submission_<digits>` → that folder's name; each
  further member of a group submission (`submission_metadata.yml` lists
  several `:submitters:`) gets a row of their own, `submission_<n>.<SID>`;
- else the first folder under what was given (a folder per student);
- else the notebook's (or the student's zip's) file stem.

Names keep Unicode letters (as Canvas's file names do), NFC-normalised; other
characters become `_`. Two different names that would still give one id (`Anna
Müller` and `Anna_Müller`) are never merged: the second (by name) becomes
`<id>+2`.

**Uploads.** A zip is a student's *upload*, and everything in it belongs to the
uploader whatever the names inside say, unless it is a class download: a zip
found at the top (given, at the top of a given folder, or at the top of a
class download) that Canvas named `..._submissions.zip` and whose notebooks all
carry LMS names (under any other name, a zip of Canvas names is what someone
handed in: a student's late `ben.zip` holding a classmate's name took her row),
or that has Gradescope's export shape (`submission_metadata.yml` and nothing beside it but
`submission_<n>` folders: a student's zip with a metadata file took a classmate's row); a zip
given on the command line is a
class download too when its notebooks all sit in two or more folders (one per
student, possibly inside a wrapping folder), unless one of those folders names the
student of another path given (an outside red team's `ben.zip` holding `okafor/`
and `ben/`, given beside `okafor.zip`, took Okafor's row). A class download is transparent,
as if its contents sat where it is. So an inner file named like another
student's Canvas upload is graded as its uploader's notebook, and a student's
zip of two notebooks stays theirs. (A zip inside a plain sub-folder is that
folder's student's: give a class download itself, or the folder that holds
it.) A folder given on the command line is one student's (named after the
folder: `grade subs/*/`) when the notebooks at its top are all named like the
assignment's notebook and nothing in it looks like another student's (an LMS
name, a zip, a sub-folder with notebooks); anything else is a class folder.

- Several notebooks of one student (one Canvas submission with several files,
  a zip or a folder holding several): the one named like the assignment's
  notebook (`lab05.ipynb`, or as Canvas or a browser renames it:
  `lab05-1.ipynb`, `lab05 (1).ipynb`) is graded under the student's id; if
  none or several are, the shallowest, then the one Canvas numbered last, then
  the first by path. Each other is graded as `<id>-2`, `<id>-3`, … (the same
  bytes once) and listed under duplicates: nothing the student handed in is
  dropped silently, and the TA chooses. At most `Limits.notebooks_per_student` (10)
  different notebooks of one student are graded: each further one is a row of its own,
  `invalid`, saying so (a zip of thousands of tiny notebooks was as many gradings).
- No notebook (only a PDF, an empty or unreadable zip, one too large or too
  deep to unpack): the uploader's row is `invalid` with a reason naming what
  was found, unless the same student has a notebook elsewhere in the batch
  (then that one is graded and the empty upload is reported). A Canvas-named
  file that is not a notebook counts as such an upload too.

**Limits.** Unpacking is capped in total across every nesting level, not per
archive: per upload (`Limits.upload_bytes`, `upload_entries`) and for the
whole run (`total_bytes`, `total_entries`), counted on the bytes actually
decompressed. Names that leave the archive (absolute, `..`, a drive) or nest
folders absurdly deep are refused; a name used twice in one zip is reported
and the *last* entry kept, as `unzip` and Python's `zipfile` extract it (what
the TA who unzips it sees is what was graded). Everything is unpacked under
`unpack_dir`; `unpacking()` makes that folder and removes it when the run
ends, error or not.
"""

from __future__ import annotations

import contextlib
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC
from pathlib import Path, PurePosixPath

from autograder.batch.submitted import MAX_ID_BYTES, METADATA, read_lms_records
from autograder.load.notebook import open_regular
from autograder.report.sanitize import printable, quoted

GRADESCOPE = re.compile(r"^submission_[0-9]+$")
# otter's export zip: `<notebook>_YYYY_MM_DDTHH_MM_SS_ffffff.zip`, not a Canvas name
OTTER_STAMP = re.compile(r"_\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}_\d{6}$")
# What a zip of several students' Canvas-named notebooks under another name is told: a TA
# reads it first in the run's summary (`Summary.describe`: an ops review renamed the class's
# download, and 17 students became one upload's rows, the line among thirty)
RENAMED_DOWNLOAD = "holds Canvas-named notebooks of several students"
STUDENT_NAMED_DOWNLOAD = "shaped like a class download but named for a student of the course"
# Canvas's "Download Submissions": `<course>-<assignment>_submissions.zip` (a browser may add ` (1)`)
CANVAS_DOWNLOAD = re.compile(r"(?:^|[_\s-])submissions(?: \(\d+\))?$", re.IGNORECASE)
RENAMED = re.compile(r"(?:-\d+| \(\d+\))$")  # lab05-1 (Canvas), lab05 (1) (a browser)
# What a grade run writes at the top of its output folder (batch/finish.py, report/visibility.py),
# and `export feedback` at the top of its own beside the students' folders (its manifest: red
# team 64's `manifest.csv.ipynb` made a folder of that name, and every export failed): never a
# student's id, so no student's folder is one of them (tests/batch/test_batch_out_folder.py)
RESERVED = {"gradebook.csv", "index.html", "final_grades.csv", "batch.json", "published.json",
            "instructor", "manifest.csv"}
UNPACKED_PREFIX = ".unpacked-"
MIB = 1024 * 1024
_CHUNK = MIB
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError,
               EOFError, zlib.error, lzma.LZMAError, ValueError)


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = 256 * MIB  # one student's upload, all nesting levels together
    upload_entries: int = 10_000
    total_bytes: int = 4096 * MIB  # everything one run unpacks
    total_entries: int = 200_000
    nesting: int = 4  # zips inside zips
    name_depth: int = 32  # folders in one member name
    # one student's notebooks graded: each further one is a row of its own saying why it was
    # not graded (a zip of 5,000 tiny notebooks was 5,000 gradings, an hour of the night)
    notebooks_per_student: int = 10


@dataclass(frozen=True)
class Found:
    submission_id: str
    path: Path
    attempt: int = 0  # the number the LMS put in the name (Canvas: the file's id), for the record
    problem: str = ""  # not empty: nothing to grade; the row is `invalid` with this reason
    shown: str = ""  # where it came from, for people (`class.zip/lee.zip/lab.ipynb`)
    raw: str = ""  # the folder or file name the id was cleaned from (`five@uni.edu`); "" if the LMS named it
    # Canvas marked `_LATE_` the upload whose name gave the owner — the outermost LMS-named
    # part, as for the owner itself (outside red team 80: a late upload's zip holding a
    # notebook the student named like an on-time Canvas file was read as on time)
    late: bool = False
    main: str = ""  # for a student's further notebook (`<id>-2`): the id of their main row
    group: str = ""  # for a member of a group submission: the id the group's notebook came as

    @property
    def student(self) -> str:
        """Whose work the notebook is: one student's further notebooks and a group's rows
        are one student's (what a judge's call plans keep apart: `session.CallPlans`)."""
        return self.group or self.main or self.submission_id

    @property
    def origin(self) -> str:
        return self.shown or str(self.path)


@dataclass
class Discovery:
    submissions: list[Found] = field(default_factory=list)  # one row each, invalid ones included
    skipped: list[str] = field(default_factory=list)  # "path: why"
    duplicates: list[str] = field(default_factory=list)
    # Files at the top of a class folder that are no notebook or zip, by the id their name
    # gives (`hugo.tar.gz`: hugo): a rostered student's row says what came (`batch.course`)
    stray: list[tuple[str, str]] = field(default_factory=list)  # (id, as shown)


@dataclass(frozen=True)
class _Owner:
    """Whose a file is: the id, the LMS's number in the name, and what the id was made from."""

    sid: str
    number: int = 0
    raw: str = ""  # the folder or file name (NFC) the id was cleaned from; "" when the LMS named it
    late: bool = False  # the Canvas name that gave the owner carries `_LATE_`


def student_id(name: str, folders: tuple[str, ...] = ()) -> tuple[str, int]:
    """(id, attempt) of the notebook `name` inside `folders` (outermost first, below the input)."""
    owner = _owner_for(name, folders)
    return owner.sid, owner.number


def _owner_for(name: str, folders: tuple[str, ...] = ()) -> _Owner:
    for part in (*folders, name):
        owner = _lms(part)
        if owner is not None:
            return owner
    return _named(folders[0] if folders else Path(name).stem)


def _named(name: str) -> _Owner:
    """The owner a folder or file name (not an LMS name) gives. A name of the shape only
    Gradescope gives its submissions (`submission_<n>`) is not taken as that id: outside red
    team 97's `submission_101.ipynb`, handed in by another student and graded on its own into
    the class's folder, replaced Ada's row `submission_101` and took her override."""
    raw = unicodedata.normalize("NFC", name)
    sid = _safe(raw)
    return _Owner(f"{sid}-named" if GRADESCOPE.match(sid) else sid, 0, raw)


def _lms_owner(name: str) -> tuple[str, int] | None:
    """(id, attempt) if the LMS gave `name` (a Canvas upload or a Gradescope submission folder)."""
    owner = _lms(name)
    return None if owner is None else (owner.sid, owner.number)


# No file system holds a longer name (NAME_MAX); a zip's entry can be any length, and the
# Canvas pattern's search grows with the square of it (red team 66: a 16 KB entry name, 13.8 s
# in discovery): only a name's head is matched, where Canvas writes the owner — the rest is
# the student's own file name, which can make a name of any length (red team 82: one 300-byte
# upload name made the whole class download one upload, every student `missing`)
MAX_LMS_NAME = 255


def _on_disk(key: str) -> list[str]:
    """A zip member's path as it is unpacked: each part longer than a file system takes
    (`MAX_LMS_NAME` bytes) cut to a head that keeps Canvas's `name_uid_fileid_`, a digest of the
    whole and its suffix (red team 82: a notebook whose name Canvas made 300 bytes long was an
    `invalid` row, "File name too long", for a file that was handed in whole)."""
    parts = []
    for part in key.split("/"):
        raw = part.encode("utf-8", "surrogateescape")
        if len(raw) > MAX_LMS_NAME:
            suffix = next((s for s in (".ipynb", ".zip") if part.lower().endswith(s)), "")
            digest = hashlib.sha256(raw).hexdigest()[:8]
            head = raw[:MAX_LMS_NAME - len(suffix) - len(digest) - 1]
            part = f"{head.decode('utf-8', 'ignore')}-{digest}{suffix}"
        parts.append(part)
    return parts


def _lms(name: str) -> _Owner | None:
    stem = re.sub(r"\.(ipynb|zip)$", "", unicodedata.normalize("NFC", name), flags=re.I)
    bare = OTTER_STAMP.sub("", stem)
    match = _canvas(bare[:MAX_LMS_NAME])
    if match is None and bare != stem and bare.endswith("_"):
        # (the student's file name was an otter timestamp alone: `…_1002_5002__2025_03_…`;
        # otter's own zip, `lab05_2025_03_14T…`, keeps no Canvas name once it is cut)
        match = _canvas(stem[:MAX_LMS_NAME])
    if match is not None:
        return _Owner(_safe(f"{match.student}_{match.uid}"), int(match.attempt[-18:]),
                      late=match.late)
    if GRADESCOPE.match(stem) and stem == name:
        # (a folder: Gradescope's export holds `submission_<n>/` folders, never a file of that
        # name — outside red team 97's `submission_101.ipynb`, handed in by another student
        # and graded on its own into the class's folder, took Ada's row and her override)
        return _Owner(stem)
    return None


def _several_lms_students(folder: Path) -> bool:
    """The folder's own entries carry LMS names of two or more students."""
    owners = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                owner = _lms(entry.name)
                if owner is not None:
                    owners.add(owner.sid)
                    if len(owners) > 1:
                        return True
    except OSError:
        return False
    return False


# Canvas keys of the course's roster (`name_userid`, lower case), while `discover` runs: what
# tells apart the readings of a download name that reads as more than one student's (`_canvas`)
_CANVAS_KEYS: ContextVar[frozenset[str]] = ContextVar("canvas_keys", default=frozenset())
# Canvas's download names: name_userid_fileid_file, name_LATE_userid_fileid_file (`_canvas`)
_CANVAS_AT = re.compile(r"(?P<late>_late)?_(?P<uid>[0-9]+)_(?P<attempt>[0-9]+)_(?P<file>.+)$",
                        re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class _CanvasName:
    student: str
    late: bool
    uid: str
    attempt: str
    file: str


def _canvas(name: str) -> _CanvasName | None:
    """Canvas's download name, whose name part is what Canvas keeps: letters, marks, digits, `_`.

    Canvas joins `_<digits>_` in a sortable name before it drops the other characters, so a
    name part can itself read `x_1002_5002_y` (red team 90: a student's sortable name
    `x_-1002-_5002-_y` made their file read as Canvas user 1002's, and a classmate's row
    blank): every reading is taken, and of those the roster's Canvas keys name, the longest
    name part's is the file's — a name part that holds another reading's `name_uid_fileid` is
    one only its own student can have made (their sortable name); else, with no roster or
    none named, the shortest, as Canvas's names usually read."""
    readings = list(_canvas_readings(name))
    keys = _CANVAS_KEYS.get()
    if len(readings) > 1 and keys:
        named = [r for r in readings if _safe(f"{r.student}_{r.uid}").lower() in keys]
        if named:
            return named[-1]
    return readings[0] if readings else None


def _canvas_readings(name: str) -> Iterator[_CanvasName]:
    """Each way `name` reads as `student(_late)_uid_fileid_file`, the shortest name part first."""
    start = 1
    while (at := name.find("_", start)) != -1:
        start = at + 1
        match = _CANVAS_AT.match(name, at)
        if match is None:
            continue
        student = name[:at]
        if student.startswith("_") or not all(_word(c) or c in "-_" for c in student):
            return  # (every longer name part holds the same refused character)
        yield _CanvasName(student, match["late"] is not None, match["uid"], match["attempt"],
                          match["file"])


# Letters that show as nothing (Hangul fillers): an id of them looks like another name.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def _word(char: str) -> bool:
    """A letter, digit or combining mark of any script (Ruby's [[:word:]] without `_`), but
    none that shows as nothing."""
    return (char.isalnum() or unicodedata.category(char).startswith("M")) \
        and char not in _INVISIBLE_LETTERS


def _safe(name: str) -> str:
    """A folder name and CSV cell for anyone: letters and digits of any script (NFC), `._-`,
    every other run of characters made one `_`, never a leading `-`."""
    text = unicodedata.normalize("NFC", name)
    cleaned = re.sub("\x00+", "_", "".join(c if _word(c) or c in "._-" else "\x00" for c in text))
    cleaned = cleaned.strip("._-")[:80]
    while len(cleaned.encode()) > MAX_ID_BYTES:
        cleaned = cleaned[:-1]
    cleaned = cleaned.strip("._-") or "submission"
    return cleaned + "_" if cleaned.lower() in RESERVED else cleaned


def _own_name(name: str) -> str:
    """A file's name as the student gave it: without Canvas's `name_userid_fileid_` prefix."""
    match = _canvas(unicodedata.normalize("NFC", name))
    return match.file if match is not None else name


def named_like(name: str, assignment: str) -> bool:
    """Whether the file `name` is the assignment's notebook (`lab05` or `lab05.ipynb`), also as
    Canvas or a browser renamed it (`lab05-1.ipynb`, `lab05 (1).ipynb`), in any case."""
    own = PurePosixPath(_own_name(name))
    if not assignment or own.suffix.lower() != ".ipynb":
        return False
    wanted = assignment[:-len(".ipynb")] if assignment.lower().endswith(".ipynb") else assignment
    return RENAMED.sub("", own.stem).casefold() == wanted.casefold()


def notebook_rank(shown: str, assignment: str, number: int = 0) -> tuple[bool, int, int, str]:
    """Sort key of one student's notebooks, the one to grade first: the assignment's notebook
    (`named_like`), then the shallowest, then the one Canvas numbered last (`number`: its file
    id; uploaded last), then by path, case-insensitively. `shown`: the path within the upload.
    The batch and the Gradescope package (`choose_notebook`) both use it: one upload, one grade."""
    parts = shown.split("/")
    return (not named_like(parts[-1], assignment), len(parts), -number, shown.casefold())


@contextmanager
def unpacking(parent: Path) -> Iterator[Path]:
    """A fresh folder for one run's unpacked zips under `parent`, removed when the run ends,
    however it ends: by this process (an error too), or, when it is killed (`kill`, `kill
    -9`), by a small process of its own that waits for it (`_sweeper`).

    Folders left by killed runs (their pid is gone) and the `.inputs` folder of
    earlier versions are removed first.
    """
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_unpacked(parent)
    legacy = parent / ".inputs"
    if legacy.is_dir() and not legacy.is_symlink():
        shutil.rmtree(legacy, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{UNPACKED_PREFIX}{os.getpid()}-", dir=parent))
    sweeper = _sweeper(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # member names are depth-capped: no deep tree
        if sweeper is not None:
            _dismiss(sweeper)


def remove_stale_unpacked(parent: Path) -> None:
    """Remove the unpacked zips a run killed before its `_sweeper` could act left in `parent`
    (the folders whose run's pid is gone; a running one's are left alone). Every command that
    is given an output folder does it (cli.py), so none stays until the next `grade`."""
    with contextlib.suppress(OSError):
        for stale in parent.glob(f"{UNPACKED_PREFIX}*"):
            pid = stale.name[len(UNPACKED_PREFIX):].split("-", 1)[0]
            if stale.is_dir() and not stale.is_symlink() and pid.isdigit() \
                    and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)


# The sweeper: ignores the signals a terminal or `kill` sends the run's group, waits for end of
# file on its stdin, which comes only when the run and every process forked from it (judges,
# which hold the pipe too) are gone, however they ended, then removes the folder.
_SWEEP = """import shutil, signal, sys
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
sys.stdin.buffer.read()
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


def _sweeper(folder: Path) -> subprocess.Popen[bytes] | None:
    """Start the process that removes `folder` when this one ends (None if it cannot start:
    then the next run's `remove_stale_unpacked` does)."""
    try:
        return subprocess.Popen([sys.executable, "-I", "-S", "-c", _SWEEP, str(folder)],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd="/")
    except (OSError, ValueError):
        return None


def _dismiss(sweeper: subprocess.Popen[bytes]) -> None:
    """The run ended here: close the sweeper's pipe (it finds the folder gone and exits)."""
    with contextlib.suppress(OSError):
        if sweeper.stdin is not None:
            sweeper.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        sweeper.wait(timeout=5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _TooLarge(Exception):
    """Unpacking stopped: `str()` says why, for the log and the uploader's row."""


class _Budget:
    """What may still be unpacked; charging one charges its parent too (the run's total)."""

    def __init__(self, max_bytes: int, max_entries: int, parent: _Budget | None = None) -> None:
        self.parent = parent
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self.bytes_left, self.entries_left = max_bytes, max_entries

    def _limit(self, what: str) -> _TooLarge:
        if self.parent is None:
            return _TooLarge(f"not unpacked: the batch reached its limit of {what} unpacked in total")
        return _TooLarge(f"more than {what} once unpacked (nested zips included), not unpacked")

    def entries(self, n: int) -> None:
        if n > self.entries_left:
            raise self._limit(f"{self.max_entries} files")
        if self.parent is not None:
            self.parent.entries(n)
        self.entries_left -= n

    def fits(self, n: int) -> None:
        if n > self.bytes_left:
            raise self._limit(f"{self.max_bytes / MIB:g} MB")
        if self.parent is not None:
            self.parent.fits(n)

    def take(self, n: int) -> None:
        self.fits(n)
        self.bytes_left -= n
        if self.parent is not None:
            self.parent.take(n)


@dataclass(frozen=True)
class _Item:
    """A file or folder on the way, with what decides its id."""

    path: Path
    shown: str  # for people: the input's path, or archive/member for what was unpacked
    folders: tuple[str, ...] = ()  # below the input, outermost first
    owner: _Owner | None = None  # set inside an upload: the uploader
    depth: int = 0  # zips opened on the way
    budget: _Budget | None = None  # the upload's (None: only the run's total)
    given: bool = False  # named on the command line
    students: bool = False  # a folder of a class zip whose folders are each one student's
    export: bool = False  # inside a folder that is an LMS's download (`_export_inside`)


@dataclass
class _Empty:
    owner: _Owner
    path: Path
    shown: str
    reason: str  # what came (also for the instructor, when the student is graded elsewhere)
    advice: str = ""  # what to hand in instead, for the student's row

    @property
    def problem(self) -> str:
        return f"{self.reason}; {self.advice}" if self.advice else self.reason


@dataclass(frozen=True)
class _Absent:
    """A member of a class download left in its archive (not a notebook, or unreadable): the
    walk of the unpacked folders meets it where it would lie, so the student it belongs to
    (a Gradescope submission's folder, a student's folder) gets a row saying what came."""

    name: str
    archive: Path
    damage: str = ""  # why it could not be unpacked; "" for a file that is not a notebook


@dataclass
class _Member:
    info: zipfile.ZipInfo
    key: str  # the normalised relative path
    name: str  # as written in the archive (UTF-8 read as such: `_member_name`)


class _Walk:
    def __init__(self, unpack_dir: Path, limits: Limits, assignment: str) -> None:
        self.unpack_dir, self.limits, self.assignment = unpack_dir, limits, assignment
        self.found = Discovery()
        self.candidates: list[tuple[_Item, _Owner]] = []
        self.empty: list[_Empty] = []
        self.seen: list[tuple[str, str]] = []  # files that are not notebooks: (as shown, a note)
        self.broken: list[tuple[str, str]] = []  # (as shown, why) notebooks or zips not unpacked
        self.absent: dict[Path, list[_Absent]] = {}  # by the folder they would lie in
        self.total = _Budget(limits.total_bytes, limits.total_entries)
        self.targets: set[Path] = set()
        # whose each path given is by its name: a zip of one folder per student is not the
        # class's when a folder in it names another path's student (`_claims_another`)
        self.names: set[str] = set()
        self.known: Callable[[str], bool] = lambda sid: False  # a student of the course's id

    def given(self, path: Path) -> None:
        """One path from the command line: a file, a class folder, or one student's folder."""
        item = _Item(path, str(path), given=True)
        if not path.is_dir() or path.is_symlink() or (
                _lms(path.name) is not None and not _several_lms_students(path)):
            self.visit(item)
            return
        owner = _named(path.absolute().name or path.resolve().name)
        # A folder named for a student the course knows, of any shape, is their upload too
        # (red team 90: Ben's late `ben/`, graded on its own into the class's folder, held
        # `ben/lab05.ipynb` and a template `okafor/lab05.ipynb`; read as a class folder, it
        # replaced Okafor's row)
        theirs = self.assignment and _one_students(path, self.assignment)
        if not theirs and self.known(owner.sid):
            self.found.skipped.append(
                f"{item.shown}: {STUDENT_NAMED_DOWNLOAD}: graded as their upload. If it is "
                "the class's folder, give it another name.")
            theirs = True
        if theirs:
            self.upload(replace(item, folders=(path.absolute().name,), owner=owner), self.folder)
        else:
            self.folder(item)

    def folder(self, item: _Item) -> None:
        for child in sorted(item.path.iterdir()):
            if child.name.startswith(".") or child.name == "__MACOSX":
                self.hidden(item, child)
                continue
            inner = _Item(child, f"{item.shown}/{child.name}", item.folders, item.owner,
                          item.depth, item.budget, export=item.export)
            if item.students and child.is_dir() and not child.is_symlink():
                self.student_folder(inner)
            else:
                self.visit(inner)
        for absent in self.absent.pop(item.path, []):
            self.left_in_archive(item, absent)

    def hidden(self, item: _Item, child: Path) -> None:
        """A hidden entry of a folder (.ipynb_checkpoints, otter's pickled .OTTER_LOG, macOS
        metadata): never read. A notebook (or zip) of a hidden name, or a hidden folder that
        holds some, counts as what its upload held — a student whose only notebook is hidden
        gets an `invalid` row saying so — and is listed as skipped (Jupyter's autosaved copies
        in `.ipynb_checkpoints/`, in nearly every folder, only where they are all there is):
        never lost without a word (red teams 64 and 66: `.hank.ipynb`, a file named `.ipynb`,
        a `.hank/` student folder, a checkpoint the only notebook of a folder)."""
        shown = f"{item.shown}/{child.name}"
        if child.is_symlink() or child.name == "__MACOSX":
            return
        if child.is_file():
            if _hidden_upload(child.name):
                self.found.skipped.append(f"{shown}: {HIDDEN_UPLOAD}")
                self.seen.append((shown, "hidden"))
            return
        if not child.is_dir():
            return
        count = _notebooks_below(child)
        if count:
            words = "1 notebook or zip" if count == 1 else f"{count} notebooks or zips"
            if child.name != ".ipynb_checkpoints":  # (autosaved copies: in every folder)
                self.found.skipped.append(f"{shown}/: holds {words}: {HIDDEN_FOLDER}")
            self.seen.append((f"{shown}/", f"hidden, {words}"))

    def student_folder(self, item: _Item) -> None:
        """A folder of a class zip of one folder per student: walked as before (`visit`), and,
        when it held files but gave nobody a row, its student's `invalid` row saying what came."""
        candidates, empty, seen = len(self.candidates), len(self.empty), len(self.seen)
        broken = len(self.broken)
        self.visit(item)
        if len(self.candidates) == candidates and len(self.empty) == empty \
                and len(self.seen) > seen:
            self.empty.append(_Empty(_named(item.path.name), item.path, item.shown,
                                     *self.nothing_to_grade(seen, broken, item.shown)))

    def left_in_archive(self, item: _Item, absent: _Absent) -> None:
        """A class download's member that was not unpacked, met where it would lie."""
        shown = f"{item.shown}/{absent.name}"
        self.seen.append((shown, "could not be read" if absent.damage else ""))
        if item.owner is not None:  # inside one student's upload: `upload` says what came
            if absent.damage:
                self.broken.append((shown, absent.damage))
            return
        lms = _lms(absent.name)
        if absent.damage and (lms is not None
                              or PurePosixPath(absent.name).suffix.lower() in (".ipynb", ".zip")):
            owner = lms or _owner_for(absent.name, item.folders)  # whose it would have been
            self.empty.append(_Empty(owner, absent.archive, shown,
                                     _unreadable(absent.name, absent.damage), AGAIN))
        elif lms is not None:  # e.g. a PDF uploaded to Canvas instead of the notebook
            self.empty.append(_Empty(lms, absent.archive, shown,
                                     _no_notebook([(absent.name, "")]), self.hand_in))

    def visit(self, item: _Item) -> None:
        path = item.path
        lms = None if item.owner is not None else _lms(path.name)
        if lms is not None and path.is_dir() and not path.is_symlink() \
                and _several_lms_students(path):
            # A folder named like a Canvas upload (`lab05_2025_03_14`: name, user id, file id,
            # file) that holds LMS-named notebooks of two or more students is a class folder,
            # not one student's (an outside red team's took the whole class as one student)
            lms = None
        if path.is_dir():
            if path.is_symlink():
                self.found.skipped.append(f"{item.shown}: a link to a folder, not followed")
            else:
                inside = replace(item, folders=(*item.folders, path.name), owner=item.owner or lms)
                if lms is not None:  # a Canvas-named or Gradescope submission folder: one student's
                    self.upload(inside, self.folder)
                elif item.owner is None and not item.folders and not item.depth \
                        and not (export := _export_inside(path)):
                    # A folder per student: everything below is that student's, whatever the
                    # names inside say, as in a student's zip (an outside red team's `ben/`
                    # holding `okafor_1001_99999_lab05.ipynb` took Okafor's row). (In a class
                    # download's zip, `depth` > 0, the zip was judged an export as a whole.)
                    # Their upload: a folder holding files but no notebook (`kevin/lab05.pdf`)
                    # is their `invalid` row, never `missing`; its zips share one budget.
                    budget = _Budget(self.limits.upload_bytes, self.limits.upload_entries,
                                     self.total)
                    self.upload(replace(inside, owner=_named(path.name), budget=budget),
                                self.folder, plain=True)
                else:
                    self.folder(replace(inside, export=item.export or (
                        item.owner is None and not item.folders and not item.depth and export)))
        elif path.is_symlink() and not item.given:
            # A link found inside a folder (an unzipped upload's `lab05.ipynb -> /…/solutions/…`,
            # or another student's file): never followed, like a link to a folder. Only a path
            # the instructor names on the command line may be a link.
            self.found.skipped.append(f"{item.shown}: a link to a file, not followed")
            self.seen.append((item.shown, "a link"))
            if path.suffix.lower() == ".ipynb" or lms is not None:  # a row says why: nothing lost
                owner = item.owner or lms or _owner_for(path.name, item.folders)
                self.empty.append(_Empty(owner, path, item.shown,
                                         f"{path.name} is a link to a file, which is never "
                                         "followed: hand in the notebook itself"))
        elif not path.exists():
            self.found.skipped.append(f"{item.shown}: no such file")
        elif not path.is_file():  # a FIFO, socket or device: never opened (red team 16)
            self.found.skipped.append(f"{item.shown}: not a regular file, never read")
            self.seen.append((item.shown, "not a regular file"))
            if path.suffix.lower() in (".ipynb", ".zip") or lms is not None:
                owner = item.owner or lms or _owner_for(path.name, item.folders)
                self.empty.append(_Empty(owner, path, item.shown,
                                         f"{path.name} is not a regular file (a pipe, socket "
                                         "or device), which is never read: hand in the "
                                         "notebook file itself"))
        elif path.suffix.lower() == ".ipynb":
            if item.export and item.owner is None and lms is None:
                # A notebook the LMS did not name, beside its download's (a TA's `ivanova
                # fixed.ipynb`): its own row by its own name, never the folder's
                owner = _named(path.stem)
                self.found.skipped.append(
                    f"{item.shown}: not named as the LMS names its files, in its download: "
                    f"graded as its own row {owner.sid} (rename it as the LMS would to give it "
                    "its student's row)")
                self.candidates.append((item, owner))
            else:
                self.candidates.append((item, item.owner or _owner_for(path.name, item.folders)))
        elif path.suffix.lower() == ".zip":
            self.archive(item, lms)
        else:
            self.found.skipped.append(f"{item.shown}: not a notebook (.ipynb), skipped")
            self.seen.append((item.shown, ""))
            if item.owner is None and lms is None and not item.folders:
                self.found.stray.append((_named(path.name.split(".", 1)[0]).sid, item.shown))
            if lms is not None:  # e.g. a PDF uploaded to Canvas instead of the notebook
                self.empty.append(_Empty(lms, path, item.shown, _no_notebook([(path.name, "")]),
                                         self.hand_in))

    def upload(self, item: _Item, walk: Callable[[_Item], None], plain: bool = False) -> None:
        """Walk one student's upload: everything below is `item.owner`'s; nothing → an invalid row.
        `plain`: a folder named for its student, which gives no row when it holds no file."""
        assert item.owner is not None
        candidates, seen, broken = len(self.candidates), len(self.seen), len(self.broken)
        try:
            walk(item)
        except _TooLarge as exc:
            del self.candidates[candidates:]
            self.found.skipped.append(f"{item.shown}: {exc}")
            reason = f"your upload holds {exc}" if str(exc).startswith("more") else str(exc)
            self.empty.append(_Empty(item.owner, item.path, item.shown, reason))
            return
        if len(self.candidates) == candidates and (not plain or len(self.seen) > seen):
            self.empty.append(_Empty(item.owner, item.path, item.shown,
                                     *self.nothing_to_grade(seen, broken, item.shown)))

    @property
    def hand_in(self) -> str:
        """What a student who handed in no notebook is asked for."""
        return f"hand in the notebook itself ({_notebook(self.assignment)})"

    def nothing_to_grade(self, seen: int, broken: int, upload: str) -> tuple[str, str]:
        """(why an upload gave no notebook, what to hand in): the first file that could not be
        read, else what it held (`seen`, `broken`: where the upload's entries start)."""
        if self.broken[broken:]:
            shown, why = self.broken[broken]
            name = shown[len(upload) + 1:] if shown.startswith(upload + "/") else shown
            return _unreadable(name, why), AGAIN
        return _no_notebook(self.seen[seen:], upload), self.hand_in

    def archive(self, item: _Item, lms: _Owner | None) -> None:
        if item.depth >= self.limits.nesting:
            self.found.skipped.append(f"{item.shown}: zips nested more than {self.limits.nesting} "
                                      "deep, skipped")
            self.seen.append((item.shown, "nested too deep"))
            if item.owner is None:
                self.empty.append(_Empty(lms or _owner_for(item.path.name, item.folders), item.path,
                                         item.shown, f"your upload holds zips nested more than "
                                                     f"{self.limits.nesting} deep"))
            return
        try:
            zf = zipfile.ZipFile(item.path)
        except _ZIP_ERRORS as exc:
            self.unreadable(item, lms, exc)
            return
        with zf:
            try:
                members, entries = self.members(zf, item.shown)
            except _ZIP_ERRORS as exc:
                self.unreadable(item, lms, exc)
                return
            self.open_zip(zf, members, entries, item, lms)

    def open_zip(self, zf: zipfile.ZipFile, members: list[_Member], entries: int, item: _Item,
                 lms: _Owner | None) -> None:
        """Unpack one readable zip as an upload (its own budget), inside one, or as a class download."""
        owner, start = item.owner or lms, None
        if owner is None and not item.folders:
            keys = [m.key for m in members if not _hidden(m.key)]
            start = _class_layout(keys, OTTER_STAMP.sub("", item.path.stem), item.given,
                                  zipped=True)
            if start is not None and item.given and self._claims_another(item, keys, start):
                start = None
            elif start is not None and item.given and self._a_students(item):
                self.found.skipped.append(
                    f"{item.shown}: {STUDENT_NAMED_DOWNLOAD}: graded as their upload. If it is "
                    "the class's download, give it another name.")
                start = None
            if start is None and _lms_export(keys, OTTER_STAMP.sub("", item.path.stem)):
                self.found.skipped.append(
                    f"{item.shown}: {RENAMED_DOWNLOAD} but is "
                    "not named as Canvas names its download (..._submissions.zip): graded as "
                    "one upload. If it is the class's download, name it so, or unzip it into "
                    "a folder.")
        if owner is None and start is None:
            owner = _owner_for(item.path.name, item.folders)  # a student's folder, or their zip
        inner = replace(item, folders=(*item.folders, item.path.stem), owner=owner)
        if owner is not None and item.owner is None:  # a new upload: its own budget
            budget = _Budget(self.limits.upload_bytes, self.limits.upload_entries, self.total)
            self.upload(replace(inner, budget=budget), lambda it: self.unpack(zf, members, entries, it))
        elif owner is not None:  # a zip inside an upload: the upload's budget covers it
            budget = item.budget or _Budget(self.limits.upload_bytes, self.limits.upload_entries,
                                            self.total)
            self.unpack(zf, members, entries, replace(inner, budget=budget))
        else:  # a class download: transparent
            students = not _lms_export([m.key for m in members if not _hidden(m.key)],
                                       OTTER_STAMP.sub("", item.path.stem), zipped=True)
            try:
                self.unpack(zf, members, entries, item, start or (), students)
            except _TooLarge as exc:
                self.found.skipped.append(f"{item.shown}: {exc}")

    def _a_students(self, item: _Item) -> bool:
        """A zip given on the command line that is named for a student the course knows (on
        the roster, or with a result in the output folder): their upload, whatever its shape
        (red team 82: Ben's late `ben.zip`, graded on its own into the class's folder, held a
        template `okafor/lab05.ipynb`, was read as a class download and replaced Okafor's row)."""
        return self.known(_owner_for(item.path.name).sid)

    def _claims_another(self, item: _Item, keys: list[str], start: tuple[str, ...]) -> bool:
        """A zip given on the command line, of one folder per student, one of whose folders
        names the student of another path given: a student's zip claiming another's row
        (an outside red team's `ben.zip` holding `okafor/` and `ben/`, given as `grade
        ben.zip lee.zip okafor.zip`, took Okafor's row), so its uploader's upload."""
        depth = len(start)
        folders = {_named(key.split("/")[depth]).sid for key in keys
                   if key.count("/") > depth and key.split("/")[:depth] == list(start)}
        return bool(folders & (self.names - {_owner_for(item.path.name).sid}))

    def unreadable(self, item: _Item, lms: _Owner | None, exc: BaseException) -> None:
        self.found.skipped.append(f"{item.shown}: not a readable zip ({exc})")
        self.seen.append((item.shown, "not a readable zip"))
        if item.owner is None:  # at the top: it was someone's upload
            owner = lms or _owner_for(item.path.name, item.folders)
            self.empty.append(_Empty(owner, item.path, item.shown, "your upload is not a "
                                     f"readable zip ({_why_unreadable(exc)})", self.hand_in))
        else:  # inside an upload: its row says so, if it gave no notebook
            self.broken.append((item.shown, f"not a readable zip: {_why_unreadable(exc)}"))

    def members(self, zf: zipfile.ZipFile, shown: str) -> tuple[list[_Member], int]:
        """(the entries to consider, how many there are); refused and repeated names reported.

        A name used twice keeps its last entry, as `unzip` and `ZipFile.extractall` do.
        """
        kept: dict[str, _Member] = {}
        infos = zf.infolist()
        for info in infos:
            if info.is_dir():
                continue
            written = _member_name(info)
            name = written.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if (not parts or name.startswith("/") or ".." in parts or "\x00" in name
                    or re.match(r"^[A-Za-z]:", name)):
                self.found.skipped.append(f"{shown}:{written}: a path outside the archive, "
                                          "refused")
                continue
            if len(parts) > self.limits.name_depth:
                self.found.skipped.append(f"{shown}:{written[:200]}…: folders nested more than "
                                          f"{self.limits.name_depth} deep, refused")
                continue
            key = "/".join(parts)
            if key in kept:
                self.found.duplicates.append(
                    f"{shown}:{written}: the same name twice in the archive; this later entry "
                    "is used (as unzip and Python's zipfile extract it), the earlier one ignored")
                del kept[key]
            kept[key] = _Member(info, key, written)
        return list(kept.values()), len(infos)

    def unpack(self, zf: zipfile.ZipFile, members: list[_Member], entries: int, item: _Item,
               start: tuple[str, ...] = (), students: bool = False) -> None:
        """Extract the notebooks and zips of one archive, then walk what came out (from `start`;
        `students`: its folders there are each one student's)."""
        budget = item.budget or self.total
        budget.entries(entries)
        # A class download's members are met again where they would lie (`left_in_archive`):
        # whose each is, is known only there (a Gradescope submission's folder, a student's)
        transparent = item.owner is None
        wanted: list[_Member] = []
        others: list[_Member] = []
        for member in members:
            hidden = _hidden(member.key)
            if not member.key.lower().endswith((".ipynb", ".zip")):
                why = "hidden file ignored (never loaded)" if hidden else "not a notebook, skipped"
                self.found.skipped.append(f"{item.shown}:{member.name}: {why}")
                if hidden:
                    continue
                if transparent:
                    others.append(member)
                else:
                    self.seen.append((member.key, ""))
            elif not hidden:
                wanted.append(member)
            elif "__MACOSX" not in member.key.split("/"):  # (macOS metadata: no notebook)
                # as in a folder (`_Walk.hidden`): listed, and what the upload held
                folder = member.key.rpartition("/")[0]
                if ".ipynb_checkpoints" not in folder.split("/"):  # (autosaved copies)
                    why = HIDDEN_FOLDER if _hidden(folder) else HIDDEN_UPLOAD
                    self.found.skipped.append(f"{item.shown}:{member.name}: {why}")
                if not transparent:
                    self.seen.append((member.key, "hidden"))
        budget.fits(sum(m.info.file_size for m in wanted))  # what the archive admits to
        target = self.target(item.path)
        for member in others:
            self.leave(target, member, item.path)
        for member in wanted:
            dest = target.joinpath(*_on_disk(member.key))
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member.info) as src, dest.open("xb") as out:
                    while chunk := src.read(_CHUNK):  # what it really holds, counted as it comes
                        budget.take(len(chunk))
                        out.write(chunk)
            except _ZIP_ERRORS as exc:
                with contextlib.suppress(OSError):  # (a name too long to create is too long to remove)
                    dest.unlink(missing_ok=True)
                self.found.skipped.append(f"{item.shown}:{member.name}: could not be "
                                          f"unpacked ({exc})")
                why = _why_unreadable(exc)
                if transparent:  # its student's row says so (not `missing`: it came)
                    self.leave(target, member, item.path, why)
                else:
                    self.seen.append((member.key, "could not be read"))
                    self.broken.append((member.key, why))
        shown = "/".join((item.shown, *start))
        self.folder(_Item(target.joinpath(*start), shown, item.folders, item.owner, item.depth + 1,
                          item.budget, students=students))

    def leave(self, target: Path, member: _Member, archive: Path, damage: str = "") -> None:
        """Note a member not unpacked where the walk will meet it (`left_in_archive`)."""
        parts = _on_disk(member.key)
        folder = target.joinpath(*parts[:-1])
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # (a name too long to create, or a file in its place: listed as skipped)
        self.absent.setdefault(folder, []).append(_Absent(parts[-1], archive, damage))

    def target(self, archive: Path) -> Path:
        """Where one archive is unpacked: stable across runs, never shared within one."""
        base = f"{_safe(archive.stem)}-{_digest(archive)[:8]}"
        target, n = self.unpack_dir / base, 2
        while target in self.targets:
            target, n = self.unpack_dir / f"{base}-{n}", n + 1
        self.targets.add(target)
        if target.exists():  # left by an earlier run into the same folder
            shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        return target


def _member_name(info: zipfile.ZipInfo) -> str:
    """An entry's name as its maker wrote it: UTF-8 even without the zip's UTF-8 flag.

    Canvas's zips (rubyzip) and many tools write UTF-8 names without setting the
    flag; Python then reads them as cp437 (`müller` → `m├╝ller`). A name whose
    bytes are valid UTF-8 is read as UTF-8, as Info-ZIP's unzip does; any other
    stays cp437.
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


def _hidden(key: str) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in key.split("/"))


# (red team 64: a `.hank.ipynb` in a class folder had no row and no line saying why)
HIDDEN_UPLOAD = ("hidden file (its name starts with '.'), never loaded: rename it without the "
                 "dot to have it graded")


HIDDEN_FOLDER = ("in a hidden folder (its name starts with '.'), never loaded: rename the "
                 "folder without the dot to have them graded")
HIDDEN_COUNT_MOST = 1000  # (a hidden folder's notebooks counted up to this many entries)


def _hidden_upload(key: str) -> bool:
    """A notebook or zip whose own name is hidden (`.hank.ipynb`, or just `.ipynb`, which has
    no suffix to Python): listed as skipped, as a hidden folder holding some is (`_Walk.hidden`)."""
    name = key.rpartition("/")[2]
    return name.startswith(".") and name.lower().endswith((".ipynb", ".zip"))


def _notebooks_below(folder: Path) -> int:
    """How many notebooks or zips a hidden folder holds, at any depth (links not followed),
    looking at no more than `HIDDEN_COUNT_MOST` entries."""
    count = looked = 0
    for _, folders, files in os.walk(folder):
        looked += len(folders) + len(files)
        count += sum(name.lower().endswith((".ipynb", ".zip")) for name in files)
        if looked >= HIDDEN_COUNT_MOST:
            break
    return count


def _no_notebook(seen: list[tuple[str, str]], upload: str = "") -> str:
    """What came instead of a notebook: each name the student chose quoted, the grader's note
    on it outside the quotes (red team 82: a name closing the list went on as the grader's
    "… and lab05.ipynb, graded in full: 135 of 135")."""
    names = [quoted(n[len(upload) + 1:] if upload and n.startswith(upload + "/") else n)
             + (f" ({note})" if note else "") for n, note in seen]
    if not names:
        return "no notebook in your upload (it holds no files)"
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"no notebook in your upload (found: {', '.join(names[:5])}{more})"


AGAIN = "hand in the notebook again"  # what a student whose notebook came damaged is asked for


def _notebook(assignment: str) -> str:
    """The assignment's notebook's file name, for a reason (`lab05.ipynb`)."""
    if not assignment:
        return "an .ipynb file"
    return assignment if assignment.lower().endswith(".ipynb") else f"{assignment}.ipynb"


def _why_unreadable(exc: BaseException) -> str:
    """A member's unpacking error, short (`Bad CRC-32 for file …`, `Error -3 while …`)."""
    return printable(str(exc) or type(exc).__name__)[:120]


def _unreadable(name: str, why: str) -> str:
    """The reason of a row whose notebook came but could not be read out of its archive."""
    return f"your {quoted(_own_name(name))} arrived damaged and could not be read ({why})"


def _class_layout(keys: list[str], stem: str, given: bool,
                  zipped: bool = False) -> tuple[str, ...] | None:
    """Where to start walking a zip that is a class download; None: it is a student's upload.

    `keys`: its visible entries. A class download is an LMS's export of several
    students, not anything a student could be asked to name: Gradescope's (its
    metadata file), Canvas's (every notebook LMS-named, for two or more students,
    or for one in a zip Canvas named `..._submissions.zip`), or, given on the
    command line, a zip of one folder per student. A zip of Canvas-named files is Canvas's
    download only under the name Canvas gives it (`..._submissions.zip`): a zip by any
    other name is what someone handed in, and a student's zip holding Canvas names of two
    students (their own and a classmate's, graded as late work) took the classmate's row
    and grade (a twenty-seventh outside red team's).
    """
    if _lms_export(keys, stem, zipped):
        return ()
    notebooks = [k for k in keys if PurePosixPath(k).suffix.lower() in (".ipynb", ".zip")]
    return _folder_per_student(notebooks) if given else None


def _lms_export(keys: list[str], stem: str, zipped: bool = False) -> bool:
    """Whether a zip's (`zipped`) or folder's visible entries `keys` are an LMS's export of
    several students: Gradescope's, or Canvas's (see `_class_layout`)."""
    notebooks = [k for k in keys if PurePosixPath(k).suffix.lower() in (".ipynb", ".zip")]
    if _gradescope_shaped(keys):
        return True
    owners = [_key_owner(k) for k in keys]
    named = {o.sid for o in owners if o is not None}
    # Every notebook LMS-named, or all but a few beside those of two or more students (an
    # instructor's review: one `ivanova fixed.ipynb` dropped into the unzipped download made
    # the whole class one student's, and past ten notebooks ungraded)
    unnamed = sum(_key_owner(k) is None for k in notebooks)
    return (unnamed == 0 or (len(named) >= 2 and 4 * unnamed <= len(notebooks))) and bool(
        (len(named) >= 2 and not zipped) or (named and CANVAS_DOWNLOAD.search(stem)))


def _gradescope_shaped(keys: list[str]) -> bool:
    """Gradescope's export: its metadata at the top or in the one folder at the top, and
    beside it nothing but `submission_<n>` folders (as `submitted.py` reads it). A metadata
    file beside anything else is what a student made: an outside red team's `bob.zip`, with
    `submission_metadata.yml`, `submission_77/` and a `carol/lab05.ipynb`, was taken for an
    export in a class folder and its notebook graded as carol's row."""
    split = [key.split("/") for key in keys]
    for prefix in ([], *([top] for top in {parts[0] for parts in split if len(parts) > 1})):
        inside = [parts[len(prefix):] for parts in split if parts[:len(prefix)] == prefix]
        if len(inside) != len(split) or [*prefix, METADATA] not in split:
            continue  # (something outside this level, or no metadata at it)
        files = {rest[0] for rest in inside if len(rest) == 1}
        folders = {rest[0] for rest in inside if len(rest) > 1}
        if files == {METADATA} and folders and all(GRADESCOPE.match(f) for f in folders):
            return True
    return False


def _key_owner(key: str) -> _Owner | None:
    """The LMS owner a zip entry's path names (its outermost LMS-named part)."""
    for part in key.split("/"):
        owner = _lms(part)
        if owner is not None:
            return owner
    return None


def _folder_per_student(notebooks: list[str]) -> tuple[str, ...] | None:
    """The wrapping folders above one folder per student, if every notebook sits in such a folder."""
    parts = [k.split("/") for k in notebooks]
    start: tuple[str, ...] = ()
    while parts and all(len(p) > 2 for p in parts) and len({p[0] for p in parts}) == 1:
        start, parts = (*start, parts[0][0]), [p[1:] for p in parts]
    if parts and all(len(p) > 1 for p in parts) and len({p[0] for p in parts}) >= 2:
        return start
    return None


MAX_EXPORT_SCAN = 20_000  # files looked at to tell a folder per student from an export


def _export_inside(folder: Path) -> bool:
    """Whether a folder found in a class folder is an LMS export unpacked there (read as if
    its contents sat where it is: `_class_layout`, as for a zip), not one student's folder."""
    keys: list[str] = []
    for path in folder.rglob("*"):
        if len(keys) >= MAX_EXPORT_SCAN:
            break
        key = path.relative_to(folder).as_posix()
        if not _hidden(key) and not path.is_symlink() and path.is_file():
            keys.append(key)
    return _class_layout(keys, folder.name, False) is not None


def _one_students(folder: Path, assignment: str) -> bool:
    """Whether a folder given on the command line is one student's hand-in, not a class's.

    It is when the notebooks at its top are the assignment's (`lab05.ipynb`,
    `lab05-1.ipynb`), and nothing else in it looks like another student's: no zip, no
    sub-folder holding notebooks at its top, no LMS-named entry — unless beside the
    assignment's notebook, naming one student: an export holds no file the LMS did not
    name, so there the LMS name is the student's own file's (an outside red team's `ben/`,
    graded alone, gave Okafor's row Ben's `okafor_1001_99999_lab05.ipynb`).
    """
    children = [c for c in folder.iterdir() if not c.name.startswith(".") and c.name != "__MACOSX"]
    notebooks = [c for c in children if c.is_file() and c.suffix.lower() == ".ipynb"]
    plain = [c for c in notebooks if _lms(c.name) is None]
    if not plain or not all(named_like(c.name, assignment) for c in plain):
        return False
    named = {owner.sid for c in children for owner in (_lms(c.name),) if owner is not None}
    if len(named) > 1:
        return False
    for child in children:
        if child.is_file() and child.suffix.lower() == ".zip":
            return False
        if child.is_dir() and not child.is_symlink() and any(
                g.suffix.lower() == ".ipynb" and not g.name.startswith(".") for g in child.iterdir()):
            return False
    return True


def _unique_ids(walk: _Walk) -> None:
    """Two different names that clean to one id (`Anna Müller`, `Anna_Müller`) never merge.

    The id's own spelling (or else the first name in order) keeps it; each other
    becomes `<id>+2`, `<id>+3`: stable for the same inputs, and listed.
    """
    owners = [o for _, o in walk.candidates] + [e.owner for e in walk.empty]
    taken = {o.sid.casefold() for o in owners}
    names: dict[str, set[str]] = {}
    for owner in owners:
        if owner.raw:
            names.setdefault(owner.sid.casefold(), set()).add(owner.raw)
    renamed: dict[str, str] = {}
    for raws in names.values():
        ordered = sorted(raws, key=lambda raw: (_safe(raw) != raw, raw))
        for raw in ordered[1:]:
            base, n = _safe(raw), 2
            while f"{base}+{n}".casefold() in taken:
                n += 1
            renamed[raw] = f"{base}+{n}"
            taken.add(renamed[raw].casefold())
            walk.found.duplicates.append(f"{printable(raw)!r} and {printable(ordered[0])!r} both make "
                                         f"the id {base}: two students, not one; "
                                         f"{printable(raw)!r} is {renamed[raw]}")

    def fixed(owner: _Owner) -> _Owner:
        return replace(owner, sid=renamed[owner.raw]) if owner.raw in renamed else owner

    walk.candidates = [(item, fixed(owner)) for item, owner in walk.candidates]
    for empty in walk.empty:
        empty.owner = fixed(empty.owner)


class _Digests:
    """sha256 of each file, read once."""

    def __init__(self) -> None:
        self.known: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        if path not in self.known:
            self.known[path] = _digest(path)
        return self.known[path]


def _graded(walk: _Walk, digest: _Digests) -> dict[str, Found]:
    """Each student's notebooks: the assignment's under their id, every other as `<id>-2`, …"""
    mine: dict[str, list[tuple[_Item, _Owner]]] = {}
    for item, owner in walk.candidates:
        mine.setdefault(owner.sid, []).append((item, owner))
    rows: dict[str, Found] = {}
    taken = {sid.casefold() for sid in [*mine, *(e.owner.sid for e in walk.empty)]}
    for sid, files in mine.items():
        files.sort(key=lambda f: _preference(f, walk.assignment))
        named = sum(named_like(item.path.name, walk.assignment) for item, _ in files)
        kept: list[Found] = []
        over = 0  # further notebooks past the cap: rows, not graded
        for item, owner in files:
            same = next((f for f in kept if digest(f.path) == digest(item.path)), None)
            if same is not None:
                walk.found.duplicates.append(f"{item.shown}: identical to {same.origin} "
                                             f"(graded once as {same.submission_id})")
                continue
            rid = _extra_id(sid, len(kept) + over + 1, taken) if kept else sid
            if len(kept) >= walk.limits.notebooks_per_student:
                over += 1
                rows[rid] = Found(rid, item.path, owner.number, shown=item.shown, raw=owner.raw,
                                  late=owner.late, main=sid,
                                  problem=_over_cap(sid, walk.limits, kept[0]))
                walk.found.duplicates.append(f"{item.shown}: another notebook for {sid}, past "
                                             f"the {walk.limits.notebooks_per_student} graded; "
                                             f"row {rid}, not graded")
                continue
            if kept:
                walk.found.duplicates.append(
                    f"{item.shown}: another notebook for {sid}; graded as {rid} ({sid} is "
                    f"{kept[0].origin}, {_why(named)})")
            kept.append(Found(rid, item.path, owner.number, shown=item.shown, raw=owner.raw,
                              late=owner.late, main=sid if kept else ""))
            rows[rid] = kept[-1]
    return rows


def _over_cap(sid: str, limits: Limits, main: Found) -> str:
    return (f"not graded: {sid} handed in more than {limits.notebooks_per_student} different "
            f"notebooks, and only that many are graded ({sid} is {main.origin}); if this is "
            f"the one to mark, grade it on its own")


def _extra_id(sid: str, n: int, taken: set[str]) -> str:
    """`<sid>-<n>` for a student's n-th notebook, or the next number no other row has."""
    while f"{sid}-{n}".casefold() in taken:
        n += 1
    taken.add(f"{sid}-{n}".casefold())
    return f"{sid}-{n}"


def _preference(file: tuple[_Item, _Owner], assignment: str) -> tuple[object, ...]:
    """`notebook_rank` within the student's upload, then by where it came from."""
    item, owner = file
    return (*notebook_rank("/".join((*item.folders, item.path.name)), assignment, owner.number),
            item.shown.casefold())


def _why(named: int) -> str:
    """Why a notebook is graded under the student's id (`named`: how many are the assignment's)."""
    if named == 1:
        return "the assignment's notebook"
    order = "the shallowest, the one Canvas numbered last, then by path"
    if named:
        return f"of {named} named like the assignment's notebook, {order}"
    return f"none is named like the assignment's notebook: {order}"


def _invalid(walk: _Walk, graded: dict[str, Found]) -> dict[str, Found]:
    """A row for each uploader with no notebook anywhere in the batch; other empty uploads reported."""
    found, invalid = walk.found, {}
    for empty in sorted(walk.empty, key=lambda e: -e.owner.number):  # Canvas's last file first
        sid = empty.owner.sid
        if sid in graded:
            found.skipped.append(f"{empty.shown}: {empty.reason}; {sid} graded from "
                                 f"{graded[sid].origin}")
        elif sid in invalid:
            found.duplicates.append(f"{empty.shown}: another upload of {sid} without a notebook "
                                    f"({empty.reason})")
        else:
            invalid[sid] = Found(sid, empty.path, empty.owner.number, problem=empty.problem,
                                 shown=empty.shown, raw=empty.owner.raw, late=empty.owner.late)
    return invalid


def _group_members(found: Discovery, inputs: list[Path]) -> dict[str, str]:
    """A row for every member of a Gradescope group submission: {member's id: the submission's}."""
    groups = read_lms_records(inputs, UTC).groups  # unreadable metadata: course.py reports it
    members: dict[str, str] = {}
    ids = {f.submission_id for f in found.submissions}
    for sub in list(found.submissions):
        others = [m for m in groups.get(sub.submission_id, ()) if m not in ids]
        for member in others:
            found.submissions.append(replace(sub, submission_id=member, group=sub.submission_id))
            members[member] = sub.submission_id
        if others:
            found.duplicates.append(f"{sub.origin}: a group submission; graded for each member: "
                                    f"{', '.join([sub.submission_id, *others])}")
    found.submissions.sort(key=lambda f: f.submission_id)
    return members


def discover(inputs: list[Path], unpack_dir: Path, limits: Limits | None = None,
             assignment: str = "", known: Callable[[str], bool] | None = None,
             canvas_keys: Iterable[str] = ()) -> Discovery:
    """Every submission under `inputs`, one `Found` per gradebook row; zips unpacked in `unpack_dir`.

    `assignment`: the assignment's notebook (`lab05` or `lab05.ipynb`), by which a
    student's main notebook and a student's own folder are recognised (without
    it: neither, every folder given is a class's). `known`: whether an id is a student's
    the course already knows (the roster's, or a row in the output folder): a zip or folder
    given on the command line named for one is their upload, never a class download.
    `canvas_keys`: the Canvas roster's `name_userid` keys, which tell apart the readings of a
    download name that reads as more than one student's (`_canvas`).
    """
    token = _CANVAS_KEYS.set(frozenset(k.lower() for k in canvas_keys))
    try:
        return _discover(inputs, unpack_dir, limits, assignment, known)
    finally:
        _CANVAS_KEYS.reset(token)


def _discover(inputs: list[Path], unpack_dir: Path, limits: Limits | None, assignment: str,
              known: Callable[[str], bool] | None) -> Discovery:
    walk = _Walk(unpack_dir, limits or Limits(), assignment)
    if known is not None:
        walk.known = known
    walk.names = {_owner_for(path.name).sid for path in inputs}
    for path in inputs:
        walk.given(path)
    _unique_ids(walk)
    digest = _Digests()
    graded = _graded(walk, digest)
    found = walk.found
    found.submissions = sorted([*graded.values(), *_invalid(walk, graded).values()],
                               key=lambda f: f.submission_id)
    group = _group_members(found, inputs)
    first: dict[str, Found] = {}
    for sub in found.submissions:  # the same bytes under two ids: both graded, but worth a look
        if sub.problem or sub.submission_id in group:
            continue
        same = first.setdefault(digest(sub.path), sub)
        if same is not sub:
            found.duplicates.append(f"{sub.origin}: same bytes as {same.origin} "
                                    f"({same.submission_id}); graded as {sub.submission_id} too")
    return found


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open_regular(path) as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()
