"""Part C — metrics: accuracy, confusion_matrix, precision_recall_f1, macro_f1.

Metrics return plain Python floats (confusion_matrix an int64 (C, C) tensor). As in Part B,
one mistake costs one check: the return type is judged by each function's first check only
(the others read a 0-dim tensor as its number), and a diagnosed mistake (precision and recall
swapped, macro-F1 as the harmonic mean of macro precision and recall, micro-F1, a transposed
matrix) is charged by the check that names it; the edge-case checks hold the student to the
formula they implemented.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from autograder.check.compare import close_float, describe, expect_argument_used, expect_float
from autograder.check.registry import attributed_to, check, fail
from autograder.sandbox.protocol import NumpyArray
from autograder.sandbox.session import CallResult, StudentError


def _labels(values: list[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.int64)


def _random_labels(gen: torch.Generator, n: int, num_classes: int) -> torch.Tensor:
    return torch.randint(0, num_classes, (n,), generator=gen)


def _number(value: Any) -> Any:
    """A 0-dim tensor or numpy scalar as its Python number; anything else unchanged."""
    if isinstance(value, NumpyArray):
        value = value.tensor
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


def _slack(tol, expected: float) -> float:
    """The metric tolerance at `expected`: atol + rtol·|expected| (a relative part lets a
    metric computed in float32, e.g. `.float().mean().item()`, pass)."""
    return tol.metric.atol + tol.metric.rtol * abs(expected)


def _close(value: Any, expected: float, tol) -> bool:
    """Quietly: is `value` this number? nan or inf never match a finite reference."""
    return close_float(_number(value), expected, _slack(tol, expected))


def _is_nan(value: Any) -> bool:
    value = _number(value)
    return isinstance(value, float) and math.isnan(value)


def _reject_non_finite(function: str, values: Any, what: str) -> None:
    """Every metric of this part is finite (0/0 is defined as 0): a nan or inf fails here,
    before any diagnosis compares it (a comparison with nan is always false)."""
    for value in values if isinstance(values, (tuple, list)) else (values,):
        value = _number(value)
        if isinstance(value, float) and not math.isfinite(value):
            fail(f"{function} returned {value!r} {what} where the true value is finite: look "
                 "for a 0/0 or a division by zero and return the defined value instead.",
                 "not-finite")


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _counts(preds: torch.Tensor, targets: torch.Tensor, positive: int) -> tuple[int, int, int]:
    predicted, actual = preds == positive, targets == positive
    return (int((predicted & actual).sum()), int((predicted & ~actual).sum()),
            int((~predicted & actual).sum()))


def _quiet(student, function: str, *args: Any, **kwargs: Any) -> Any:
    """The student's value, or None where the function raised (its own check reports it)."""
    try:
        return student.call(function, *args, **kwargs).value
    except StudentError:
        return None


def _kept_inputs(result: CallResult, function: str) -> Any:
    """The call's value, once the run shows the function left its inputs as they were (the
    notebook's rule for every graded function: a caller's preds and targets are theirs)."""
    if result.mutated:
        fail(f"{function} modified its input tensors in place (the caller's preds or targets "
             "changed): compute on new tensors (preds == c, targets * C + preds) instead of "
             "in-place edits such as .sub_(), .mul_(), x[mask] = ….", "in-place")
    return result.value


def _zero_division_fail(function: str, error: StudentError | None, what: str) -> None:
    got = f"raised {error.kind}" if error is not None else "returned nan"
    fail(f"{function} {got} {what}: 0/0 must give 0.0 (sklearn's zero_division=0) — check "
         "the denominator and return 0.0 when it is 0.", "zero-division")


# ---------------------------------------------------------------- accuracy
ACC_VALUES = "accuracy: fraction of correct predictions as a Python float"


@check(ACC_VALUES,
       "accuracy is (preds == targets).sum() / N, returned as a Python float (use .item() or "
       "float(...)).",
       clauses=("fraction of predictions equal to the targets as a Python float",))
