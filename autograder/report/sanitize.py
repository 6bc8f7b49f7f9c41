"""Text that came from a student, made safe to show a person.

Submission ids, zip member names and reasons quote what students chose (file
names, exception messages). Printed raw, an ESC sequence drives the TA's
terminal (clears it, rewrites earlier lines, sets the title) and a BEL rings;
a bidi override reorders what is read. Written raw into `gradebook.csv`, a
cell starting with `=`, `+`, `-` or `@` is run as a formula by Excel, Sheets
or LibreOffice (OWASP "CSV injection"). Every terminal line and CSV cell that
carries such text goes through one of the two functions here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from autograder.load.text import CONTROL, INVISIBLE, straight_quotes

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
_CONTROL = CONTROL
_KEEP_LINES = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{INVISIBLE}]")
# What JSON leaves raw in its strings that a terminal or an editor acts on (its structure is
# ASCII: only a string can hold one)
_RAW_IN_JSON = re.compile(f"[\x7f-\x9f{INVISIBLE}]")
# What makes a spreadsheet read a cell as a formula (OWASP), fullwidth forms included.
_FORMULA_START = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character replaced by U+FFFD (tabs become spaces).

    One line unless `keep_newlines`: a name or reason printed in a summary line
    cannot start a line of its own that looks like the grader's.
    """
    text = text.replace("\t", " ")
    return (_KEEP_LINES if keep_newlines else _CONTROL).sub(REPLACEMENT, text)


def quoted(text: str, limit: int = 80) -> str:
    """A name the student chose, inside the grader's words: printable, cut to `limit`, in
    “ ” quotes that nothing it holds can close (`straight_quotes`)."""
    return f"“{straight_quotes(printable(text)[:limit])}”"


def csv_cell(text: str) -> str:
    """`text` for a CSV cell a spreadsheet will open: printable, and never a formula.

    A cell whose first non-blank character could start a formula gets a leading
    `'`, which spreadsheets show as text (OWASP's advice); the value stays
    readable and the change is visible to whoever reads the raw file.
    """
    if text.lstrip(" ").startswith(_FORMULA_START):
        text = "'" + text
    return printable(text)


def json_text(data: Any) -> str:
    """`data` as the JSON text of a file people read (`results.json`, `batch.json`): every C1
    control, DEL and invisible character in its strings written as a `\\u` escape. JSON
    escapes the C0 controls but not these: a zip member named with an 8-bit CSI or a
    right-to-left override reached `batch.json` raw, where `cat` runs it (red team 71). The
    data read back is the same, bit for bit; other characters (accents, scripts) stay
    readable."""
    return _RAW_IN_JSON.sub(_escaped, json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # (JSON escapes a character beyond the BMP as its surrogate pair)
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
