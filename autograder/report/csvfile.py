"""CSV files people open in a spreadsheet: the gradebook, final grades, the Canvas import.

Excel reads a CSV without a byte-order mark in the machine's legacy code page,
so "→" in a check name becomes "â†’"; with the UTF-8 BOM both Excel and
LibreOffice read it right (and Python does with `encoding="utf-8-sig"`). A
file that is pure ASCII needs no mark and gets none. Every text cell goes
through `csv_cell` (report/sanitize.py): never a formula, never an escape.

Files a person typed (roster, overrides, extensions) are read into `Row`s that
keep the line each record is on and any cells past the header: an unquoted
comma in a reason shifts every later cell, and a reader that dropped the
extra cell would record the wrong author without a word.
"""

from __future__ import annotations

import csv
import io
import unicodedata
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


_REST = "\x00rest"  # DictReader's key for the cells past the header


class Row(dict[str, str]):
    """One record: cells by column name, the line it ends on, the cells past the header."""

    def __init__(self, cells: dict[str, str], line: int = 0, extra: tuple[str, ...] = ()) -> None:
        super().__init__(cells)
        self.line = line
        self.extra = extra


def _typed(text: str) -> str:
    """A cell as typed, stripped and in Unicode's composed form (NFC), as submission ids are
    (`batch.discover`): an id copied from a macOS file name comes decomposed (é as e and a
    combining accent), looks the same and matched nothing (an ops review's extension for
    moreauélodie was not applied: −54)."""
    return unicodedata.normalize("NFC", text.strip())


def read_csv(path: Path) -> list[Row]:
    """Rows of a CSV a person made (BOM or not, Excel's or anyone's), keys and cells stripped
    and composed (`_typed`)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, restkey=_REST)
        rows = []
        for record in reader:
            rest = record.pop(_REST, None) or []
            cells = {_typed(k or ""): _typed(v or "") for k, v in record.items()}
            rows.append(Row(cells, reader.line_num, tuple(_typed(str(c)) for c in rest)))
        return rows


def too_many_cells(row: Row) -> str:
    """Why a row with cells past the header cannot be used ("" when it has none)."""
    if not row.extra:
        return ""
    extra = ", ".join(repr(c) for c in row.extra)
    return (f"more cells than the header has columns (extra: {extra}): a cell holding a comma "
            'must be in double quotes, e.g. "regrade request, second look"')


def read_side_file(path: Path, error: Callable[[str], Exception],
                   label: str = "") -> list[Row]:
    """`read_csv` for a file an instructor names (roster, overrides, extensions): a missing
    or unreadable file becomes `error` with one line naming it, nothing else."""
    try:
        rows = read_csv(path)
    except FileNotFoundError:
        raise error(f"{label}{path}: no such file") from None
    except UnicodeDecodeError:
        raise error(f"{label}{path}: is not UTF-8 text (a spreadsheet's legacy encoding): save "
                    "it as \"CSV UTF-8\" and give it again") from None
    except OSError as exc:
        raise error(f"{label}{path}: cannot be read ({exc})") from None
    header = list(rows[0]) if rows else []
    if len(header) == 1 and ";" in header[0]:
        raise error(f"{label}{path}: its columns are separated by ';' (a spreadsheet set to a "
                    "European locale): save it with commas (\"CSV UTF-8\", comma-delimited)")
    return rows
