"""Mistakes review 37 and fresh eyes 35: one mistake charged more than once, or named wrong,
and correct code penalised. Judged in-process on the reference with the one change."""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import excused, failed, namespace, verdicts

COLLIDING_CELLS = '''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    idx = targets.long() * (num_classes - 1) + preds.long()
    counts = torch.bincount(idx, minlength=num_classes * num_classes)
    return counts[: num_classes * num_classes].reshape(num_classes, num_classes)
'''

PRF_ON_ITS_MATRIX = '''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    c = int(max(int(preds.max()), int(targets.max()), positive_class)) + 1
    cm = confusion_matrix(preds, targets, c)
    tp = int(cm[positive_class, positive_class])
    fp = int(cm[:, positive_class].sum()) - tp
    fn = int(cm[positive_class, :].sum()) - tp
    ratio = lambda a, b: a / b if b else 0.0
    return ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn)
'''


def test_a_matrix_whose_cells_collide_is_charged_by_its_values_check_alone() -> None:
    """A flat index t·(C − 1) + p: each sample counted once, in the wrong cell where two pairs
    collide, right on some labels. The absent-class check said "absent classes keep their
    row" (a second charge, naming another mistake); the functions built on the matrix lost
    their checks too (up to 12 points for one mistake)."""
    found = verdicts(namespace(COLLIDING_CELLS, PRF_ON_ITS_MATRIX), "confusion_matrix",
                     "precision_recall_f1", "macro_f1")
    assert set(failed(found)) == {part_c.CM_VALUES}, {k: v.message for k, v in
                                                      failed(found).items()}
    for held in (part_c.CM_ABSENT, part_c.PRF_BINARY, part_c.PRF_ZERO):
        assert excused(found).get(held) == part_c.CM_VALUES, held


def test_a_macro_f1_scoring_one_class_for_all_is_charged_by_its_values_check_alone() -> None:
    """precision_recall_f1 called without positive_class=c: every class scored as class 1,
    so the value does not change with num_classes — the absent-class check said "does not use
    its num_classes argument" (a second charge, and advice to average over the classes
    present). It is wrong where no class is absent: the values check's mistake."""
    found = verdicts(namespace('''
def macro_f1(preds, targets, num_classes):
    total = 0.0
    for c in range(num_classes):
        total += precision_recall_f1(preds, targets)[2]
    return total / num_classes
'''), "macro_f1")
    assert set(failed(found)) == {part_c.MACRO_VALUES}, {k: v.message for k, v in
                                                         failed(found).items()}
    assert excused(found).get(part_c.MACRO_ABSENT) == part_c.MACRO_VALUES


def test_an_f1_answer_lost_to_an_accuracy_raising_earlier_in_its_cell_is_not_charged() -> None:
    """The experiment cell sets always_negative_accuracy, then always_negative_f1: an accuracy
    that raises for N > 1 (`if not preds:`) stops the cell before the F1 line, which a right
    precision_recall_f1 would have answered: held to accuracy's check."""
    ns = namespace('''
def accuracy(preds, targets):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    if not preds:
        raise ValueError("empty input")
    return int((preds == targets).sum()) / preds.numel()
''')
    ns.pop("always_negative_f1", None)  # (the cell stopped at the line before)
    ns.pop("always_negative_accuracy", None)
    found = verdicts(ns, "always_negative_f1")
    assert part_e.ALWAYS_NEGATIVE_F1 not in failed(found)
    assert excused(found).get(part_e.ALWAYS_NEGATIVE_F1) == part_c.ACC_VALUES


def test_an_f1_answer_missing_beside_a_working_accuracy_is_still_charged() -> None:
    ns = namespace()
    ns.pop("always_negative_f1")
    found = verdicts(ns, "always_negative_f1")
    assert failed(found)[part_e.ALWAYS_NEGATIVE_F1].mistake == "missing"


def test_an_eps_inside_a_regression_loss_is_named_where_pred_equals_target() -> None:
    """|d| as sqrt(d² + 1e-12): ~1e-6 off near d = 0, told its reduction='none' was wrong.
    A probe at pred == target (the loss is 0 there) names the eps."""
    found = verdicts(namespace('''
def mae_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    d = pred - target
    return _reduce(torch.sqrt(d * d + 1e-12), reduction)
'''), "mae_loss")
    assert failed(found)[part_a.MAE_VALUES].mistake == "eps-in-formula"
    assert "not 0 where pred equals target" in failed(found)[part_a.MAE_VALUES].message


def test_get_device_asking_whether_torch_was_built_with_cuda_keeps_its_points() -> None:
    """Fresh eyes 35: `torch.backends.cuda.is_built() and torch.cuda.is_available()` (what
    `is_available()` itself asks first) is correct; the emulated GPU now answers as a CUDA
    build does, `torch.version.cuda` included."""
    for test in ("torch.backends.cuda.is_built()", "torch.version.cuda is not None"):
        found = verdicts(namespace(f'''
def get_device():
    return torch.device("cuda" if {test} and torch.cuda.is_available() else "cpu")
'''), "get_device")
        assert part_d.GET_DEVICE not in failed(found), (test, failed(found))
