"""Read a submitted notebook without executing anything.

Parsing happens in the judge, so it must never run code: nbformat reads JSON
only. Everything a student can get wrong about the *file* (empty, not JSON,
nbformat 3, an R kernel, too big, no code) ends here as `InvalidNotebook`
with a reason a student can act on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.load.transform import to_plain_python


class InvalidNotebook(Exception):
    """The file cannot be graded as a Python notebook; the message says why."""


@dataclass(frozen=True)
class Cell:
    index: int  # position among the notebook's code cells, counted from 1
    source: str  # plain Python: magics and shell escapes already neutralised


@dataclass(frozen=True)
class Submission:
    submission_id: str
    path: Path
    cells: tuple[Cell, ...]
    sha256: str


def read_submission(path: Path, submission_id: str, max_mb: float) -> Submission:
    raw = _read_bytes(path, max_mb)
    text = _decode(raw)
    notebook = _parse(text)
    _require_python(notebook)
    cells = tuple(
        Cell(index=i, source=to_plain_python(cell.source))
        for i, cell in enumerate(
            (c for c in notebook.cells if c.cell_type == "code"), start=1
        )
    )
    if not any(cell.source.strip() for cell in cells):
        raise InvalidNotebook("the notebook has no code cells: was the right file submitted?")
    return Submission(submission_id, path, cells, hashlib.sha256(raw).hexdigest())


def _read_bytes(path: Path, max_mb: float) -> bytes:
    size = path.stat().st_size
    if size == 0:
        raise InvalidNotebook("the file is empty (0 bytes): re-download and submit the notebook")
    if size > max_mb * 1024 * 1024:
        raise InvalidNotebook(
            f"the notebook is {size / 2**20:.0f} MB (limit {max_mb:.0f} MB): "
            "clear all outputs (Kernel → Restart & Clear Output) and submit again"
        )
    return path.read_bytes()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidNotebook(
            f"the file is not UTF-8 text (bad byte at offset {exc.start}): "
            "submit the .ipynb saved by Jupyter, not a copy from another editor"
        ) from exc


def _parse(text: str) -> nbformat.NotebookNode:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(
            f"the file is not a notebook (invalid JSON at line {exc.lineno}): "
            "submit the .ipynb saved by Jupyter"
        ) from exc
    if not isinstance(data, dict) or ("cells" not in data and "worksheets" not in data):
        raise InvalidNotebook("the file is JSON but not a Jupyter notebook (no cells)")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many types for malformed input
        raise InvalidNotebook(f"the notebook is malformed and cannot be read: {exc}"[:300]) from exc
    if not isinstance(notebook.get("cells"), list):
        raise InvalidNotebook("the notebook has no list of cells")
    for cell in notebook.cells:
        if not isinstance(cell.get("source", ""), str):
            raise InvalidNotebook("a cell's source is not text")
    return notebook


def _require_python(notebook: nbformat.NotebookNode) -> None:
    metadata = notebook.get("metadata", {})
    language = (
        metadata.get("kernelspec", {}).get("language")
        or metadata.get("language_info", {}).get("name")
        or "python"
    )
    if str(language).lower() != "python":
        raise InvalidNotebook(
            f"the notebook uses a {language} kernel; this lab must be done in Python"
        )
