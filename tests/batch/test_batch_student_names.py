"""Ids from folder and file names (nothing graded): Unicode kept, two students never merged.

The audit's s20: folders `Anna Müller` and `Anna Möller` both became `Anna_M_ller`; with
the same bytes (the untouched template) one of the two students lost her row.
"""

from __future__ import annotations

import json
from pathlib import Path

from upload_helpers import ids, write

from autograder.batch.discover import discover


def nb(source: str = "x = 1") -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


TEMPLATE = nb("raise NotImplementedError")


def test_students_whose_names_differ_in_one_letter_keep_a_row_each(tmp_path: Path):
    classroom = write(tmp_path / "in", {"Anna Müller/lab05.ipynb": TEMPLATE,
                                        "Anna Möller/lab05.ipynb": TEMPLATE,
                                        "Jun Park/lab05.ipynb": TEMPLATE})
    found = discover([classroom], tmp_path / "unpacked", assignment="lab05")
    assert {f.submission_id: f.path.parent.name for f in found.submissions} == {
        "Anna_Müller": "Anna Müller", "Anna_Möller": "Anna Möller", "Jun_Park": "Jun Park"}
    assert not any("identical to" in d for d in found.duplicates)  # same bytes, other students


def test_names_that_clean_to_one_id_get_a_suffix_not_a_merge(tmp_path: Path):
    classroom = write(tmp_path / "in", {"Anna Müller/lab05.ipynb": TEMPLATE,
                                        "Anna_Müller/lab05.ipynb": TEMPLATE,
                                        "Anna, Müller/lab05.ipynb": nb("mine = 1"),
                                        "kim.ipynb": nb("k = 1"), "Kim.ipynb": nb("K = 1")})
    found = discover([classroom], tmp_path / "unpacked", assignment="lab05")
    again = discover([classroom], tmp_path / "unpacked2", assignment="lab05")
    # the name already spelt as its id keeps it; the others, in name order, get +2, +3
    assert {f.submission_id: f.path.parent.name if f.path.parent != classroom else f.path.name
            for f in found.submissions} == {
        "Anna_Müller": "Anna_Müller", "Anna_Müller+2": "Anna Müller", "Anna_Müller+3": "Anna, Müller",
        "Kim": "Kim.ipynb", "kim+2": "kim.ipynb"}  # one output folder each, even where case is folded
    assert [(f.submission_id, f.path) for f in again.submissions] == [
        (f.submission_id, f.path) for f in found.submissions]
    assert any("'Anna Müller' and 'Anna_Müller' both make the id Anna_Müller: two students, not one"
               in d for d in found.duplicates)


def test_one_name_in_two_unicode_spellings_is_one_student(tmp_path: Path):
    classroom = write(tmp_path / "in", {"Anna Mu\u0308ller/lab05.ipynb": TEMPLATE,  # macOS (NFD)
                                        "Anna M\u00fcller/lab05.ipynb": TEMPLATE})
    found = discover([classroom], tmp_path / "unpacked", assignment="lab05")
    assert set(ids(found)) == {"Anna_Müller"}
    assert any("identical to" in d and "graded once as Anna_Müller" in d for d in found.duplicates)


def test_ids_carry_no_control_or_formatting_characters(tmp_path: Path):
    classroom = write(tmp_path / "in", {"Ali\u202eec/lab05.ipynb": nb("a = 1"),  # right-to-left override
                                        "Bo\u200bb/lab05.ipynb": nb("b = 1")})
    found = discover([classroom], tmp_path / "unpacked", assignment="lab05")
    assert set(ids(found)) == {"Ali_ec", "Bo_b"}


def test_an_id_of_invisible_letters_does_not_pass_as_a_name() -> None:
    """Hangul fillers are letters that show as nothing: an id made of them (or padded with
    them) would read as another student's on a page."""
    from autograder.batch.discover import _safe

    assert _safe("ana\u3164\u3164") == "ana"
    assert _safe("\u3164\u115f\u1160\uffa0") == "submission"
