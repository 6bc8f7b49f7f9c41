"""Mistakes review 39: mistakes that went free or cost checks the notebook's "work first"
rule leaves them. Judged in-process on the reference with the change."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import excused, failed, namespace, verdicts


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


# A cross_entropy of the reference's checks with its own log-probabilities and sign
CROSS_ENTROPY = '''
def cross_entropy(logits, targets, reduction="mean"):
    _check_reduction(reduction)
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError("expected logits (N, C) and targets (N,)")
    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= logits.shape[1]):
        raise ValueError("targets out of range")
    log_probs = {log_probs}
    return _reduce({sign}log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1), reduction)
'''


def _only_failure(source: str, function: str, check: str):
    found = failed(verdicts(namespace(source), function))
    assert set(found) == {check}, {k: v.message for k, v in found.items()}
    return found[check]


def test_a_cross_entropy_missing_its_minus_is_told_the_sign() -> None:
    found = failed(verdicts(namespace(CROSS_ENTROPY.format(log_probs="log_softmax(logits, dim=1)",
                                                           sign="")), "cross_entropy"))
    assert found[part_b.CE_VALUES].mistake == "wrong-sign", found[part_b.CE_VALUES].message
    assert "opposite sign" in found[part_b.CE_VALUES].message


def test_a_forward_pass_under_no_grad_is_named() -> None:
    verdict = _only_failure(TRAIN_LOOP.format(before="").replace(
        "        logits = model(x)\n", "        with torch.no_grad():\n            logits = "
        "model(x)\n        logits.requires_grad_()\n").replace(
        "        optimizer.step()\n        optimizer.zero_grad()\n",
        "        optimizer.step()\n").replace(
        "        x, y = x.to(device), y.to(device)\n",
        "        x, y = x.to(device), y.to(device)\n        optimizer.zero_grad()\n"),
        "train_one_epoch", part_d.TRAIN_ORDER)
    assert verdict.mistake == "backward-detached" and "torch.no_grad()" in verdict.message


def test_a_classifier_without_a_bias_is_told_so() -> None:
    verdict = _only_failure('''
def build_classifier(in_features, hidden, num_classes):
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(),
                         nn.Linear(hidden, num_classes, bias=False))
''', "build_classifier", part_d.CLS_ARCH)
    assert verdict.mistake == "no-bias" and "bias=False" in verdict.message


def test_a_fit_appending_the_training_loss_as_the_validation_loss_is_told_so() -> None:
    verdict = _only_failure('''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        metrics = evaluate(model, val_loader, loss_fn, device)
        history["train_loss"].append(train_loss)
        history["val_loss"].append(train_loss)
        history["val_accuracy"].append(metrics["accuracy"])
    return history
''', "fit", part_d.FIT)
    assert verdict.mistake == "fit-history-keys"
    assert "val_loss holds the figures of train_loss" in verdict.message


def test_a_macro_f1_weighted_by_true_positives_is_charged_once() -> None:
    """A mean of the per-class F1 weighted by TP ignores absent classes (their TP is 0) as one
    consequence of its one mistake: the values check charges it; the absent-class check,
    judged on perfect predictions for a function right there alone, does not charge it too."""
    _only_failure('''
def macro_f1(preds, targets, num_classes):
    matrix = confusion_matrix(preds, targets, num_classes)
    tp = matrix.diag()
    fp = matrix.sum(dim=0) - tp
    fn = matrix.sum(dim=1) - tp
    per_class = [_safe_ratio(int(2 * t), int(2 * t + p + n)) for t, p, n in zip(tp, fp, fn)]
    return sum(f * int(t) for f, t in zip(per_class, tp)) / max(int(tp.sum()), 1)
''', "macro_f1", part_c.MACRO_VALUES)




def test_an_accuracy_answer_lost_to_an_accuracy_that_raises_everywhere_is_charged() -> None:
    """Mistakes review 40 asked that always_negative_accuracy, missing where accuracy (argmax
    of class indices) raises, be held to accuracy's check, as always_negative_f1 is where a
    right precision_recall_f1 shows the work. Red team 49: then an accuracy that raises on
    purpose earns that answer free. An accuracy that works nowhere shows no work: its answer
    stays charged ("work first")."""
    ns = namespace('''
def accuracy(preds, targets):
    if preds.shape[0] != targets.shape[0] or preds.shape[0] == 0:
        raise ValueError("bad input")
    return float((preds.argmax(dim=1) == targets).float().mean())
''')
    ns.pop("always_negative_f1", None)  # (the cell stopped at the accuracy line)
    ns.pop("always_negative_accuracy", None)
    found = verdicts(ns, "always_negative_accuracy", "always_negative_f1")
    assert part_e.ALWAYS_NEGATIVE_ACC in failed(found)
    assert excused(found).get(part_e.ALWAYS_NEGATIVE_F1) == part_c.ACC_VALUES, found

def test_a_precision_recall_f1_for_two_classes_only_keeps_its_zero_division_check() -> None:
    """Mistakes review 40: precision_recall_f1 over confusion_matrix(preds, targets, 2) raises
    on every multiclass input (the one-vs-rest check charges it); its 0/0 check said its
    RuntimeError on the multiclass 0/0 case was a division by zero."""
    found = failed(verdicts(namespace('''
def precision_recall_f1(preds, targets, positive_class=1):
    matrix = confusion_matrix(preds, targets, 2)
    tp = int(matrix[positive_class, positive_class])
    fp = int(matrix[:, positive_class].sum()) - tp
    fn = int(matrix[positive_class, :].sum()) - tp
    return _safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn), _safe_ratio(2 * tp, 2 * tp + fp + fn)
'''), "precision_recall_f1"))
    assert part_c.PRF_ZERO not in found, found[part_c.PRF_ZERO].message
    assert part_c.PRF_MULTI in found


@pytest.mark.parametrize(("after_step", "first_train"), [("model.eval()", True),
                                                        ("model.train()", False)])
def test_a_loop_switching_modes_inside_is_charged_by_the_mode_check_alone(after_step,
                                                                         first_train) -> None:
    """Mistakes reviews 40 and 41: model.eval() after each step (to log: the later batches
    train in eval mode), or model.train() only after the first batch's step (the first one
    trains in eval mode). The mode check names it; the order check said "something changes
    the gradients between backward() and step()"."""
    loop = TRAIN_LOOP.format(before="").replace(
        "        optimizer.step()\n        optimizer.zero_grad()\n",
        f"        optimizer.step()\n        {after_step}\n").replace(
        "        x, y = x.to(device), y.to(device)\n",
        "        x, y = x.to(device), y.to(device)\n        optimizer.zero_grad()\n")
    if not first_train:
        loop = loop.replace("    model.train()\n    total_loss", "    total_loss")
    verdict = _only_failure(loop, "train_one_epoch", part_d.TRAIN_MODE)
    assert verdict.mistake == "no-train-mode"


