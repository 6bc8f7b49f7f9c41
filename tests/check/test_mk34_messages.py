"""Mistakes review 34: mistakes charged more than once, or missed.

Each test is one of the review's notebooks' mistakes, judged in-process on the reference
with that one change: a loss right for one kind of target only loses its values check and
keeps its gradient and error checks (judged where it is right); an eps in softmax's sum is
named, once; a pos_weight changed in place is caught; a concept answer written "(d)" is 'd'.
"""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import excused, failed, namespace, verdicts

BCE_HARD_TARGETS_ONLY = '''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    p_true = torch.where(targets > 0.5, probs, 1 - probs)
    safe = torch.where(p_true > 0, p_true, torch.ones_like(p_true))
    logp = torch.where(p_true > 0, torch.log(safe), torch.full_like(p_true, -100.0))
    return _reduce(-logp.clamp(min=-100), reduction)
'''

BCEL_ONE_SIGN = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    w = 1.0 if pos_weight is None else pos_weight
    ls = F.logsigmoid(logits)
    return _reduce(-w * targets * ls + (1 - targets) * (logits + ls), reduction)
'''

BCEL_HARD_TARGETS_ONLY = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    w = 1.0 if pos_weight is None else pos_weight
    pos = -w * F.logsigmoid(logits)
    neg = -F.logsigmoid(-logits)
    return _reduce(torch.where(targets > 0.5, pos, neg), reduction)
'''


@pytest.mark.parametrize(("source", "function", "values"), [
    (BCE_HARD_TARGETS_ONLY, "binary_cross_entropy", part_b.BCE_VALUES),
    (BCEL_HARD_TARGETS_ONLY, part_b.BCEL, part_b.BCEL_VALUES),
    (BCEL_ONE_SIGN, part_b.BCEL, part_b.BCEL_VALUES),
])
def test_a_loss_right_for_one_kind_of_target_is_charged_once(source: str, function: str,
                                                            values: str) -> None:
    """Right on hard labels (or on y = 1) and wrong elsewhere: the values check charges it;
    the gradient check is judged on the hard labels of its input, the error and no-library
    checks on the elements where the loss is right."""
    found = verdicts(namespace(source), function)
    assert set(failed(found)) == {values}, {k: v.message for k, v in failed(found).items()}
    held = excused(found)
    assert held.get(f"{function}: backward gives the reference gradients (float64, gradcheck)"
                    ) == values, held


LOG_SOFTMAX_EPS_IN_SUM = '''
def log_softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - torch.log(shifted.exp().sum(dim=dim, keepdim=True) + {eps})
'''

SOFTMAX_EPS_IN_SUM = '''
def softmax(logits, dim=-1):
    e = (logits - logits.amax(dim=dim, keepdim=True)).exp()
    return e / (e.sum(dim=dim, keepdim=True) + {eps})
'''


LOG_SOFTMAX = (LOG_SOFTMAX_EPS_IN_SUM, "log_softmax", part_b.LOG_SOFTMAX_VALUES,
               part_b.LOG_SOFTMAX_EXTREME)
SOFTMAX = (SOFTMAX_EPS_IN_SUM, "softmax", part_b.SOFTMAX_VALUES, part_b.SOFTMAX_EXTREME)


# (an eps the values check's tolerance sees: softmax's values are off by a fraction eps / sum
# of themselves, below float64's rtol of 1e-7 for a smaller eps)
@pytest.mark.parametrize(("eps", "source", "function", "values", "extreme"), [
    *((eps, *LOG_SOFTMAX) for eps in ("1e-8", "1e-7", "1e-6")),
    *((eps, *SOFTMAX) for eps in ("1e-6", "1e-5"))])
def test_an_eps_in_the_sum_of_exponentials_is_named_and_charged_once(
        eps: str, source: str, function: str, values: str, extreme: str) -> None:
    """Named by the values check; the ±1e4 check (as inexact there as on ordinary logits) and
    the gradient check (the eps model's gradient) are not assessed separately."""
    found = verdicts(namespace(source.format(eps=eps)), function)
    wrong = failed(found)
    assert set(wrong) == {values}, {k: v.message for k, v in wrong.items()}
    assert wrong[values].mistake == "eps-in-the-sum", wrong[values].message
    assert excused(found).get(extreme) == values


POS_WEIGHT_EDITED = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    if pos_weight is None:
        w = 1.0
    else:
        {edit}
        w = 1 + pos_weight * targets
    return _reduce((1 - targets) * logits - w * F.logsigmoid(logits), reduction)
'''


@pytest.mark.parametrize("edit", ["pos_weight -= 1", "pos_weight.sub_(1)"])
def test_a_pos_weight_changed_in_place_fails_the_pos_weight_check(edit: str) -> None:
    """The spec: a function must not modify its inputs — pos_weight is one (the values are
    right: only the caller's tensor shows it)."""
    found = failed(verdicts(namespace(POS_WEIGHT_EDITED.format(edit=edit)), part_b.BCEL))
    assert set(found) == {part_b.BCEL_POS_WEIGHT}, {k: v.message for k, v in found.items()}
    assert found[part_b.BCEL_POS_WEIGHT].mistake == "in-place"
    assert "pos_weight in place" in found[part_b.BCEL_POS_WEIGHT].message


@pytest.mark.parametrize(("answer", "read"), [
    ("(d)", "d"), (" D ", "d"), ("d.", "d"), ("( b )", "b"), ("b)", "b"), ("", ""),
    ("(ab)", "ab")])
def test_a_concept_answer_in_brackets_is_its_letter(answer: str, read: str) -> None:
    assert part_e.letter(answer) == read
