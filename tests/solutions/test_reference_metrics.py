"""The reference metrics (Part C) match sklearn.metrics.

accuracy, confusion matrix (labels fixed by num_classes, absent classes included),
binary precision / recall / F1 (zero_division=0, one-vs-rest for multiclass input),
macro F1 over all classes; return types (Python float, int64 (C, C) tensor) and
validation.
"""

from __future__ import annotations

import lab05_reference as ref
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

METRICS = settings(max_examples=75, deadline=None)


def approx(value: float):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


@st.composite
def labelled(draw, max_classes: int = 6, max_n: int = 40, min_n: int = 1):
    """(preds, targets, num_classes): int64 class indices in [0, C), shape (N,)."""
    num_classes = draw(st.integers(1, max_classes))
    n = draw(st.integers(min_n, max_n))
    labels = st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n)
    preds = torch.tensor(draw(labels), dtype=torch.int64)
    targets = torch.tensor(draw(labels), dtype=torch.int64)
    return preds, targets, num_classes


def _np(t: torch.Tensor) -> np.ndarray:
    return t.numpy().copy()


# --------------------------------------------------------------------- accuracy
@METRICS
@given(case=labelled())
def test_accuracy_matches_sklearn_accuracy_score(case):
    preds, targets, _ = case
    preds0, targets0 = preds.clone(), targets.clone()
    value = ref.accuracy(preds, targets)
    assert type(value) is float
    assert value == approx(skm.accuracy_score(_np(targets), _np(preds)))
    assert torch.equal(preds, preds0) and torch.equal(targets, targets0)


def test_accuracy_explicit_values_including_n_equals_one():
    assert ref.accuracy(torch.tensor([1]), torch.tensor([1])) == 1.0
    assert ref.accuracy(torch.tensor([0]), torch.tensor([1])) == 0.0
    assert ref.accuracy(torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])) == 0.75


def test_accuracy_rejects_empty_input():
    empty = torch.zeros(0, dtype=torch.int64)
    with pytest.raises(ValueError):
        ref.accuracy(empty, empty)


@pytest.mark.parametrize(("shape_p", "shape_t"), [((3,), (4,)), ((4, 1), (4,)), ((4,), (4, 1))])
def test_accuracy_rejects_shape_mismatch(shape_p, shape_t):
    with pytest.raises(ValueError):
        ref.accuracy(
            torch.zeros(shape_p, dtype=torch.int64), torch.zeros(shape_t, dtype=torch.int64)
        )


# ------------------------------------------------------------- confusion matrix
# sklearn warns about a single label even when `labels` is passed (C = 1 draws).
@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")
@METRICS
@given(case=labelled())
def test_confusion_matrix_matches_sklearn_with_labels_range_c(case):
    preds, targets, num_classes = case
    preds0, targets0 = preds.clone(), targets.clone()
    matrix = ref.confusion_matrix(preds, targets, num_classes)
    expected = skm.confusion_matrix(_np(targets), _np(preds), labels=list(range(num_classes)))
    assert isinstance(matrix, torch.Tensor)
    assert matrix.dtype == torch.int64
    assert matrix.shape == (num_classes, num_classes)
    assert torch.equal(matrix, torch.from_numpy(expected).to(torch.int64))
    assert int(matrix.sum()) == preds.numel()
    assert torch.equal(preds, preds0) and torch.equal(targets, targets0)


def test_confusion_matrix_rows_are_true_classes_and_columns_predictions():
    # One sample of true class 0 predicted as 2: it must land at M[0, 2], not M[2, 0].
    matrix = ref.confusion_matrix(torch.tensor([2]), torch.tensor([0]), num_classes=3)
    expected = torch.zeros(3, 3, dtype=torch.int64)
    expected[0, 2] = 1
    assert torch.equal(matrix, expected)