def test_accuracy_values(student, ref, tol):
    gen = torch.Generator().manual_seed(40)
    cases = [(_random_labels(gen, 25, 3), _random_labels(gen, 25, 3)),
             (_labels([1, 0, 2, 2]), _labels([1, 0, 2, 2])),
             (_labels([0, 0, 1]), _labels([1, 1, 0])),
             (_labels([4]), _labels([4])),
             (_random_labels(gen, 40, 2), _random_labels(gen, 40, 2))]
    for preds, targets in cases:
        value = _kept_inputs(student.call("accuracy", preds, targets), "accuracy")
        expected = ref.accuracy(preds, targets)
        n = preds.numel()
        _reject_non_finite("accuracy", value, f"for N = {n}")
        if not _close(value, expected, tol) and not isinstance(value, torch.Tensor):
            if n > 1 and expected > 0 and _close(value, expected * n, tol):
                fail("accuracy returned the number of correct predictions: divide by N to get "
                     "a fraction in [0, 1].", "count-not-fraction")
            if expected > 0 and _close(value, expected * 100, tol):
                fail("accuracy returned a percentage: return a fraction in [0, 1] (no × 100).",
                     "percentage")
        expect_float(value, expected, _slack(tol, expected), "accuracy",
                     f"for N = {n}", mistake="wrong-value")


ACC_ERRORS = "accuracy: raises ValueError for N = 0 or mismatched shapes"


@check(ACC_ERRORS,
       "accuracy should raise ValueError when preds.shape != targets.shape or there are no "
       "samples.",
       clauses=("raises ValueError when the shapes differ", "raises ValueError when N == 0"))
def test_accuracy_errors(student, tol):
    # Counts once accuracy works on valid input, so that a stub cannot score it.
    if not _close(student.call("accuracy", _labels([0, 1, 2, 1]), _labels([0, 1, 1, 1])).value,
                  0.75, tol):
        fail("accuracy: this check counts once accuracy returns correct values on valid input; "
             "fix the values check first.", "not-working")
    empty = torch.zeros(0, dtype=torch.int64)
    for preds, targets, accepted, fix, mistake in (
        (empty, empty, "empty inputs (N = 0)",
         "accuracy of no samples is undefined — raise ValueError instead of dividing by 0.",
         "no-empty-check"),
        (_labels([0, 1, 1, 0, 1]), _labels([0, 1, 1, 0]), "preds of shape (5,) with targets "
         "of shape (4,)", "check preds.shape == targets.shape and raise ValueError.",
         "no-shape-check"),
        (_labels([0, 1, 1, 0, 1]).reshape(5, 1), _labels([0, 1, 1, 0, 1]),
         "preds of shape (5, 1) with targets of shape (5,)",
         "check preds.shape == targets.shape and raise ValueError instead of silently "
         "broadcasting to (5, 5).", "no-shape-check"),
    ):
        try:
            student.call("accuracy", preds, targets)
        except StudentError as error:
            if error.is_a("ValueError"):
                continue
            if error.kind == "NotImplementedError":
                raise
            fail(f"accuracy raised {error.kind} for {accepted}: {fix}", mistake)
        fail(f"accuracy accepted {accepted}: {fix}", mistake)


# ---------------------------------------------------------------- confusion_matrix
def _matrix(value: Any) -> torch.Tensor | None:
    if isinstance(value, NumpyArray):
        value = value.tensor
    if isinstance(value, (list, tuple)):
        try:
            value = torch.tensor(value)
        except (TypeError, ValueError, RuntimeError, OverflowError):  # [None], ['a'], 10**30
            return None
    return value if isinstance(value, torch.Tensor) else None


CM_VALUES = "confusion_matrix: int64 (C, C) with rows = true class, columns = predicted class"


@check(CM_VALUES,
       "M[i, j] counts the samples of true class i predicted as j, as an int64 tensor of shape "
       "(num_classes, num_classes).",
       clauses=("rows = true class, columns = predicted class", "int64 tensor"))
