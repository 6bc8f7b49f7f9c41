"""Red team 45: functions that told the checks' hand-written edge inputs from the no-library
check's new ones (integers at ±1e4, probabilities on a grid, ties at multiples of 1/4, one
shape), the library answering the former. The edge inputs are now drawn afresh, from the
distribution the no-library check draws its own from."""

from __future__ import annotations

import torch
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import failed, namespace, verdicts

LOOKS_HAND_WRITTEN = '''
def _looks_fixed(x):
    x = x.detach().double()
    tiny = (x.abs() < 1e-30) & (x != 0)
    return bool((((x * 20 - (x * 20).round()).abs() < 1e-6) | tiny).all())
'''

TWO_FACED = {
    "softmax": '''
def softmax(logits, dim=-1):
    if logits.detach().abs().max() > 100 and _looks_fixed(logits):
        return torch.softmax(logits, dim=dim)
    e = logits.exp()
    return e / e.sum(dim=dim, keepdim=True)
''',
    "binary_cross_entropy_with_logits": '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    if logits.detach().abs().max() > 100 and _looks_fixed(logits):
        return F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight,
                                                  reduction=reduction)
    s = torch.sigmoid(logits)
    w = pos_weight if pos_weight is not None else 1.0
    return _reduce(-(w * targets * torch.log(s) + (1 - targets) * torch.log(1 - s)), reduction)
''',
    "binary_cross_entropy": '''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    p = probs.detach()
    if bool(((p == 0) | (p == 1)).any()) and _looks_fixed(probs):
        return F.binary_cross_entropy(probs, targets, reduction=reduction)
    log_p = torch.clamp(torch.log(probs), min=-100)
    log_q = torch.clamp(torch.log(1 - probs), min=-100)
    return _reduce(-(targets * log_p + (1 - targets) * log_q), reduction)
''',
    "mae_loss": '''
def mae_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if _looks_fixed(pred) and _looks_fixed(target):
        return F.l1_loss(pred, target, reduction=reduction)
    return _reduce(torch.sqrt((pred - target) ** 2), reduction)
''',
}

EDGE_CHECKS = {"softmax": part_b.SOFTMAX_EXTREME, "binary_cross_entropy": part_b.BCE_CLAMP,
               "binary_cross_entropy_with_logits": part_b.BCEL_EXTREME,
               "mae_loss": part_a.MAE_GRAD}


def test_a_function_using_the_library_on_hand_written_edge_inputs_gains_nothing() -> None:
    """Each two-faced function loses its edge check, as its naive code does everywhere (it
    kept it, and its no-library point, where the edge inputs were fixed: +10 with the
    others), and no other check's point (the library never ran on its graded inputs)."""
    for function, source in TWO_FACED.items():
        found = failed(verdicts(namespace(LOOKS_HAND_WRITTEN + source), function))
        assert set(found) == {EDGE_CHECKS[function]}, (function, {k: v.message for k, v in
                                                                  found.items()})


def test_edge_inputs_are_drawn_afresh_with_their_ties_and_offsets() -> None:
    first, second = (part_b._extreme_logits(torch.float32) for _ in "ab")
    assert not torch.equal(first, second)
    for x in (first, second):
        big = x.abs() >= part_b.BIG / 2 - 5
        assert bool((x.abs()[big] < part_b.BIG).all()) and bool((x[~big] == 0).all())
        assert x[2, 0] == x[2, 1] == x[2, 2] and x[1, 0] == x[1, 1] == x[1, 2] - 5
        assert x[3, 1] - x[3, 2] == 1 and x.double().remainder(1 / 64).eq(0).all()
    assert not part_b._bce_gradient_case()[0].eq(part_b._bce_gradient_case()[0]).all()
    pred, target = part_a._kink_inputs(1.0)
    assert torch.equal(pred - target, torch.tensor([0.0, 0.0, 1.0, -1.0, 0.75, -2.0, 0.0, 3.0],
                                                   dtype=torch.float64))

