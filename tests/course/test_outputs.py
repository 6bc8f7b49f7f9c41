"""Files people open: readable by the group (umask, not mkstemp's 0600), and spreadsheets
read their UTF-8 (a BOM when the text is not ASCII)."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

from autograder.report.atomic import current_umask, write_text
from autograder.report.csvfile import BOM, csv_text, read_csv, write_csv


def test_written_files_follow_the_umask(tmp_path: Path):
    old = os.umask(0o022)
    try:
        assert current_umask() == 0o022
        write_text(tmp_path / "a.json", "{}")
        assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
        os.umask(0o027)
        write_text(tmp_path / "b.json", "{}")
        assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o640
    finally:
        os.umask(old)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_non_ascii_csv_gets_a_bom_and_reads_back_intact(tmp_path: Path):
    path = tmp_path / "g.csv"
    write_csv(path, ["id", "train_one_epoch: zero_grad → step"], [["garcía", "2"]])
    raw = path.read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [{"id": "garcía", "train_one_epoch: zero_grad → step": "2"}]
    assert read_csv(path) == rows


def test_ascii_csv_has_no_bom_and_formulas_are_neutralised():
    text = csv_text(["id", "=cmd"], [["a", "1"]])
    assert not text.startswith(BOM)
    assert text.splitlines()[0] == "id,'=cmd"
