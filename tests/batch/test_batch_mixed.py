"""One messy batch end to end: every discovered submission gets a row, and batching changes no score."""

from __future__ import annotations

import csv
import io
import pickle
import zipfile
from pathlib import Path

import pytest

from autograder.batch.run import grade_batch
from autograder.score.results import SubmissionResult

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "submissions"
REFERENCE, ONLY_MSE, NO_ZERO_GRAD = "reference_code", "honest_only_mse", "mutant_no_zero_grad"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.ipynb").read_bytes()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def per_test(result: SubmissionResult) -> dict[str, float]:
    return {t.name: t.score for t in result.tests}


@pytest.mark.slow
def test_a_messy_batch_gets_one_row_each_and_the_same_scores_as_alone(tmp_path: Path,
                                                                      short_config: Path):
    canary = tmp_path / "unpickled"

    class Canary:  # what otter's pickled log could do to a judge that unpickled it
        def __reduce__(self):
            return (open, (str(canary), "w"))

    lee = zipped({"lab05.ipynb": fixture(REFERENCE), ".OTTER_LOG": pickle.dumps(Canary())})
    files = {
        "ada.ipynb": fixture(REFERENCE),
        "ada_again.ipynb": fixture(REFERENCE),  # the same bytes under another name
        "smith_123_1_lab05.ipynb": fixture(ONLY_MSE),  # Canvas: two files of one submission,
        "smith_123_2_lab05.ipynb": fixture(NO_ZERO_GRAD),  # the one numbered last graded as smith_123
        "submission_12345/lab05.ipynb": fixture(ONLY_MSE),  # Gradescope export: a folder each
        "submission_12345/submission_metadata.yml": b"submission_12345:\n  :submitters: []\n",
        "class_submissions.zip": zipped({"jones_55_1_lab05.ipynb": fixture(NO_ZERO_GRAD),  # a Canvas download
                             "lee_66_2_lab05.zip": lee, "README.txt": b"from the LMS"}),
        "corrupt.ipynb": fixture(REFERENCE)[:700],  # truncated JSON
        "loop.ipynb": fixture("hostile_infinite_loop"),
    }
    batch = tmp_path / "batch"
    for rel, data in files.items():
        (batch / rel).parent.mkdir(parents=True, exist_ok=True)
        (batch / rel).write_bytes(data)

    out = tmp_path / "out"
    summary = grade_batch([batch], out, short_config, workers=2, progress=False)

    expected_status = {"ada": "graded", "ada_again": "graded", "smith_123": "graded",
                       "smith_123-2": "graded", "submission_12345": "graded", "jones_55": "graded",
                       "lee_66": "graded",
                       "corrupt": "invalid", "loop": "timeout"}
    assert [f.submission_id for f in summary.discovery.submissions] == sorted(expected_status)
    with (out / "gradebook.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["submission_id"] for row in rows] == sorted(expected_status)
    for row in rows:
        assert row["status"] == expected_status[row["submission_id"]], row
        assert (row["reason"] != "") == (row["status"] != "graded"), row
        assert (out / row["submission_id"] / "results.json").is_file()
    by_id = {r.submission_id: r for r in summary.results}
    assert "ran past the 3 s cell limit" in by_id["loop"].reason
    assert summary.graded_now == len(expected_status) and summary.reused == 0

    duplicates = "\n".join(summary.discovery.duplicates)
    assert "smith_123_1_lab05.ipynb: another notebook for smith_123; graded as smith_123-2" in duplicates
    assert "ada_again.ipynb: same bytes as" in duplicates
    assert "lab05.ipynb: same bytes as" in duplicates  # lee's, unpacked from the nested zip
    assert "jones_55_1_lab05.ipynb: same bytes as" not in duplicates  # jones sorts first
    assert "smith_123_2_lab05.ipynb: same bytes as" in duplicates
    skipped = "\n".join(summary.discovery.skipped)
    assert "lee_66_2_lab05.zip:.OTTER_LOG: hidden file ignored (never loaded)" in skipped
    assert "submission_metadata.yml: not a notebook" in skipped
    assert "class_submissions.zip:README.txt: not a notebook" in skipped
    assert "duplicate: " in summary.describe() and "skipped: " in summary.describe()
    assert not canary.exists() and not list(out.rglob(".OTTER_LOG"))

    # Each distinct notebook graded on its own, in a batch of one kind: the same scores.
    alone = grade_batch([FIXTURES / f"{n}.ipynb" for n in (REFERENCE, ONLY_MSE, NO_ZERO_GRAD)],
                        tmp_path / "alone", short_config, workers=2, progress=False)
    single = {r.submission_id: r for r in alone.results}
    assert all(r.status.value == "graded" for r in single.values())
    content = {"ada": REFERENCE, "ada_again": REFERENCE, "lee_66": REFERENCE, "smith_123": NO_ZERO_GRAD,
               "smith_123-2": ONLY_MSE, "jones_55": NO_ZERO_GRAD, "submission_12345": ONLY_MSE}
    for sid, name in content.items():
        assert by_id[sid].score == single[name].score, sid
        assert per_test(by_id[sid]) == per_test(single[name]), sid
        row = next(row for row in rows if row["submission_id"] == sid)
        assert float(row["total"]) == single[name].score
    assert single[REFERENCE].score == single[REFERENCE].max_score > single[NO_ZERO_GRAD].score
    assert single[NO_ZERO_GRAD].score > single[ONLY_MSE].score  # smith's two files scored apart