def test_confusion_values(student, ref):
    gen = torch.Generator().manual_seed(41)
    cases = [(_random_labels(gen, 40, 4), _random_labels(gen, 40, 4), 4),
             (_labels([1, 1, 1, 0, 0, 1]), _labels([0, 1, 1, 0, 1, 1]), 2),
             (_labels([2, 0, 2, 1, 2]), _labels([0, 0, 2, 2, 1]), 3),
             (_labels([1]), _labels([0]), 2)]
    for preds, targets, num_classes in cases:
        value = _kept_inputs(student.call("confusion_matrix", preds, targets, num_classes),
                             "confusion_matrix")
        expected = ref.confusion_matrix(preds, targets, num_classes)
        if isinstance(value, NumpyArray):
            fail("confusion_matrix returned a numpy array: return a torch.Tensor.",
                 "returned-numpy")
        if not isinstance(value, torch.Tensor):
            fail(f"confusion_matrix returned {describe(value)}: return a torch.Tensor of "
                 "shape (num_classes, num_classes).", "wrong-type")
        if value.shape != expected.shape:
            fail(f"confusion_matrix returned shape {tuple(value.shape)} for num_classes="
                 f"{num_classes}: it must be (num_classes, num_classes).", "wrong-shape")
        if value.dtype != torch.int64:
            fail(f"confusion_matrix returned {value.dtype}: counts are int64 (create the matrix "
                 "with dtype=torch.int64 / torch.long).", "wrong-dtype")
        if torch.equal(value, expected):
            continue
        if torch.equal(value, expected.T):
            fail("confusion_matrix is transposed: rows are the true classes and columns the "
                 "predicted ones, M[target, pred] += 1 (you counted M[pred, target]).",
                 "transposed")
        fail(f"confusion_matrix gives wrong counts for num_classes={num_classes}: M[i, j] is the "
             "number of samples with target i and prediction j.", "wrong-value")


CM_ABSENT = "confusion_matrix: size fixed by num_classes even when a class is absent"


@check(CM_ABSENT,
       "Size the matrix by num_classes, not by the labels that happen to appear.",
       clauses=("(C, C) even if some class never occurs",))
def test_confusion_absent_classes(student, ref):
    preds, targets = _labels([0, 1, 2, 1, 0]), _labels([0, 2, 2, 1, 1])
    expect_argument_used(
        "confusion_matrix", "num_classes",
        (_quiet(student, "confusion_matrix", preds, targets, 3),
         _quiet(student, "confusion_matrix", preds, targets, 5)),
        (ref.confusion_matrix(preds, targets, 3), ref.confusion_matrix(preds, targets, 5)),
        "with num_classes=3 and num_classes=5 on the same labels",
        "Always size the matrix by num_classes, not by the labels that appear (torch.unique or "
        "max + 1 miss absent classes).")
    cases = [(_labels([0, 1, 2, 1, 0, 2]), _labels([0, 1, 3, 3, 1, 0]), 5),  # 4 never seen
             (_labels([0, 1, 1, 0]), _labels([1, 1, 0, 0]), 4),  # classes 2, 3 absent
             (_labels([2, 2, 2]), _labels([2, 2, 2]), 3)]  # only the last class
    for preds, targets, num_classes in cases:
        value = _matrix(student.call("confusion_matrix", preds, targets, num_classes).value)
        expected = ref.confusion_matrix(preds, targets, num_classes)
        if value is None:
            fail("confusion_matrix did not return a tensor of shape (num_classes, "
                 "num_classes).", "wrong-type")
        if value.shape != expected.shape:
            fail(f"confusion_matrix returned shape {tuple(value.shape)} for num_classes="
                 f"{num_classes} when some classes are absent: size the matrix by num_classes, "
                 "not by the labels present (torch.unique / max + 1 miss absent classes).",
                 "size-from-labels")
        # The orientation is the first check's business: either orientation counts here.
        if not (torch.equal(value.to(torch.int64), expected)
                or torch.equal(value.to(torch.int64), expected.T)):
            fail("confusion_matrix gives wrong counts when some classes are absent: absent "
                 "classes keep their own (all-zero) row and column, in label order.",
                 "absent-class")


# ---------------------------------------------------------------- precision_recall_f1
def _prf_reference(preds: torch.Tensor, targets: torch.Tensor, positive: int,
                   model: str) -> tuple[float, float, float]:
    tp, fp, fn = _counts(preds, targets, positive)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    if model == "arithmetic":
        return precision, recall, (precision + recall) / 2
    return (recall, precision, f1) if model == "swapped" else (precision, recall, f1)


