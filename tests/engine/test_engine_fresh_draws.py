"""A notebook graded again draws the very same fresh inputs (`autograder.check.fresh`), in
any judge; a notebook one byte apart draws others.

The no-library and edge checks' inputs came from the operating system: a function right on
most inputs and wrong on a few got other points at each regrade of the same file, in each
resumed batch, and for each of two students handing in the same notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from autograder.check import fresh, runner
from autograder.config import GradingConfig
from autograder.grader import Grader
from tests.engine.conftest import FIXTURES, LAB, fast_config_text


class _Recorded(fresh._Draws):
    """The draws, as (the check's stream, the draw's place) pairs: they fix every seed."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn: list[tuple[bytes, int]] = []

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name == "count" and value:
            self.drawn.append((self.stream, self.count))


def _draws(grader: Grader, path: Path, name: str, monkeypatch: pytest.MonkeyPatch,
           ) -> tuple[list[tuple[bytes, int]], list[tuple[str, bool, str]]]:
    recorded = _Recorded()
    monkeypatch.setattr(fresh, "_DRAWS", recorded)
    result = grader.grade(path, name)
    return recorded.drawn, [(t.name, t.passed, t.output) for t in result.tests]


def test_a_notebook_graded_again_draws_the_same_inputs_in_any_judge(
        grader: Grader, zygote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = FIXTURES / "reference_code.ipynb"
    first, verdicts = _draws(grader, path, "a", monkeypatch)
    assert len({stream for stream, _ in first}) >= 5  # (several checks draw afresh)
    again, verdicts_again = _draws(grader, path, "b", monkeypatch)
    assert again == first and verdicts_again == verdicts
    text = fast_config_text()
    with Grader(GradingConfig.model_validate(yaml.safe_load(text)), text, zygote.connect(),
                LAB) as other_judge:
        assert _draws(other_judge, path, "c", monkeypatch)[0] == first
        other_judge._runner = runner.SuiteRunner(LAB.checks)  # (pytest's fixtures seed too)
        assert _draws(other_judge, path, "c", monkeypatch)[0] == first

    notebook = json.loads(path.read_text())
    code = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    code["source"] = "# one more comment\n" + "".join(code["source"])
    edited = tmp_path / "edited.ipynb"
    edited.write_text(json.dumps(notebook))
    other, _ = _draws(grader, edited, "d", monkeypatch)
    assert other and not {stream for stream, _ in other} & {stream for stream, _ in first}
