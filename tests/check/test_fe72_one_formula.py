"""Fresh eyes 71 and 72: one wrong formula charged by every check of its function (a dropped
minus, log_softmax along the batch: up to eleven points, "fix the values check first"). A
formula the values check names is judged on its own by the other checks, and a loss whose
values are wrong keeps its gradient check where backward() agrees with its own values; held
in-process on the reference with one function rewritten (see test_helper_blame)."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks.reductions import expect_reduction_accepted
from test_fe68_messages import HUBER_ON_HELPERS
from test_helper_blame import edited, failed, namespace, verdicts

from autograder.check.registry import CheckFailed
from autograder.sandbox.session import StudentError

BCE_RETURN = "    return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)"


@pytest.mark.parametrize(("function", "source", "mistake"), [
    ("cross_entropy", edited("cross_entropy", "    log_probs = log_softmax(logits, dim=1)",
                             "    log_probs = log_softmax(logits, dim=0)"),
     "log-softmax-wrong-dim"),
    ("cross_entropy", edited("cross_entropy", "    nll = -log_probs.gather(",
                             "    nll = log_probs.gather("), "wrong-sign"),
    ("binary_cross_entropy", edited("binary_cross_entropy", BCE_RETURN, BCE_RETURN.replace(
        "_reduce(-(", "_reduce((")), "wrong-sign"),
    ("mse_loss", edited("mse_loss", "    return _reduce((pred - target) ** 2, reduction)",
                        "    return _reduce(-(pred - target) ** 2, reduction)"), "wrong-sign"),
])
def test_a_named_formula_is_charged_by_its_values_check_alone(function: str, source: str,
                                                              mistake: str) -> None:
    found = verdicts(namespace(source), function)
    values = (part_a.VALUES_CHECK if function == "mse_loss" else part_b.VALUES_CHECK)[function]
    assert set(failed(found)) == {values}, {n: v.message for n, v in failed(found).items()}
    assert failed(found)[values].mistake == mistake


def test_a_wrong_formula_keeps_its_gradient_check_where_backward_agrees_with_it() -> None:
    """Probabilities for log-probabilities, no log: a formula nothing names, differentiable."""
    found = verdicts(namespace(edited(
        "cross_entropy", "    log_probs = log_softmax(logits, dim=1)",
        "    log_probs = softmax(logits, dim=1)")), "cross_entropy")
    assert part_b.VALUES_CHECK["cross_entropy"] in failed(found)
    assert part_b.CE_GRAD not in failed(found)


def test_a_wrong_formula_whose_backward_disagrees_with_it_loses_its_gradient_check() -> None:
    """A term cut from the graph: backward() is not its own values' derivative (gradcheck)."""
    found = verdicts(namespace(edited(
        "mse_loss", "    return _reduce((pred - target) ** 2, reduction)",
        "    return _reduce((pred - target) ** 2 + pred.detach(), reduction)")), "mse_loss")
    assert part_a.MSE_GRAD in failed(found), set(failed(found))


@pytest.mark.parametrize(("log_probs", "mistake"), [
    ("    log_probs = softmax(logits, dim=1)", "probabilities-not-log"),
    ("    log_probs = logits", "logits-as-log-probs"),
])
def test_a_cross_entropy_without_its_log_is_named(log_probs: str, mistake: str) -> None:
    """Fresh eyes 72: told only "the per-element formula is wrong"."""
    found = verdicts(namespace(edited(
        "cross_entropy", "    log_probs = log_softmax(logits, dim=1)", log_probs)),
        "cross_entropy")
    assert failed(found)[part_b.CE_VALUES].mistake == mistake, failed(found)


def test_stubs_earn_no_gradient_check() -> None:
    """Work not done earns nothing: a loss handing back its input, or ignoring its targets."""
    found = verdicts(namespace('''
def binary_cross_entropy(probs, targets, reduction="mean"):
    return -probs.abs()
'''), "binary_cross_entropy")
    assert part_b.BCE_GRAD in failed(found)


