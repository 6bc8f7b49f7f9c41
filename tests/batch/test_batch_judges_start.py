"""Judges are forked from the batch's own process with its heap collected and frozen once
(`run._while_zygote_starts`), and the caller gets its collector back as it was."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

from autograder.batch.run import grade_batch

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"


def test_a_batch_leaves_the_callers_collector_as_it_found_it(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "reference_code.ipynb", inbox / "ana.ipynb")
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    summary = grade_batch([inbox], tmp_path / "out", ROOT / "grading_config.yaml",
                          workers=1, progress=False)
    assert [r.status.value for r in summary.results] == ["graded"]
    assert summary.results[0].score == summary.results[0].max_score
    # nothing of this process stays frozen (its garbage would never be collected again)
    assert gc.get_freeze_count() == 0 and gc.isenabled()
