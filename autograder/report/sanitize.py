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

import re

from autograder.load.text import CONTROL, INVISIBLE

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
_CONTROL = CONTROL
_KEEP_LINES = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{INVISIBLE}]")
# What makes a spreadsheet read a cell as a formula (OWASP), fullwidth forms included.
_FORMULA_START = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character replaced by U+FFFD (tabs become spaces).

    One line unless `keep_newlines`: a name or reason printed in a summary line
    cannot start a line of its own that looks like the grader's.
    """
    text = text.replace("\t", " ")
    return (_KEEP_LINES if keep_newlines else _CONTROL).sub(REPLACEMENT, text)


def csv_cell(text: str) -> str:
    """`text` for a CSV cell a spreadsheet will open: printable, and never a formula.

    A cell whose first non-blank character could start a formula gets a leading
    `'`, which spreadsheets show as text (OWASP's advice); the value stays
    readable and the change is visible to whoever reads the raw file.
    """
    if text.lstrip(" ").startswith(_FORMULA_START):
        text = "'" + text
    return printable(text)