# (fresh eyes 68's huber over both helpers, its squared branch taken from mae_loss alone)
HUBER_ON_MAE_ALONE = HUBER_ON_HELPERS.replace('    squared = mse_loss(pred, target, "none")\n',
                                              "").replace("0.5 * squared", "0.5 * absolute ** 2")


def test_huber_on_a_wrong_mae_alone_is_not_charged() -> None:
    """Fresh eyes 71's g15: huber squaring its own mae_loss's output, over a mae_loss whose
    'none' is the mean, was charged "does not use its reduction argument"."""
    mae_mean = edited("mae_loss", "    return _reduce((pred - target).abs(), reduction)",
                      "    return (pred - target).abs().sum() if reduction == 'sum' else "
                      "(pred - target).abs().mean()")
    found = verdicts(namespace(mae_mean, HUBER_ON_MAE_ALONE), "huber_loss")
    assert not failed(found), {n: v.message for n, v in failed(found).items()}


def test_macro_f1_over_a_crashing_matrix_keeps_its_own_absent_class_mistake() -> None:
    """Fresh eyes 71's m11: a confusion_matrix raising NameError hid macro_f1's own average
    over the classes present (told only the helper's error)."""
    crashing = edited("confusion_matrix", "    index = targets.long() * num_classes + preds.long()",
                      "    index = np.asarray(targets) * num_classes")
    present_only = edited("macro_f1", "    return sum(per_class) / num_classes",
                          "    return sum(per_class) / len(torch.cat([preds, targets]).unique())")
    found = verdicts(namespace(crashing, present_only), "macro_f1")
    assert failed(found)[part_c.MACRO_ABSENT].mistake == "present-classes-only", failed(found)


def test_a_reduction_compared_by_identity_is_named() -> None:
    """Fresh eyes 72: `reduction is "mean"` refused the grader's equal string (made as the
    program runs, not the notebook's interned literal: a worker's, so held here at the
    helper) with its own ValueError, told only "raised ValueError … fix this error first"."""
    error = StudentError("mse_loss", {"kind": "ValueError", "kinds": ["ValueError"],
                                      "message": "unknown reduction", "own": True})

    def refused(reduction: str) -> None:
        raise error

    with pytest.raises(CheckFailed) as caught:
        expect_reduction_accepted("mse_loss", error, "mean", refused, by_identity=True)
    assert caught.value.mistake == "compared-by-identity"
    # (without `is` in its source: left to the caller's words, as before)
    expect_reduction_accepted("mse_loss", error, "mean", refused, by_identity=False)


BCEL_RETURN = "    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)"
BCEL_ON_OWN_BCE = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    if pos_weight is not None:
        weight = 1 + (pos_weight - 1) * targets
        return _reduce((1 - targets) * logits - weight * F.logsigmoid(logits), reduction)
    return binary_cross_entropy(torch.sigmoid(logits), targets, reduction)
'''


def test_bce_with_logits_of_the_opposite_sign_is_charged_once() -> None:
    """Fresh eyes 71's h07: the pos_weight check charged the dropped minus again."""
    found = verdicts(namespace(edited(
        "binary_cross_entropy_with_logits", BCEL_RETURN,
        BCEL_RETURN.replace("_reduce((1", "_reduce(-((1").replace(", reduction)",
                                                                "), reduction)"))),
        part_b.BCEL)
    assert set(failed(found)) == {part_b.BCEL_VALUES}, set(failed(found))


def test_bce_with_logits_over_a_bce_of_the_opposite_sign_is_not_charged_for_it() -> None:
    """Fresh eyes 71's f04 and n10: BCE's dropped minus charged again on BCE with logits
    built on it (its control asked for BCE right, and a sign is never right)."""
    found = verdicts(namespace(edited("binary_cross_entropy", BCE_RETURN, BCE_RETURN.replace(
        "_reduce(-(", "_reduce((")), BCEL_ON_OWN_BCE), part_b.BCEL)
    assert part_b.BCEL_VALUES not in failed(found), failed(found)[part_b.BCEL_VALUES].message
