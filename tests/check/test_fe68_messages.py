"""Fresh eyes 68's double charges in notebooks of several mistakes (162 of 164 caught), held
here in-process on the reference with functions rewritten (see test_helper_blame): a caller
built on the student's own wrong helper is charged for its own mistakes only."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import edited, excused, failed, namespace, reference_source, verdicts

HUBER_ON_HELPERS = '''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    if delta <= 0:
        raise ValueError("delta must be positive")
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    squared = mse_loss(pred, target, "none")
    absolute = mae_loss(pred, target, "none")
    return _reduce(torch.where(absolute < delta, 0.5 * squared,
                               delta * (absolute - 0.5 * delta)), reduction)
'''
MAE_RETURN = "    return _reduce((pred - target).abs(), reduction)"
MSE_RETURN = "    return _reduce((pred - target) ** 2, reduction)"


@pytest.mark.parametrize(("helpers", "charged_by"), [
    # (mae_loss's 'none' is the mean: huber's values were charged as its linear branch's)
    ((edited("mae_loss", MAE_RETURN, "    return (pred - target).abs().mean() if reduction "
             "!= 'sum' else (pred - target).abs().sum()"), reference_source("mse_loss")),
     part_a.MAE_VALUES),
    # (mae_loss as sqrt(d²): huber's gradient was charged for the nan at d = 0)
    ((edited("mae_loss", MAE_RETURN, "    return _reduce(torch.sqrt((pred - target) ** 2), "
             "reduction)"), reference_source("mse_loss")), part_a.MAE_GRAD),
    # (mse_loss's 'none' flattened: huber raised, charged on its values and gradients)
    ((edited("mse_loss", MSE_RETURN, "    return _reduce((pred - target) ** 2, reduction)"
             ".flatten() if reduction == 'none' else _reduce((pred - target) ** 2, "
             "reduction)"), reference_source("mae_loss")), part_a.MSE_VALUES),
])
def test_huber_on_a_wrong_helper_is_not_charged(helpers: tuple[str, str],
                                                charged_by: str) -> None:
    found = verdicts(namespace(*helpers, HUBER_ON_HELPERS), "huber_loss")
    assert not failed(found), {n: v.message for n, v in failed(found).items()}
    assert charged_by in excused(found).values()
    control = verdicts(namespace(reference_source("mse_loss"), reference_source("mae_loss"),
                                 HUBER_ON_HELPERS), "huber_loss")
    assert not failed(control) and not excused(control)


BCE_WITH_EPS = edited(
    "binary_cross_entropy", "    return _reduce(-(targets * log_p + (1 - targets) * log_1mp), "
    "reduction)", "    eps = 1e-7\n    return _reduce(-(targets * torch.log(probs + eps) + "
    "(1 - targets) * torch.log(1 - probs + eps)), reduction)")
BCEL_ON_BCE = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    probs = torch.sigmoid(logits)
    if pos_weight is None:
        return binary_cross_entropy(probs, targets, reduction)
    losses = -(pos_weight * targets * torch.log(probs) + (1 - targets) * torch.log(1 - probs))
    return _reduce(losses, reduction)
'''


def test_bce_with_logits_on_a_bce_with_an_eps_is_charged_for_its_own_mistake_only() -> None:
    """The eps in BCE (charged by BCE's clamp check) was charged again on BCE with logits'
    values and gradients: only its own ±1e4 check stays (as on a right BCE)."""
    found = verdicts(namespace(BCE_WITH_EPS, BCEL_ON_BCE), part_b.BCEL)
    assert set(failed(found)) == {part_b.BCEL_EXTREME}, set(failed(found))
    assert excused(found) == {part_b.BCEL_VALUES: part_b.BCE_CLAMP,
                              part_b.BCEL_GRAD: part_b.BCE_CLAMP}
    control = verdicts(namespace(reference_source("binary_cross_entropy"), BCEL_ON_BCE),
                       part_b.BCEL)
    assert set(failed(control)) == {part_b.BCEL_EXTREME}


SOFTMAX_WITHOUT_KEEPDIM = edited("softmax", "exps.sum(dim=dim, keepdim=True)",
                                 "exps.sum(dim=dim)")
LOG_OF_OWN_SOFTMAX = '''
def log_softmax(logits, dim=-1):
    return torch.log(softmax(logits, dim=dim))
'''


def test_log_softmax_on_a_crashing_softmax_keeps_its_own_edge_mistake() -> None:
    """n24: log_softmax as log(softmax) over a softmax that raises on matrices (keepdim
    forgotten) was "not assessed separately" on every check, its own -inf at ±1e4 hidden:
    judged there with PyTorch's softmax in place of the student's, it is charged."""
    found = verdicts(namespace(SOFTMAX_WITHOUT_KEEPDIM, LOG_OF_OWN_SOFTMAX), "log_softmax")
    assert set(failed(found)) == {part_b.LOG_SOFTMAX_EXTREME}, set(failed(found))
    assert failed(found)[part_b.LOG_SOFTMAX_EXTREME].mistake == "log-of-softmax"
    assert "PyTorch's softmax" in failed(found)[part_b.LOG_SOFTMAX_EXTREME].message
    assert excused(found)[part_b.LOG_SOFTMAX_VALUES] == part_b.SOFTMAX_VALUES
    assert set(excused(found).values()) <= {part_b.SOFTMAX_VALUES, part_b.LOG_SOFTMAX_VALUES}
    # (a log_softmax of its own over the same softmax: nothing to charge)
    control = verdicts(namespace(SOFTMAX_WITHOUT_KEEPDIM, reference_source("log_softmax")),
                       "log_softmax")
    assert not failed(control) and not excused(control)
