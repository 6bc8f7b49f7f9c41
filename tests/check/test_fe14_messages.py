"""Fresh eyes 14's reports on wording and double charges, each closed as a class and held
here in-process on the reference with one function rewritten: a mistake is named where a
probe confirms it, and charged once."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import edited, excused, failed, namespace, verdicts

KEEPDIM = {
    "softmax": '''
        def softmax(logits, dim=-1):
            exps = (logits - logits.max(dim=dim).values).exp()
            return exps / exps.sum(dim=dim, keepdim=True)
        ''',
    "log_softmax": '''
        def log_softmax(logits, dim=-1):
            shifted = logits - logits.amax(dim=dim, keepdim=True)
            return shifted - shifted.exp().sum(dim=dim).log()
        ''',
}


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_a_missing_keepdim_is_named_once_by_the_values_check(function) -> None:
    found = verdicts(namespace(KEEPDIM[function]), function)
    values = part_b.FAMILY_VALUES[function]
    assert set(failed(found)) == {values}
    assert failed(found)[values].mistake == "no-keepdim"
    assert "keepdim=True" in failed(found)[values].message
    # every check whose inputs are matrices points to it (the GPU check included)
    assert set(excused(found).values()) == {values} and len(excused(found)) == 4


def test_a_function_raising_on_matrices_for_want_of_work_is_not_excused() -> None:
    """Right on vectors is the condition: a stub raising everywhere loses every check."""
    found = verdicts(namespace('''
        def softmax(logits, dim=-1):
            raise ValueError("todo")
        '''), "softmax")
    assert not excused(found) and len(failed(found)) == 5


@pytest.mark.parametrize("fixed", [0, 1])
def test_a_hard_coded_dim_is_told_it_ignores_dim(fixed) -> None:
    found = verdicts(namespace(f'''
        def log_softmax(logits, dim=-1):
            shifted = logits - logits.amax(dim={fixed}, keepdim=True)
            return shifted - shifted.exp().sum(dim={fixed}, keepdim=True).log()
        '''), "log_softmax")
    verdict = failed(found)[part_b.LOG_SOFTMAX_VALUES]
    assert verdict.mistake == "ignores-dim" and f"along dim {fixed}" in verdict.message


def test_sum_returning_the_mean_is_named_and_not_an_ignored_argument() -> None:
    found = verdicts(namespace(edited(
        "binary_cross_entropy",
        "return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)",
        "losses = -(targets * log_p + (1 - targets) * log_1mp)\n"
        "    return losses if reduction == 'none' else losses.mean()")),
        "binary_cross_entropy")
    verdict = failed(found)[part_b.BCE_VALUES]
    assert verdict.mistake == "mean-for-sum", verdict.message


def test_pos_weight_along_the_rows_is_named() -> None:
    found = verdicts(namespace(edited(
        "binary_cross_entropy_with_logits",
        "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1",
        "weight = 1 + (pos_weight.reshape(-1, 1) - 1) * targets if pos_weight is not None else 1")),
        "binary_cross_entropy_with_logits")
    assert failed(found)[part_b.BCEL_POS_WEIGHT].mistake == "pos-weight-rows"


# precision_recall_f1 that ignores positive_class: every class gets class 1's F1
PRF_IGNORING_THE_CLASS = '''
        def precision_recall_f1(preds, targets, positive_class=1):
            if preds.shape != targets.shape:
                raise ValueError("shapes")
            p, t = preds == 1, targets == 1
            tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
            return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0,
                    2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        '''

def test_macro_f1_over_the_classes_present_is_its_own_beside_a_helper_ignoring_the_class():
    """A precision_recall_f1 that ignores positive_class gives every class one F1, and any
    average of equal numbers is that number: macro_f1 averaging over the classes present was
    excused as the helper's mistake. Run on correct helpers (a worker scenario), it is still
    wrong where classes are absent: charged there; where every class is present it is right
    on them, and its values check stays the helper's."""
    from lab05_checks import test_part_c_metrics as part_c

    found = verdicts(namespace(PRF_IGNORING_THE_CLASS, '''
        def macro_f1(preds, targets, num_classes):
            present = sorted(set(targets.tolist()) | set(preds.tolist()))
            scores = [precision_recall_f1(preds, targets, positive_class=c)[2] for c in present]
            return sum(scores) / len(scores)
        '''), "precision_recall_f1", "macro_f1")
    macro = {name for name in failed(found) if name.startswith("macro_f1")}
    assert macro == {part_c.MACRO_ABSENT}, macro
    assert excused(found).get(part_c.MACRO_VALUES, "").startswith("precision_recall_f1")


def test_a_correct_macro_f1_reaching_its_helper_by_an_alias_keeps_the_excuse():
    """The run on correct helpers swaps them by name: a macro_f1 holding the student's own
    helper in a default argument does not see the swap, and the unchanged value cannot tell
    (it stays the helper's mistake, charged once)."""
    from lab05_checks import test_part_c_metrics as part_c

    found = verdicts(namespace(PRF_IGNORING_THE_CLASS, '''
        def macro_f1(preds, targets, num_classes, _prf=precision_recall_f1):
            scores = [_prf(preds, targets, positive_class=c)[2] for c in range(num_classes)]
            return sum(scores) / num_classes
        '''), "precision_recall_f1", "macro_f1")
    assert not [name for name in failed(found) if name.startswith("macro_f1")]
    assert excused(found)[part_c.MACRO_ABSENT].startswith("precision_recall_f1")
