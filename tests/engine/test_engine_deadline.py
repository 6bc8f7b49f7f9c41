"""Through the real engine: a submission that runs out of its total time during the checks
is `timeout` (not `graded` with zeros), and what a worker says about a student's exception
reaches feedback short and clean."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.config import GradingConfig
from autograder.grader import Grader
from autograder.lab import Lab
from autograder.score.results import Status
from autograder.selftest.source import reference_source

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
BUDGET_S = 8.0

SLOW = '''
import functools as _functools
import time as _time

def _slow(function):
    @_functools.wraps(function)
    def slow(*args, **kwargs):
        _time.sleep(0.3)
        return function(*args, **kwargs)
    return slow

for _name in ("mse_loss", "mae_loss", "huber_loss", "softmax", "log_softmax", "cross_entropy",
              "binary_cross_entropy", "binary_cross_entropy_with_logits", "accuracy",
              "confusion_matrix", "precision_recall_f1", "macro_f1"):
    globals()[_name] = _slow(globals()[_name])
'''

HUGE_TYPE_NAME = '''
def mse_loss(pred, target, reduction="mean"):
    raise type("Secret" + "x" * 200_000, (Exception,), {})("\\x1b[2J\\x07" + "y" * 200_000)
'''


@pytest.fixture(scope="module")
def tight_grader(zygote) -> Iterator[Grader]:
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text())
    raw["limits"].update(cell_timeout_s=4, call_timeout_s=4, submission_timeout_s=BUDGET_S)
    text = yaml.safe_dump(raw, sort_keys=False)
    with Grader(GradingConfig.model_validate(raw), text, zygote.connect(), LAB) as grader:
        yield grader


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, path)
    return path


def test_running_out_of_time_during_the_checks_is_timeout(tight_grader, tmp_path) -> None:
    path = _notebook(tmp_path / "slow.ipynb", reference_source() + "\n" + SLOW)
    started = time.monotonic()
    result = tight_grader.grade(path, "slow")
    elapsed = time.monotonic() - started
    assert result.status is Status.TIMEOUT, (result.status, result.reason)
    assert "total time limit" in result.reason
    # every configured check keeps its row; those cut short say why
    assert len(result.tests) == len(tight_grader.config.tests)
    assert any("total time limit" in t.output for t in result.tests if not t.passed)
    assert elapsed < BUDGET_S + 60  # generous: the budget, not the checks' total, bounds it


def test_a_huge_exception_type_name_stays_out_of_feedback(tight_grader, tmp_path) -> None:
    path = _notebook(tmp_path / "huge.ipynb", HUGE_TYPE_NAME)
    result = tight_grader.grade(path, "huge")
    outputs = [t.output for t in result.tests if t.name.startswith("mse_loss")]
    assert outputs and all(len(o) < 1000 for o in outputs), [len(o) for o in outputs]
    # the type's name never (the student's own line may be quoted: it is their code)
    assert not any("Secretx" in o or "\x1b" in o or "\x07" in o for o in outputs), outputs
    assert any("unusual type name" in o for o in outputs), outputs
