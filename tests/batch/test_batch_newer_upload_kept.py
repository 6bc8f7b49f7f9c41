"""A row graded from a newer upload of the LMS's (a higher Canvas file id) is kept when a
later run is given an older upload of the same student (`batch.run._newer_attempt`): an
instructor's review graded a student's fixed notebook, named as Canvas names its files, then
ran the night's download again, and the older, broken file took the row back (invalid, 0),
said by one `replaced:` line among many."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.batch.run import grade_batch
from autograder.lab import Lab
from autograder.score.results import Status

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"


@pytest.mark.slow
def test_an_older_upload_given_again_leaves_the_newer_rows_grade(tmp_path: Path,
                                                                 short_config: Path) -> None:
    lab, out = Lab.load(ROOT), tmp_path / "out"
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    shutil.copy(FIXTURES / "reference_code.ipynb", fixed / "ivanovaelena_1009_5109_lab05.ipynb")
    first = grade_batch([fixed], out, short_config, workers=1, progress=False, lab=lab)
    assert [(r.submission_id, r.status) for r in first.results] == [("ivanovaelena_1009",
                                                                      Status.GRADED)]
    download = tmp_path / "download"
    download.mkdir()
    (download / "ivanovaelena_1009_5009_lab05.ipynb").write_bytes(b"")  # the broken upload
    (download / "leejun_1010_5010_lab05.ipynb").write_bytes(b"")
    again = grade_batch([download], out, short_config, workers=1, progress=False, lab=lab)
    rows = {r.submission_id: r for r in again.results}
    kept = rows["ivanovaelena_1009"]
    assert kept.status is Status.GRADED and kept.score == kept.max_score
    assert kept.trace.attempt == 5109 and rows["leejun_1010"].status is Status.INVALID
    said = again.describe()
    assert "ivanovaelena_1009_5009_lab05.ipynb: an older upload (the LMS's file 5009)" in said
    assert "the row is kept" in said
    gradebook = (out / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines()
    row = next(line for line in gradebook if line.startswith("ivanovaelena_1009,"))
    assert row.split(",")[1] == "graded" and row.split(",")[3] == row.split(",")[4]  # full
