"""Gradescope group submissions: every member gets a row with the group's result (s8: only
Carl, the first of the two `:submitters:`, was graded; Dana was `missing`)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from upload_helpers import ids, write, zipped

from autograder.batch.course import apply_course, load_course
from autograder.batch.discover import discover
from autograder.batch.submitted import read_lms_records
from autograder.config import load_config
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Check  # not a test class for pytest

CHECK = "f: does it"
METADATA = """\
submission_1001:
  :submitters:
  - :name: Jane Roe
    :sid: '2001'
    :email: jroe@uni.edu
  :created_at: 2025-03-14 22:00:00.000000000 -05:00
submission_1003:
  :submitters:
  - :name: Carl Group
    :sid: '2003'
    :email: cgroup@uni.edu
  - :name: Dana Group
    :sid: '2004'
    :email: dgroup@uni.edu
  - :name: Noor NoSid
    :email: noor@uni.edu
  :created_at: 2025-03-14 23:00:00.000000000 -05:00
"""
# Dana and Noor listed before Carl: the roster's order must not decide whose row is whose
ROSTER = """First Name,Last Name,SID,Email,Role
Dana,Group,2004,dgroup@uni.edu,Student
Noor,NoSid,,noor@uni.edu,Student
Carl,Group,2003,cgroup@uni.edu,Student
Jane,Roe,2001,jroe@uni.edu,Student
"""
MEMBERS = ["submission_1003", "submission_1003.2004", "submission_1003.noor_uni.edu"]


def nb(source: str) -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def export_files() -> dict[str, bytes]:
    return {"submission_metadata.yml": METADATA.encode(),
            "submission_1001/lab05.ipynb": nb("jane = 1"),
            "submission_1003/lab05.ipynb": nb("group = 1")}


def test_every_member_of_a_group_submission_gets_a_row(tmp_path: Path):
    export = write(tmp_path / "export", export_files())
    write(tmp_path, {"export.zip": zipped({f"assignment_5_export/{k}": v
                                           for k, v in export_files().items()})})
    for given in (export, tmp_path / "export.zip"):
        found = discover([given], tmp_path / f"unpacked-{given.name}", assignment="lab05")
        assert set(ids(found)) == {"submission_1001", *MEMBERS}
        group = [f for f in found.submissions if f.submission_id in MEMBERS]
        assert {f.path.read_bytes() for f in group} == {nb("group = 1")}  # the group's notebook
        assert any(f"a group submission; graded for each member: {', '.join(MEMBERS)}" in d
                   for d in found.duplicates)
        assert not any("same bytes as" in d for d in found.duplicates)
        # one group's work: its rows are one student's to the judges' call plans
        assert {f.student for f in group} == {"submission_1003"}
        assert {f.student for f in found.submissions if f not in group} == {"submission_1001"}


def test_metadata_gives_each_member_a_record_of_their_own(tmp_path: Path):
    export = write(tmp_path / "export", export_files())
    records = read_lms_records([export], yaml.safe_load("2025-01-01T00:00:00+00:00").tzinfo)
    assert records.groups == {"submission_1003": MEMBERS[1:]}
    assert [(records.gradescope[m].submitters, records.gradescope[m].names) for m in MEMBERS] == [
        (("2003", "cgroup@uni.edu"), ("Carl Group",)), (("2004", "dgroup@uni.edu"), ("Dana Group",)),
        (("noor@uni.edu",), ("Noor NoSid",))]
    assert len({records.gradescope[m].at for m in MEMBERS}) == 1  # one time: the group's


def graded(sid: str, score: float) -> SubmissionResult:
    return SubmissionResult(sid, Status.GRADED, "", [Check(CHECK, score, 4.0, score == 4.0, "",
                                                           "visible")], score)


def test_with_the_roster_each_member_is_enrolled_with_the_groups_score(tmp_path: Path):
    export = write(tmp_path / "export", export_files())
    (tmp_path / "roster.csv").write_text(ROSTER)
    config = tmp_path / "grading_config.yaml"
    config.write_text(yaml.safe_dump({"tests": {CHECK: {"points": 4}}, "roster": "roster.csv"}))
    course = load_course(load_config(config), config)
    discovery = discover([export], tmp_path / "unpacked", assignment="lab05")
    results = [graded("submission_1001", 4.0), *(graded(m, 3.0) for m in MEMBERS)]
    outcome = apply_course(course, results, discovery, [export])
    rows = {r.submission_id: r for r in outcome.results}
    assert outcome.missing == [] and outcome.not_on_roster == []
    assert {sid: (r.final.name, r.final.roster_id, r.final_score)  # type: ignore[union-attr]
            for sid, r in rows.items() if sid in MEMBERS} == {
        "submission_1003": ("Carl Group", "2003", 3.0),
        "submission_1003.2004": ("Dana Group", "2004", 3.0),
        "submission_1003.noor_uni.edu": ("Noor NoSid", "noor", 3.0)}


def test_a_member_with_a_very_long_sid_gets_a_row_within_the_id_limit(tmp_path: Path):
    """An outside red team's: a 270-byte SID made the member's folder name too long for the
    filesystem, and the whole batch ended before anyone was graded."""
    from autograder.batch.submitted import MAX_ID_BYTES

    long_sid = "学" * 90
    metadata = METADATA.replace(":sid: '2004'", f":sid: '{long_sid}'")
    files = {**export_files(), "submission_metadata.yml": metadata.encode()}
    export = write(tmp_path / "export", files)
    found = discover([export], tmp_path / "unpacked", assignment="lab05")
    members = [i for i in ids(found) if i.startswith("submission_1003.")]
    assert len(members) == 2 and all(len(m.encode()) <= MAX_ID_BYTES for m in members), members
    records = read_lms_records([export], yaml.safe_load("2025-01-01T00:00:00+00:00").tzinfo)
    assert set(records.groups["submission_1003"]) == set(members)  # the same ids both ways
    for member in members:
        (tmp_path / "out" / member).mkdir(parents=True)  # a folder of that name can be made
