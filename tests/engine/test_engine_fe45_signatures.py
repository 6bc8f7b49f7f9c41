"""Fresh eyes 45, in the real engine: the notebook's rule "Keep each signature" (a graded
function is called by position and by name, as its signature allows) held for `dim`,
`delta` and the metrics, but every loss's `reduction` (and BCE with logits' `pos_weight`)
was always named — a keyword-only `reduction`, or `reduction` before `pos_weight`, kept every
point. And huber_loss's default delta was judged by the checks that leave it out (errors,
no library, GPU: three wrong messages) rather than by its values check, once."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks

MSE_VALUES = "mse_loss: matches F.mse_loss for every reduction (float32 and float64)"
HUBER_VALUES = "huber_loss: matches F.huber_loss for every reduction and delta (float32 and float64)"
BCEL_VALUES = ("binary_cross_entropy_with_logits: matches F.binary_cross_entropy_with_logits "
               "for every reduction (float32 and float64)")

KEYWORD_ONLY_REDUCTION = '''
def mse_loss(pred, target, *, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    return _reduce((pred - target) ** 2, reduction)
'''

POS_WEIGHT_AFTER_REDUCTION = '''
def binary_cross_entropy_with_logits(logits, targets, reduction="mean", pos_weight=None):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1
    return _reduce((1 - targets) * logits - weight * F.logsigmoid(logits), reduction)
'''

DEFAULT_DELTA_TWO = '''
def huber_loss(pred, target, delta=2.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be positive")
    d = (pred - target).abs()
    return _reduce(torch.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)), reduction)
'''


def test_a_keyword_only_reduction_loses_the_values_check_once(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "kwonly_reduction", KEYWORD_ONLY_REDUCTION)
    assert list(failed) == [MSE_VALUES], failed
    assert "mse_loss(pred, target, 'sum') raises TypeError" in failed[MSE_VALUES]
    assert "keep the signature mse_loss(pred, target, reduction='mean')" in failed[MSE_VALUES]


def test_reduction_before_pos_weight_is_charged_once(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "pos_weight_last", POS_WEIGHT_AFTER_REDUCTION)
    assert list(failed) == [BCEL_VALUES], failed
    assert ("keep the signature binary_cross_entropy_with_logits(logits, targets, "
            "pos_weight=None, reduction='mean')") in failed[BCEL_VALUES]


def test_a_wrong_default_delta_costs_the_values_check_alone(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "default_delta", DEFAULT_DELTA_TWO)
    assert list(failed) == [HUBER_VALUES], failed
    assert "keep the signature's default, delta=1.0" in failed[HUBER_VALUES]


ACCURACY_OVER_CLASSES = '''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("bad")
    return float((preds == targets).sum()) / float(torch.unique(targets).numel())
'''
ALWAYS_NEGATIVE_ACC = "always_negative_accuracy: accuracy of the always-negative classifier"


def test_an_answer_built_on_a_wrong_metric_is_not_charged_again(grader, tmp_path: Path) -> None:
    """Fresh eyes 45: an accuracy dividing by the number of classes made
    always_negative_accuracy wrong, which was told to "pass both to your accuracy()" — what it
    did. Fresh eyes 58: as the notebook says, an answer computed with the student's own metric
    is not charged again — the metric's values check charges it, once."""
    import nbformat

    from tests.fixtures.make_fixtures import REFERENCE, answers, notebook

    # the experiment cell as the notebook writes it, after the answers
    experiment = """
generator = torch.Generator().manual_seed(0)
imbalanced_targets = torch.cat([torch.zeros(950, dtype=torch.int64),
                                torch.ones(50, dtype=torch.int64)])[torch.randperm(
                                    1000, generator=generator)]
always_negative_preds = torch.zeros_like(imbalanced_targets)
always_negative_accuracy = accuracy(always_negative_preds, imbalanced_targets)
"""
    path = tmp_path / "accuracy_over_classes.ipynb"
    nbformat.write(notebook(REFERENCE, ACCURACY_OVER_CLASSES, answers(), experiment), path)
    tests = {t.name: t for t in grader.grade(path, "over_classes").tests}
    assert not tests[ACC_VALUES].passed, tests[ACC_VALUES].output
    answer = tests[ALWAYS_NEGATIVE_ACC]
    assert answer.passed and "Not assessed separately" in answer.output, answer.output


PRF_KEYWORD_ONLY = '''
def precision_recall_f1(preds, targets, *, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    predicted, actual = preds == positive_class, targets == positive_class
    tp = int((predicted & actual).sum())
    fp = int((predicted & ~actual).sum())
    fn = int((~predicted & actual).sum())
    precision = _safe_ratio(tp, tp + fp)
    recall = _safe_ratio(tp, tp + fn)
    return precision, recall, _safe_ratio(2 * tp, 2 * tp + fp + fn)


def macro_f1(preds, targets, num_classes):
    return sum(precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)) / num_classes
'''
PRF_MULTI = "precision_recall_f1: one-vs-rest on positive_class for multiclass input"


def test_a_keyword_only_positive_class_is_charged_once_not_again_in_macro_f1(
        grader, tmp_path: Path) -> None:
    """Fresh eyes 45: macro_f1 passing positive_class by position raised through the
    helper's keyword-only signature, and lost both its checks as well."""
    failed = failed_checks(grader, tmp_path, "prf_kwonly", PRF_KEYWORD_ONLY)
    assert list(failed) == [PRF_MULTI], failed


# Fresh eyes 46: metrics returning an int on an edge case, where the spec's are floats
ACCURACY_INT_WHEN_PERFECT = '''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("bad")
    correct = int((preds == targets).sum())
    return 1 if correct == preds.numel() else correct / preds.numel()
'''
CM_PLUS_ONE = '''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    size = num_classes + 1
    counts = torch.bincount(targets.long() * size + preds.long(), minlength=size * size)
    return counts.reshape(size, size)
'''
ACC_VALUES = "accuracy: fraction of correct predictions as a Python float"
CM_VALUES = "confusion_matrix: int64 (C, C) with rows = true class, columns = predicted class"


def test_an_int_returned_on_an_edge_case_is_named(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "accuracy_int", ACCURACY_INT_WHEN_PERFECT)
    assert list(failed) == [ACC_VALUES], failed
    assert "returned the int 1" in failed[ACC_VALUES]


def test_a_matrix_one_class_too_large_is_charged_once_and_named(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "cm_plus_one", CM_PLUS_ONE)
    assert list(failed) == [CM_VALUES], failed
    assert "one row and one column too large" in failed[CM_VALUES]


PRECISION_AS_ACCURACY = '''
def precision_recall_f1(preds, targets, positive_class=1):
    p, t = preds == positive_class, targets == positive_class
    tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
    precision = (preds == targets).sum().item() / max(len(preds), 1)
    return float(precision), _safe_ratio(tp, tp + fn), _safe_ratio(2 * tp, 2 * tp + fp + fn)
'''
PRF_BINARY = "precision_recall_f1: matches sklearn for binary labels (positive_class=1)"


def test_a_wrong_formula_is_not_told_to_check_its_zero_division(grader, tmp_path: Path) -> None:
    """Fresh eyes 46: precision computed as the accuracy was also told, by the 0/0 check, to
    check a denominator: one mistake, charged by the binary check alone."""
    failed = failed_checks(grader, tmp_path, "precision_as_accuracy", PRECISION_AS_ACCURACY)
    assert list(failed) == [PRF_BINARY], failed
