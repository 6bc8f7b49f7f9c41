"""A fresh outside review's (eighteenth round) reports on mistakes charged twice or named
wrongly, held here in-process on the reference with one function rewritten: a helper's
mistake is charged once, by the helper's own check."""

from __future__ import annotations

from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import edited, excused, failed, namespace, verdicts

PRF_EDITS_PREDS = '''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    preds[preds != positive_class] = -1
    tp = int(((preds == positive_class) & (targets == positive_class)).sum())
    fp = int(((preds == positive_class) & (targets != positive_class)).sum())
    fn = int(((preds != positive_class) & (targets == positive_class)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0
    return precision, recall, f1


def macro_f1(preds, targets, num_classes):
    return sum(precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)) / num_classes
'''


def test_a_helper_that_edits_the_labels_is_charged_once() -> None:
    """precision_recall_f1 sets the caller's other classes to -1; macro_f1, calling it once a
    class on the same tensors, scores each class after the first on edited labels. The edit
    is precision_recall_f1's in-place mistake, charged by its check; macro_f1's checks
    (values, absent classes) say so instead of charging it again (4 points)."""
    found = verdicts(namespace(PRF_EDITS_PREDS), "precision_recall_f1", "macro_f1")
    assert set(failed(found)) == {part_c.PRF_BINARY}, {k: v.message for k, v in
                                                       failed(found).items()}
    assert failed(found)[part_c.PRF_BINARY].mistake == "in-place"
    assert excused(found).get(part_c.MACRO_VALUES) == part_c.PRF_BINARY
    assert excused(found).get(part_c.MACRO_ABSENT) == part_c.PRF_BINARY


def test_a_default_positive_class_of_0_is_charged_once() -> None:
    """precision_recall_f1 with `positive_class=0` in its signature: the experiment cell,
    calling it without positive_class, gets class 0's F1. The binary check charges the
    default; always_negative_f1 is held to it (it was told "compute the F1 of the positive
    class", and lost 2 points)."""
    found = verdicts(namespace(edited("precision_recall_f1", "positive_class: int = 1",
                                      "positive_class: int = 0")),
                     "precision_recall_f1", "always_negative_f1")
    assert set(failed(found)) == {part_c.PRF_BINARY}, {k: v.message for k, v in
                                                       failed(found).items()}
    assert failed(found)[part_c.PRF_BINARY].mistake == "default-positive-class"
    assert excused(found).get(part_e.ALWAYS_NEGATIVE_F1) == part_c.PRF_BINARY