def test_confusion_matrix_keeps_absent_classes():
    # Class 3 never occurs and class 2 is never predicted; the size is fixed by num_classes.
    preds = torch.tensor([0, 1, 1, 0, 1])
    targets = torch.tensor([0, 1, 2, 2, 1])
    matrix = ref.confusion_matrix(preds, targets, num_classes=4)
    expected = skm.confusion_matrix(_np(targets), _np(preds), labels=[0, 1, 2, 3])
    assert matrix.shape == (4, 4)
    assert torch.equal(matrix, torch.from_numpy(expected).to(torch.int64))
    assert matrix[3].sum() == 0 and matrix[:, 3].sum() == 0 and matrix[:, 2].sum() == 0
    assert matrix.tolist() == [[1, 0, 0, 0], [0, 2, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]


# ------------------------------------------------------- precision / recall / F1
def _sklearn_binary(y_true: np.ndarray, y_pred: np.ndarray, pos_label: int):
    kw = {"average": "binary", "pos_label": pos_label, "zero_division": 0}
    p, r, f, _ = skm.precision_recall_fscore_support(y_true, y_pred, **kw)
    assert p == skm.precision_score(y_true, y_pred, **kw)
    assert r == skm.recall_score(y_true, y_pred, **kw)
    assert f == skm.f1_score(y_true, y_pred, **kw)
    return float(p), float(r), float(f)


def _assert_prf(values, expected):
    assert isinstance(values, tuple) and len(values) == 3
    for got, want in zip(values, expected, strict=True):
        assert type(got) is float
        assert got == approx(want)


@METRICS
@given(case=labelled(max_classes=2), positive=st.sampled_from([0, 1]))
def test_precision_recall_f1_matches_sklearn_binary_with_pos_label(case, positive):
    preds, targets, _ = case
    values = ref.precision_recall_f1(preds, targets, positive_class=positive)
    _assert_prf(values, _sklearn_binary(_np(targets), _np(preds), pos_label=positive))


@METRICS
@given(case=labelled(), data=st.data())
def test_precision_recall_f1_one_vs_rest_for_multiclass_matches_sklearn_on_binarised(case, data):
    preds, targets, num_classes = case
    positive = data.draw(st.integers(0, num_classes - 1))
    preds0, targets0 = preds.clone(), targets.clone()
    values = ref.precision_recall_f1(preds, targets, positive_class=positive)
    y_true = (_np(targets) == positive).astype(np.int64)
    y_pred = (_np(preds) == positive).astype(np.int64)
    _assert_prf(values, _sklearn_binary(y_true, y_pred, pos_label=1))
    assert torch.equal(preds, preds0) and torch.equal(targets, targets0)


def test_precision_recall_f1_default_positive_class_is_one():
    preds = torch.tensor([1, 1, 0, 0, 1])
    targets = torch.tensor([1, 0, 0, 1, 1])
    assert ref.precision_recall_f1(preds, targets) == ref.precision_recall_f1(
        preds, targets, positive_class=1
    )
    _assert_prf(ref.precision_recall_f1(preds, targets), (2 / 3, 2 / 3, 2 / 3))


def test_precision_recall_f1_all_negative_predictions_give_zero_not_nan():
    preds = torch.zeros(10, dtype=torch.int64)
    targets = torch.tensor([0] * 7 + [1] * 3)
    values = ref.precision_recall_f1(preds, targets, positive_class=1)
    _assert_prf(values, _sklearn_binary(_np(targets), _np(preds), pos_label=1))
    _assert_prf(values, (0.0, 0.0, 0.0))


def test_precision_recall_f1_no_positives_at_all_gives_zero():
    # Neither predicted nor present: every ratio is 0/0, counted as 0.
    preds = torch.tensor([0, 2, 0, 2])
    targets = torch.tensor([2, 0, 0, 2])
    values = ref.precision_recall_f1(preds, targets, positive_class=1)
    y_true = (_np(targets) == 1).astype(np.int64)
    y_pred = (_np(preds) == 1).astype(np.int64)
    _assert_prf(values, _sklearn_binary(y_true, y_pred, pos_label=1))
    _assert_prf(values, (0.0, 0.0, 0.0))
    # Predicted but never present: precision 0 (all false positives), recall 0/0 -> 0.
    preds = torch.tensor([1, 1, 0, 0])
    targets = torch.zeros(4, dtype=torch.int64)
    values = ref.precision_recall_f1(preds, targets, positive_class=1)
    _assert_prf(values, _sklearn_binary(_np(targets), _np(preds), pos_label=1))
    _assert_prf(values, (0.0, 0.0, 0.0))


def test_precision_recall_f1_imbalanced_always_negative_trap():
    # 95% negatives: the always-negative classifier is 95% accurate and has F1 = 0.
    targets = torch.tensor([0] * 95 + [1] * 5)
    preds = torch.zeros(100, dtype=torch.int64)
    assert ref.accuracy(preds, targets) == approx(0.95)
    assert ref.precision_recall_f1(preds, targets, positive_class=1)[2] == 0.0
    assert ref.macro_f1(preds, targets, num_classes=2) == approx(
        skm.f1_score(_np(targets), _np(preds), average="macro", labels=[0, 1], zero_division=0)
    )


# --------------------------------------------------------------------- macro F1
def _sklearn_macro_f1(targets: torch.Tensor, preds: torch.Tensor, num_classes: int) -> float:
    return float(
        skm.f1_score(
            _np(targets),
            _np(preds),
            average="macro",
            labels=list(range(num_classes)),
            zero_division=0,
        )
    )


@METRICS
@given(case=labelled())
def test_macro_f1_matches_sklearn_macro_over_all_classes(case):
    preds, targets, num_classes = case
    preds0, targets0 = preds.clone(), targets.clone()
    value = ref.macro_f1(preds, targets, num_classes)
    assert type(value) is float
    assert value == approx(_sklearn_macro_f1(targets, preds, num_classes))
    assert torch.equal(preds, preds0) and torch.equal(targets, targets0)


def test_macro_f1_counts_absent_classes_as_zero():
    # Classes 2 and 3 never occur nor are predicted: F1 undefined, counted as 0, so the
    # mean is over all 4 classes (0.5), not over the 2 present ones (1.0).
    preds = torch.tensor([0, 1, 0, 1])
    targets = torch.tensor([0, 1, 0, 1])
    value = ref.macro_f1(preds, targets, num_classes=4)
    assert value == approx(_sklearn_macro_f1(targets, preds, 4))
    assert value == approx(0.5)
    assert ref.macro_f1(preds, targets, num_classes=2) == 1.0


def test_macro_f1_is_not_the_harmonic_mean_of_macro_precision_and_recall():
    # Per class: F1 = 0.5 and 0.5, so macro F1 = 0.5; macro precision = macro recall = 2/3,
    # whose harmonic mean is 2/3. The shortcut is wrong.
    preds = torch.tensor([0, 1, 1, 1])
    targets = torch.tensor([0, 0, 0, 1])
    y_true, y_pred = _np(targets), _np(preds)
    kw = {"average": "macro", "labels": [0, 1], "zero_division": 0}
    macro_p = skm.precision_score(y_true, y_pred, **kw)
    macro_r = skm.recall_score(y_true, y_pred, **kw)
    harmonic = 2 * macro_p * macro_r / (macro_p + macro_r)
    value = ref.macro_f1(preds, targets, num_classes=2)
    assert value == approx(_sklearn_macro_f1(targets, preds, 2))
    assert value == approx(0.5)
    assert harmonic == approx(2 / 3)
    assert abs(value - harmonic) > 0.1


def test_macro_f1_single_class_and_single_sample():
    one = torch.tensor([0])
    assert ref.macro_f1(one, one, num_classes=1) == 1.0
    assert ref.macro_f1(torch.tensor([1]), torch.tensor([0]), num_classes=3) == approx(
        _sklearn_macro_f1(torch.tensor([0]), torch.tensor([1]), 3)
    )
