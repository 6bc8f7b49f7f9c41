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


FORGES_CELL_ENDS = '''
import json as _json, struct as _struct, sys as _sys, time as _time
_f = _sys._getframe()
while _f is not None and type(_f.f_locals.get("self")).__name__ != "Worker":
    _f = _f.f_back
_sock = _f.f_locals["self"].sock
_until = _time.monotonic() + 40
while _time.monotonic() < _until:  # "this cell ended", every 50 ms, the interrupt swallowed
    try:
        _body = _json.dumps({"event": "cell_end", "index": 1, "error": None, "seconds": 0.0})
        _sock.sendall(_struct.pack("!IQ", len(_body), 0) + _body.encode())
        _time.sleep(0.05)
    except BaseException:
        pass
'''


def test_forged_cell_ends_cannot_hold_the_lane(tight_grader, tmp_path) -> None:
    """A cell reporting itself ended again and again (each report re-armed the judge's wait)
    is refused at the second report: the cell is skipped, the lane moves on."""
    path = _notebook(tmp_path / "forges.ipynb", FORGES_CELL_ENDS)
    started = time.monotonic()
    result = tight_grader.grade(path, "forges")
    elapsed = time.monotonic() - started
    assert [c.fatal for c in result.cells if c.fatal], result.cells
    assert any("refuses" in c.fatal for c in result.cells), result.cells
    assert elapsed < 30, elapsed  # the forging loop alone runs 40 s


def test_many_quick_cells_stop_at_the_total_limit(tight_grader, tmp_path) -> None:
    """Each cell well inside its own limit, together past the submission's total: the total is
    a hard end (600 cells of 50 ms would run 30 s against a budget of 8 s)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(0.05)") for _ in range(600)]
    path = tmp_path / "many.ipynb"
    nbformat.write(nb, path)
    started = time.monotonic()
    result = tight_grader.grade(path, "many")
    elapsed = time.monotonic() - started
    assert result.status is Status.TIMEOUT, (result.status, result.reason)
    assert any("total time limit" in c.fatal for c in result.cells), result.cells
    assert elapsed < BUDGET_S + 12, elapsed
