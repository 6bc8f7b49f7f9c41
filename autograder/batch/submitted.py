"""When, and by whom, the LMS says each submission was handed in.

Two exports carry it. Canvas marks a file handed in after its due date with
`_LATE_` in the name (`lastnamefirstname_LATE_<user id>_<file id>_<file>`, the
name part in any script: Canvas keeps Unicode letters) but gives no time;
Gradescope's export holds `submission_metadata.yml`, which maps each
`submission_<n>` folder to its `:created_at:` time and its `:submitters:`
(name, SID, email). Both are read here, never executed: the YAML is parsed
safely with its Ruby tags ignored, and is read from a zip without unpacking it.

A group submission (several submitters) is every member's: Gradescope gives
each of them the group's score. Its folder's record speaks for the first
member; each other member gets a record of their own under
`submission_<n>.<SID or email>` (`member_id`), the id discovery gives their
row, so the roster matches every member to exactly one row.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 32 * 1024 * 1024
_CANVAS_LATE = re.compile(r"^(?P<student>.+?)_late_[0-9]+_[0-9]+_.+$", re.IGNORECASE | re.DOTALL)
_CANVAS_NAME = re.compile(r"^(?P<student>.+?)(?:_late)?_[0-9]+_[0-9]+_.+$",
                          re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Submitted:
    at: datetime | None = None
    submitters: tuple[str, ...] = ()  # SIDs and emails, for the roster
    names: tuple[str, ...] = ()


@dataclass
class LmsRecords:
    gradescope: dict[str, Submitted] = field(default_factory=dict)  # by row id
    groups: dict[str, list[str]] = field(default_factory=dict)  # folder: its other members' ids
    problems: list[str] = field(default_factory=list)  # metadata that could not be read
    # each submission's record as its export gave it (None: two exports disagreed)
    sources: dict[str, Any] = field(default_factory=dict)


def canvas_marked_late(shown: str) -> bool:
    """Whether the Canvas-named part of where an earlier run's row came from that gave its
    owner — the outermost below the input itself, as discovery reads owners (`Found.late`,
    for this run's rows) — carries `_LATE_`: the input (an instructor's
    `lab05_late_2025_03_regrades/`) is no Canvas upload's name, whatever it looks like (an
    outside red team's path marked the whole class late), and a name inside a student's
    upload is the student's (outside red team 80's late zip held a notebook named like an
    on-time Canvas file)."""
    parts = [unicodedata.normalize("NFC", p) for p in re.split(r"[/\\]", shown) if p]
    named = [part for part in (parts[1:] or parts) if _canvas_named(_CANVAS_NAME.match(part))]
    return bool(named) and _canvas_named(_CANVAS_LATE.match(named[0]))


def _canvas_named(match: re.Match[str] | None) -> bool:
    if match is None:
        return False
    student = match["student"]  # what Canvas keeps of a name: letters, marks, digits, `_`
    return not student.startswith("_") and all(
        c.isalnum() or c in "-_" or unicodedata.category(c).startswith("M") for c in student)


MAX_ID_BYTES = 160  # an id is a folder name: well under the usual 255-byte limit, suffixes included


def member_id(folder: str, ids: tuple[str, ...], position: int) -> str:
    """The row id of a group submission's further member: `submission_<n>.<SID or email>`,
    within `MAX_ID_BYTES` (an outside red team's 270-byte SID ended the whole batch with
    "File name too long")."""
    own = re.sub(r"[^\w.-]+", "_", ids[0]).strip("._-") if ids else ""
    return fit_id(f"{folder}.{own or f'member{position}'}")


def fit_id(identifier: str) -> str:
    """`identifier` within `MAX_ID_BYTES`: a long one cut, with a short digest of the whole
    kept, so that two long ones with the same start stay two."""
    if len(identifier.encode()) <= MAX_ID_BYTES:
        return identifier
    tail = "_" + hashlib.sha256(identifier.encode()).hexdigest()[:8]
    cut = identifier
    while len((cut + tail).encode()) > MAX_ID_BYTES:
        cut = cut[:-1]
    return cut + tail


MAX_EXPANDED_NODES = 200_000  # far above a class's metadata; an alias bomb is billions


class _Lenient(yaml.SafeLoader):
    """Safe YAML whose unknown tags (`!ruby/object:...`) become plain data, and whose
    aliases may not expand past `MAX_EXPANDED_NODES` (Ruby writes anchors for repeated
    objects, so aliases stay allowed; nine nested aliases of nine make 387 million)."""

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if node is not None and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise yaml.YAMLError(f"its aliases expand to more than {MAX_EXPANDED_NODES} nodes")
        return node


def _expanded_size(node: yaml.Node, seen: dict[int, int]) -> int:
    """How many nodes the document holds once every alias is expanded (each shared node
    counted once per use, computed once per node; stops counting past the cap)."""
    known = seen.get(id(node))
    if known is not None:
        return known
    seen[id(node)] = MAX_EXPANDED_NODES + 1  # (a cycle counts as too big)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, seen)
            if size > MAX_EXPANDED_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, seen) + _expanded_size(value, seen)
            if size > MAX_EXPANDED_NODES:
                break
    seen[id(node)] = size
    return size


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Lenient.add_multi_constructor("!", _untagged)


def read_lms_records(inputs: list[Path], where: tzinfo) -> LmsRecords:
    """Gradescope metadata at the top of each input (a folder, or a zip up to two levels in)."""
    records = LmsRecords()
    for path in inputs:
        try:
            if path.is_dir():
                for meta in _export_metadata(path):
                    if meta.stat().st_size <= MAX_METADATA_BYTES:
                        held = {entry.name for entry in meta.parent.iterdir() if entry.is_dir()}
                        _merge(records, meta.read_text(encoding="utf-8"), str(meta), where,
                               held)
            elif path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as zf:
                    for info in _export_entries(zf):
                        if info.file_size <= MAX_METADATA_BYTES:
                            _merge(records, zf.read(info).decode("utf-8"),
                                   f"{path}:{info.filename}", where, _beside(zf, info))
        except (OSError, UnicodeDecodeError, zipfile.BadZipFile, ValueError) as exc:
            records.problems.append(f"{path}: {METADATA} not read ({exc})")
    return records


def _export_metadata(folder: Path) -> list[Path]:
    """The export's own metadata: at the top of the folder given, else of the one folder it
    holds (the export's folder inside the one given) — and only where that level has an
    export's shape, nothing beside the metadata but `submission_<n>` folders. A file of that
    name anywhere else is what a student uploaded: inside a submission's folder, in a
    student's own folder of a class folder, or at the top of a student's folder graded on its
    own (outside red teams: one rewrote other students' times and identities from
    `submission_<n>/`, another from `class/<student>/` and from a late student's folder)."""
    for level in (folder, *_only_folder(folder)):
        meta = level / METADATA
        if meta.is_file() and _export_shaped(entry.name for entry in level.iterdir()
                                             if entry.is_dir()) and not any(
                entry.is_file() and entry.name != METADATA for entry in level.iterdir()):
            return [meta]
    return []


def _only_folder(folder: Path) -> list[Path]:
    """The one folder `folder` holds that is not a submission's (none where it holds several:
    a class folder of students' folders)."""
    found = [entry for entry in folder.iterdir()
             if entry.is_dir() and not _is_submission_folder(entry.name)]
    return found if len(found) == 1 else []


def _export_shaped(folders: Any) -> bool:
    return all(_is_submission_folder(name) for name in folders)


def _export_entries(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """As `_export_metadata`, inside a zip: its top level if it has an export's shape, else
    the one folder it holds if that has."""
    names = [PurePosixPath(info.filename).parts for info in zf.infolist()]
    tops = {parts[0] for parts in names if len(parts) > 1 and not _is_submission_folder(parts[0])}
    levels: list[tuple[str, ...]] = [()]
    if len(tops) == 1:
        levels.append((next(iter(tops)),))
    for prefix in levels:
        depth = len(prefix)
        inside = [parts[depth:] for parts in names if parts[:depth] == prefix and
                  len(parts) > depth]
        files = {rest[0] for rest in inside if len(rest) == 1}
        folders = {rest[0] for rest in inside if len(rest) > 1}
        if METADATA in files and files <= {METADATA} | folders and _export_shaped(folders):
            return [info for info in zf.infolist()
                    if PurePosixPath(info.filename).parts == (*prefix, METADATA)]
    return []


def _beside(zf: zipfile.ZipFile, meta: zipfile.ZipInfo) -> set[str]:
    """The folders a zip holds beside its metadata file (the export's submissions)."""
    level = PurePosixPath(meta.filename).parts[:-1]
    return {parts[len(level)] for info in zf.infolist()
            for parts in (PurePosixPath(info.filename).parts,)
            if parts[:len(level)] == level and len(parts) > len(level) + 1}


def _is_submission_folder(name: str) -> bool:
    return re.fullmatch(r"submission_\d+", name) is not None


def _merge(records: LmsRecords, text: str, shown: str, where: tzinfo, held: set[str]) -> None:
    """One export's metadata into `records`: a record only for a submission the same export
    holds (`held`, its folders), and none where two exports disagree about one submission.

    Why: an export's metadata speaks for its own submissions only. A twenty-seventh outside
    red team's zip, shaped like an export and given as a student's late work, held a
    record for a classmate's submission of the real export: it set her submission time 47
    days late (the late penalty took her grade) and swapped the two students' identities."""
    try:
        data = yaml.load(text, Loader=_Lenient)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        records.problems.append(f"{shown}: not valid YAML ({str(exc).splitlines()[0]})")
        return
    if not isinstance(data, dict):
        records.problems.append(f"{shown}: not Gradescope's submission metadata")
        return
    for folder, entry in data.items():
        if not isinstance(entry, dict):
            continue
        if not _is_submission_folder(str(folder)):  # (Gradescope names its folders so)
            records.problems.append(f"{shown}: a record for {str(folder)[:40]!r} is not one "
                                    "of Gradescope's submission_<n> folders: ignored")
            continue
        if str(folder) not in held:
            records.problems.append(f"{shown}: a record for {str(folder)!r}, which this "
                                    "export does not hold: ignored")
            continue
        entry = _keys(entry)  # Ruby symbols: `:created_at:` reads as the key ":created_at"
        at = _moment(entry.get("created_at"), where)
        people = _people(entry.get("submitters"))
        first_ids, first_name = people[0] if people else ((), ())
        own = {str(folder): Submitted(at, first_ids, first_name)}
        members = []
        for position, (ids, name) in enumerate(people[1:], start=2):
            member = member_id(str(folder), ids, position)
            own[member] = Submitted(at, ids, name)
            members.append(member)
        if str(folder) in records.sources and records.sources[str(folder)] != (own, members):
            records.problems.append(f"{shown}: {str(folder)!r} is also in another export, "
                                    "whose record differs: neither is used (its time and "
                                    "submitters are left to submission_times and the roster)")
            for key in (str(folder), *records.groups.pop(str(folder), [])):
                records.gradescope.pop(key, None)
            records.sources[str(folder)] = None
            continue
        if str(folder) in records.sources:  # (the same record again, or refused before)
            continue
        records.sources[str(folder)] = (own, members)
        records.gradescope.update(own)
        if members:
            records.groups[str(folder)] = members


def _people(submitters: object) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each submitter's (SID and email, name) as the metadata lists them."""
    people: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for person in submitters if isinstance(submitters, list) else []:
        if isinstance(person, dict):
            person = _keys(person)
            ids = tuple(str(person[k]) for k in ("sid", "email") if person.get(k))
            people.append((ids, (str(person["name"]),) if person.get("name") else ()))
    return people


def _keys(data: dict[Any, Any]) -> dict[str, Any]:
    return {str(k).strip(":"): v for k, v in data.items()}


def _moment(value: object, where: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=where)
    if isinstance(value, date):
        return datetime.combine(value, time(), where)
    if isinstance(value, str):
        text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())  # Ruby's nanoseconds
        text = re.sub(r" ([+-]\d\d:?\d\d)$", r"\1", text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=where)
    return None