def _prf_model(student, memo, tol) -> str:
    """'swapped' when the student's precision and recall trade places, 'arithmetic' when
    their F1 is (P + R) / 2 (cached): the other checks hold them to that model, so the
    mistake costs the binary check only."""
    if "precision_recall_f1:model" not in memo:
        preds = _labels([1, 1, 1, 1, 0, 0, 1, 0, 0, 1])
        targets = _labels([1, 1, 0, 0, 0, 1, 1, 0, 0, 0])  # precision 3/6, recall 3/4
        model = "reference"
        try:
            value = student.call("precision_recall_f1", preds, targets).value
        except StudentError:
            value = None
        if isinstance(value, (tuple, list)) and len(value) == 3:
            swapped = _prf_reference(preds, targets, 1, "swapped")
            if _close(value[0], swapped[0], tol) and _close(value[1], swapped[1], tol):
                model = "swapped"
            arithmetic = _prf_reference(preds, targets, 1, "arithmetic")
            if all(_close(v, e, tol) for v, e in zip(value, arithmetic, strict=True)):
                model = "arithmetic"
        memo["precision_recall_f1:model"] = model
    return memo["precision_recall_f1:model"]  # type: ignore[no-any-return]


def _expect_triple(value: Any, expected: tuple[float, float, float], tol, what: str,
                   strict_types: bool, mistake: str = "wrong-value") -> None:
    function = "precision_recall_f1"
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        sized = f" of {len(value)} values" if isinstance(value, (tuple, list)) else ""
        fail(f"{function} returned {describe(value)}{sized}: return a tuple "
             "(precision, recall, f1) of three Python floats.", "wrong-type")
    _reject_non_finite(function, value, what)
    for name, got, want in zip(("precision", "recall", "f1"), value, expected, strict=True):
        if strict_types:
            expect_float(got, want, _slack(tol, want), function, f"({name}) {what}",
                         mistake=mistake)
        elif not _close(got, want, tol):
            fail(f"{function} gives a wrong {name} {what}.", mistake)


PRF_BINARY = "precision_recall_f1: matches sklearn for binary labels (positive_class=1)"


@check(PRF_BINARY,
       "precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·P·R / (P + R), each a "
       "Python float.",
       clauses=("matches scikit-learn with zero_division=0",))
def test_prf_binary(student, ref, tol, memo):
    if _prf_model(student, memo, tol) == "swapped":
        fail("precision_recall_f1 has precision and recall swapped: precision = TP / (TP + FP) "
             "is the share of predicted positives that are right, recall = TP / (TP + FN) the "
             "share of actual positives that are found.", "precision-recall-swapped")
    if _prf_model(student, memo, tol) == "arithmetic":
        fail("precision_recall_f1 returns the arithmetic mean (P + R) / 2 as F1: F1 is their "
             "harmonic mean, 2·P·R / (P + R) = 2·TP / (2·TP + FP + FN), which stays low when "
             "either is low.", "f1-arithmetic-mean")
    gen = torch.Generator().manual_seed(42)
    cases = [(_labels([1, 0, 1, 1, 0, 1, 0, 0]), _labels([1, 1, 0, 1, 0, 1, 1, 0]))]
    while len(cases) < 5:
        preds, targets = _random_labels(gen, 30, 2), _random_labels(gen, 30, 2)
        if min(_counts(preds, targets, 1)) > 0:  # defined everywhere: 0/0 has its own check
            cases.append((preds, targets))
    for preds, targets in cases:
        value = _kept_inputs(student.call("precision_recall_f1", preds, targets),
                             "precision_recall_f1")
        _expect_triple(value, ref.precision_recall_f1(preds, targets), tol,
                       f"for N = {preds.numel()} binary labels", strict_types=True)


PRF_MULTI = "precision_recall_f1: one-vs-rest on positive_class for multiclass input"


@check(PRF_MULTI,
       "A sample is positive when its label equals positive_class; every other class counts "
       "as negative.",
       clauses=("one-vs-rest for multiclass input",))