def test_an_f1_answer_holding_the_whole_result_is_told_to_take_the_f1() -> None:
    ns = namespace()
    ns["always_negative_f1"] = (0.0, 0.0, 0.0)
    verdict = failed(verdicts(ns, "always_negative_f1"))[part_e.ALWAYS_NEGATIVE_F1]
    assert "result[2]" in verdict.message, verdict.message


def test_a_cross_entropy_shifted_by_the_global_max_is_told_so() -> None:
    global_shift = "(logits - logits.max()) - (logits - logits.max()).exp().sum(1, True).log()"
    found = failed(verdicts(namespace(CROSS_ENTROPY.format(log_probs=global_shift, sign="-")),
                            "cross_entropy"))
    assert found[part_b.CE_EXTREME].mistake == "global-max-shift", found[part_b.CE_EXTREME].message


def test_a_loop_zeroing_and_stepping_once_an_epoch_is_told_both() -> None:
    loop = TRAIN_LOOP.format(before="    optimizer.zero_grad()\n").replace(
        "        optimizer.step()\n        optimizer.zero_grad()\n", "")
    loop = loop.replace("    return total_loss", "    optimizer.step()\n    return total_loss")
    verdict = failed(verdicts(namespace(loop), "train_one_epoch"))[part_d.TRAIN_ORDER]
    assert "zero_grad() runs once and optimizer.step() once" in verdict.message, verdict.message


