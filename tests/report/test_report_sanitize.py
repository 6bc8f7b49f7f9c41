"""Names and reasons students chose, on a terminal and in gradebook.csv: no escapes, no formulas."""

from __future__ import annotations

import csv
import json
import re
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


def test_json_files_people_read_hold_no_raw_c1_or_invisible_character(tmp_path) -> None:
    """Red team 71: zip members named with an 8-bit CSI (U+009B) and a right-to-left override
    reached batch.json raw (JSON escapes C0 controls only), where `cat` acts on them. Every
    such character is a \\u escape now; the data reads back the same, accents stay as they
    are."""
    from autograder.report.batch_record import BatchRecord
    from autograder.report.sanitize import json_text

    names = ["\x9b31mc1.txt", "evil\u202eexe.txt", "tag\U000e0041.txt", "del\x7f", "Müller",
             "\x1b]0;PWNED\x07"]
    text = json_text({"skipped": names})
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\U000e0041]", text), text
    assert json.loads(text) == {"skipped": names}
    assert "Müller" in text
    record = BatchRecord("2026-12-07T00:00:00Z", "0.1.0", "grading_config.yaml", "0" * 64,
                         skipped=names)
    path = tmp_path / "batch.json"
    record.write(path)
    raw = path.read_bytes()
    assert b"\xc2\x9b" not in raw and "\u202e".encode() not in raw, raw
    assert BatchRecord.read(path).skipped == names