def test_prf_multiclass(student, tol, memo):
    model = _prf_model(student, memo, tol)
    preds, targets = _labels([0, 1, 2, 1, 0, 2, 1]), _labels([0, 1, 1, 2, 0, 2, 0])
    expect_argument_used(
        "precision_recall_f1", "positive_class",
        (_quiet(student, "precision_recall_f1", preds, targets, positive_class=0),
         _quiet(student, "precision_recall_f1", preds, targets, positive_class=2)),
        (_prf_reference(preds, targets, 0, model), _prf_reference(preds, targets, 2, model)),
        "with positive_class=0 and positive_class=2 on the same labels",
        "Count a prediction as positive when preds == positive_class and a target when "
        "targets == positive_class (one-vs-rest).")
    gen = torch.Generator().manual_seed(43)
    cases = [(_labels([0, 1, 0, 0, 1, 1]), _labels([0, 0, 0, 1, 1, 0]), 0, 2)]
    while len(cases) < 5:
        preds, targets = _random_labels(gen, 30, 4), _random_labels(gen, 30, 4)
        positive = len(cases) % 4
        if min(_counts(preds, targets, positive)) > 0:
            cases.append((preds, targets, positive, 4))
    for preds, targets, positive, num_classes in cases:
        value = student.call("precision_recall_f1", preds, targets,
                             positive_class=positive).value
        expected = _prf_reference(preds, targets, positive, model)
        what = f"for {num_classes} classes with positive_class={positive}"
        _reject_non_finite("precision_recall_f1", value, what)
        if isinstance(value, (tuple, list)) and len(value) == 3 and not all(
                _close(v, e, tol) for v, e in zip(value, expected, strict=True)):
            if not _one_vs_rest_mistake(value, preds, targets, model, tol) \
                    and _wrong_on_binary_labels(student, model, tol):
                # the formula is wrong whatever the classes: the binary check charges it, once
                attributed_to(PRF_BINARY)
                return
            fail(f"precision_recall_f1 gives wrong values {what}: count a prediction as "
                 "positive when preds == positive_class and a target as positive when "
                 "targets == positive_class (one-vs-rest), not a fixed class 1 or 'nonzero'.",
                 "one-vs-rest")
        _expect_triple(value, expected, tol, what, strict_types=False)


def _one_vs_rest_mistake(value: Any, preds: torch.Tensor, targets: torch.Tensor, model: str,
                         tol) -> bool:
    """The values are those of a fixed positive class 1, or of every nonzero label positive."""
    fixed = _prf_reference(preds, targets, 1, model)
    nonzero = _prf_reference((preds != 0).long(), (targets != 0).long(), 1, model)
    return any(all(_close(v, e, tol) for v, e in zip(value, wrong, strict=True))
               for wrong in (fixed, nonzero))


def _wrong_on_binary_labels(student, model: str, tol) -> bool:
    """The binary check's first case (positive_class=1 on 0/1 labels) is wrong as well."""
    preds, targets = _labels([1, 0, 1, 1, 0, 1, 0, 0]), _labels([1, 1, 0, 1, 0, 1, 1, 0])
    value = _quiet(student, "precision_recall_f1", preds, targets)
    expected = _prf_reference(preds, targets, 1, model)
    return not (isinstance(value, (tuple, list)) and len(value) == 3
                and all(_close(v, e, tol) for v, e in zip(value, expected, strict=True)))


PRF_ZERO = "precision_recall_f1: 0 instead of nan when there are no predicted or true positives"


@check(PRF_ZERO,
       "When TP + FP = 0 (or TP + FN = 0) the ratio is 0/0: return 0.0 for it, as sklearn's "
       "zero_division=0 does.",
       clauses=("zero_division=0",))
