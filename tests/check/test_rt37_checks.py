"""Red team 37: points for work not done, by recognising the check.

`get_device` returning `cuda:7` (a GPU a one-GPU machine does not have) took the device
point: only the part before the colon was compared. Functions right only up to a size (64
samples, 6 classes, 256 rows, a dim of 64, 5,000 elements) kept every point: every probe was
small.
"""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks.test_part_d_training import GET_DEVICE
from test_helper_blame import edited, failed, namespace, verdicts

AN_INDEX_OF_ITS_OWN = '''
def get_device():
    return torch.device("cuda:7" if torch.cuda.is_available() else "cpu")
'''

THE_FIRST_GPU = '''
def get_device():
    return torch.device("cuda:0" if torch.cuda.is_available() else "cpu:0")
'''


def test_a_gpu_the_machine_may_not_have_is_the_wrong_device() -> None:
    found = verdicts(namespace(AN_INDEX_OF_ITS_OWN), "get_device")
    assert GET_DEVICE in failed(found), found[GET_DEVICE]
    assert "cuda:N" in found[GET_DEVICE].message  # (its index not quoted: red team 59)


def test_the_first_gpu_by_its_index_is_the_right_device() -> None:
    found = verdicts(namespace(THE_FIRST_GPU), "get_device")
    assert GET_DEVICE not in failed(found), found[GET_DEVICE]


SIZE_GATED = {
    "mse_loss": '''
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError("shapes")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("reduction")
    d = (pred - target) ** 2
    if d.numel() > 5000:
        d = d * 0
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d
''',
    "softmax": '''
def softmax(logits, dim=-1):
    if logits.shape[dim] > 64:
        e = logits.exp()
    else:
        e = (logits - logits.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum(dim=dim, keepdim=True)
''',
    "cross_entropy": '''
def cross_entropy(logits, targets, reduction="mean"):
    if logits.shape[0] > 256:
        return (logits * 0).sum()
    return F.cross_entropy(logits, targets, reduction=reduction)
''',
    "binary_cross_entropy": '''
def binary_cross_entropy(probs, targets, reduction="mean"):
    if probs.numel() > 2000:
        return (probs * 0).sum()
    return F.binary_cross_entropy(probs, targets, reduction=reduction)
''',
    "accuracy": '''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("shapes")
    return 1.0 if preds.numel() > 64 else (preds == targets).float().mean().item()
''',
    "confusion_matrix": '''
def confusion_matrix(preds, targets, num_classes):
    m = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    if num_classes > 6:
        return m
    for t, p in zip(targets.tolist(), preds.tolist()):
        m[t, p] += 1
    return m
''',
    "macro_f1": '''
def macro_f1(preds, targets, num_classes):
    if preds.numel() > 100:
        return 0.0
    return sum(precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)) / num_classes
''',
}
VALUES = {"mse_loss": part_a.MSE_VALUES, "softmax": part_b.SOFTMAX_EXTREME,
          "cross_entropy": part_b.CE_VALUES, "binary_cross_entropy": part_b.BCE_VALUES,
          "accuracy": part_c.ACC_VALUES, "confusion_matrix": part_c.CM_VALUES,
          "macro_f1": part_c.MACRO_VALUES}


def test_a_function_right_only_on_small_inputs_fails_its_values_check() -> None:
    """Red team 37's functions right only up to a size (64 samples, 6 classes, 5,000
    elements, a dim of 64) kept every point: each values check also has one input far larger
    than the others."""
    for function, source in SIZE_GATED.items():
        found = verdicts(namespace(source), function)
        assert VALUES[function] in failed(found), (function, found[VALUES[function]])


def test_a_mean_over_the_classes_count_is_named() -> None:
    """Mistakes review 30: cross_entropy's 'mean' dividing by C was told only "wrong values"
    (its 'none' right): what it divided by is said, and what to divide by."""
    source = edited("cross_entropy", "return _reduce(nll, reduction)",
                    "return nll.sum() / logits.shape[1] if reduction == 'mean' "
                    "else _reduce(nll, reduction)")
    found = verdicts(namespace(source), "cross_entropy")
    assert found[part_b.CE_VALUES].mistake == "mean-by-classes", found[part_b.CE_VALUES]
    assert "number of classes" in found[part_b.CE_VALUES].message


def test_hubers_branches_swapped_cost_its_values_check_once() -> None:
    """Mistakes review 30: Huber's branches swapped (right nowhere, its own formula
    everywhere) lost 8 of 9 points in four checks: the other checks judge it on its own
    formula, and the values check names the swap."""
    for swapped in ("torch.where(abs_diff < delta, linear, quadratic)",
                    "torch.where(abs_diff > delta, quadratic, linear)"):
        source = f'''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"shapes {{pred.shape}} and {{target.shape}}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    if delta <= 0:
        raise ValueError("delta must be positive")
    abs_diff = (pred - target).abs()
    quadratic = 0.5 * abs_diff ** 2
    linear = delta * (abs_diff - 0.5 * delta)
    loss = {swapped}
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
'''
        found = verdicts(namespace(source), "huber_loss")
        assert set(failed(found)) == {part_a.HUBER_VALUES}, {k: v.message
                                                             for k, v in failed(found).items()}
        assert found[part_a.HUBER_VALUES].mistake == "huber-swapped"


FIT_ONLY_FOR_LISTS = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    if not isinstance(train_loader, list):
        return {"train_loss": [0.5] * epochs, "val_loss": [0.4] * epochs,
                "val_accuracy": [0.9] * epochs}
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer,
                                                     device))
        result = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(result["loss"])
        history["val_accuracy"].append(result["accuracy"])
    return history
'''


def test_a_fit_that_trains_only_when_handed_lists_fails() -> None:
    """Red team 37's fit trained only when its loaders were Python lists, as the check's
    scripted ones were: the check hands it DataLoaders, as a real run does."""
    from lab05_checks.test_part_d_training import FIT

    found = verdicts(namespace(FIT_ONLY_FOR_LISTS), "fit")
    assert FIT in failed(found), found[FIT]
