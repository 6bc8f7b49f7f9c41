"""While the zygote starts, the batch's own process reads the notebooks to grade
(`run._prepare`); a judge then grades what was read exactly as it grades a path."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.batch import run
from autograder.batch.discover import Found
from autograder.config import load_config
from autograder.load.notebook import read_submission

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"


def _found(tmp_path: Path) -> list[Found]:
    good = tmp_path / "ana.ipynb"
    shutil.copy(FIXTURES / "reference_code.ipynb", good)
    broken = tmp_path / "ben.ipynb"
    broken.write_text("{ not json")
    later = tmp_path / "cleo.ipynb"
    shutil.copy(FIXTURES / "reference_code.ipynb", later)
    return [Found("ana", good), Found("ben", broken), Found("cleo", later)]


def test_notebooks_are_read_in_order_and_one_that_cannot_be_is_left_to_its_judge(
        tmp_path: Path) -> None:
    config = load_config(ROOT / "grading_config.yaml")
    todo = _found(tmp_path)
    run._prepare(todo, config, ready=lambda: False)
    assert list(run._PREPARED) == ["ana", "cleo"]  # ben's judge reads it and says why
    assert run._PREPARED["ana"] == read_submission(todo[0].path, "ana",
                                                   config.limits.max_notebook_mb)
    run._PREPARED.clear()


def test_reading_stops_as_soon_as_the_zygote_is_ready(tmp_path: Path) -> None:
    config = load_config(ROOT / "grading_config.yaml")
    answers = iter([False, True])
    run._prepare(_found(tmp_path), config, ready=lambda: next(answers))
    assert list(run._PREPARED) == ["ana"]  # the judges read the others themselves
    run._PREPARED.clear()


def test_a_notebook_changed_since_it_was_read_is_graded_as_it_is_now(tmp_path: Path) -> None:
    from autograder.grader import Grader
    from autograder.score.results import Status

    config = load_config(ROOT / "grading_config.yaml")
    grader = Grader(config, (ROOT / "grading_config.yaml").read_text(), connection=None)  # type: ignore[arg-type]
    path = _found(tmp_path)[0].path
    read = read_submission(path, "ana", config.limits.max_notebook_mb)
    path.write_text("{ not json")  # replaced after the batch read it
    result = grader.grade(path, "ana", read)
    assert result.status is Status.INVALID and "not a notebook" in result.reason
    assert result.source_sha256 != read.sha256  # the bytes graded, not the ones read before