def test_stubs_through_the_relaxed_gates_earn_nothing() -> None:
    """Red team 49: a macro_f1 right on perfect predictions alone (0 elsewhere, counting the
    classes present) took the absent-class check; a precision_recall_f1 of one ratio for all
    three, c / (c + 1) of the correct predictions, took the 0/0 check through the gate without
    true negatives."""
    found = failed(verdicts(namespace('''
def macro_f1(preds, targets, num_classes):
    present = torch.cat([preds, targets]).unique().numel()
    return float((preds == targets).all()) * present / num_classes

def precision_recall_f1(preds, targets, positive_class=1):
    c = int((preds == targets).sum())
    v = c / (c + 1)
    return v, v, v
'''), "macro_f1", "precision_recall_f1"))
    assert found[part_c.MACRO_ABSENT].mistake == "not-working", found[part_c.MACRO_ABSENT]
    assert found[part_c.PRF_ZERO].mistake == "not-working", found[part_c.PRF_ZERO]


def test_an_evaluate_right_only_under_the_graders_instruments_is_charged() -> None:
    """Red team 48: an evaluate right only where the model had hooks (the watched runs' kind)
    kept its eval-mode and figures checks; with plain objects it neither switches to eval
    mode nor weights the batches."""
    found = failed(verdicts(namespace('''
_reference_evaluate = evaluate

def evaluate(model, loader, loss_fn, device):
    if any(m._forward_hooks or m._forward_pre_hooks for m in model.modules()):
        return _reference_evaluate(model, loader, loss_fn, device)
    losses, correct, count = [], 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            losses.append(loss_fn(logits, y).item())
            correct += int((logits.argmax(dim=1) == y).sum())
            count += len(y)
    return {"loss": sum(losses) / len(losses), "accuracy": correct / count}
'''), "evaluate"))
    assert found[part_d.EVAL_MODE].mistake == "plain-objects-differ", found
    assert found[part_d.EVAL_VALUES].mistake == "plain-objects-differ", found


PRF_OF_F1 = '''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    predicted_pos, actual_pos = preds == positive_class, targets == positive_class
    tp = int((predicted_pos & actual_pos).sum())
    fp = int((predicted_pos & ~actual_pos).sum())
    fn = int((~predicted_pos & actual_pos).sum())
    return _safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn), {f1}
'''


@pytest.mark.parametrize(("f1", "mistake"), [("_safe_ratio(tp, tp + fp + fn)", "f1-jaccard"),
                                             ("_safe_ratio(tp, 2 * tp + fp + fn)",
                                              "f1-missing-2")])
def test_an_f1_of_another_formula_is_named(f1, mistake) -> None:
    """Mistakes review 40: F1 as the Jaccard index was told only "a wrong value (F1)"."""
    verdict = failed(verdicts(namespace(PRF_OF_F1.format(f1=f1)), "precision_recall_f1"))[
        part_c.PRF_BINARY]
    assert verdict.mistake == mistake, verdict.message


def test_a_macro_f1_of_half_each_f1_is_named() -> None:
    verdict = _only_failure('''
def macro_f1(preds, targets, num_classes):
    total = 0.0
    for c in range(num_classes):
        p, r, _ = precision_recall_f1(preds, targets, c)
        total += _safe_ratio(p * r, p + r)
    return total / num_classes
''', "macro_f1", part_c.MACRO_VALUES)
    assert verdict.mistake == "macro-half", verdict.message


def test_a_precision_recall_f1_rounding_its_ratios_keeps_its_zero_division_check() -> None:
    """Mistakes review 41: rounded to 3 decimals, its 0/0 check was charged as "not working";
    its values check charges the rounding, once."""
    verdict = _only_failure(PRF_OF_F1.format(f1="_safe_ratio(2 * tp, 2 * tp + fp + fn)").replace(
        "    return _safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn), ",
        "    return tuple(round(v, 3) for v in (_safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn), "
    ).replace("fp + fn)\n", "fp + fn)))\n"), "precision_recall_f1", part_c.PRF_BINARY)
    assert verdict.mistake == "rounded", verdict.message


def test_a_log_softmax_is_not_sent_to_fix_a_softmax_built_on_it() -> None:
    """Mistakes review 41: softmax = exp(log_softmax), log_softmax wrong (its shift along the
    last dim whatever dim is given): softmax's check defers to log_softmax's, whose message
    said "your softmax is wrong on these inputs as well … fix softmax first"."""
    found = failed(verdicts(namespace('''
def log_softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()

def softmax(logits, dim=-1):
    return log_softmax(logits, dim=dim).exp()
'''), "log_softmax", "softmax"))
    message = found[part_b.LOG_SOFTMAX_VALUES].message
    assert "fix softmax first" not in message, message
    assert part_b.SOFTMAX_VALUES not in found