def test_prf_zero_division(student, tol, memo):
    model = _prf_model(student, memo, tol)
    # Every 0/0 case has TP = 0, so the answer is (0, 0, 0): it counts once the function also
    # works on valid input, or a stub returning zeros would score it.
    preds, targets = _labels([1, 1, 0, 1, 0, 0]), _labels([1, 0, 0, 1, 1, 0])
    value = student.call("precision_recall_f1", preds, targets).value
    if not (isinstance(value, (tuple, list)) and len(value) == 3 and all(
            _close(v, e, tol) for v, e in zip(value, _prf_reference(preds, targets, 1, model),
                                              strict=True))):
        fail("precision_recall_f1: this check counts once precision_recall_f1 returns correct "
             "values on valid input; fix the values check first.", "not-working")
    cases = [
        (_labels([0, 0, 0, 0, 0]), _labels([1, 0, 1, 0, 0]), 1,
         "when nothing is predicted positive"),
        (_labels([1, 0, 1, 0, 0]), _labels([0, 0, 0, 0, 0]), 1,
         "when no target is positive"),
        (_labels([0, 0, 0]), _labels([0, 0, 0]), 1, "when there are no positives at all"),
        (_labels([0, 2, 1, 0]), _labels([1, 2, 0, 0]), 3,
         "when positive_class=3 never occurs"),
    ]
    for preds, targets, positive, what in cases:
        try:
            value = student.call("precision_recall_f1", preds, targets,
                                 positive_class=positive).value
        except StudentError as error:
            if not error.is_a("NotImplementedError") and any(  # (a stub is not a 0/0)
                    error.is_a(k) for k in ("ZeroDivisionError", "ValueError", "RuntimeError")):
                _zero_division_fail("precision_recall_f1", error, what)
            raise
        expected = _prf_reference(preds, targets, positive, model)
        if isinstance(value, (tuple, list)) and any(_is_nan(v) for v in value):
            _zero_division_fail("precision_recall_f1", None, what)
        _expect_triple(value, expected, tol, what, strict_types=False,
                       mistake="zero-division")


# ---------------------------------------------------------------- macro_f1
def _per_class(preds: torch.Tensor, targets: torch.Tensor,
               num_classes: int) -> list[tuple[int, int, int]]:
    return [_counts(preds, targets, c) for c in range(num_classes)]


