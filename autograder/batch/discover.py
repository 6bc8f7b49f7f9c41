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

- a Canvas name `name_userid_attemptid_file` (the outermost on the way wins:
  the LMS named it, the student did not) → `name_userid`; older attempts are
  reported, the latest is graded;
- a Gradescope export folder `submission_<digits>` → that folder's name;
- else the first folder under what was given (a folder per student);
- else the notebook's (or the student's zip's) file stem.

**Uploads.** A zip is a student's *upload*, and everything in it belongs to
the uploader whatever the names inside say, when it is Canvas-named, inside a
Canvas-named or `submission_<n>` folder, inside another upload, inside a
student's folder, or (given directly, or at the top of a given folder or class
zip) when it holds at most one notebook or zip. Only a zip at the top holding
several, or whose entries all carry LMS names, is a class download, transparent
as if its contents sat where it is (a Canvas "download all", a Gradescope
export). So an inner file named like another student's Canvas upload is graded
as its uploader's notebook. (A zip inside a plain sub-folder is that folder's
student's: give a class download itself, or the folder that holds it.)

- Several notebooks in one upload: each is graded, the first (by path) under
  the uploader's id, the others as `<id>-2`, `<id>-3`, … and listed under
  duplicates, as for a student folder holding several: nothing the student
  handed in is dropped silently, and the TA chooses.
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
and the first entry kept. Everything is unpacked under `unpack_dir`;
`unpacking()` makes that folder and removes it when the run ends, error or not.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.report.sanitize import printable

CANVAS = re.compile(r"^(?P<student>[A-Za-z0-9-]+?)(?:_late)?_(?P<uid>\d+)_(?P<attempt>\d+)_.+$",
                    re.IGNORECASE)
GRADESCOPE = re.compile(r"^submission_\d+$")
# otter's export zip: `<notebook>_YYYY_MM_DDTHH_MM_SS_ffffff.zip`, not a Canvas name
OTTER_STAMP = re.compile(r"_\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}_\d{6}$")
RESERVED = {"gradebook.csv", "index.html"}  # files at the top of the output folder
UNPACKED_PREFIX = ".unpacked-"
MIB = 1024 * 1024
_CHUNK = MIB
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError,
               EOFError, zlib.error, ValueError)


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = 256 * MIB  # one student's upload, all nesting levels together
    upload_entries: int = 10_000
    total_bytes: int = 4096 * MIB  # everything one run unpacks
    total_entries: int = 200_000
    nesting: int = 4  # zips inside zips
    name_depth: int = 32  # folders in one member name


@dataclass(frozen=True)
class Found:
    submission_id: str
    path: Path
    attempt: int = 0
    problem: str = ""  # not empty: nothing to grade; the row is `invalid` with this reason
    shown: str = ""  # where it came from, for people (`class.zip/lee.zip/lab.ipynb`)

    @property
    def origin(self) -> str:
        return self.shown or str(self.path)


@dataclass
class Discovery:
    submissions: list[Found] = field(default_factory=list)  # one row each, invalid ones included
    skipped: list[str] = field(default_factory=list)  # "path: why"
    duplicates: list[str] = field(default_factory=list)


def student_id(name: str, folders: tuple[str, ...] = ()) -> tuple[str, int]:
    """(id, attempt) of the notebook `name` inside `folders` (outermost first, below the input)."""
    for part in (*folders, name):
        owner = _lms_owner(part)
        if owner is not None:
            return owner
    if folders:
        return _safe(folders[0]), 0
    return _safe(Path(name).stem), 0


def _lms_owner(name: str) -> tuple[str, int] | None:
    """(id, attempt) if the LMS gave `name` (a Canvas upload or a Gradescope submission folder)."""
    stem = re.sub(r"\.(ipynb|zip)$", "", name, flags=re.I)
    match = CANVAS.match(OTTER_STAMP.sub("", stem))
    if match:
        return _safe(f"{match['student']}_{match['uid']}"), int(match["attempt"])
    if GRADESCOPE.match(stem):
        return stem, 0
    return None


