"""Discovery against hostile uploads (nothing graded): a student's zip speaks only for its uploader.

Each case is one way an upload could hurt the rest of the class (issue 12): take
another student's grade, stop the batch, fill the disk, overwrite silently, or
write outside the unpack folder. Each asserts every student still has exactly
one row with the right status and reason.
"""

from __future__ import annotations

import csv
import io
import json
import os
import warnings
import zipfile
from pathlib import Path

import pytest
from upload_helpers import ids, write, zipped

from autograder.batch.discover import Limits, discover, student_id, unpacking


def nb(source: str = "x = 1") -> bytes:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


SMITH = "smith_1234_5678_lab05"  # a Canvas-named upload: name_userid_attemptid_file


def rows(found) -> dict[str, str]:
    """id → the problem that makes the row invalid ('' for a notebook to grade)."""
    return {f.submission_id: f.problem for f in found.submissions}


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_zip_with_only_a_pdf_is_the_uploaders_invalid_row(tmp_path: Path):
    batch = write(tmp_path / "batch", {
        f"{SMITH}.zip": zipped({"report.pdf": b"%PDF", "notes/data.csv": b"1,2"}),
        "okafor_1001_1_lab05.ipynb": nb("honest = 1"),
        "lee_77_3_report.pdf": b"%PDF",  # a PDF uploaded to Canvas instead of the notebook
        "class_submissions.zip": zipped({"jones_55_2_scan.pdf": b"%PDF",
                                         "ng_66_1_lab05.ipynb": nb("ng = 1")}),
        "empty.zip": zipped({}),
    })
    found = discover([batch], tmp_path / "unpacked")
    hand_in = "; hand in the notebook itself (an .ipynb file)"  # (no assignment given here)
    assert rows(found) == {
        "smith_1234": "no notebook in your upload (found: “report.pdf”, “notes/data.csv”)" + hand_in,
        "okafor_1001": "",
        "lee_77": "no notebook in your upload (found: “lee_77_3_report.pdf”)" + hand_in,
        "jones_55": "no notebook in your upload (found: “jones_55_2_scan.pdf”)" + hand_in,
        "ng_66": "",
        "empty": "no notebook in your upload (it holds no files)" + hand_in,
    }
    smith = next(f for f in found.submissions if f.submission_id == "smith_1234")
    assert smith.path == batch / f"{SMITH}.zip" and smith.attempt == 5678


def test_an_empty_upload_does_not_replace_a_notebook_of_the_same_student(tmp_path: Path):
    batch = write(tmp_path / "batch", {
        "smith_1234_1_lab05.ipynb": nb("first = 1"),
        f"{SMITH}.zip": zipped({"report.pdf": b"%PDF"}),  # a later attempt holding no notebook
    })
    found = discover([batch], tmp_path / "unpacked")
    assert rows(found) == {"smith_1234": ""}
    assert found.submissions[0].path.name == "smith_1234_1_lab05.ipynb"
    assert any(f"{SMITH}.zip: no notebook in your upload (found: “report.pdf”); smith_1234 graded from"
               in s for s in found.skipped)


def test_canvas_zip_with_several_notebooks_never_names_another_student(tmp_path: Path):
    batch = write(tmp_path / "batch", {
        f"{SMITH}.zip": zipped({"lab05.ipynb": nb("smith = 1")}),
        # the attacker's upload: a file named like smith's later attempt, and their own work
        "mallory_999_9999_lab05.zip": zipped({"smith_1234_99999_lab05.ipynb": nb("wrong = 1"),
                                              "lab05.ipynb": nb("mallory = 1")}),
        # a per-student folder of a Gradescope export, and a zip in a student's folder
        "submission_1/smith_1234_99998_lab05.ipynb": nb("gs = 1"),
        "okafor/work.zip": zipped({"smith_1234_99997_lab05.ipynb": nb("ok = 1"),
                                   "draft.ipynb": nb("ok = 2")}),
    })
    found = discover([batch], tmp_path / "unpacked")
    assert ids(found) == {"smith_1234": "lab05.ipynb", "mallory_999": "lab05.ipynb",
                          "mallory_999-2": "smith_1234_99999_lab05.ipynb",
                          "submission_1": "smith_1234_99998_lab05.ipynb",
                          "okafor": "draft.ipynb", "okafor-2": "smith_1234_99997_lab05.ipynb"}
    smith = next(f for f in found.submissions if f.submission_id == "smith_1234")
    assert smith.path.read_bytes() == nb("smith = 1") and smith.attempt == 5678
    assert not any("older attempt of smith_1234" in d for d in found.duplicates)
    assert any("another notebook for mallory_999; graded as mallory_999-2" in d
               for d in found.duplicates)


def nested_bomb(levels: int, copies: int, payload: int) -> bytes:
    """A zip of `copies` zips of … of one notebook of `payload` zero bytes: small, unpacks huge."""
    data = zipped_deflated({"lab05.ipynb": b"0" * payload})
    for level in range(levels):
        data = zipped_deflated({f"l{level}_{i}.zip": data for i in range(copies)})
    return data


