"""While the zygote starts, the batch's own process reads the notebooks to grade
(`run._prepare`); a judge then grades what was read exactly as it grades a path."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.batch import run
from autograder.batch.discover import Found
from autograder.config import load_config
from autograder.load.notebook import InvalidNotebook, Submission, read_submission

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


def test_notebooks_are_read_in_order_and_an_invalid_one_keeps_its_reason(tmp_path: Path) -> None:
    config = load_config(ROOT / "grading_config.yaml")
    todo = _found(tmp_path)
    run._prepare(todo, config, ready=lambda: False)
    assert list(run._PREPARED) == ["ana", "ben", "cleo"]
    ana = run._PREPARED["ana"]
    assert isinstance(ana, Submission)
    assert ana == read_submission(todo[0].path, "ana", config.limits.max_notebook_mb)
    assert isinstance(run._PREPARED["ben"], InvalidNotebook)
    assert "not a notebook" in str(run._PREPARED["ben"])


def test_reading_stops_as_soon_as_the_zygote_is_ready(tmp_path: Path) -> None:
    config = load_config(ROOT / "grading_config.yaml")
    answers = iter([False, True])
    run._prepare(_found(tmp_path), config, ready=lambda: next(answers))
    assert list(run._PREPARED) == ["ana"]  # the judges read the others themselves
    run._PREPARED.clear()


def test_a_judge_grades_what_was_read_as_it_grades_the_path(tmp_path: Path) -> None:
    """An upload read as invalid ends as the same row as when the judge reads it."""
    from autograder.grader import Grader
    from autograder.score.results import Status

    config = load_config(ROOT / "grading_config.yaml")
    grader = Grader(config, (ROOT / "grading_config.yaml").read_text(), connection=None)  # type: ignore[arg-type]
    broken = tmp_path / "ben.ipynb"
    broken.write_text("{ not json")
    try:
        read_submission(broken, "ben", config.limits.max_notebook_mb)
    except InvalidNotebook as exc:
        read = exc
    from_path = grader.grade(broken, "ben")
    from_read = grader.grade(broken, "ben", read)
    assert from_path.status is from_read.status is Status.INVALID
    assert from_path.reason == from_read.reason and "not a notebook" in from_read.reason
