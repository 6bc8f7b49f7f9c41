"""The no-library calls' evidence workers (`StudentSession.evidence`) on correct work: a
function that may call a library routine another graded function may not still has its
no-library check passed (fresh eyes 24: cross_entropy on F.log_softmax lost it)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.fixtures.make_fixtures import REFERENCE, answers, notebook

OWN_LOG_SOFTMAX = "    log_probs = log_softmax(logits, dim=1)\n"
SQUARED = "    return _reduce((pred - target) ** 2, reduction)\n"


def _at_full_marks(grader, tmp_path: Path, name: str, *cells: str) -> None:
    """The notebook of these cells (and the answers) graded: every check passed."""
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook(*cells, answers()), path)
    result = grader.grade(path, name)
    failed = {t.name: t.output for t in result.tests if not t.passed}
    assert not failed and result.score == result.max_score, failed
OWN_LOG_SIGMOID = "    neg_log_sigmoid = -F.logsigmoid(logits)\n"


@pytest.mark.parametrize(("name", "old", "new"), [
    ("ce_on_F_log_softmax", OWN_LOG_SOFTMAX,
     "    log_probs = F.log_softmax(logits, dim=1)\n"),
    ("ce_on_torch_logsumexp", OWN_LOG_SOFTMAX,
     "    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)\n"),
    ("bce_with_logits_on_logaddexp", OWN_LOG_SIGMOID,
     "    neg_log_sigmoid = torch.logaddexp(torch.zeros_like(logits), -logits)\n"),
])
def test_a_library_routine_the_function_may_call_keeps_its_no_library_check(
        grader, tmp_path: Path, name: str, old: str, new: str) -> None:
    """The evidence worker blocks every routine any graded function may not call; a call
    that reaches one its own function may call is made again where only its own set is
    blocked (torch.log_softmax and torch.logsumexp are forbidden in softmax and log_softmax,
    not in cross_entropy; torch.logaddexp in softmax, not in a BCE)."""
    assert old in REFERENCE
    _at_full_marks(grader, tmp_path, name, REFERENCE.replace(old, new))


SLOW_CELL_WITH_A_HELPER = '''
import time
time.sleep(0.1)  # (an experiment's training run, say)
squared = lambda d: d * d  # a helper bound by an assignment, not a def
'''


def test_a_helper_from_a_slow_cells_other_statements_is_found(grader, tmp_path: Path) -> None:
    """In the evidence worker a slow cell runs its definitions alone (an experiment's
    training run is not made twice); a function that needs a name the rest of such a cell
    binds is asked again in an evidence worker whose cells all ran in full."""
    assert SQUARED in REFERENCE
    source = REFERENCE.replace(SQUARED, "    return _reduce(squared(pred - target), reduction)\n")
    _at_full_marks(grader, tmp_path, "helper_in_a_slow_cell", SLOW_CELL_WITH_A_HELPER, source)


SLOW_CELL_THAT_FILLS_A_TABLE = '''
import time
time.sleep(0.1)
TERMS = {}
TERMS["square"] = lambda d: d * d  # (a statement no definition: run only in full)
'''


def test_any_error_of_a_function_in_a_cell_run_for_its_definitions_is_asked_again(
        grader, tmp_path: Path) -> None:
    """Not only a missing name: a table the slow cell fills by other statements is there,
    empty (a KeyError); the call is asked again where every cell ran in full."""
    source = REFERENCE.replace(SQUARED,
                               "    return _reduce(TERMS['square'](pred - target), reduction)\n")
    _at_full_marks(grader, tmp_path, "table_in_a_slow_cell", SLOW_CELL_THAT_FILLS_A_TABLE, source)


SLOW_CELL_THAT_SETS_A_CONSTANT = '''
import time
SCALE = 0.0
def _setup():
    global SCALE
    SCALE = 1.0
_setup()  # (a call: not run where the cell runs for its definitions alone)
time.sleep(0.1)
'''


def test_a_constant_a_slow_cell_changes_by_a_call_is_read_as_the_main_run_left_it(
        grader, tmp_path: Path) -> None:
    """Fresh eyes 25: a constant a slow cell sets by a call (or any statement its
    definitions-only run leaves out) gave the evidence worker another value and no error:
    the no-library check failed a correct function. The bindings the function reads are
    compared with the main worker's, and the call is made where every cell ran in full."""
    source = REFERENCE.replace(SQUARED,
                               "    return _reduce(SCALE * (pred - target) ** 2, reduction)\n")
    _at_full_marks(grader, tmp_path, "constant_set_by_a_call", SLOW_CELL_THAT_SETS_A_CONSTANT,
                   source)


def test_an_alias_in_a_slow_cell_is_the_function_graded(grader, tmp_path: Path) -> None:
    """Fresh eyes 25: a draft on the library, then a correct function of another name and an
    alias to it in a slow cell: the evidence worker graded the draft (the alias left out)."""
    draft = '''
import time
def mse_loss(pred, target, reduction="mean"):
    return F.mse_loss(pred, target, reduction=reduction)
def my_mse(pred, target, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    return _reduce((pred - target) ** 2, reduction)
time.sleep(0.1)
mse_loss = my_mse
'''
    _at_full_marks(grader, tmp_path, "alias_in_a_slow_cell", REFERENCE, draft)