def _macro_models(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> dict[str, float]:
    """Macro-F1 and the usual wrong formulas, all with 0/0 = 0 over num_classes classes."""
    counts = _per_class(preds, targets, num_classes)
    f1 = [_ratio(2 * tp, 2 * tp + fp + fn) for tp, fp, fn in counts]
    precision = sum(_ratio(tp, tp + fp) for tp, fp, _ in counts) / num_classes
    recall = sum(_ratio(tp, tp + fn) for tp, _, fn in counts) / num_classes
    support = [tp + fn for tp, _, fn in counts]
    n = preds.numel()
    return {
        "reference": sum(f1) / num_classes,
        "harmonic": _ratio(2 * precision * recall, precision + recall),
        "micro": _ratio(sum(tp for tp, _, _ in counts), n),
        "weighted": _ratio(sum(f * s for f, s in zip(f1, support, strict=True)), sum(support)),
        "arithmetic": sum((_ratio(tp, tp + fp) + _ratio(tp, tp + fn)) / 2
                          for tp, fp, fn in counts) / num_classes,
    }


MACRO_MESSAGES = {
    "harmonic": "macro_f1 takes the harmonic mean of macro precision and macro recall: "
                "macro-F1 is the mean of the per-class F1 scores — compute F1 for each class, then average.",
    "micro": "macro_f1 computes micro-F1 (for single-label data it equals accuracy): compute F1 "
             "for each class separately, then take their plain mean.",
    "arithmetic": "macro_f1 averages each class's (precision + recall) / 2, the arithmetic mean: "
                  "a class's F1 is the harmonic mean 2·TP / (2·TP + FP + FN) — compute that "
                  "for each class, then average.",
    "weighted": "macro_f1 weights each class's F1 by its support: macro-F1 is the plain mean "
                "over classes (every class counts the same, however rare).",
}


def _macro_model(student, memo, tol) -> str:
    """Which macro-F1 formula the student implemented (cached)."""
    if "macro_f1:model" not in memo:
        # Unequal support (2, 4 and 6 samples), so that every wrong formula gives its own value.
        preds = _labels([0, 0, 0, 1, 1, 2, 2, 2, 2, 0, 1, 2])
        targets = _labels([0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
        model = "reference"
        try:
            value = student.call("macro_f1", preds, targets, 3).value
        except StudentError:
            value = None
        candidates = _macro_models(preds, targets, 3)
        if not _close(value, candidates["reference"], tol):
            for name in MACRO_MESSAGES:
                if _close(value, candidates[name], tol):
                    model = name
                    break
        memo["macro_f1:model"] = model
    return memo["macro_f1:model"]  # type: ignore[no-any-return]


MACRO_VALUES = "macro_f1: mean of per-class F1 over num_classes (sklearn average='macro')"


@check(MACRO_VALUES,
       "macro_f1 averages the per-class F1 scores (2·TP / (2·TP + FP + FN) for each class), "
       "returned as a Python float.",
       clauses=("the plain mean of the per-class F1 over all num_classes classes",))
def test_macro_values(student, ref, tol, memo):
    model = _macro_model(student, memo, tol)
    if model in MACRO_MESSAGES:
        fail(MACRO_MESSAGES[model], f"macro-{model}")
    gen = torch.Generator().manual_seed(44)
    cases = [(_labels([0, 1, 1, 0, 1]), _labels([0, 1, 0, 0, 1]), 2)]
    while len(cases) < 5:
        num_classes = 3 + len(cases) % 2
        preds = _random_labels(gen, 40, num_classes)
        targets = _random_labels(gen, 40, num_classes)
        if all(tp > 0 for tp, _, _ in _per_class(preds, targets, num_classes)):
            cases.append((preds, targets, num_classes))
    for preds, targets, num_classes in cases:
        value = _kept_inputs(student.call("macro_f1", preds, targets, num_classes), "macro_f1")
        expected = ref.macro_f1(preds, targets, num_classes)
        _reject_non_finite("macro_f1", value, f"for {num_classes} classes")
        expect_float(value, expected, _slack(tol, expected), "macro_f1",
                     f"for {num_classes} classes", mistake="wrong-value")


MACRO_ABSENT = "macro_f1: absent classes count as F1 = 0 (divide by num_classes)"


@check(MACRO_ABSENT,
       "Every one of the num_classes classes counts, and a class whose F1 is 0/0 counts as 0.",
       clauses=("a class whose F1 is undefined counts as 0",))
def test_macro_absent_classes(student, tol, memo):
    model = _macro_model(student, memo, tol)
    preds, targets = _labels([0, 1, 2, 1, 0, 2]), _labels([0, 2, 2, 1, 1, 2])
    chosen = model if model in MACRO_MESSAGES else "reference"
    expect_argument_used(
        "macro_f1", "num_classes",
        (_quiet(student, "macro_f1", preds, targets, 3),
         _quiet(student, "macro_f1", preds, targets, 5)),
        (_macro_models(preds, targets, 3)[chosen], _macro_models(preds, targets, 5)[chosen]),
        "with num_classes=3 and num_classes=5 on the same labels",
        "Average over all num_classes classes (not the classes present): an absent class's "
        "F1 is 0.")
    cases = [
        (_labels([0, 1, 2, 1, 0, 2, 1]), _labels([0, 1, 3, 3, 1, 0, 1]), 5,
         "when class 4 never occurs and class 3 is never predicted"),
        (_labels([0, 1, 1, 0]), _labels([1, 1, 0, 0]), 4, "when classes 2 and 3 never occur"),
    ]
    for preds, targets, num_classes, what in cases:
        try:
            value = student.call("macro_f1", preds, targets, num_classes).value
        except StudentError as error:
            if not error.is_a("NotImplementedError") and any(  # (a stub is not a 0/0)
                    error.is_a(k) for k in ("ZeroDivisionError", "RuntimeError", "IndexError")):
                _zero_division_fail("macro_f1", error, what)
            raise
        if _is_nan(value):
            _zero_division_fail("macro_f1", None, what)
        models = _macro_models(preds, targets, num_classes)
        expected = models["reference" if model not in models else model]
        if _close(value, expected, tol):
            continue
        present = {int(c) for c in torch.cat([preds, targets]).unique()}
        f1 = [_ratio(2 * tp, 2 * tp + fp + fn)
              for tp, fp, fn in _per_class(preds, targets, num_classes)]
        if _close(value, sum(f1) / len(present), tol):
            fail(f"macro_f1 averages over the classes present {what}: divide by num_classes, "
                 "counting an absent class's F1 as 0.", "present-classes-only")
        fail(f"macro_f1 gives a wrong value {what}: every class in range(num_classes) counts, "
             "and a class with 2·TP + FP + FN = 0 has F1 = 0.", "absent-class")
