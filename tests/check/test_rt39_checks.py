"""Red team 39: points for work not done, by recognising how the checks call a function.

`build_classifier` returning the probe's sizes (7 → 13 → 5) whatever it was asked kept the
architecture check: a second model of other sizes is built too.
"""

from __future__ import annotations

from lab05_checks.test_part_d_training import CLS_ARCH
from test_helper_blame import edited, failed, namespace, verdicts

THE_PROBES_SIZES = '''
def build_classifier(in_features, hidden, num_classes):
    return nn.Sequential(nn.Linear(7, 13), nn.ReLU(), nn.Linear(13, 5))
'''


def test_a_classifier_of_fixed_sizes_fails_the_architecture_check() -> None:
    found = verdicts(namespace(THE_PROBES_SIZES), "build_classifier")
    assert CLS_ARCH in failed(found), found[CLS_ARCH]
    assert found[CLS_ARCH].mistake == "ignores-arguments"


HALF_A_SHAPE_CHECK = {
    "mse_loss": '''
def mse_loss(pred, target, reduction="mean"):
    if pred.dim() != target.dim() or pred.shape[0] != target.shape[0]:
        raise ValueError(f"shapes {tuple(pred.shape)} and {tuple(target.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    d = (pred - target) ** 2
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d
''',
    "binary_cross_entropy": '''
def binary_cross_entropy(probs, targets, reduction="mean"):
    if probs.dim() != targets.dim() or probs.shape[0] != targets.shape[0]:
        raise ValueError(f"shapes {tuple(probs.shape)} and {tuple(targets.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    loss = -(targets * probs.log().clamp(min=-100)
             + (1 - targets) * (1 - probs).log().clamp(min=-100))
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
''',
}


def test_a_shape_check_of_the_rank_first_size_or_count_only_fails_the_error_check() -> None:
    """Red team 39's mse_loss compared only the number of dimensions and the first size and
    kept the error check: same-rank shapes that broadcast (and ones of equal element count)
    must raise too."""
    from lab05_checks import test_part_a_regression as part_a
    from lab05_checks import test_part_b_classification as part_b

    errors = {"mse_loss": part_a.MSE_ERRORS, "binary_cross_entropy": part_b.BCE_ERRORS}
    for function, source in HALF_A_SHAPE_CHECK.items():
        found = verdicts(namespace(source), function)
        assert found[errors[function]].mistake == "partial-shape-check", (
            function, found[errors[function]])


KEYWORD_ONLY = {
    "huber_loss": ('''
def huber_loss(pred, target, *_, delta=1.0, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"shapes {tuple(pred.shape)} and {tuple(target.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    if delta <= 0:
        raise ValueError("delta must be positive")
    return F.huber_loss(pred, target, delta=delta, reduction=reduction)
''', "huber_loss: matches F.huber_loss for every reduction and delta (float32 and float64)"),
    "precision_recall_f1": ('''
def precision_recall_f1(preds, targets, *_, positive_class=1):
    p, t = preds == positive_class, targets == positive_class
    tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * tp / (2 * tp + fp + fn) if tp else 0.0)
''', "precision_recall_f1: one-vs-rest on positive_class for multiclass input"),
}


def test_an_argument_the_signature_gives_by_position_is_used_by_position() -> None:
    """Red team 39: a keyword-only delta and positive_class, ignored when given by position
    (against the signature the notebook gives), kept every point."""
    for function, (source, check) in KEYWORD_ONLY.items():
        found = verdicts(namespace(source), function)
        assert found[check].mistake == "positional-argument", (function, found[check])


def test_half_the_squared_error_costs_its_values_check_once_and_is_named() -> None:
    """Mistakes review 31: mse_loss as ½·(pred − target)² lost 8 of its 9 points in four
    checks: it is named, and the other checks judge it on its own formula."""
    from lab05_checks import test_part_a_regression as part_a

    found = verdicts(namespace('''
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"shapes {tuple(pred.shape)} and {tuple(target.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    d = 0.5 * (pred - target) ** 2
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d
'''), "mse_loss")
    assert set(failed(found)) == {part_a.MSE_VALUES}, {k: v.message for k, v in failed(found).items()}
    assert found[part_a.MSE_VALUES].mistake == "half-squared-error"


FIRST_TIME_ONLY = {  # (the reference's loops, the mode set only for a model not seen)
    function: "import weakref\n_SEEN = weakref.WeakSet()\n" + edited(
        function, f"    model.{mode}()\n",
        f"    if model not in _SEEN:\n        _SEEN.add(model)\n        model.{mode}()\n")
    for function, mode in (("train_one_epoch", "train"), ("evaluate", "eval"))
}


def test_a_loop_that_sets_the_mode_only_the_first_time_fails_its_mode_check() -> None:
    """Red team 39's loops set the mode only the first time they met a model (under fit, the
    later epochs trained in eval mode and evaluated in train mode) and kept their mode
    checks, each check's run calling them once on a fresh model: they are called twice."""
    from lab05_checks.test_part_d_training import EVAL_MODE, TRAIN_MODE

    for function, check in (("train_one_epoch", TRAIN_MODE), ("evaluate", EVAL_MODE)):
        found = verdicts(namespace(FIRST_TIME_ONLY[function]), function)
        assert check in failed(found), (function, found[check])
        assert "called again" in found[check].message


def test_a_macro_average_of_precision_is_named() -> None:
    """Mistakes review 31: macro_f1 averaging each class's precision was told only "a wrong
    value": the ratio it averaged is named."""
    from lab05_checks import test_part_c_metrics as part_c

    found = verdicts(namespace('''
def macro_f1(preds, targets, num_classes):
    scores = [precision_recall_f1(preds, targets, positive_class=c)[0]
              for c in range(num_classes)]
    return sum(scores) / num_classes
'''), "macro_f1")
    assert found[part_c.MACRO_VALUES].mistake == "macro-precision", found[part_c.MACRO_VALUES]