def _safe(name: str) -> str:
    """A folder name and CSV cell for anyone: letters, digits, `._-`, never a leading `-`."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:80].strip("._-") or "submission"
    return cleaned + "_" if cleaned.lower() in RESERVED else cleaned


@contextmanager
def unpacking(parent: Path) -> Iterator[Path]:
    """A fresh folder for one run's unpacked zips under `parent`, removed when the run ends.

    Folders left by killed runs (their pid is gone) and the `.inputs` folder of
    earlier versions are removed first.
    """
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f"{UNPACKED_PREFIX}*"):
        pid = stale.name[len(UNPACKED_PREFIX):].split("-", 1)[0]
        if stale.is_dir() and not stale.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    legacy = parent / ".inputs"
    if legacy.is_dir() and not legacy.is_symlink():
        shutil.rmtree(legacy, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{UNPACKED_PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # member names are depth-capped: no deep tree


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
    owner: tuple[str, int] | None = None  # set inside an upload: the uploader's (id, attempt)
    depth: int = 0  # zips opened on the way
    budget: _Budget | None = None  # the upload's (None: only the run's total)


@dataclass
class _Empty:
    owner: tuple[str, int]
    path: Path
    shown: str
    reason: str


@dataclass
class _Member:
    info: zipfile.ZipInfo
    key: str  # the normalised relative path


class _Walk:
    def __init__(self, unpack_dir: Path, limits: Limits) -> None:
        self.unpack_dir, self.limits = unpack_dir, limits
        self.found = Discovery()
        self.candidates: list[tuple[_Item, tuple[str, int]]] = []
        self.empty: list[_Empty] = []
        self.seen: list[str] = []  # files that are not notebooks, as shown
        self.total = _Budget(limits.total_bytes, limits.total_entries)
        self.targets: set[Path] = set()

    def folder(self, item: _Item) -> None:
        for child in sorted(item.path.iterdir()):
            if child.name.startswith(".") or child.name == "__MACOSX":
                continue  # .ipynb_checkpoints, otter's pickled .OTTER_LOG, macOS metadata: never read
            self.visit(_Item(child, f"{item.shown}/{child.name}", item.folders, item.owner,
                             item.depth, item.budget))

    def visit(self, item: _Item) -> None:
        path = item.path
        lms = None if item.owner is not None else _lms_owner(path.name)
        if path.is_dir():
            if path.is_symlink():
                self.found.skipped.append(f"{item.shown}: a link to a folder, not followed")
            else:
                inside = _Item(path, item.shown, (*item.folders, path.name), item.owner or lms,
                               item.depth, item.budget)
                if lms is not None:  # a Canvas-named or Gradescope submission folder: one student's
                    self.upload(inside, self.folder)
                else:
                    self.folder(inside)
        elif not path.exists():
            self.found.skipped.append(f"{item.shown}: no such file")
        elif path.suffix.lower() == ".ipynb":
            self.candidates.append((item, item.owner or student_id(path.name, item.folders)))
        elif path.suffix.lower() == ".zip":
            self.archive(item, lms)
        else:
            self.found.skipped.append(f"{item.shown}: not a notebook (.ipynb), skipped")
            self.seen.append(item.shown)
            if lms is not None:  # e.g. a PDF uploaded to Canvas instead of the notebook
                self.empty.append(_Empty(lms, path, item.shown, _no_notebook([path.name])))

    def upload(self, item: _Item, walk: Callable[[_Item], None]) -> None:
        """Walk one student's upload: everything below is `item.owner`'s; nothing → an invalid row."""
        assert item.owner is not None
        candidates, seen = len(self.candidates), len(self.seen)
        try:
            walk(item)
        except _TooLarge as exc:
            del self.candidates[candidates:]
            self.found.skipped.append(f"{item.shown}: {exc}")
            reason = f"your upload holds {exc}" if str(exc).startswith("more") else str(exc)
            self.empty.append(_Empty(item.owner, item.path, item.shown, reason))
            return
        if len(self.candidates) == candidates:
            self.empty.append(_Empty(item.owner, item.path, item.shown,
                                     _no_notebook(self.seen[seen:], item.shown)))

    def archive(self, item: _Item, lms: tuple[str, int] | None) -> None:
        if item.depth >= self.limits.nesting:
            self.found.skipped.append(f"{item.shown}: zips nested more than {self.limits.nesting} "
                                      "deep, skipped")
            self.seen.append(f"{item.shown} (nested too deep)")
            if item.owner is None:
                self.empty.append(_Empty(lms or student_id(item.path.name, item.folders), item.path,
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
            visible = [m.key for m in members if not _hidden(m.key)
                       and PurePosixPath(m.key).suffix.lower() in (".ipynb", ".zip")]
            named = bool(visible) and all(any(_lms_owner(part) for part in key.split("/"))
                                          for key in visible)  # an LMS download of one submission
            owner = item.owner or lms
            if owner is None and (item.folders or (len(visible) <= 1 and not named)):
                owner = student_id(item.path.name, item.folders)  # a student's folder, or their zip
            if owner is not None and item.owner is None:  # a new upload: its own budget
                budget = _Budget(self.limits.upload_bytes, self.limits.upload_entries,
                                 self.total)
                inner = _Item(item.path, item.shown, (*item.folders, item.path.stem), owner,
                              item.depth, budget)
                self.upload(inner, lambda it: self.unpack(zf, members, entries, it))
                return
            if owner is not None:  # a zip inside an upload: the upload's budget covers it
                budget = item.budget or _Budget(self.limits.upload_bytes,
                                                self.limits.upload_entries, self.total)
                self.unpack(zf, members, entries, _Item(item.path, item.shown,
                                                        (*item.folders, item.path.stem), owner,
                                                        item.depth, budget))
                return
            try:  # a class download: transparent
                self.unpack(zf, members, entries, _Item(item.path, item.shown, item.folders, None,
                                                        item.depth, item.budget))
            except _TooLarge as exc:
                self.found.skipped.append(f"{item.shown}: {exc}")

    def unreadable(self, item: _Item, lms: tuple[str, int] | None, exc: BaseException) -> None:
        self.found.skipped.append(f"{item.shown}: not a readable zip ({exc})")
        self.seen.append(f"{item.shown} (not a readable zip)")
        if item.owner is None:  # at the top: it was someone's upload
            owner = lms or student_id(item.path.name, item.folders)
            self.empty.append(_Empty(owner, item.path, item.shown,
                                     f"your upload is not a readable zip ({exc})"))

    def members(self, zf: zipfile.ZipFile, shown: str) -> tuple[list[_Member], int]:
        """(the entries to consider, how many there are); refused and repeated names reported."""
        kept: list[_Member] = []
        names: set[str] = set()
        infos = zf.infolist()
        for info in infos:
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if (not parts or name.startswith("/") or ".." in parts or "\x00" in name
                    or re.match(r"^[A-Za-z]:", name)):
                self.found.skipped.append(f"{shown}:{info.filename}: a path outside the archive, "
                                          "refused")
                continue
            if len(parts) > self.limits.name_depth:
                self.found.skipped.append(f"{shown}:{info.filename[:200]}…: folders nested more than "
                                          f"{self.limits.name_depth} deep, refused")
                continue
            key = "/".join(parts)
            if key in names:
                self.found.duplicates.append(f"{shown}:{info.filename}: the same name twice in the "
                                             "archive; the first entry is used, this one ignored")
                continue
            names.add(key)
            kept.append(_Member(info, key))
        return kept, len(infos)

    def unpack(self, zf: zipfile.ZipFile, members: list[_Member], entries: int, item: _Item) -> None:
        """Extract the notebooks and zips of one archive, then walk what came out."""
        budget = item.budget or self.total
        budget.entries(entries)
        wanted: list[_Member] = []
        for member in members:
            hidden = _hidden(member.key)
            if PurePosixPath(member.key).suffix.lower() not in (".ipynb", ".zip"):
                why = "hidden file ignored (never loaded)" if hidden else "not a notebook, skipped"
                self.found.skipped.append(f"{item.shown}:{member.info.filename}: {why}")
                if not hidden:
                    self.seen.append(member.key)
                lms = None if item.owner or hidden else _lms_owner(member.key.split("/")[-1])
                if lms is not None:  # a class download's PDF uploaded instead of the notebook
                    shown = f"{item.shown}/{member.key}"
                    self.empty.append(_Empty(lms, item.path, shown,
                                             _no_notebook([member.key.split("/")[-1]])))
            elif not hidden:  # .ipynb_checkpoints, __MACOSX: skipped silently, as in a folder
                wanted.append(member)
        budget.fits(sum(m.info.file_size for m in wanted))  # what the archive admits to
        target = self.target(item.path)
        for member in wanted:
            dest = target.joinpath(*member.key.split("/"))
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member.info) as src, dest.open("xb") as out:
                    while chunk := src.read(_CHUNK):  # what it really holds, counted as it comes
                        budget.take(len(chunk))
                        out.write(chunk)
            except _ZIP_ERRORS as exc:
                dest.unlink(missing_ok=True)
                self.found.skipped.append(f"{item.shown}:{member.info.filename}: could not be "
                                          f"unpacked ({exc})")
        self.folder(_Item(target, item.shown, item.folders, item.owner, item.depth + 1, item.budget))

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


def _hidden(key: str) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in key.split("/"))


def _no_notebook(seen: list[str], upload: str = "") -> str:
    names = [s[len(upload) + 1:] if upload and s.startswith(upload + "/") else s for s in seen]
    names = [printable(n)[:80] for n in names]
    if not names:
        return "no notebook in your upload (it holds no files)"
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"no notebook in your upload (found: {', '.join(names[:5])}{more})"


def discover(inputs: list[Path], unpack_dir: Path, limits: Limits | None = None) -> Discovery:
    """Every submission under `inputs`, one `Found` per gradebook row; zips unpacked in `unpack_dir`."""
    walk = _Walk(unpack_dir, limits or Limits())
    for path in inputs:
        item = _Item(path, str(path))
        if path.is_dir() and not path.is_symlink():
            walk.folder(item)
        else:
            walk.visit(item)
    found = walk.found
    by_id: dict[str, Found] = {}
    for item, (sid, attempt) in walk.candidates:
        current = Found(sid, item.path, attempt, shown=item.shown)
        previous = by_id.get(sid)
        if previous is None:
            by_id[sid] = current
        elif attempt != previous.attempt:
            keep, drop = (current, previous) if attempt > previous.attempt else (previous, current)
            by_id[sid] = keep
            found.duplicates.append(f"{drop.origin}: older attempt of {sid}; graded {keep.origin}")
        elif _digest(previous.path) == _digest(item.path):
            found.duplicates.append(f"{item.shown}: identical to {previous.origin} "
                                    f"(graded once as {sid})")
        else:
            n = 2
            while f"{sid}-{n}" in by_id:
                n += 1
            by_id[f"{sid}-{n}"] = Found(f"{sid}-{n}", item.path, attempt, shown=item.shown)
            found.duplicates.append(f"{item.shown}: another notebook for {sid}; graded as {sid}-{n}")
    invalid: dict[str, Found] = {}
    for empty in sorted(walk.empty, key=lambda e: -e.owner[1]):  # the latest attempt first
        sid = empty.owner[0]
        if sid in by_id:
            found.skipped.append(f"{empty.shown}: {empty.reason}; {sid} graded from "
                                 f"{by_id[sid].origin}")
        elif sid in invalid:
            found.duplicates.append(f"{empty.shown}: another upload of {sid} without a notebook "
                                    f"({empty.reason})")
        else:
            invalid[sid] = Found(sid, empty.path, empty.owner[1], problem=empty.reason,
                                 shown=empty.shown)
    found.submissions = sorted([*by_id.values(), *invalid.values()], key=lambda f: f.submission_id)
    first: dict[str, Found] = {}
    for sub in found.submissions:  # the same bytes under two ids: both graded, but worth a look
        if sub.problem:
            continue
        same = first.setdefault(_digest(sub.path), sub)
        if same is not sub:
            found.duplicates.append(f"{sub.origin}: same bytes as {same.origin} "
                                    f"({same.submission_id}); graded as {sub.submission_id} too")
    return found


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()
