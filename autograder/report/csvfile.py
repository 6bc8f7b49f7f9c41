"""CSV files people open in a spreadsheet: the gradebook, final grades, the Canvas import.

Excel reads a CSV without a byte-order mark in the machine's legacy code page,
so "→" in a check name becomes "â†’"; with the UTF-8 BOM both Excel and
LibreOffice read it right (and Python does with `encoding="utf-8-sig"`). A
file that is pure ASCII needs no mark and gets none. Every text cell goes
through `csv_cell` (report/sanitize.py): never a formula, never an escape.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from autograder.report.atomic import write_text
from autograder.report.sanitize import csv_cell

BOM = "\ufeff"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """The file's text: header and rows as given (cells already strings), BOM if not ASCII."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows(rows)
    text = buffer.getvalue()
    return text if text.isascii() else BOM + text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    write_text(path, csv_text(header, rows))


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV a person made (BOM or not, Excel's or anyone's), keys and cells stripped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
                for row in reader]


def read_side_file(path: Path, error: Callable[[str], Exception],
                   label: str = "") -> list[dict[str, str]]:
    """`read_csv` for a file an instructor names (roster, overrides, extensions): a missing
    or unreadable file becomes `error` with one line naming it, nothing else."""
    try:
        return read_csv(path)
    except FileNotFoundError:
        raise error(f"{label}{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{label}{path}: cannot be read ({exc})") from None
