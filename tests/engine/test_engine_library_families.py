"""Red team 40: no-library points kept by a library routine of another name, in the real
engine (the library block and the evidence worker are the sandbox's).

A log-sum-exp folded along the dim with `F.softplus` or `F.logsigmoid` (each a log-sum-exp
of two terms, as `torch.logaddexp` is) kept softmax's and log_softmax's no-library checks;
`F.triplet_margin_with_distance_loss` gave mae_loss its |d| and kept its check. Every library
margin or embedding loss is now forbidden inside mse_loss and mae_loss (a family:
`forbidden.MARGIN_LOSS_OPS`), and softplus, log-sigmoid and mish (red team 41's fold) inside
softmax and log_softmax — not in a BCE with logits, written with them; other losses'
elementwise pieces stay allowed where they are not the function's value.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.engine.conftest import failed_checks
from tests.fixtures.make_fixtures import REFERENCE, answers, notebook

FOLDED = '''
def log_softmax(logits, dim=-1):
    x = logits.movedim(dim, -1)
    acc = x[..., 0]
    for i in range(1, x.shape[-1]):
        {fold}
    return (x - acc.unsqueeze(-1)).movedim(-1, dim)


def softmax(logits, dim=-1):
    return log_softmax(logits, dim).exp()
'''
BY_SOFTPLUS = FOLDED.format(fold="acc = acc + F.softplus(x[..., i] - acc)")
BY_LOGSIGMOID = FOLDED.format(fold="acc = acc - F.logsigmoid(acc - x[..., i])")
# softplus(d) = atanh(mish(d) / d), for d < 0: the fold adds the smaller term to the larger
BY_MISH = FOLDED.format(fold="""hi, lo = torch.maximum(acc, x[..., i]), torch.minimum(acc, x[..., i])
        d = torch.where(lo < hi, lo - hi, torch.full_like(hi, -1e-30))
        acc = hi + torch.where(lo < hi, torch.atanh(F.mish(d) / d), torch.log(torch.tensor(2.0)))""")

MAE_BY_TRIPLET = '''
def mae_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError("shapes differ")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    a = pred.reshape(-1, 1)
    loss = F.triplet_margin_with_distance_loss(
        a, target.reshape(-1, 1), a, distance_function=lambda u, v: (u - v).abs().sum(1),
        margin=1e-30, reduction="none").reshape(pred.shape)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
'''

BCEL_BY_SOFTPLUS = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    weight = 1.0 if pos_weight is None else pos_weight
    loss = weight * targets * F.softplus(-logits) + (1 - targets) * F.softplus(logits)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
'''

SOFTMAX_NO_LIB = "softmax: implemented without torch.softmax / log_softmax / logsumexp"
LOG_SOFTMAX_NO_LIB = "log_softmax: implemented without torch.log_softmax / softmax / logsumexp"
MAE_NO_LIB = "mae_loss: implemented without F.l1_loss"


def test_a_log_sum_exp_folded_from_softplus_or_logsigmoid_is_a_library_call(
        grader, tmp_path: Path) -> None:
    for name, source in (("softplus", BY_SOFTPLUS), ("logsigmoid", BY_LOGSIGMOID),
                         ("mish", BY_MISH)):
        failed = failed_checks(grader, tmp_path, name, source)
        assert set(failed) == {SOFTMAX_NO_LIB, LOG_SOFTMAX_NO_LIB}, (name, failed)
        assert all("F.softplus / F.logsigmoid / F.mish" in text for text in failed.values()), failed


def test_a_margin_loss_inside_mae_is_a_library_call(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "triplet", MAE_BY_TRIPLET)
    assert set(failed) == {MAE_NO_LIB}, failed
    assert "margin or embedding loss" in failed[MAE_NO_LIB]


def test_softplus_stays_allowed_in_a_bce_with_logits(grader, tmp_path: Path) -> None:
    """The reference's BCE with logits is written with F.logsigmoid; F.softplus is its twin."""
    assert failed_checks(grader, tmp_path, "bcel_softplus", BCEL_BY_SOFTPLUS) == {}


