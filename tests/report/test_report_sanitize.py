"""Names and reasons students chose, on a terminal and in gradebook.csv: no escapes, no formulas."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from report_samples import CONFIG

from autograder.report.gradebook import write_gradebook
from autograder.report.sanitize import REPLACEMENT, csv_cell, printable
from autograder.report.terminal import render
from autograder.score.results import Status
from autograder.score.scoring import unscored

ESC_BEL = "\x1b]0;pwned\x07\x1b[2J\rlee\x9b31m\u202eevil"


def test_printable_replaces_every_control_character():
    text = printable(ESC_BEL)
    assert text == f"{REPLACEMENT}]0;pwned{REPLACEMENT}{REPLACEMENT}[2J{REPLACEMENT}lee" \
                   f"{REPLACEMENT}31m{REPLACEMENT}evil"
    assert printable("two\nlines\ttab") == f"two{REPLACEMENT}lines tab"
    assert printable("two\nlines", keep_newlines=True) == "two\nlines"
    assert printable("naïve ö 名前") == "naïve ö 名前"  # printable non-ASCII is kept


@pytest.mark.parametrize(("raw", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+1", "'+1+1"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "' =1"),  # a leading tab: quoted, then made a space
    ("\r=1", f"'{REPLACEMENT}=1"),
    ("  =1", "'  =1"),
    ("\uff1d1+1", "'\uff1d1+1"),  # fullwidth equals sign
    ("okafor_1001", "okafor_1001"),
    ("graded", "graded"),
    ("", ""),
])
def test_csv_cell_neutralises_formulas_the_owasp_way(raw, cell):
    assert csv_cell(raw) == cell


def test_gradebook_cells_are_never_formulas_or_escapes(tmp_path: Path):
    results = [unscored("=cmd|' /C calc'!A0", CONFIG, Status.INVALID, "-1+2 " + ESC_BEL),
               unscored("okafor_1001", CONFIG, Status.INVALID, "no notebook in your upload")]
    path = tmp_path / "gradebook.csv"
    write_gradebook(results, list(CONFIG.tests), path)
    raw = path.read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\x07" not in raw and "\x9b" not in raw
    with path.open(newline="", encoding="utf-8-sig") as handle:  # BOM: non-ASCII headers
        rows = list(csv.DictReader(handle))
    assert [row["submission_id"] for row in rows] == ["'=cmd|' /C calc'!A0", "okafor_1001"]
    assert rows[0]["reason"].startswith("'-1+2 ") and rows[1]["reason"] == "no notebook in your upload"
    assert rows[0]["total"] == "0" and rows[0]["status"] == "invalid"


def test_render_of_an_id_with_escapes_is_printable():
    text = render(unscored("lee" + ESC_BEL, CONFIG, Status.INVALID, ESC_BEL))
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\u202e" not in text
