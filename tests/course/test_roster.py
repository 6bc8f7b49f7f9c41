"""Rosters as Canvas and Gradescope export them, and which submission is whose."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.batch.roster import RosterError, load_roster

CANVAS = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Lab 1 (11)
    Points Possible,,,,,10
"Okafor, Ada",1001,S1001,aokafor,A,9
"García, Lucía",1010,S1010,lgarcia,B,
"Student, Test",9999,,,A,
"""
GRADESCOPE = """First Name,Last Name,SID,Email,Role,Sections
Ada,Okafor,S1001,ada@uni.edu,Student,A
Pat,Grader,,pat@uni.edu,TA,
Li,Wei,,li.wei@uni.edu,Student,B
"""


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_canvas_export_skips_points_possible_and_the_test_student(tmp_path: Path):
    roster = load_roster(write(tmp_path, CANVAS))
    assert roster.kind == "canvas"
    assert [(s.key, s.name, s.canvas_id, s.section) for s in roster.students] == [
        ("okaforada_1001", "Okafor, Ada", "1001", "A"), ("garcíalucía_1010", "García, Lucía", "1010", "B")
    ]  # keyed as Canvas's download names them, Unicode letters kept


def test_canvas_submission_ids_match_by_user_id_and_sis_ids(tmp_path: Path):
    roster = load_roster(write(tmp_path, CANVAS))
    assert roster.match("okafor_1001").name == "Okafor, Ada"  # type: ignore[union-attr]
    assert roster.match("okafor_1001-2").name == "Okafor, Ada"  # type: ignore[union-attr]
    assert roster.match("lgarcia").canvas_id == "1010"  # type: ignore[union-attr]
    assert roster.match("S1010").canvas_id == "1010"  # type: ignore[union-attr]
    assert roster.match("stranger_4242") is None
    assert roster.find("1001").key == "okaforada_1001"  # type: ignore[union-attr]


def test_a_name_the_student_chose_names_nobody_by_a_canvas_id_or_a_suffix(tmp_path: Path):
    """Outside red team 80: `mallory_1001.ipynb` (a file name of the student's choosing, not
    Canvas's) was given to Canvas user 1001, and `aokafor-7.ipynb` to aokafor: a Canvas user
    id and a `-N` suffix name someone only where the LMS or the grader wrote them."""
    roster = load_roster(write(tmp_path, CANVAS))
    assert roster.match("mallory_1001", lms_named=False) is None
    assert roster.match("aokafor-7", lms_named=False) is None
    assert roster.match("aokafor-2", lms_named=False, further_of="aokafor").key == \
        "okaforada_1001"  # type: ignore[union-attr]
    assert roster.match("aokafor", lms_named=False).key == "okaforada_1001"  # type: ignore[union-attr]
    assert roster.match("okafor_1001").key == "okaforada_1001"  # type: ignore[union-attr]


def test_gradescope_roster_keeps_students_only_and_matches_sid_email_and_submitters(tmp_path: Path):
    roster = load_roster(write(tmp_path, GRADESCOPE))
    assert roster.kind == "gradescope"
    assert [s.key for s in roster.students] == ["S1001", "li.wei"]
    assert roster.match("submission_77", submitters=["ada@uni.edu"]).sid == "S1001"  # type: ignore[union-attr]
    assert roster.match("li.wei").email == "li.wei@uni.edu"  # type: ignore[union-attr]
    assert roster.match("submission_78") is None


def test_plain_roster_with_an_id_column(tmp_path: Path):
    roster = load_roster(write(tmp_path, "id,name\njdoe,Jane Doe\nasmith,Al Smith\n"))
    assert roster.kind == "plain"
    assert roster.match("JDOE").name == "Jane Doe"  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "words"), [
    ("name,score\nx,1\n", "not a roster"),
    ("id,name\n", "no students"),
    ("id,name\na,A\na,B\n", "the same student twice: a"),
    ("id,name\nalice,A\nALICE,B\n", "the same student twice: ALICE, alice"),  # matching ignores case
])
def test_unusable_rosters_say_why(tmp_path: Path, text: str, words: str):
    with pytest.raises(RosterError, match=words):
        load_roster(write(tmp_path, text))


def test_a_missing_roster_file_is_named(tmp_path: Path):
    with pytest.raises(RosterError, match=r"nope\.csv: no such file"):
        load_roster(tmp_path / "nope.csv")


def test_canvas_keys_are_what_canvas_names_the_students_files(tmp_path: Path):
    roster = load_roster(write(tmp_path, 'Student,ID\n"Müller, Jürgen",1002\n"O\'Brién, Seán",1003\n'
                                         '"王, 小明",1007\n"Smith_12_Jones, Al",1008\n'))
    # content_zipper.rb: sortable name, `_<digits>_` joined, lower case, [[:word:]] kept
    assert [s.key for s in roster.students] == ["müllerjürgen_1002", "obriénseán_1003", "王小明_1007",
                                                "smith12jonesal_1008"]
    assert roster.match("müllerjürgen_1002").canvas_id == "1002"  # type: ignore[union-attr]


def test_gradescope_emails_sharing_a_local_part_key_by_the_whole_email(tmp_path: Path):
    roster = load_roster(write(tmp_path, "First Name,Last Name,SID,Email,Role\n"
                                         "Al,Pha,,alpha@x.edu,Student\nAl,Pha2,,alpha@y.edu,Student\n"
                                         "Bo,Beta,,beta@x.edu,Student\n"))
    assert [s.key for s in roster.students] == ["alpha_x.edu", "alpha_y.edu", "beta"]
    assert roster.match("alpha") is None and roster.find("alpha") is None  # names neither of them
    assert roster.match("alpha_y.edu").email == "alpha@y.edu"  # type: ignore[union-attr]
    assert roster.match("submission_5", submitters=["alpha@x.edu"]).name == "Al Pha"  # type: ignore[union-attr]
    assert roster.match("beta").email == "beta@x.edu"  # type: ignore[union-attr]
