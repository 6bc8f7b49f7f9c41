"""Find the submissions in what an instructor downloaded, and name them stably.

Accepts notebooks, folders and zip archives (nested too). Zips are unpacked
by the judge with size and path checks, never executed; only `.ipynb` files
become submissions, everything else is reported, not fatal.

A submission's id depends only on its own path (and, for a zip, that zip's
contents), so re-running a batch names everything the same way:

- a Canvas name `name_userid_attemptid_file` anywhere on the way (the outermost
  wins: the LMS named it, the student did not) → `name_userid`; older attempts
  are reported, the latest is graded;
- a Gradescope export folder `submission_<digits>` → that folder's name;
- else the first folder under what was given (a folder per student);
- else the notebook's file stem.

A zip holding a single notebook (a student's archive, otter's `grader.export()`
zip) counts as a folder named after the zip; a zip holding several (a class
download) is transparent, as if its contents sat where it is.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

CANVAS = re.compile(r"^(?P<student>[A-Za-z0-9-]+?)(?:_late)?_(?P<uid>\d+)_(?P<attempt>\d+)_.+$",
                    re.IGNORECASE)
GRADESCOPE = re.compile(r"^submission_\d+$")
# otter's export zip: `<notebook>_YYYY_MM_DDTHH_MM_SS_ffffff.zip`, not a Canvas name
OTTER_STAMP = re.compile(r"_\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}_\d{6}$")
RESERVED = {"gradebook.csv", "index.html"}  # files at the top of the output folder
MAX_UNZIPPED = 512 * 1024 * 1024
MAX_NESTING = 4  # zips inside zips


@dataclass(frozen=True)
class Found:
    submission_id: str
    path: Path
    attempt: int = 0


@dataclass
class Discovery:
    submissions: list[Found] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why"
    duplicates: list[str] = field(default_factory=list)


def student_id(name: str, folders: tuple[str, ...] = ()) -> tuple[str, int]:
    """(id, attempt) of the notebook `name` inside `folders` (outermost first, below the input)."""
    for part in (*folders, name):
        match = CANVAS.match(OTTER_STAMP.sub("", re.sub(r"\.ipynb$", "", part, flags=re.I)))
        if match:
            return f"{match['student']}_{match['uid']}", int(match["attempt"])
        if GRADESCOPE.match(part):
            return part, 0
    if folders:
        return _safe(folders[0]), 0
    return _safe(Path(name).stem), 0


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80].strip("._") or "submission"
    return cleaned + "_" if cleaned.lower() in RESERVED else cleaned


def discover(inputs: list[Path], unpack_dir: Path) -> Discovery:
    found = Discovery()
    candidates: list[tuple[Path, tuple[str, ...]]] = []
    for item in inputs:
        if item.is_dir():
            _collect_dir(item, (), 0, candidates, found, unpack_dir)
        else:
            _collect(item, (), 0, candidates, found, unpack_dir)
    by_id: dict[str, Found] = {}
    for path, folders in candidates:
        sid, attempt = student_id(path.name, folders)
        current = Found(sid, path, attempt)
        previous = by_id.get(sid)
        if previous is None:
            by_id[sid] = current
        elif attempt != previous.attempt:
            keep, drop = (current, previous) if attempt > previous.attempt else (previous, current)
            by_id[sid] = keep
            found.duplicates.append(f"{drop.path}: older attempt of {sid}; graded {keep.path}")
        elif _digest(previous.path) == _digest(path):
            found.duplicates.append(f"{path}: identical to {previous.path} (graded once as {sid})")
        else:
            n = 2
            while f"{sid}-{n}" in by_id:
                n += 1
            by_id[f"{sid}-{n}"] = Found(f"{sid}-{n}", path, attempt)
            found.duplicates.append(f"{path}: another notebook for {sid}; graded as {sid}-{n}")
    found.submissions = sorted(by_id.values(), key=lambda f: f.submission_id)
    first: dict[str, Found] = {}
    for sub in found.submissions:  # the same bytes under two ids: both graded, but worth a look
        same = first.setdefault(_digest(sub.path), sub)
        if same is not sub:
            found.duplicates.append(f"{sub.path}: same bytes as {same.path} ({same.submission_id}); "
                                    f"graded as {sub.submission_id} too")
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


Candidates = list[tuple[Path, tuple[str, ...]]]


def _collect_dir(folder: Path, folders: tuple[str, ...], depth: int, out: Candidates,
                 found: Discovery, unpack_dir: Path) -> None:
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or child.name == "__MACOSX":
            continue  # .ipynb_checkpoints, otter's pickled .OTTER_LOG, macOS metadata: never read
        _collect(child, folders, depth, out, found, unpack_dir)


def _collect(item: Path, folders: tuple[str, ...], depth: int, out: Candidates,
             found: Discovery, unpack_dir: Path) -> None:
    if item.is_dir():
        if item.is_symlink():
            found.skipped.append(f"{item}: a link to a folder, not followed")
        else:
            _collect_dir(item, (*folders, item.name), depth, out, found, unpack_dir)
    elif not item.exists():
        found.skipped.append(f"{item}: no such file")
    elif item.suffix.lower() == ".ipynb":
        out.append((item, folders))
    elif item.suffix.lower() == ".zip":
        if depth >= MAX_NESTING:
            found.skipped.append(f"{item}: zips nested more than {MAX_NESTING} deep, skipped")
            return
        unpacked = _unzip(item, unpack_dir, found)
        if unpacked is not None:
            target, notebooks = unpacked
            inner = (*folders, item.stem) if notebooks == 1 else folders
            _collect_dir(target, inner, depth + 1, out, found, unpack_dir)
    else:
        found.skipped.append(f"{item}: not a notebook (.ipynb), skipped")


def _unzip(archive: Path, unpack_dir: Path, found: Discovery) -> tuple[Path, int] | None:
    """Extract the notebooks and zips of `archive`; (where, how many of them discovery will visit)."""
    target = unpack_dir / f"{_safe(archive.stem)}-{_digest(archive)[:8]}"
    visible = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if sum(m.file_size for m in members) > MAX_UNZIPPED:
                found.skipped.append(f"{archive}: archive too large to unpack")
                return None
            for member in members:
                name = Path(member.filename)
                if member.is_dir() or name.is_absolute() or ".." in name.parts:
                    continue
                hidden = any(p.startswith(".") or p == "__MACOSX" for p in name.parts)
                if name.suffix.lower() not in (".ipynb", ".zip"):
                    why = "hidden file ignored (never loaded)" if hidden else "not a notebook, skipped"
                    found.skipped.append(f"{archive}:{member.filename}: {why}")
                    continue
                if hidden:  # .ipynb_checkpoints, __MACOSX: skipped silently, as in a folder
                    continue
                visible += 1
                dest = target / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src:
                    dest.write_bytes(src.read(MAX_UNZIPPED))
    except (zipfile.BadZipFile, OSError) as exc:
        found.skipped.append(f"{archive}: not a readable zip ({exc})")
        return None
    return target, visible
