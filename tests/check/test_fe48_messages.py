"""Fresh eyes 48's reports, held here in-process on the reference with one function
rewritten: a caught mistake whose message was generic ("a wrong value") is named for what
the function computes, by the check that charges it, once."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from test_helper_blame import edited, excused, failed, namespace, reference_source, verdicts

PRF = "precision_recall_f1"


@pytest.mark.parametrize(("old", "new", "mistake", "words"), [
    # precision over the actual positives; recall over TP + TN
    ("    precision = _safe_ratio(tp, tp + fp)\n",
     "    precision = _safe_ratio(tp, int(actual_pos.sum()))\n", "precision-denominator",
     "divides the true positives by TP + FN, the actual positives (recall's denominator) for "
     "its precision"),
    ("    recall = _safe_ratio(tp, tp + fn)\n",
     "    tn = int((~predicted_pos & ~actual_pos).sum())\n    recall = _safe_ratio(tp, tp + tn)\n",
     "recall-denominator", "divides the true positives by TP + TN for its recall"),
    # the right values in another order
    ("    return precision, recall, f1\n", "    return f1, precision, recall\n", "wrong-order",
     "it returns (f1, precision, recall), where the order is (precision, recall, f1)"),
])
def test_a_ratio_over_another_count_or_in_another_order_is_named(old, new, mistake,
                                                                 words) -> None:
    found = failed(verdicts(namespace(edited(PRF, old, new)), PRF))
    verdict = found[part_c.PRF_BINARY]
    assert verdict.mistake == mistake and words in verdict.message, verdict.message


@pytest.mark.parametrize(("old", "new", "mistake", "words"), [
    ("    return sum(per_class) / num_classes\n",
     "    return sum(per_class) / (num_classes - 1)\n", "macro-over-c-minus-1",
     "divides the sum of the per-class F1 by num_classes − 1"),
    ("    per_class = [_safe_ratio(int(2 * t), int(2 * t + p + n))",
     "    per_class = [int(2 * t) // max(int(2 * t + p + n), 1)", "macro-floor-division",
     "with floor division (//)"),
])
def test_a_macro_mean_over_another_count_or_of_floored_f1s_is_named(old, new, mistake,
                                                                    words) -> None:
    found = failed(verdicts(namespace(edited("macro_f1", old, new)), "macro_f1"))
    assert set(found) == {part_c.MACRO_VALUES}, {k: v.message for k, v in found.items()}
    verdict = found[part_c.MACRO_VALUES]
    assert verdict.mistake == mistake and words in verdict.message, verdict.message


def test_a_macro_of_zero_everywhere_is_not_named_floor_division() -> None:
    """Floored F1s sum to 0 on labels with no class predicted perfectly: the model is
    confirmed on labels with one such class before it is named."""
    found = failed(verdicts(namespace("def macro_f1(preds, targets, num_classes):\n"
                                      "    return 0.0\n"), "macro_f1"))
    assert found[part_c.MACRO_VALUES].mistake == "wrong-value", found[part_c.MACRO_VALUES].message


@pytest.mark.parametrize("shift", ["-", "+"])
def test_a_confusion_matrix_off_by_one_class_is_named(shift: str) -> None:
    source = f"""
def confusion_matrix(preds, targets, num_classes):
    M = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(targets.tolist(), preds.tolist()):
        M[(t {shift} 1) % num_classes, (p {shift} 1) % num_classes] += 1
    return M
"""
    verdict = failed(verdicts(namespace(source), "confusion_matrix"))[part_c.CM_VALUES]
    assert verdict.mistake == "shifted-index", verdict.message
    assert "one row and one column off" in verdict.message


def test_pos_weight_as_a_factor_of_the_whole_element_is_named() -> None:
    """1 + (pos_weight − 1)·y times the whole element's loss: right for hard targets only."""
    function = part_b.BCEL
    found = failed(verdicts(namespace(edited(
        function, "    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
        "    return _reduce(weight * ((1 - targets) * logits + neg_log_sigmoid), reduction)")),
        function))
    verdict = found[part_b.BCEL_POS_WEIGHT]
    assert verdict.mistake == "pos-weight-factor", verdict.message
    assert "right only for targets of exactly 0 or 1" in verdict.message


def test_a_function_for_binary_labels_only_is_told_so() -> None:
    """confusion_matrix(preds, targets, 2) inside precision_recall_f1: right on binary labels,
    a reshape error on more classes — told only that error, at the helper's line."""
    found = failed(verdicts(namespace(edited(
        PRF, "    predicted_pos = preds == positive_class\n",
        "    confusion_matrix(preds, targets, 2)\n    predicted_pos = preds == positive_class\n")),
        PRF))
    verdict = found[part_c.PRF_MULTI]
    assert verdict.mistake == "binary-only", verdict.message
    assert "on labels of more than two classes, though it is right on binary labels" in \
        verdict.message


def test_macro_f1_built_on_a_binary_only_helper_is_not_charged_again() -> None:
    """macro_f1 built on that precision_recall_f1 raised through it on multiclass labels: both
    macro checks were charged too (one told "0/0 must give 0.0"), against the notebook's "a
    mistake in an earlier function is charged once"."""
    found = verdicts(namespace(edited(
        PRF, "    predicted_pos = preds == positive_class\n",
        "    confusion_matrix(preds, targets, 2)\n    predicted_pos = preds == positive_class\n"),
        """
def macro_f1(preds, targets, num_classes):
    total = 0.0
    for c in range(num_classes):
        total += precision_recall_f1(preds, targets, positive_class=c)[2]
    return float(total / num_classes)
"""), PRF, "macro_f1")
    assert set(failed(found)) == {part_c.PRF_MULTI}, {k: v.message for k, v in failed(found).items()}
    assert excused(found)[part_c.MACRO_VALUES] == part_c.PRF_MULTI
    assert excused(found)[part_c.MACRO_ABSENT] == part_c.PRF_MULTI


@pytest.mark.parametrize("dim", ["1", "-1"])
def test_accuracy_taking_the_argmax_of_its_labels_is_named(dim: str) -> None:
    """Fresh eyes 47: an accuracy that takes preds.argmax(dim) (as evaluate would, of scores)
    raised on labels and was told only that error, "fix this error first", in both its checks;
    named in the values check, and the error check waits for the values, as for any mistake."""
    source = reference_source("accuracy").replace(
        ") -> float:\n", f") -> float:\n    preds = preds.argmax(dim={dim})\n", 1)
    found = failed(verdicts(namespace(source), "accuracy"))
    assert found[part_c.ACC_VALUES].mistake == "argmax-of-labels", found[part_c.ACC_VALUES].message
    assert found[part_c.ACC_ERRORS].mistake == "not-working", found[part_c.ACC_ERRORS].message