def zipped_deflated(members: dict[str, bytes]) -> bytes:
    return zipped(members, zipfile.ZIP_DEFLATED)


def test_nested_zip_bomb_stops_at_the_cumulative_cap_and_spares_the_neighbours(tmp_path: Path):
    bomb = nested_bomb(levels=3, copies=8, payload=1024 * 1024)  # 512 MB from a few KB
    assert len(bomb) < 64 * 1024
    batch = write(tmp_path / "batch", {"bomb_77_1_lab05.zip": bomb,
                                       "okafor_1001_1_lab05.ipynb": nb("honest = 1"),
                                       "ng_66_1_lab05.zip": zipped({"lab05.ipynb": nb("ng = 1")})})
    limits = Limits(upload_bytes=8 * 1024 * 1024, nesting=4)  # no single archive exceeds 1 MB
    unpacked = tmp_path / "unpacked"
    found = discover([batch], unpacked, limits)
    assert rows(found) == {
        "bomb_77": "your upload holds more than 8 MB once unpacked (nested zips included), not unpacked",
        "okafor_1001": "", "ng_66": ""}
    assert sum(p.stat().st_size for p in files_under(unpacked)) <= 9 * 1024 * 1024


def test_entry_cap_counts_every_nesting_level(tmp_path: Path):
    inner = zipped({f"f{i}.txt": b"x" for i in range(15)})
    upload = zipped({"lab05.ipynb": nb(), **{f"in{i}.zip": inner for i in range(3)}})
    batch = write(tmp_path / "batch", {"many_5_1_lab05.zip": upload})
    found = discover([batch], tmp_path / "unpacked", Limits(upload_entries=40))  # 4 + 3 × 15 > 40
    assert rows(found) == {
        "many_5": "your upload holds more than 40 files once unpacked (nested zips included), "
                  "not unpacked"}


def test_the_batch_total_cap_leaves_later_uploads_a_clear_row(tmp_path: Path):
    big = zipped_deflated({"lab05.ipynb": b"0" * (3 * 1024 * 1024)})
    batch = write(tmp_path / "batch", {"a_1_1_lab05.zip": big, "b_2_1_lab05.zip": big,
                                       "c_3_1_lab05.zip": big})
    found = discover([batch], tmp_path / "unpacked", Limits(total_bytes=7 * 1024 * 1024))
    assert rows(found) == {"a_1": "", "b_2": "", "c_3": "not unpacked: the batch reached its limit of "
                                                         "7 MB unpacked in total"}


def test_duplicate_entries_keep_the_last_as_unzip_does(tmp_path: Path):
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name"
        zf.writestr("lab05.ipynb", nb("first = 1"))
        zf.writestr("lab05.ipynb", nb("second = 1"))
        zf.writestr("./lab05.ipynb", nb("third = 1"))
    batch = write(tmp_path / "batch", {f"{SMITH}.zip": buffer.getvalue()})
    found = discover([batch], tmp_path / "unpacked")
    assert rows(found) == {"smith_1234": ""}
    # what a TA who unzips it sees: `extractall` (and `unzip -o`) leave the last entry
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(batch / f"{SMITH}.zip") as zf:
        zf.extractall(extracted)
    assert found.submissions[0].path.read_bytes() == (extracted / "lab05.ipynb").read_bytes() \
        == nb("third = 1")
    repeated = [d for d in found.duplicates if "the same name twice in the archive" in d]
    assert len(repeated) == 2 and all(f"{SMITH}.zip:" in d and "this later entry is used" in d
                                      for d in repeated)


def test_path_traversal_names_are_refused(tmp_path: Path):
    upload = zipped({"../../escape.ipynb": nb(), "/abs.ipynb": nb(), "..\\win.ipynb": nb(),
                     "C:/drive.ipynb": nb(), "/".join(["d"] * 40) + "/deep.ipynb": nb(),
                     "lab05.ipynb": nb("mine = 1")})
    batch = write(tmp_path / "batch", {f"{SMITH}.zip": upload})
    unpacked = tmp_path / "work" / "unpacked"
    found = discover([batch], unpacked)
    assert ids(found) == {"smith_1234": "lab05.ipynb"}
    refused = [s for s in found.skipped if "refused" in s]
    assert len(refused) == 5
    assert [p.name for p in files_under(tmp_path / "work")] == ["lab05.ipynb"]
    assert not list(tmp_path.rglob("escape.ipynb")) and not list(tmp_path.rglob("abs.ipynb"))


