"""Red team 101's functions right only where the grader looked (Parts A and B), held
in-process on the reference with one function rewritten (see test_helper_blame)."""

from __future__ import annotations

import pytest
from lab05_checks import test_gpu_inputs as gpu
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import edited, failed, namespace, reference_source, verdicts

SOFTMAX_SHIFT = "    shifted = logits - logits.amax(dim=dim, keepdim=True)\n"


@pytest.mark.parametrize("shift", [
    # (no max shift for 1-D logits)
    "    shifted = logits if logits.dim() == 1 else logits - logits.amax(dim=dim, "
    "keepdim=True)\n",
    # (one global shift for 3-D logits and more)
    "    shifted = logits - (logits.max() if logits.dim() >= 3 else logits.amax(dim=dim, "
    "keepdim=True))\n",
])
def test_a_softmax_unstable_in_another_rank_loses_its_edge_check(shift: str) -> None:
    found = verdicts(namespace(edited("softmax", SOFTMAX_SHIFT, shift)), "softmax")
    assert set(failed(found)) == {part_b.SOFTMAX_EXTREME}, set(failed(found))


BCEL_WEIGHTED_KINK = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    if pos_weight is None:
        return _reduce((1 - targets) * logits - F.logsigmoid(logits), reduction)
    soft = torch.log1p(torch.exp(-logits.abs())) + torch.clamp(-logits, min=0)
    return _reduce((1 - targets) * logits + (1 + (pos_weight - 1) * targets) * soft, reduction)
'''


def test_a_one_sided_gradient_given_a_pos_weight_is_charged() -> None:
    found = verdicts(namespace(BCEL_WEIGHTED_KINK), part_b.BCEL)
    assert set(failed(found)) == {part_b.BCEL_GRAD}, set(failed(found))
    assert failed(found)[part_b.BCEL_GRAD].mistake == "one-sided-gradient-at-zero"
    assert "pos_weight" in failed(found)[part_b.BCEL_GRAD].message


def test_a_shape_check_of_the_outer_sizes_only_is_charged() -> None:
    """(2, 1, 4) against (2, 3, 4) broadcast silently past a check of the rank, the first
    and the last size."""
    found = verdicts(namespace(edited(
        "_check_same_shape", "    if pred.shape != target.shape:",
        "    if pred.dim() != target.dim() or pred.shape[0] != target.shape[0] or "
        "pred.shape[-1] != target.shape[-1]:"), reference_source("mse_loss")), "mse_loss")
    assert set(failed(found)) == {part_a.MSE_ERRORS}, set(failed(found))


def test_a_softmax_unstable_on_gpu_inputs_alone_loses_its_gpu_check() -> None:
    """The max shift dropped for CUDA inputs: every GPU call was ordinary (+2 kept)."""
    found = verdicts(namespace(edited(
        "softmax", SOFTMAX_SHIFT, "    shifted = logits if logits.is_cuda else logits - "
        "logits.amax(dim=dim, keepdim=True)\n")), "softmax")
    assert set(failed(found)) == {f"softmax: {gpu.ON_GPU}"}, set(failed(found))


@pytest.mark.parametrize(("function", "source", "mistake_in"), [
    # (log(softmax) under no_grad alone: right on every ordinary call, inf at ±1e4)
    ("cross_entropy", edited(
        "cross_entropy", "    log_probs = log_softmax(logits, dim=1)",
        "    log_probs = (log_softmax(logits, dim=1) if torch.is_grad_enabled() else "
        "torch.log(softmax(logits, dim=1)))"), "other values"),
    # (its input edited in place under no_grad alone)
    ("softmax", '''
def softmax(logits, dim=-1):
    if not torch.is_grad_enabled():
        logits.sub_(logits.amax(dim=dim, keepdim=True)).exp_()
        return logits.div_(logits.sum(dim=dim, keepdim=True))
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)
''', "in place"),
])
def test_a_function_otherwise_without_gradients_is_charged(function: str, source: str,
                                                          mistake_in: str) -> None:
    found = verdicts(namespace(source), function)
    values = part_b.VALUES_CHECK[function]
    assert set(failed(found)) == {values}, set(failed(found))
    assert failed(found)[values].mistake == "differs-without-gradients"
    assert mistake_in in failed(found)[values].message


def test_a_pos_weight_ignored_is_charged_once() -> None:
    """The new probe at 0 with a pos_weight charged the gradient check again for a pos_weight
    the values ignore (fresh eyes 71's g05): the pos_weight check's mistake alone."""
    found = verdicts(namespace('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    return _reduce((1 - targets) * logits - F.logsigmoid(logits), reduction)
'''), part_b.BCEL)
    assert set(failed(found)) == {part_b.BCEL_POS_WEIGHT}, set(failed(found))


def test_a_cross_entropy_of_the_raw_logit_keeps_no_edge_or_raw_logits_check() -> None:
    """Red team 102: the target's raw logit (no normalisation), a formula the values check
    names, kept ten of twelve points through the "work done" gates — its ±1e4 check judged a
    formula with no exp or log."""
    found = verdicts(namespace(edited(
        "cross_entropy", "    log_probs = log_softmax(logits, dim=1)", "    log_probs = logits")),
        "cross_entropy")
    assert {part_b.CE_EXTREME, part_b.CE_RAW} <= set(failed(found)), set(failed(found))
