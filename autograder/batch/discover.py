"""Find the submissions in what an instructor downloaded, and name them stably.

Accepts notebooks, folders and zip archives (nested too). Zips are unpacked
by the judge with size and path checks, never executed; only `.ipynb` files
become submissions, everything else is reported, not fatal.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

CANVAS = re.compile(r"^(?P<student>[A-Za-z0-9-]+?)(?:_LATE)?_(?P<uid>\d+)_(?P<attempt>\d+)_.+$")
MAX_UNZIPPED = 512 * 1024 * 1024


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


def student_id(path: Path, root: Path | None) -> tuple[str, int]:
    match = CANVAS.match(path.name)
    if match:
        return f"{match['student']}_{match['uid']}", int(match["attempt"])
    if root is not None and path.parent != root:
        # A folder per student (Gradescope export, or a hand-made layout).
        return _safe(path.parent.relative_to(root).parts[0]), 0
    return _safe(path.stem), 0


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"
    return cleaned[:80]


def discover(inputs: list[Path], unpack_dir: Path) -> Discovery:
    found = Discovery()
    candidates: list[tuple[Path, Path | None]] = []
    for item in inputs:
        _collect(item, None, candidates, found, unpack_dir)
    by_id: dict[str, Found] = {}
    for path, root in candidates:
        sid, attempt = student_id(path, root)
        current = Found(sid, path, attempt)
        previous = by_id.get(sid)
        if previous is None:
            by_id[sid] = current
            continue
        if _digest(previous.path) == _digest(path):
            found.duplicates.append(f"{path}: identical to {previous.path} (graded once as {sid})")
            continue
        if attempt != previous.attempt:
            keep, drop = (current, previous) if attempt > previous.attempt else (previous, current)
            by_id[sid] = keep
            found.duplicates.append(f"{drop.path}: older attempt of {sid}; graded {keep.path}")
            continue
        n = 2
        while f"{sid}-{n}" in by_id:
            n += 1
        by_id[f"{sid}-{n}"] = Found(f"{sid}-{n}", path, attempt)
        found.duplicates.append(f"{path}: another notebook for {sid}; graded as {sid}-{n}")
    found.submissions = sorted(by_id.values(), key=lambda f: f.submission_id)
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _collect(item: Path, root: Path | None, out: list[tuple[Path, Path | None]],
             found: Discovery, unpack_dir: Path) -> None:
    if item.is_dir():
        base = root if root is not None else item
        for child in sorted(item.iterdir()):
            if child.name.startswith(".") or child.name == "__MACOSX":
                continue
            _collect(child, base, out, found, unpack_dir)
    elif item.suffix.lower() == ".ipynb":
        out.append((item, root))
    elif item.suffix.lower() == ".zip":
        target = _unzip(item, unpack_dir, found)
        if target is not None:
            _collect(target, root if root is not None else target, out, found, unpack_dir)
    elif item.exists():
        found.skipped.append(f"{item}: not a notebook (.ipynb), skipped")
    else:
        found.skipped.append(f"{item}: no such file")


def _unzip(archive: Path, unpack_dir: Path, found: Discovery) -> Path | None:
    target = unpack_dir / f"{_safe(archive.stem)}-{_digest(archive)[:8]}"
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
                if name.suffix.lower() not in (".ipynb", ".zip"):
                    if not name.name.startswith("."):
                        found.skipped.append(f"{archive}:{member.filename}: not a notebook, skipped")
                    else:
                        found.skipped.append(f"{archive}:{member.filename}: hidden file ignored "
                                             "(never loaded)")
                    continue
                dest = target / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src:
                    dest.write_bytes(src.read(MAX_UNZIPPED))
    except (zipfile.BadZipFile, OSError) as exc:
        found.skipped.append(f"{archive}: not a readable zip ({exc})")
        return None
    return target
