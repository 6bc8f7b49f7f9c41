"""Mistakes review 39: mistakes that went free or cost checks the notebook's "work first"
rule leaves them. Judged in-process on the reference with the change."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import failed, namespace, verdicts


@pytest.mark.parametrize(("function", "values"), [
    ("mse_loss", part_a.MSE_VALUES),
    ("binary_cross_entropy", part_b.BCE_VALUES),
    ("binary_cross_entropy_with_logits", part_b.BCEL_VALUES),
])
def test_per_element_losses_squeezed_to_a_vector_are_charged(function, values) -> None:
    """reduction='none' returning `.squeeze()` of the per-element losses: right on every
    1-D and 2-D input, it went free (no probe had a dimension of size 1)."""
    found = failed(verdicts(namespace(f'''
_reference_{function} = {function}

def {function}(*args, reduction="mean", **kwargs):
    value = _reference_{function}(*args, reduction=reduction, **kwargs)
    return value.squeeze() if reduction == "none" else value
'''), function))
    assert set(found) == {values}, {k: v.message for k, v in found.items()}
    assert "expected (5, 1)" in found[values].message


@pytest.mark.parametrize(("function", "source"), [
    ("softmax", '''
def softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=0, keepdim=True)
'''),
    ("log_softmax", '''
def log_softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum().log()
'''),
])
def test_a_family_member_right_on_vectors_only_loses_its_values_check_alone(function,
                                                                              source) -> None:
    """A normaliser summed over dim 0 or over every element: right on every vector, wrong on
    matrices. It lost its ±1e4, backward and no-library checks as "not working" (6 of 7
    points); the notebook's rule judges those where the function is right, on vectors."""
    found = verdicts(namespace(source), function)
    assert set(failed(found)) == {part_b.FAMILY_VALUES[function]}, {
        k: v.message for k, v in failed(found).items()}


def test_a_family_member_right_on_vectors_only_is_still_judged_there() -> None:
    """... and where it is wrong on vectors too (no max shift: inf at ±1e4), the ±1e4 check
    still charges that second mistake."""
    found = failed(verdicts(namespace('''
def softmax(logits, dim=-1):
    exps = logits.exp()
    return exps / exps.sum(dim=0, keepdim=True)
'''), "softmax"))
    assert set(found) == {part_b.SOFTMAX_VALUES, part_b.SOFTMAX_EXTREME}, {
        k: v.message for k, v in found.items()}
    assert found[part_b.SOFTMAX_EXTREME].mistake == "no-max-shift"


def test_a_mae_right_where_pred_and_target_share_a_sign_loses_its_values_check_alone() -> None:
    """(|pred| − |target|).abs() is |pred − target| wherever both have one sign: its error and
    no-library checks were charged as "not working" (while its backward and GPU checks were
    judged where it is right): all are judged there now."""
    found = verdicts(namespace('''
def mae_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    return _reduce((pred.abs() - target.abs()).abs(), reduction)
'''), "mae_loss")
    assert set(failed(found)) == {part_a.MAE_VALUES}, {
        k: v.message for k, v in failed(found).items()}


def test_a_macro_f1_right_on_perfect_predictions_only_loses_its_values_check_alone() -> None:
    """Integer division (2·TP // (2·TP + FP + FN)): right where every prediction is, its
    absent-class check was charged as "not working"; it is judged there now (and passes:
    an absent class's F1 is 0 in it)."""
    found = verdicts(namespace('''
def macro_f1(preds, targets, num_classes):
    matrix = confusion_matrix(preds, targets, num_classes)
    tp = matrix.diag()
    fp = matrix.sum(dim=0) - tp
    fn = matrix.sum(dim=1) - tp
    per_class = [int(2 * t) // int(2 * t + p + n) if int(2 * t + p + n) else 0
                 for t, p, n in zip(tp, fp, fn)]
    return sum(per_class) / num_classes
'''), "macro_f1")
    assert set(failed(found)) == {part_c.MACRO_VALUES}, {
        k: v.message for k, v in failed(found).items()}


def test_a_precision_recall_f1_right_without_true_negatives_keeps_its_zero_division_check(
        ) -> None:
    """TP counted as every correct prediction (true negatives too): right on labels without
    a true negative; its 0/0 check was charged as "not working"."""
    found = verdicts(namespace('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    predicted_pos = preds == positive_class
    actual_pos = targets == positive_class
    tp = int((preds == targets).sum())
    fp = int((predicted_pos & ~actual_pos).sum())
    fn = int((~predicted_pos & actual_pos).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
'''), "precision_recall_f1")
    assert part_c.PRF_ZERO not in failed(found), failed(found)[part_c.PRF_ZERO].message


TRAIN_LOOP = '''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total_loss, total_samples = 0.0, 0
{before}    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total_loss += loss.item() * x.shape[0]
        total_samples += x.shape[0]
    return total_loss / total_samples
'''


def test_a_loop_zeroing_only_after_step_is_told_its_first_step_uses_old_gradients() -> None:
    """zero_grad() at the end of each batch alone: its graded epochs started with no
    gradients, so it went free; an epoch whose parameters come with gradients shows it."""
    found = failed(verdicts(namespace(TRAIN_LOOP.format(before="")), "train_one_epoch"))
    assert set(found) == {part_d.TRAIN_ORDER}, {k: v.message for k, v in found.items()}
    assert found[part_d.TRAIN_ORDER].mistake == "zero-grad-at-end"


def test_a_loop_zeroing_before_it_and_after_each_step_is_right() -> None:
    """... where it also zeroes before the loop, every step sees its own batch's gradients."""
    found = failed(verdicts(namespace(TRAIN_LOOP.format(
        before="    optimizer.zero_grad()\n")), "train_one_epoch"))
    assert not found, {k: v.message for k, v in found.items()}
