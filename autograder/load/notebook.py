"""Read a submitted notebook without executing anything.

Parsing happens in the judge, so it must never run code: nbformat reads JSON
only. Everything a student can get wrong about the *file* (empty, not JSON,
nbformat 3, an R kernel, too big, no code) ends here as `InvalidNotebook`
with a reason a student can act on.

It also records where each code cell sits as Jupyter shows it (the headings above
it and its first line), because a student cannot act on "cell 46": Jupyter numbers
no cells, and counting code cells skips the markdown the student reads.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import json
import os
import re
import stat
import warnings
from collections import Counter, deque
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import nbformat

from autograder.load.text import in_quotes, straight_quotes, without_controls
from autograder.load.transform import Budget, parse, to_plain_python


class InvalidNotebook(Exception):
    """The file cannot be graded as a Python notebook; the message says why."""


FIRST_LINE_CHARS = 60
_DEF = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)
_CELL_LINE = re.compile(r"\bcell (\d+), line (\d+)\b")
_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
_HEADING = re.compile(r" {0,3}(#{1,6})(?=\s|$)")  # linear: the text is cut with str methods


@dataclass(frozen=True)
class Cell:
    index: int  # position among the notebook's code cells, counted from 1 (the worker's id)
    source: str  # plain Python: magics and shell escapes already neutralised
    position: int = 0  # position among all cells, markdown included, counted from 1
    headings: tuple[str, ...] = ()  # the headings above it, outermost first ("Part A", "A3 …")
    first_line: str = ""  # its first non-blank line, as the student sees it, shortened
    defines: tuple[str, ...] = ()  # top-level names it binds (functions, classes, variables)
    # another cell of the notebook reads the same (same headings, same first line): its place
    # is said too (a semester review: five cells starting "# ----------" under one heading)
    shared: bool = False

    @property
    def location(self) -> str:
        """Where Jupyter shows this cell: `the cell under “Part A › A3. huber_loss” that
        starts “def huber_loss(”`; never a count of code cells."""
        parts = []
        if self.headings:
            parts.append(f"under “{straight_quotes(' › '.join(self.headings[-2:]))}”")
        if self.first_line:
            parts.append(f"that starts “{straight_quotes(self.first_line)}”")
        if not parts:
            return f"cell {self.position or self.index} of the notebook"
        place = f" (cell {self.position or self.index} of the notebook)" if self.shared else ""
        return "the cell " + " ".join(parts) + place


@dataclass(frozen=True)
class Submission:
    submission_id: str
    path: Path
    cells: tuple[Cell, ...]
    sha256: str

    @cached_property
    def cells_by_index(self) -> dict[int, Cell]:
        return {c.index: c for c in self.cells}

    def cell(self, index: int) -> Cell | None:
        return self.cells_by_index.get(index)

    def source_line(self, index: int, line: int) -> str:
        """Line `line` (from 1) of code cell `index`, stripped and shortened; "" if none."""
        cell = self.cell(index)
        lines = cell.source.splitlines() if cell is not None else []
        return shorten(lines[line - 1].strip(), 120) if 0 < line <= len(lines) else ""

    def relocate(self, text: str) -> str:
        """`text` with each "cell N, line M" (the worker's way of pointing into the notebook)
        said as a student finds it: the line, the cell's place, and the student's code."""

        def where(match: re.Match[str]) -> str:
            index, line = int(match.group(1)), int(match.group(2))
            cell = self.cell(index)
            if cell is None:
                return match.group(0)
            code = self.source_line(index, line)
            return f"line {line} of {cell.location}" + (f": `{code}`" if code and "`" not in code
                                                         else "")

        return _CELL_LINE.sub(where, text)


def read_submission(path: Path, submission_id: str, max_mb: float,
                    max_code_cells: int | None = None,
                    max_code_kb: int | None = None) -> Submission:
    """The notebook at `path` as code cells; `max_code_cells`, `max_code_kb` None: no cap
    (tests)."""
    raw = _read_bytes(path, max_mb)
    try:
        text = _decode(raw)
        notebook = _parse(text)
        _require_python(notebook)
        if max_code_kb is not None:
            _require_code_size(notebook, max_code_kb)
        cells = code_cells(notebook)
    except InvalidNotebook:
        raise
    except Exception as exc:  # RecursionError and MemoryError included
        # A pathological file (JSON nested thousands deep, metadata of the wrong types, a
        # cell the parser cannot hold) is this one student's invalid row, never the batch's
        # end.
        raise InvalidNotebook(f"the notebook cannot be read ({type(exc).__name__}): submit the "
                              ".ipynb saved by Jupyter") from exc
    if not any(cell.source.strip() for cell in cells):
        raise InvalidNotebook("the notebook has no code cells: was the right file submitted?")
    if max_code_cells is not None and len(cells) > max_code_cells:
        # Each cell is a message, a record and a line of feedback: tens of thousands would
        # hold a grading lane for minutes and write megabytes of reports.
        raise InvalidNotebook(f"the notebook has {len(cells)} code cells (limit "
                              f"{max_code_cells}): merge or delete cells and submit again")
    return Submission(submission_id, path, cells, hashlib.sha256(raw).hexdigest())


def _require_code_size(notebook: nbformat.NotebookNode, max_kb: int) -> None:
    """The code cells' source is read and parsed by the grader's own processes (the names a
    cell defines, the words of its messages), outside the sandbox's limits: a statement of one
    character costs ~900 bytes of syntax tree there, so 44 MB of `x;` (an outside red team's)
    took a grading process's memory, and every row it held. Measured before any parsing."""
    size = sum(len(cell.get("source", "")) for cell in notebook.cells
               if cell.get("cell_type") == "code")
    if size > max_kb * 1024:
        raise InvalidNotebook(
            f"the notebook's code cells hold {size / 1024:,.0f} KB of source (limit {max_kb} KB):"
            " move data out of the code (load it from a file) and submit again")


def code_cells(notebook: nbformat.NotebookNode) -> tuple[Cell, ...]:
    """The code cells in order, each with its place among all cells and the headings above."""
    cells: list[Cell] = []
    open_headings: dict[int, str] = {}  # level → text of the last heading at that level
    budget = Budget()  # IPython's transformer, for the whole notebook
    for position, cell in enumerate(notebook.cells, start=1):
        source = cell.get("source", "")
        if cell.cell_type == "markdown":
            for level, text in markdown_headings(source):
                open_headings = {lv: t for lv, t in open_headings.items() if lv < level}
                open_headings[level] = text
        elif cell.cell_type == "code":
            levels = sorted(open_headings)
            # The notebook's title (a lone level-1 heading) says nothing about the place.
            if len(levels) > 1 and levels[0] == 1:
                levels = levels[1:]
            cells.append(Cell(index=len(cells) + 1, source=to_plain_python(source, budget),
                              position=position,
                              headings=tuple(open_headings[lv] for lv in levels),
                              first_line=first_line(source), defines=defined_names(source)))
    said = Counter(cell.location for cell in cells)
    return tuple(dataclasses.replace(cell, shared=True) if said[cell.location] > 1 else cell
                 for cell in cells)


def markdown_headings(source: str) -> list[tuple[int, str]]:
    """`(level, text)` of each ATX heading (`## Part A — …`) in a markdown cell."""
    found = []
    fenced = False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        text = heading_text(line[match.end(1):]) if match else ""
        if match and text:
            found.append((len(match.group(1)), shorten(text, 80)))
    return found


def heading_text(rest: str) -> str:
    """The text of an ATX heading after its opening `#`s: without its closing run of `#` and
    the whitespace around (what `\\s+(.*?)\\s*#*\\s*$` took, in linear time: that pattern
    backtracked cubically on a heading of thousands of spaces)."""
    return rest.strip().rstrip("#").rstrip()


def shorten(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, with no character a terminal or a page
    would act on rather than show (ESC, BEL, a bidi override, a zero-width character): a
    heading or a first line is quoted in every report of where a cell is (red team 67: ESC
    and BEL in a heading reached feedback.html raw)."""
    text = " ".join(without_controls(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return shorten(line.strip(), FIRST_LINE_CHARS)
    return ""


def defined_names(source: str) -> tuple[str, ...]:
    """Top-level names a cell binds. A cell that does not parse (the student's SyntaxError)
    is read line by line, so its failure can still be tied to the function it defines."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return tuple(dict.fromkeys(_DEF.findall(source) + _ASSIGN.findall(source)))
    names: list[str] = []
    todo: deque[ast.stmt | ast.ExceptHandler] = deque(tree.body)
    while todo:  # the cell's own level, including inside if/try/for/with, never in a def
        node = todo.popleft()  # (a list's pop(0): quadratic in the cell's statements)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        for field in ("body", "orelse", "finalbody", "handlers"):
            todo += [n for n in getattr(node, field, [])
                     if isinstance(n, (ast.stmt, ast.ExceptHandler))]
    return tuple(dict.fromkeys(names))


class NotARegularFile(OSError):
    """A pipe, socket or device where a file was expected: never read (red team 16: a FIFO
    named lab05.ipynb in an upload held the whole batch on its first read)."""


def open_regular(path: Path) -> io.BufferedReader:
    """`path` opened for reading, only where it is a regular file: opened without blocking
    (a FIFO with no writer would wait forever) and checked on the open descriptor (no race
    with a swap after a check by name)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(f"{in_quotes(path.name, 80)} is not a regular file (a pipe, "
                                  "socket or device)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_of(path: Path) -> str:
    """The file's sha256, read in chunks; "" where it is not a regular file (its row says
    why: `read_submission`)."""
    try:
        handle = open_regular(path)
    except NotARegularFile:
        return ""
    with handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_bytes(path: Path, max_mb: float) -> bytes:
    try:
        handle = open_regular(path)
    except NotARegularFile as exc:
        raise InvalidNotebook(f"{exc}, which is never read: hand in the notebook file "
                              "itself") from exc
    with handle:
        return _read_limited(handle, max_mb)


def _read_limited(handle: io.BufferedReader, max_mb: float) -> bytes:
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        raise InvalidNotebook("the file is empty (0 bytes): re-download and submit the notebook")
    if size > max_mb * 1024 * 1024:
        raise InvalidNotebook(
            f"the notebook is {size / 2**20:.0f} MB (limit {max_mb:.0f} MB): "
            "clear all outputs (Kernel → Restart & Clear Output) and submit again"
        )
    return handle.read()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidNotebook(
            f"the file is not UTF-8 text (bad byte at offset {exc.start}): "
            "submit the .ipynb saved by Jupyter, not a copy from another editor"
        ) from exc


# JSON objects and arrays a notebook may hold (its cells, their metadata and outputs): a
# Jupyter notebook at the code-cell cap with ten outputs a cell holds ~50,000. Parsed twice
# outside the sandbox (json, then nbformat, which converts and validates every one), each
# costs ~0.4 KB of the grading process's memory: red team 64's 32 MB of `{}` (a 36 KB zip)
# took 6.8 GB and ~55 s, 60 MB of empty markdown cells 2.5 GB and ~100 s. Counted first.
MAX_JSON_CONTAINERS = 200_000
# A JSON string, or what is left of the text after an opening quote that never closes: every
# match then ends where its string does or at the end, so the text is read once (red team 66:
# with the closing quote required, each of 120,000 escaped quotes after an unclosed one began
# a match that read to the end and failed — 11 minutes in a judge). Valid JSON closes every
# string, where this is the same count; an unclosed one fails `json.loads` after.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)


def _containers(text: str) -> int:
    """How many JSON objects and arrays `text` holds (brackets inside strings not counted:
    looked at only when the quick count, which counts them, is over the limit)."""
    quick = text.count("{") + text.count("[")
    if quick <= MAX_JSON_CONTAINERS:
        return quick
    bare = _JSON_STRING.sub("", text)
    return bare.count("{") + bare.count("[")


def _parse(text: str) -> nbformat.NotebookNode:
    containers = _containers(text)
    if containers > MAX_JSON_CONTAINERS:
        raise InvalidNotebook(
            f"the notebook holds {containers:,} JSON objects and lists (cells, metadata, "
            f"outputs; limit {MAX_JSON_CONTAINERS:,}): clear the outputs, delete empty cells "
            "and submit the .ipynb saved by Jupyter")
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
        with warnings.catch_warnings():
            # (a notebook without cell ids, from an older Jupyter, is fine: nbformat's
            # MissingIDFieldWarning went to the instructor's terminal for each one, ops 22)
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many types for malformed input
        # (its words hold the notebook's own: quoted, and named by its type when it has none)
        raise InvalidNotebook(
            "the notebook is malformed and cannot be read (nbformat: "
            f"{in_quotes(str(exc), 160) if str(exc).strip() else type(exc).__name__}): "
            "submit the .ipynb saved by Jupyter") from exc
    if not isinstance(notebook.get("cells"), list):
        raise InvalidNotebook("the notebook has no list of cells")
    for cell in notebook.cells:
        if not isinstance(cell.get("source", ""), str):
            raise InvalidNotebook("a cell's source is not text")
    return notebook


def _require_python(notebook: nbformat.NotebookNode) -> None:
    metadata = _mapping(notebook.get("metadata"))
    language = (
        _mapping(metadata.get("kernelspec")).get("language")
        or _mapping(metadata.get("language_info")).get("name")
        or "python"
    )
    if str(language).lower() != "python":
        # The student's own text, quoted in a reason copied into every check's row: short.
        raise InvalidNotebook(
            f"the notebook's kernel is {in_quotes(str(language), 40)}, not Python: this lab must be "
            "done in a Python notebook"
        )


def _mapping(value: object) -> dict:
    """A metadata field as a mapping (anything else in its place reads as empty)."""
    return value if isinstance(value, dict) else {}