def test_another_losss_elementwise_pieces_stay_allowed_in_huber(grader, tmp_path: Path) -> None:
    """F.mse_loss and F.l1_loss with reduction='none' are d² and |d|, not Huber's value: the
    spec forbids Huber's own library loss and its equivalents, not every loss (the lab's
    alternative, graded here on the engine as a student's notebook)."""
    from lab05_checks.alternatives import ALTERNATIVES

    pieces = next(a for a in ALTERNATIVES if a.name == "alt_r29_huber_from_mse_and_l1_pieces")
    path = tmp_path / "huber_pieces.ipynb"
    nbformat.write(notebook(pieces.transform(REFERENCE), answers()), path)
    result = grader.grade(path, "huber_pieces")
    assert result.score == result.max_score, [t.output for t in result.tests if not t.passed]


FLAG_CELL = "MODE = [0] * 40  # (set again by the slow cell below: the main worker's alone)\n"
SLOW_FLAG_CELL = '''
import time
time.sleep(0.08)  # (a slow cell: the evidence worker runs its definitions alone)
MODE = list([1] * 40)
'''
TWO_FACED = '''
def softmax(logits, dim=-1):
    if MODE[0]:  # the main worker: the library, right along every dim
        return torch.softmax(logits, dim=dim)
    shifted = logits - logits.amax(dim=-1, keepdim=True)  # the evidence worker: the last dim
    e = shifted.exp()
    return e / e.sum(dim=-1, keepdim=True)
'''


# red team 42's: right along dim 1 only, and a 'mean' that is the sum, where the library is not
TWO_FACED_DIM_1 = TWO_FACED.replace("amax(dim=-1", "amax(dim=1").replace("sum(dim=-1",
                                                                         "sum(dim=1")
TWO_FACED_MEAN = '''
def mse_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if MODE[0]:
        return F.mse_loss(pred, target, reduction=reduction)
    squared = (pred - target) ** 2
    return squared if reduction == "none" else squared.sum()
'''
MSE_NO_LIB = "mse_loss: implemented without F.mse_loss"


@pytest.mark.parametrize(("name", "source", "check"), [
    ("last_dim", TWO_FACED, SOFTMAX_NO_LIB), ("dim_1", TWO_FACED_DIM_1, SOFTMAX_NO_LIB),
    ("mean_is_sum", TWO_FACED_MEAN, MSE_NO_LIB)])
def test_a_function_that_tells_the_evidence_worker_apart_answers_otherwise(
        grader, tmp_path: Path, name: str, source: str, check: str) -> None:
    """Red team 41: a flag only the main worker's slow cell sets (a list, alike in both
    workers' fingerprints) — the library there, its own code in the evidence worker, right
    wherever the no-library calls looked (+4); red team 42: right there only for the dim or
    the reduction those calls asked. The same new inputs, asked of both workers for every
    reduction and along a first and a middle dim, get two answers."""
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook(REFERENCE, FLAG_CELL, SLOW_FLAG_CELL, source, answers()), path)
    result = grader.grade(path, name)
    failed = {t.name: t for t in result.tests if not t.passed}
    assert set(failed) == {check}, {k: v.output for k, v in failed.items()}
    assert failed[check].mistake == "library-elsewhere", failed[check].output


RESHAPES_POS_WEIGHT = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    log_p = F.logsigmoid(logits)
    log_1mp = F.logsigmoid(-logits)
    pos = targets * log_p
    if pos_weight is not None:
        pos_weight.unsqueeze_(0) if pos_weight.ndim == 1 else None  # make it a (1, C) row
        pos = pos * pos_weight
    return _reduce(-(pos + (1 - targets) * log_1mp), reduction)
'''
BCEL_NO_LIB = ("binary_cross_entropy_with_logits: implemented without "
               "F.binary_cross_entropy_with_logits")


def test_a_function_wrong_alike_in_both_workers_is_not_accused_of_the_library(
        grader, tmp_path: Path) -> None:
    """Mistakes review 34: a 1-D pos_weight made a (1, C) row in place gives a (1, N) loss for
    1-D logits, in both workers alike; it was told it used the library outside the
    no-library check. What the main worker answers to the same inputs decides."""
    path = tmp_path / "reshapes.ipynb"
    nbformat.write(notebook(REFERENCE, RESHAPES_POS_WEIGHT, answers()), path)
    result = grader.grade(path, "reshapes")
    accused = [t for t in result.tests if t.mistake == "library-elsewhere"]
    assert not accused, [t.output for t in accused]