def test_control_characters_in_member_names_never_reach_a_reason(tmp_path: Path):
    batch = write(tmp_path / "batch", {
        f"{SMITH}.zip": zipped({"\x1b]0;pwned\x07\x1b[2Jreport.pdf": b"%PDF"})})
    found = discover([batch], tmp_path / "unpacked")
    problem = found.submissions[0].problem
    assert problem.startswith("no notebook in your upload (found: ")
    assert problem.endswith("report.pdf”); hand in the notebook itself (an .ipynb file)")
    assert "\x1b" not in problem and "\x07" not in problem


@pytest.mark.parametrize(("name", "expected"), [
    ("=HYPERLINK(1).ipynb", "HYPERLINK_1"),
    ("-cmd_123_4_lab05.ipynb", "cmd_123"),  # Canvas name with a leading '-'
    ("+1+2.ipynb", "1_2"),
    ("@SUM(A1).ipynb", "SUM_A1"),
    ("\x1b[2Jx\x07.ipynb", "2Jx"),
])
def test_formula_like_and_escape_names_become_plain_ids(name, expected):
    assert student_id(name) == (expected, student_id(name)[1])


def test_unpacking_removes_its_folder_on_error_and_sweeps_killed_runs(tmp_path: Path):
    dead = tmp_path / ".unpacked-999999999-x"  # no such pid
    (dead / "a").mkdir(parents=True)
    (tmp_path / ".inputs" / "old").mkdir(parents=True)  # what earlier versions left
    with pytest.raises(RuntimeError), unpacking(tmp_path) as folder:
        assert folder.parent == tmp_path and folder.name.startswith(f".unpacked-{os.getpid()}-")
        discover([write(tmp_path / "in", {f"{SMITH}.zip": zipped({"lab05.ipynb": nb()})})], folder)
        assert files_under(folder)
        raise RuntimeError("the batch failed")
    assert not folder.exists() and not dead.exists() and not (tmp_path / ".inputs").exists()


# --------------------------------------------------------------------------- end to end

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "submissions"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.ipynb").read_bytes()


@pytest.mark.slow
def test_hostile_uploads_in_a_graded_batch_leave_every_student_their_own_row(tmp_path: Path,
                                                                             short_config: Path):
    from autograder.batch.run import grade_batch

    batch = write(tmp_path / "batch", {
        "okafor_1001_1_lab05.ipynb": fixture("reference_code"),
        f"{SMITH}.zip": zipped({"report.pdf": b"%PDF"}),
        # two notebooks, one named like okafor's later attempt: both stay mallory's
        "mallory_999_9999_lab05.zip": zipped({"okafor_1001_99_lab05.ipynb": fixture("honest_only_mse"),
                                              "lab05.ipynb": fixture("honest_only_mse")}),
        "bomb_77_1_lab05.zip": nested_bomb(levels=3, copies=8, payload=1024 * 1024),
        "jones_55_2_lab05.zip": zipped({"lab05.ipynb": fixture("mutant_no_zero_grad"),
                                        "\x1b]0;pwned\x07\x1b[2Jreadme.txt": b"hi"}),
        "=HYPERLINK(1).ipynb": fixture("honest_only_mse"),
    })
    out = tmp_path / "out"
    summary = grade_batch([batch], out, short_config, workers=2, progress=False,
                          limits=Limits(upload_bytes=8 * 1024 * 1024))

    with (out / "gradebook.csv").open(newline="", encoding="utf-8-sig") as handle:
        gradebook = {row["submission_id"]: row for row in csv.DictReader(handle)}
    assert {sid: row["status"] for sid, row in gradebook.items()} == {
        "HYPERLINK_1": "graded", "bomb_77": "invalid", "jones_55": "graded", "mallory_999": "graded",
        "okafor_1001": "graded", "smith_1234": "invalid"}
    assert gradebook["smith_1234"]["reason"] == ("no notebook in your upload (found: “report.pdf”); "
                                                 "hand in the notebook itself (lab05.ipynb)")
    assert gradebook["bomb_77"]["reason"] == ("your upload holds more than 8 MB once unpacked "
                                              "(nested zips included), not unpacked")
    by_id = {r.submission_id: r for r in summary.results}
    assert by_id["okafor_1001"].score == by_id["okafor_1001"].max_score  # not replaced by mallory's
    assert 0 < by_id["mallory_999"].score < by_id["mallory_999"].max_score
    smith = by_id["smith_1234"]
    assert smith.score == 0 and len(smith.tests) == len(by_id["okafor_1001"].tests)
    for sid in gradebook:
        assert (out / sid / "results.json").is_file(), sid
    assert summary.graded_now == 4  # mallory's two notebooks are the same bytes: graded once

    text = summary.describe()
    assert "invalid: smith_1234: no notebook in your upload (found: “report.pdf”); hand in" in text
    assert "readme.txt: not a notebook" in text
    assert not any(c in text for c in "\x1b\x07\r")
    assert not any(cell.lstrip().startswith(("=", "+", "-", "@"))
                   for row in gradebook.values() for cell in row.values())
    assert not list(out.glob(".unpacked-*")) and not list(out.rglob("*.pdf"))
