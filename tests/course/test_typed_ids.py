"""Ids as a person types or pastes them in a side file: an accented id copied from a macOS
file name arrives decomposed (é as e + a combining accent), looks the same and matched
nothing (an ops review's extension for moreauélodie was not applied: −54); a spreadsheet
saved with ';' or in a legacy encoding is told how to save it, not shown a codec error."""

from __future__ import annotations

import unicodedata
from datetime import UTC
from pathlib import Path

import pytest

from autograder.batch.roster import RosterError, load_roster
from autograder.report.csvfile import read_side_file
from autograder.score.late import load_extensions

COMPOSED = "moreauélodie_1004"
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


def test_the_two_spellings_differ_as_text() -> None:
    assert DECOMPOSED != COMPOSED and DECOMPOSED.lower() != COMPOSED.lower()


def test_a_decomposed_id_in_an_extensions_file_is_the_submissions(tmp_path: Path) -> None:
    path = tmp_path / "extensions.csv"
    path.write_text(f"id,days\n{DECOMPOSED},4\n", encoding="utf-8")
    extensions = load_extensions(path, UTC)
    assert COMPOSED in extensions and extensions[COMPOSED].days == 4


def test_a_decomposed_id_finds_and_matches_a_rostered_student(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("id,name\nmüllerjürgen_1011,\"Müller, Jürgen\"\n", encoding="utf-8")
    roster = load_roster(path)
    typed = unicodedata.normalize("NFD", "müllerjürgen_1011")
    assert roster.find(typed) is not None
    assert roster.match(typed) is roster.find("müllerjürgen_1011")
    # ... and a roster saved decomposed matches the composed submission id
    path.write_text(unicodedata.normalize("NFD", "id,name\nmüllerjürgen_1011,x\n"),
                    encoding="utf-8")
    assert load_roster(path).match("müllerjürgen_1011") is not None


def test_a_semicolon_separated_file_is_told_to_use_commas(tmp_path: Path) -> None:
    path = tmp_path / "overrides.csv"
    path.write_text("id;check;points;reason;who\nokafor_1001;total;9;by hand;Prof\n",
                    encoding="utf-8")
    with pytest.raises(RosterError, match=r"separated by ';'.*save it with commas"):
        read_side_file(path, RosterError)


def test_a_legacy_encoded_file_is_told_to_save_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("id,name\nmoreau_1004,Élodie Moreau\n".encode("latin-1"))
    with pytest.raises(RosterError, match='save it as "CSV UTF-8"'):
        load_roster(path)
