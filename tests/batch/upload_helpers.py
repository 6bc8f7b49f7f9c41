"""Uploads built in memory for the discovery tests: zips, folders of files, found ids."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def ids(found: Any) -> dict[str, str]:
    return {f.submission_id: f.path.name for f in found.submissions}
