"""When, and by whom, the LMS says each submission was handed in.

Two exports carry it. Canvas marks a file handed in after its due date with
`_LATE_` in the name (`lastnamefirstname_LATE_<user id>_<submission id>_<file>`)
but gives no time; Gradescope's export holds `submission_metadata.yml`, which
maps each `submission_<n>` folder to its `:created_at:` time and its
`:submitters:` (name, SID, email). Both are read here, never executed: the
YAML is parsed safely with its Ruby tags ignored, and is read from a zip
without unpacking it.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 32 * 1024 * 1024
_CANVAS_LATE = re.compile(r"^[A-Za-z0-9-]+?_late_\d+_\d+_.+$", re.IGNORECASE)


@dataclass(frozen=True)
class Submitted:
    at: datetime | None = None
    submitters: tuple[str, ...] = ()  # SIDs and emails, for the roster
    names: tuple[str, ...] = ()


@dataclass
class LmsRecords:
    gradescope: dict[str, Submitted] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # metadata that could not be read


def canvas_marked_late(shown: str) -> bool:
    """Whether any Canvas-named part of where a file came from carries `_LATE_`."""
    return any(_CANVAS_LATE.match(part) for part in re.split(r"[/\\]", shown))


class _Lenient(yaml.SafeLoader):
    """Safe YAML whose unknown tags (`!ruby/object:...`) become plain data."""


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
                for meta in [path / METADATA, *sorted(path.glob(f"*/{METADATA}"))]:
                    if meta.is_file() and meta.stat().st_size <= MAX_METADATA_BYTES:
                        _merge(records, meta.read_text(encoding="utf-8"), str(meta), where)
            elif path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as zf:
                    for info in zf.infolist():
                        parts = PurePosixPath(info.filename).parts
                        if parts and parts[-1] == METADATA and len(parts) <= 2 \
                                and info.file_size <= MAX_METADATA_BYTES:
                            _merge(records, zf.read(info).decode("utf-8"),
                                   f"{path}:{info.filename}", where)
        except (OSError, UnicodeDecodeError, zipfile.BadZipFile, ValueError) as exc:
            records.problems.append(f"{path}: {METADATA} not read ({exc})")
    return records


def _merge(records: LmsRecords, text: str, shown: str, where: tzinfo) -> None:
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
        entry = _keys(entry)  # Ruby symbols: `:created_at:` reads as the key ":created_at"
        submitters = entry.get("submitters") or []
        ids: list[str] = []
        names: list[str] = []
        for person in submitters if isinstance(submitters, list) else []:
            if isinstance(person, dict):
                person = _keys(person)
                ids += [str(person[k]) for k in ("sid", "email") if person.get(k)]
                names += [str(person["name"])] if person.get("name") else []
        created = entry.get("created_at")
        records.gradescope[str(folder)] = Submitted(_moment(created, where), tuple(ids),
                                                    tuple(names))


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
