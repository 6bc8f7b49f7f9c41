"""Part C — metrics: accuracy, confusion_matrix, precision_recall_f1, macro_f1.

Metrics return plain Python floats (confusion_matrix an int64 (C, C) tensor). As in Part B,
one mistake costs one check: the return type is judged by each function's first check only
(the others read a 0-dim tensor as its number), and a diagnosed mistake (precision and recall
swapped, macro-F1 as the harmonic mean of macro precision and recall, micro-F1, a transposed
matrix) is charged by the check that names it; the edge-case checks hold the student to the
formula they implemented.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable
from typing import Any

import torch

from autograder.check.compare import close_float, describe, expect_argument_used, expect_float
from autograder.check.registry import attributed_to, check, fail
from autograder.sandbox.protocol import NumpyArray
from autograder.sandbox.quoting import quotable_count, quotable_shape
from autograder.sandbox.session import CallResult, MissingFunction, StudentError
from lab05_checks.blame import Composition, HelperCall, helper_to_blame, same_result
from lab05_checks.forbidden import fresh_generator
from lab05_checks.reductions import every_invalid_named, expect_value_error


def _labels(values: list[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.int64)


def _random_labels(gen: torch.Generator, n: int, num_classes: int) -> torch.Tensor:
    return torch.randint(0, num_classes, (n,), generator=gen)


def _large_labels(num_classes: int, n: int = 1531) -> tuple[torch.Tensor, torch.Tensor]:
    """(preds, targets): `n` (1,531) labels of `num_classes` classes, about 60 % right, every class
    predicted and present: far more than the other cases, so a function right only on small
    inputs (a branch on N or on the number of classes) is wrong here (red team 37's accuracy
    of 1.0 past 64 samples and confusion matrix of zeros past 6 classes kept every point)."""
    gen = torch.Generator().manual_seed(37 + num_classes + (n - 1531))
    targets = torch.randint(0, num_classes, (n,), generator=gen)
    guesses = torch.randint(0, num_classes, (n,), generator=gen)
    preds = torch.where(torch.rand(n, generator=gen) < 0.6, targets, guesses)
    return preds, targets


# The dtypes a count may be kept in that cannot hold the counts of a large evaluation set
NARROW_COUNTS = (torch.uint8, torch.int8, torch.int16, torch.uint16, torch.float16,
                 torch.bfloat16)


def _narrow_counts(value: torch.Tensor, expected: torch.Tensor) -> bool:
    """The counts as a narrower dtype holds them: wrapped (uint8, int8, int16, uint16) or
    rounded (float16, bfloat16), where that differs from the counts themselves."""
    for narrow in NARROW_COUNTS:
        held = expected.to(narrow).to(torch.int64)
        if not torch.equal(held, expected) and torch.equal(value.to(torch.int64), held):
            return True
    return False


def _huge_labels() -> tuple[torch.Tensor, torch.Tensor]:
    """(preds, targets): 38,856 binary labels, shuffled, whose counts a narrow dtype cannot
    hold: TP (the (1, 1) cell) 32,803 and 33,804 right, past int16's 32,767; FP 3,001 and FN
    2,051, odd and past float16's exact 2,048, so that precision and recall move too (red
    team 99: an accuracy and a precision_recall_f1 counting in float16, a confusion matrix in
    int16, kept every point on cells of at most 3,637). No larger: a correct loop over the
    samples, one tensor index at a time, takes ~1 s here."""
    cells = ((1, 1, 32_803), (0, 1, 3_001), (1, 0, 2_051), (0, 0, 1_001))  # (true, pred, n)
    targets = torch.cat([torch.full((n,), t, dtype=torch.int64) for t, _, n in cells])
    preds = torch.cat([torch.full((n,), p, dtype=torch.int64) for _, p, n in cells])
    order = torch.randperm(len(targets), generator=torch.Generator().manual_seed(99))
    return preds[order], targets[order]


def _narrowed(count: int, narrow: torch.dtype) -> float:
    """`count` as a `narrow` tensor holds it: wrapped, rounded, or inf past float16's range."""
    return float(torch.tensor(count).to(narrow).to(torch.float64))


def _magnitude(count: int) -> str:
    """A count in words, for a message that must not quote the hidden inputs' own."""
    return ("tens of thousands" if count >= 10_000 else "thousands" if count >= 1000
            else "hundreds")


def _every_pair(num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(preds, targets): every (target, prediction) pair of `num_classes` classes once, and
    `_large_labels`' on top, in a shuffled order: counts past float32's exact cells (a
    confusion matrix counted by a float histogram, `torch.histc`, puts samples in a
    neighbour's cell once there are ~100 classes: mistakes review 32's, right on 13)."""
    grid = torch.arange(num_classes)
    preds, targets = _large_labels(num_classes)
    preds = torch.cat([grid.repeat(num_classes), preds])
    targets = torch.cat([grid.repeat_interleave(num_classes), targets])
    order = torch.randperm(len(preds), generator=torch.Generator().manual_seed(32))
    return preds[order], targets[order]


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
    return _mixed_counts(preds == positive, targets == positive)


def _quiet(student, function: str, *args: Any, **kwargs: Any) -> Any:
    """The student's value, or None where the function raised (its own check reports it)."""
    try:
        return student.call(function, *args, **kwargs).value
    except StudentError:
        return None


def _ignores_an_input(student, ref, function: str, classes: int, *rest: Any,
                      **kwargs: Any) -> bool:
    """The function does no work on one of its labels: on labels of its own (three draws of
    ten labels of `classes` classes, four a class for more than two), its result stays the
    same whenever only the predictions, or only the targets, change (reordered, or each a class on) where the
    reference's result changes. Such a result is never excused as its helper's mistake (red
    team 26's macro_f1 and precision_recall_f1, both the mean of the predictions: the one a
    "composition" over the other, each the other's mistake to charge, +4 for no work). A
    function that reads its labels, even wrongly (a matrix counting each pair once), changes
    with one of these."""
    moves = (lambda t: t.roll(1), lambda t: t.roll(3), lambda t: (t + 1) % classes)
    gen = torch.Generator().manual_seed(26)
    n = max(10, 4 * classes)  # (ten labels of 13 classes: most of them absent everywhere)
    draws = [(_random_labels(gen, n, classes), _random_labels(gen, n, classes))
             for _ in range(3)]
    for which in (0, 1):
        unchanged, seen = True, False
        for preds, targets in draws:
            mine = _quiet(student, function, preds, targets, *rest, **kwargs)
            if mine is None:
                return False
            right = getattr(ref, function)(preds, targets, *rest, **kwargs)
            for move in moves:
                labels = [preds, targets]
                labels[which] = move(labels[which])
                if same_result(getattr(ref, function)(*labels, *rest, **kwargs), right):
                    continue  # (a change that makes no difference to the reference)
                seen = True
                if not same_result(_quiet(student, function, *labels, *rest, **kwargs), mine):
                    unchanged = False
                    break
            if not unchanged:
                break
        if seen and unchanged:
            return True
    return False


# The graded metrics a function may be built on: an input changed in place by one of them is
# that helper's mistake, charged once by its own values check (fresh eyes 6: a
# confusion_matrix doing `targets *= C` also cost macro_f1, which only called it).
_HELPERS_OF = {"precision_recall_f1": ("confusion_matrix", "accuracy"),
               "macro_f1": ("confusion_matrix", "precision_recall_f1", "accuracy")}


def _helper_edits_inputs(student, function: str, preds: torch.Tensor,
                         targets: torch.Tensor, num_classes: int | None) -> str:
    """The values check of a helper of `function` that changes these inputs in place ("" for
    none): a probe of each helper on the same inputs."""
    classes = num_classes or int(max(int(preds.max()), int(targets.max()))) + 1
    args = {"confusion_matrix": (preds, targets, classes), "accuracy": (preds, targets),
            "precision_recall_f1": (preds, targets)}
    for helper in _HELPERS_OF.get(function, ()):
        try:
            if student.call(helper, *args[helper]).mutated:
                return HELPER_VALUES[helper]
        except (StudentError, MissingFunction):
            continue
    return ""


def _kept_inputs(result: CallResult, function: str, student: Any = None,
                 inputs: tuple[torch.Tensor, torch.Tensor, int | None] | None = None) -> Any:
    """The call's value, once the run shows the function left its inputs as they were (the
    notebook's rule for every graded function: a caller's preds and targets are theirs).
    Where one of its helpers changes them (`student` and `inputs` given), that helper's
    check charges it: this one is held to the value."""
    if result.mutated and student is not None and inputs is not None:
        helper = _helper_edits_inputs(student, function, *inputs)
        if helper:
            attributed_to(helper)
            return result.value
    if result.mutated:
        names = ("preds", "targets")
        which = [names[i] for i in result.mutated if isinstance(i, int) and 0 <= i < 2]
        changed = " and ".join(which) if which else "preds or targets"
        fail(f"{function} modifies its inputs: after the call the caller's {changed} tensor "
             "holds other values (changed in place). A graded function must never change its "
             "arguments — compute on new tensors (preds == c, targets * C + preds) instead "
             "of in-place edits such as +=, *=, .sub_(), .mul_(), x[mask] = ….", "in-place")
    return result.value


def _edited_by_its_helper(student, ref, tol, result: CallResult, inputs: tuple[torch.Tensor,
                          torch.Tensor, int]) -> str:
    """The values check of macro_f1's helper that changes the caller's labels in place, when
    that edit is what made macro_f1 wrong here ("" otherwise): the call changed its inputs,
    a helper's probe changes them too, and macro_f1 run with correct helpers in place of
    the student's is right on these labels (a fresh outside review's precision_recall_f1
    that sets the other classes to -1 in the caller's preds: macro_f1, calling it once a
    class on the same tensors, scored each class after the first on edited labels, and lost
    both its checks for the helper's one mistake)."""
    if not result.mutated:
        return ""
    helper = _helper_edits_inputs(student, "macro_f1", *inputs)
    if helper and _right_on_library_helpers(student, ref, tol, *inputs):
        return helper
    return ""


def _zero_division_fail(function: str, error: StudentError | None, what: str) -> None:
    got = f"raised {error.kind}" if error is not None else "returned nan"
    fail(f"{function} {got} {what}: 0/0 must give 0.0 (sklearn's zero_division=0) — check "
         "the denominator and return 0.0 when it is 0.", "zero-division")


def _same_number(value: Any, expected: Any, tol) -> bool:
    """Quietly: the same number, nan for nan (a composition over a helper returning nan)."""
    expected = _number(expected)
    if isinstance(expected, float) and math.isnan(expected):
        return _is_nan(value)
    return isinstance(expected, (int, float)) and _close(value, float(expected), tol)


def _same_triple(value: Any, expected: Any, tol) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) == 3
            and isinstance(expected, (tuple, list)) and len(expected) == 3
            and all(_same_number(v, e, tol) for v, e in zip(value, expected, strict=True)))


def _zero_division_value(number: float) -> str:
    """What a metric gave for a 0/0, as feedback may say it: the usual wrong answers (1.0, 0.5,
    nan) by name, any other as such (the student's own float, quoted to any precision, can
    spell hidden labels: outside red teams did it past the decimal point, then in the
    exponent of 6.5e+134)."""
    if math.isnan(number):
        return "nan"
    return repr(float(number)) if number in (1.0, 0.5, -0.0, 0.0) else "another value"


def _rounded(function: str, value: Any, expected: float, tol, what: str,
             again: Callable[[], tuple[Any, float]] | None = None) -> None:
    """Fails naming the rounding when `value` is the right one rounded to a few decimals
    where the exact value is not such a short decimal (this input is the probe: a mistakes
    review's `round(accuracy, 2)` was told only "a wrong value", and `round(..., 3)` passed
    on sizes that divide 1000). Not to 0 decimals: 0 and 1 are what many a wrong metric
    returns (mistakes review 32's true positives counted over every class was told it
    rounded). `again`: a second input's (value, exact value), where the same rounding must
    show too — one value can be a rounding by chance (fresh eyes 55's harmonic mean of the
    per-class F1s was told it rounded to 1 decimal)."""
    if _close(_number(value), expected, tol):
        return
    digits = _rounded_digits(value, expected)
    if digits and again is not None:
        try:
            other, exact = again()
        except Exception:  # (the second input raises: no rounding confirmed)
            return
        if _rounded_digits(other, exact) != digits:
            return
    if digits:
        # (the value not quoted: its last digits are the student's to choose — an outside
        # red team spelt hidden labels in them — and the rest is the hidden answer)
        fail(f"{function} rounds its result to {digits} decimal"
             f"{'' if digits == 1 else 's'} {what}: return the exact value, and round only "
             "when you print it.", "rounded")


def _rounded_digits(value: Any, expected: float) -> int:
    """The 1 to 6 decimals `value` is `expected` rounded to, where the exact value is not so
    short a decimal (0: none)."""
    number = _number(value)
    if type(number) not in (int, float) or not math.isfinite(expected):
        return 0
    return next((digits for digits in range(1, 7) if round(expected, digits) != expected
                 and abs(float(number) - round(expected, digits)) <= 1e-12), 0)


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
             (_random_labels(gen, 40, 2), _random_labels(gen, 40, 2)),
             # 4 of 7: no short decimal (every size above divides 1000, so a result rounded
             # to 3 decimals was exact on all of them)
             (_labels([0, 1, 2, 0, 1, 2, 0]), _labels([0, 1, 1, 0, 2, 2, 1])),
             _large_labels(5), _huge_labels()]
    for preds, targets in cases:
        try:
            value = _kept_inputs(student.call("accuracy", preds, targets), "accuracy")
        except StudentError as error:
            _expect_labels_not_scores(student, tol, error)
            raise
        expected = ref.accuracy(preds, targets)
        n = preds.numel()
        _narrow_count_diagnosis(value, int((preds == targets).sum()), n, tol)
        _reject_non_finite("accuracy", value, f"for N = {n}")
        if not _close(value, expected, tol) and not isinstance(value, torch.Tensor):
            if n > 1 and expected > 0 and _close(value, expected * n, tol):
                fail("accuracy returned the number of correct predictions: divide by N to get "
                     "a fraction in [0, 1].", "count-not-fraction")
            if expected > 0 and _close(value, expected * 100, tol):
                fail("accuracy returned a percentage: return a fraction in [0, 1] (no × 100).",
                     "percentage")
            # (before the error rate: a strict comparison also gives 0.0 where every
            # prediction is right, the error rate's probe)
            _comparison_diagnosis(student, value, preds, targets, tol)
            if expected != 0.5 and _close(value, 1.0 - expected, tol) and _close(
                    _quiet(student, "accuracy", _labels([0, 1, 2]), _labels([0, 1, 2])), 0.0,
                    tol):
                # (confirmed: 0.0 where every prediction is right — mistakes review 29)
                fail("accuracy returned the error rate, the fraction of wrong predictions: "
                     "count preds == targets, not !=.", "error-rate")
            _integer_division_diagnosis(student, value, expected, n, tol)
            _half_precision_diagnosis("accuracy", value, expected, tol, f"for N = {n}")
            _rounded("accuracy", value, expected, tol, f"for N = {n}",
                     again=lambda: _accuracy_again(student, ref))
        expect_float(value, expected, _slack(tol, expected), "accuracy",
                     f"for N = {n}", mistake="wrong-value")


def _expect_labels_not_scores(student, tol, raised: StudentError) -> None:
    """accuracy raises on predicted labels (N,) and is right on scores (N, C) whose argmax
    they are: it takes the argmax of its preds, as an evaluate loop does (fresh eyes 47: told
    only its IndexError, "fix this error first")."""
    if raised.is_a("NotImplementedError"):
        return
    preds, targets = _labels([0, 2, 1, 1, 0]), _labels([0, 2, 2, 1, 1])
    scores = torch.nn.functional.one_hot(preds, 3).double() + 0.1
    if _close(_quiet(student, "accuracy", scores, targets), 0.6, tol):
        fail(f"accuracy raises {raised.excerpt()} on predicted labels of shape (N,), and is "
             "right when given scores of shape (N, C): it takes the argmax of its preds, "
             "which are already labels — compare preds == targets directly (the argmax "
             "belongs where the model's scores are, in evaluate).", "argmax-of-labels")


# Comparisons other than equality, and two pairs of labels on which each gives a fraction
# of its own (on each pair, at most one other comparison gives the same as another)
_COMPARISONS = {">=": torch.ge, "<=": torch.le, ">": torch.gt, "<": torch.lt}
COMPARISON_PROBES = ((_labels([2, 2, 0, 1, 0]), _labels([0, 2, 1, 1, 2])),
                     (_labels([1, 0, 2, 2]), _labels([0, 0, 0, 1])))


def _comparison_diagnosis(student, value: Any, preds: torch.Tensor, targets: torch.Tensor,
                          tol) -> None:
    """The value is the fraction of preds >= targets (or <=, >, <), and so it is on two
    probes where each comparison gives its own fraction: a prediction counted right by
    another comparison than equality (fresh eyes 53: told only "a wrong value")."""
    for op, compare in _COMPARISONS.items():
        if not _close(value, float(compare(preds, targets).double().mean()), tol):
            continue
        if all(_close(_quiet(student, "accuracy", p, t),
                      float(compare(p, t).double().mean()), tol)
               for p, t in COMPARISON_PROBES):
            fail(f"accuracy counts a prediction as right where preds {op} targets: a "
                 "prediction is right only where it equals its label — count "
                 "preds == targets.", "comparison-not-equality")


def _half_precision_diagnosis(function: str, value: Any, expected: float, tol,
                              what: str) -> None:
    """The value is the exact one as a 16-bit float holds it (float16 or bfloat16: ~3 and ~2
    significant digits), where that is not the exact value (fresh eyes 55's accuracy as the
    mean of a float16 tensor was told only "a wrong value")."""
    number = _number(value)
    if type(number) not in (int, float) or not math.isfinite(expected):
        return
    for half in (torch.float16, torch.bfloat16):
        held = float(torch.tensor(expected, dtype=half))
        if not math.isclose(held, expected, rel_tol=0, abs_tol=1e-12) and _close(
                number, held, tol):
            fail(f"{function} computes in {str(half).replace('torch.', '')} (half precision) "
                 f"{what}: its value carries that dtype's rounding, about 3 significant "
                 "digits — count with .sum() (an integer) and divide as Python numbers, or "
                 "in float64.", "half-precision")


def _narrow_count_diagnosis(value: Any, correct: int, n: int, tol) -> None:
    """The value is the count of right predictions as a narrow dtype holds it, over N: a count
    kept in float16 (inf past 65,504, rounded past 2,048) or a small integer type (wrapped)."""
    number = _number(value)
    if type(number) not in (int, float):
        return
    for narrow in NARROW_COUNTS:
        held = _narrowed(correct, narrow)
        if held != correct and (number == held / n if math.isinf(held) else _close(
                number, held / n, tol)):
            fail(f"accuracy counts the right predictions in {str(narrow).replace('torch.', '')}, "
                 f"which cannot hold {correct:,} exactly (for N = {n:,}): count in int64 — "
                 "(preds == targets).sum() is one — and divide as Python numbers.",
                 "narrow-counts")


def _integer_division_diagnosis(student, value: Any, expected: float, n: int, tol) -> None:
    """The value is floor(correct / N) where the true fraction is not a whole number, and a
    probe confirms it: 0.0 for 3 of 4 right, 1.0 for 4 of 4 (`//`, or int() of the ratio)."""
    correct = round(expected * n)
    if correct % n == 0 or not _close(value, float(correct // n), tol):
        return
    right = _labels([0, 1, 2, 1])
    if _close(_quiet(student, "accuracy", _labels([0, 1, 2, 2]), right), 0.0, tol) and _close(
            _quiet(student, "accuracy", right, right), 1.0, tol):
        fail(f"accuracy uses integer (floor) division: for N = {n} it returns "
             f"{float(correct // n)}, since correct // N (or int(correct / N)) is 0 unless "
             "every prediction is right — divide with / (true division): "
             "(preds == targets).sum().item() / N.", "integer-division")


# Probes of "some behaviour works" for the error check: right on at least one of them.
ACC_GATE = ((_labels([0, 1, 2, 1]), _labels([0, 1, 1, 1]), 0.75),
            (_labels([2, 0, 1]), _labels([2, 0, 1]), 1.0),
            (_labels([1, 1, 0]), _labels([0, 2, 1]), 0.0))


ACC_ERRORS = "accuracy: raises ValueError for N = 0 or mismatched shapes"


@check(ACC_ERRORS,
       "accuracy should raise ValueError when preds.shape != targets.shape or there are no "
       "samples.",
       clauses=("raises ValueError when the shapes differ", "raises ValueError when N == 0"))
def test_accuracy_errors(student, tol):
    # Counts once accuracy computes something right on valid input (one of a few probes:
    # validation is judged apart from the values, which their own check charges), so that a
    # stub cannot score it.
    # A constant is no computation (an outside red team's `return 0.0` is right on the probe
    # whose answer is 0): right on one probe, and not the same value on all of them.
    values = [_quiet(student, "accuracy", preds, targets) for preds, targets, _ in ACC_GATE]
    if not (any(_close(value, expected, tol)
                for value, (_, _, expected) in zip(values, ACC_GATE, strict=True))
            and len({repr(value) for value in values}) > 1):
        try:  # (a stub's NotImplementedError, as such; another error is the values check's)
            student.call("accuracy", *ACC_GATE[0][:2])
        except StudentError as error:
            if error.is_a("NotImplementedError"):
                raise
        fail("accuracy: this check counts once accuracy returns a correct value on valid "
             "input; fix the values check first.", "not-working")
    empty = torch.zeros(0, dtype=torch.int64)
    cases = (
        (empty, empty, "empty inputs (N = 0)",
         "accuracy of no samples is undefined — raise ValueError instead of dividing by 0.",
         "no-empty-check"),
        (_labels([0, 1, 1, 0, 1]), _labels([0, 1, 1, 0]), "preds of shape (5,) with targets "
         "of shape (4,)", "check preds.shape == targets.shape and raise ValueError.",
         "no-shape-check"),
        (_labels([0, 1, 1, 0, 1]).reshape(5, 1), _labels([0, 1, 1, 0, 1]),
         "preds of shape (5, 1) with targets of shape (5,)",
         "check preds.shape == targets.shape and raise ValueError, before anything else "
         "(no reshaping of either to fit, no broadcasting to (5, 5)).", "no-shape-check"),
        # (scores of 3 classes are not labels: mistakes review 33's accuracy took their
        # argmax, as an evaluate loop would, where the spec asks for labels of shape (N,))
        (torch.tensor([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3],
                       [0.5, 0.2, 0.3]]), _labels([1, 0, 2, 1, 0]),
         "preds of shape (5, 3) (scores, not labels) with targets of shape (5,)",
         "accuracy takes predicted labels of shape (N,): check preds.shape == targets.shape "
         "and raise ValueError (take the argmax of scores before calling it).",
         "no-shape-check"),
    )
    # (each invalid input it accepts named, not only the first: a fresh outside review's)
    with every_invalid_named(lambda *a, **k: student.call("accuracy", *a, **k),
                             [(accepted, (preds, targets), {})
                              for preds, targets, accepted, _, _ in cases]):
        for preds, targets, accepted, fix, mistake in cases:
            try:
                student.call("accuracy", preds, targets)
            except StudentError as error:
                expect_value_error("accuracy", error, accepted, fix, mistake)
                continue
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
             (_labels([1]), _labels([0]), 2), (*_large_labels(13), 13),
             (*_every_pair(100), 100),
             # cells of several hundred samples (fresh eyes 55's counts in uint8 wrapped past
             # 255 and kept every point: no cell of the others reached 255)
             (*_large_labels(2), 2),
             # cells of thousands (red team 95's counts in float16, exact only to 2,048: a
             # 10,000-sample evaluation set's matrix came out one off)
             (*_huge_labels(), 2)]  # (red team 99's int16 wrapped past 32,767)
    for preds, targets, num_classes in cases:
        try:
            value = _kept_inputs(student.call("confusion_matrix", preds, targets, num_classes),
                                 "confusion_matrix")
        except StudentError as error:
            if error.kind != "NotImplementedError" and _sized_by_data(student, ref, preds,
                                                                     targets, num_classes):
                attributed_to(CM_ABSENT)  # (sized by the data: the absent-class check's)
                continue
            raise
        expected = ref.confusion_matrix(preds, targets, num_classes)
        if isinstance(value, torch.Tensor) and value.shape != expected.shape and \
                _sized_by_data(student, ref, preds, targets, num_classes):
            attributed_to(CM_ABSENT)
            continue
        if isinstance(value, NumpyArray):
            fail("confusion_matrix returned a numpy array: return a torch.Tensor.",
                 "returned-numpy")
        if not isinstance(value, torch.Tensor):
            fail(f"confusion_matrix returned {describe(value)}: return a torch.Tensor of "
                 "shape (num_classes, num_classes).", "wrong-type")
        if value.dim() == 2 and tuple(value.shape) in (
                (num_classes + 1, num_classes + 1), (num_classes - 1, num_classes - 1)):
            # (fresh eyes 46: num_classes ± 1, told only of a shape)
            more = value.shape[0] > num_classes
            fail(f"confusion_matrix returned a matrix one row and one column too "
                 f"{'large' if more else 'small'} for num_classes={num_classes}: the classes "
                 "are 0 … num_classes − 1, so the matrix is (num_classes, num_classes) — "
                 f"{'no' if more else 'not'} num_classes {'+' if more else '−'} 1.",
                 "wrong-shape")
        if value.shape != expected.shape:
            fail(f"confusion_matrix returned shape {quotable_shape(value.shape, expected.shape)} "
                 f"for num_classes={num_classes}: it must be (num_classes, num_classes).", "wrong-shape")
        if value.dtype != torch.int64:
            _expect_counts_not_rates(value, expected)
            fail(f"confusion_matrix returned {value.dtype}: counts are int64 (create the matrix "
                 "with dtype=torch.int64 / torch.long).", "wrong-dtype")
        if torch.equal(value, expected):
            continue
        if torch.equal(value, expected.T):
            fail("confusion_matrix is transposed: rows are the true classes and columns the "
                 "predicted ones, M[target, pred] += 1 (you counted M[pred, target]).",
                 "transposed")
        if any(torch.equal(value, torch.roll(expected, (shift, shift), (0, 1)))
               for shift in (-1, 1)):
            fail("confusion_matrix puts every class one row and one column off (M[t − 1, p − 1] "
                 "or M[t + 1, p + 1], as if the classes were 1 … num_classes): the classes are "
                 "0 … num_classes − 1, each its own row and column — count M[t, p].",
                 "shifted-index")
        if torch.equal(value, (expected > 0).to(torch.int64)) or \
                torch.equal(value, (expected.T > 0).to(torch.int64)):
            fail("confusion_matrix counts each (target, prediction) pair at most once: "
                 "M[targets, preds] += 1 with index tensors does not add up repeated pairs — "
                 "use index_put_ with accumulate=True, torch.bincount, or a loop.",
                 "repeated-pairs")
        if _narrow_counts(value, expected):
            fail(f"confusion_matrix counts in a dtype too small for its counts (uint8, int8, "
                 f"int16, uint16 or float16): a cell past its range comes out wrong (cells of "
                 f"{_magnitude(int(expected.max()))} of samples, "
                 f"num_classes={num_classes}) — count in int64 from the "
                 "start (torch.zeros(..., dtype=torch.int64), bincount).", "narrow-counts")
        counted, samples = int(value.sum()), int(expected.sum())
        if counted != samples:  # (fresh eyes 11: a loop over range(len(preds) - 1))
            # (a total far from the samples' is not quoted: an outside red team's matrix
            # summed to 902820284340750070, hidden predictions in its digits)
            said = str(counted) if abs(counted - samples) <= 3 or counted in (
                0, 2 * samples) else "another number of"
            fail(f"confusion_matrix counts {said} samples where there are {samples} (for "
                 f"num_classes={num_classes}): every (target, prediction) pair is counted exactly "
                 "once — check the range of your loop or what you index.", "wrong-total")
        fail(f"confusion_matrix gives wrong counts for num_classes={num_classes}: M[i, j] is the "
             "number of samples with target i and prediction j.", "wrong-value")


def _expect_counts_not_rates(value: torch.Tensor, expected: torch.Tensor) -> None:
    """Each row (or column, or the whole matrix) divided by its total: rates where counts
    are asked (fresh eyes 70's row-normalised matrix was told only its dtype, and .long() on
    the rates gives zeros)."""
    if not value.is_floating_point():
        return
    counts = expected.double()
    for how, total in (("row", counts.sum(dim=1, keepdim=True)),
                       ("column", counts.sum(dim=0, keepdim=True)), ("", counts.sum())):
        rates = counts / torch.clamp(total, min=1)
        if torch.allclose(value.double(), rates, atol=1e-6) and not torch.equal(rates, counts):
            what = f"each {how} divided by its total" if how else "the counts divided by N"
            fail(f"confusion_matrix returns {what} (rates): it holds the counts themselves, "
                 "int64 — normalise where you report it, not in the matrix.", "normalised")


CM_ABSENT = "confusion_matrix: size fixed by num_classes even when a class is absent"


def _sized_by_data(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                   num_classes: int) -> bool:
    """The matrix is right once the labels reach its last cell (a sample of class C − 1
    predicted as C − 1 appended): it takes its size from the labels (`bincount` without
    `minlength`, `max() + 1`), which the absent-class check charges (fresh eyes 8: one
    missing `minlength` cost both checks)."""
    last = torch.tensor([num_classes - 1], dtype=preds.dtype)
    more_preds, more_targets = torch.cat([preds, last]), torch.cat([targets, last])
    value = _quiet(student, "confusion_matrix", more_preds, more_targets, num_classes)
    return isinstance(value, torch.Tensor) and _matrix_right(
        value, ref.confusion_matrix(more_preds, more_targets, num_classes))


def _sized_otherwise(student, num_classes: int, shape: torch.Size) -> bool:
    """On labels where every class of num_classes occurs, the matrix has this same (wrong)
    shape: its size comes from something other than the labels present."""
    every = torch.arange(num_classes)
    value = _matrix(_quiet(student, "confusion_matrix", every, every.flip(0), num_classes))
    return value is not None and value.shape == shape


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
        try:
            value = _matrix(student.call("confusion_matrix", preds, targets, num_classes).value)
        except StudentError as error:
            if error.kind != "NotImplementedError" and _sized_by_data(student, ref, preds,
                                                                     targets, num_classes):
                fail(f"confusion_matrix raises {error.excerpt()} when the labels never reach "
                     f"the last cell (class {num_classes - 1} predicted as {num_classes - 1}):"
                     " it takes its size from the labels — size it by num_classes "
                     "(torch.bincount(..., minlength=num_classes ** 2), or torch.zeros((C, C), "
                     "dtype=torch.int64) filled with index_put_).", "size-from-labels")
            raise
        expected = ref.confusion_matrix(preds, targets, num_classes)
        if value is None:
            fail("confusion_matrix did not return a tensor of shape (num_classes, "
                 "num_classes).", "wrong-type")
        if value.shape != expected.shape and _sized_otherwise(student, num_classes,
                                                              value.shape):
            # (the same wrong size with every class present: not the labels' — fresh eyes
            # 46's num_classes + 1 was told to stop sizing by the labels present)
            attributed_to(CM_VALUES)
            return
        if value.shape != expected.shape:
            fail(f"confusion_matrix returned shape {quotable_shape(value.shape, expected.shape)} "
                 f"for num_classes={num_classes} when some classes are absent: size the matrix "
                 "by num_classes, not by the labels present (torch.unique / max + 1 miss absent classes).",
                 "size-from-labels")
        # The orientation is the first check's business: either orientation counts here.
        if not (torch.equal(value.to(torch.int64), expected)
                or torch.equal(value.to(torch.int64), expected.T)):
            if (_absent_kept_empty(value, expected) and _is_a_matrix(student, ref, 3)) \
                    or _wrong_with_every_class(student, ref):
                # absent classes right (their rows and columns empty), the counts of the
                # present ones wrong: the values check's mistake (fresh eyes 9: repeated pairs
                # counted once, charged by both checks); or wrong where no class is absent
                # too, though it counts right somewhere (mistakes review 37: a flat index
                # t·(C − 1) + p whose cells collide, told "absent classes keep their row")
                attributed_to(CM_VALUES)
                continue
            fail("confusion_matrix gives wrong counts when some classes are absent: absent "
                 "classes keep their own (all-zero) row and column, in label order.",
                 "absent-class")


def _absent_kept_empty(value: torch.Tensor, expected: torch.Tensor) -> bool:
    """Every class absent from the labels has an empty row and column in `value`, as in
    `expected` (the absent-class rule kept, whatever the other counts)."""
    absent = [c for c in range(expected.shape[0])
              if not expected[c].any() and not expected[:, c].any()]
    return bool(absent) and all(not value[c].any() and not value[:, c].any() for c in absent)


# Labels where every class occurs (3 and 4 classes: each class a true and a predicted label)
EVERY_CLASS = ((_labels([0, 1, 2, 1, 0]), _labels([0, 1, 2, 0, 1]), 3),
               (_labels([1, 2, 0, 3, 0, 1, 3, 2]), _labels([3, 2, 0, 1, 1, 0, 3, 2]), 4))
# A few labels of two kinds of (true, predicted) pair each: a matrix right on one of them
# counts pairs into their cells (a stub, a constant or a matrix of ones is right on none)
FEW_PAIRS = ((_labels([1]), _labels([0]), 2), (_labels([0, 1]), _labels([0, 0]), 2),
             (_labels([1, 0]), _labels([1, 1]), 2), (_labels([0, 1]), _labels([0, 0]), 3),
             (_labels([2, 0]), _labels([2, 2]), 3), (_labels([1, 2]), _labels([0, 0]), 3))


def _either_way(value: Any, expected: torch.Tensor) -> bool:
    """`value` is the matrix `expected` or its transpose (the orientation is the values
    check's to judge)."""
    matrix = _matrix(value)
    return matrix is not None and matrix.shape == expected.shape and (
        torch.equal(matrix.to(torch.int64), expected)
        or torch.equal(matrix.to(torch.int64), expected.T))


def _counts_somewhere(student, ref, num_classes: int | None = None) -> bool:
    """The student's confusion_matrix is right (either way round) on one of `FEW_PAIRS`
    (of `num_classes` classes, if given): it counts pairs into cells, right at least there."""
    return any(_either_way(_quiet(student, "confusion_matrix", preds, targets, c),
                           ref.confusion_matrix(preds, targets, c))
               for preds, targets, c in FEW_PAIRS if num_classes in (None, c))


def _wrong_with_every_class(student, ref) -> bool:
    """The student's confusion_matrix is wrong on labels where no class is absent, though it
    counts right somewhere (`_counts_somewhere`): a mistake of the values check's, which a
    case with absent classes shows too."""
    return any(not _either_way(_quiet(student, "confusion_matrix", preds, targets, c),
                               ref.confusion_matrix(preds, targets, c))
               for preds, targets, c in EVERY_CLASS) and _counts_somewhere(student, ref)


# ---------------------------------------------------------------- built on the student's helpers
def _matrix_right(value: Any, expected: torch.Tensor) -> bool:
    matrix = _matrix(value)
    return matrix is not None and matrix.shape == expected.shape and torch.equal(
        matrix.to(torch.int64), expected)


def _matrix_check(num_classes: int):
    """The confusion_matrix check that charges a wrong matrix: the absent-class check for
    a size other than num_classes (taken from the labels), the values check otherwise."""
    def check(outputs: list[Any]) -> str:
        matrix = _matrix(outputs[0])
        return CM_VALUES if matrix is not None and matrix.shape[0] == num_classes else CM_ABSENT
    return check


def _f1_per_class(matrix: torch.Tensor) -> list[float]:
    """Per-class F1 of a matrix read as rows = true class, columns = predicted class."""
    m = matrix.to(torch.int64)
    return [_ratio(2 * int(m[c, c]), int(m[:, c].sum()) + int(m[c, :].sum()))
            for c in range(m.shape[0])]


def _prf_of_matrix(value: Any, positive: int) -> tuple[float, float, float]:
    """precision, recall and F1 of `positive`, read correctly off a confusion matrix."""
    m = _matrix(value)
    if m is None or m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError("not a square matrix")
    m = m.to(torch.int64)
    tp = int(m[positive, positive])
    fp, fn = int(m[:, positive].sum()) - tp, int(m[positive, :].sum()) - tp
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def _via_matrix(ref, caller: str, preds: torch.Tensor, targets: torch.Tensor,
                num_classes: int, compose, control) -> Composition:
    return Composition(caller, "confusion_matrix", _matrix_check(num_classes),
                       (HelperCall((preds, targets, num_classes),
                                   ref.confusion_matrix(preds, targets, num_classes)),),
                       lambda outputs: compose(outputs[0]), _matrix_right, control)


# Controls (`blame.Composition.control`): labels where the usual wrong helpers are right (a
# symmetric confusion with every class present, each (true, predicted) pair once: a
# transposed or label-sized matrix is the true one, and so is one that counts a repeated
# pair once — `m[targets, preds] += 1`, fresh eyes 9's, charged then on every function built
# on it), so a caller built on them must be right there, and a stub over a stub (zeros over
# a matrix of zeros) is not. A helper wrong there too (a precision_recall_f1 that tests
# `tp - fp` for its 0/0 is wrong wherever TP = FP, as in every symmetric confusion) is asked
# on the next labels, whose counts differ from one another within every class (binary: TP,
# FP, FN, TN of 4, 1, 2, 3; three classes: TP, FP, FN of 4, 1, 2 / 3, 1, 2 / 2, 3, 1): the
# caller is judged on the first labels where its helper is right.
CONTROL_BINARY = (_labels([0, 1, 0, 1]), _labels([0, 0, 1, 1]))
CONTROL_MULTI = (_labels([0, 1, 2, 1, 0]), _labels([0, 1, 2, 0, 1]))
CONTROLS_BINARY = (CONTROL_BINARY, (_labels([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]),
                                    _labels([1, 1, 1, 1, 0, 1, 1, 0, 0, 0])))
CONTROLS_MULTI = (CONTROL_MULTI, (_labels([0, 0, 0, 0, 1, 2, 1, 1, 1, 2, 2, 0, 2, 2]),
                                  _labels([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2])))


def _first_right(candidates, helper_right) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The first control labels where the student's helper is right (None: right on none)."""
    return next((labels for labels in candidates if helper_right(labels)), None)


# Labels where some (true, predicted) pairs never occur, each other pair once: a helper counts
# only the pairs the labels hold (right, transposed, off by a dropped sample, or counting a
# repeated pair once); a stub of ones or of constants counts pairs that never occur, and one
# that counts something else (m[targets, targets] = 1) misses the total (an outside red team
# made constant metrics pass over a matrix of ones: a constant composes over a constant).
SPARSE = {2: (_labels([0, 1, 1]), _labels([0, 0, 1])),
          3: (_labels([0, 1, 1, 2, 0, 2]), _labels([0, 0, 1, 1, 2, 2]))}


def _is_a_matrix(student, ref, num_classes: int) -> bool:
    """The student's confusion_matrix counts the labels' pairs (`SPARSE`): a helper whose
    callers may be judged over it."""
    labels = SPARSE[num_classes]
    expected = ref.confusion_matrix(*labels, num_classes)
    m = _matrix(_quiet(student, "confusion_matrix", *labels, num_classes))
    if m is None or m.shape != expected.shape:
        return False
    if _matrix_right(m, expected):
        return True
    m = m.to(torch.int64)
    occur = expected != 0
    only_pairs = not bool(((m != 0) & ~occur).any()) or not bool(((m != 0) & ~occur.T).any())
    if only_pairs and int(m.sum()) > 0 and abs(int(m.sum()) - int(expected.sum())) <= 1:
        return True
    # ... or each sample counted once, into cells of its own reckoning, by a matrix right on
    # some labels (mistakes review 37: a flat index t·(C − 1) + p, whose cells collide, cost
    # the precision_recall_f1 and macro_f1 built on it their checks too)
    return int(m.sum()) == int(expected.sum()) and _counts_somewhere(student, ref, num_classes)


def _matrix_control(student, ref, candidates, num_classes: int, caller_right,
                    caller_composes) -> bool:
    """The student's matrix counts the labels' pairs (`_is_a_matrix`), and the caller is
    right on the first control labels where it is right too. A matrix right on none (one
    that drops the last sample: fresh eyes 11's, which cost precision_recall_f1 and macro_f1
    built on it their values checks too) has its callers judged by composing over it on
    each of them."""
    if not _is_a_matrix(student, ref, num_classes):
        return False
    matrices = [_matrix(_quiet(student, "confusion_matrix", *labels, num_classes))
                for labels in candidates]
    for labels, matrix in zip(candidates, matrices, strict=True):
        if matrix is not None and _matrix_right(matrix, ref.confusion_matrix(*labels,
                                                                              num_classes)):
            return bool(caller_right(labels))
    return all(matrix is not None and matrix.shape == (num_classes, num_classes)
               and caller_composes(labels, matrix)
               for labels, matrix in zip(candidates, matrices, strict=True))


def _prf_control(student, ref, tol) -> bool:
    return _matrix_control(
        student, ref, CONTROLS_BINARY, 2,
        lambda labels: _same_triple(_quiet(student, "precision_recall_f1", *labels),
                                    ref.precision_recall_f1(*labels), tol),
        lambda labels, m: _same_triple(_quiet(student, "precision_recall_f1", *labels),
                                       _prf_of_matrix(m, 1), tol))


def _macro_control(student, ref, tol, helper: str,
                   inputs: tuple[torch.Tensor, torch.Tensor, int] | None = None) -> bool:
    if helper == "confusion_matrix":
        def composes(labels: tuple[torch.Tensor, torch.Tensor], m: torch.Tensor) -> bool:
            f1 = _f1_per_class(m)
            value = _quiet(student, "macro_f1", *labels, 3)
            return _close(value, sum(f1) / len(f1), tol) or _close(value, sum(f1) / 3, tol)

        return _matrix_control(
            student, ref, CONTROLS_MULTI, 3,
            lambda labels: _close(_quiet(student, "macro_f1", *labels, 3),
                                  ref.macro_f1(*labels, 3), tol), composes) \
            and _composes_across_a_gap(student, tol)
    labels = _first_right(CONTROLS_BINARY, lambda labels: all(_same_triple(
        _quiet(student, "precision_recall_f1", *labels, positive_class=c),
        ref.precision_recall_f1(*labels, positive_class=c), tol) for c in (0, 1)))
    if labels is None and inputs is not None:
        # The helper wrong on every control (fresh eyes 52's precision counting true
        # negatives: macro_f1 over it was charged too): the correct helpers swapped in decide,
        # where the swap gives the right value (a run the swap did not change tells nothing)
        return _close(_on_library_helpers(student, *inputs), ref.macro_f1(*inputs), tol)
    return labels is not None and _close(_quiet(student, "macro_f1", *labels, 2),
                                         ref.macro_f1(*labels, 2), tol) \
        and (inputs is None or _right_on_library_helpers(student, ref, tol, *inputs))


def _right_on_library_helpers(student, ref, tol, preds: torch.Tensor, targets: torch.Tensor,
                              num_classes: int) -> bool:
    """macro_f1 run on these inputs with correct precision_recall_f1 and confusion_matrix in
    place of the student's (worker scenario `macro_with_library_helpers`) is right: a wrong
    value over the student's helpers is then theirs. A helper that ignores positive_class
    gives every class one F1, so no composition of its outputs can tell an average over the
    classes present from one over num_classes (fe14: the absent-classes check excused it).
    A run whose value the swap did not change cannot tell (a helper reached by another name,
    an alias or a default argument): the composition's evidence stands, as before."""
    value = _on_library_helpers(student, preds, targets, num_classes)
    return _close(value, ref.macro_f1(preds, targets, num_classes), tol) or (
        isinstance(value, float) and _close(_quiet(student, "macro_f1", preds, targets,
                                                   num_classes), value, tol))


def _on_library_helpers(student, preds: torch.Tensor, targets: torch.Tensor,
                        num_classes: int) -> float | None:
    """macro_f1's value on these inputs with correct precision_recall_f1 and confusion_matrix
    in place of the student's (worker scenario `macro_with_library_helpers`); None where the
    run raised or gave no number."""
    try:
        outcome = student.scenario("macro_with_library_helpers", {
            "preds": preds, "targets": targets, "num_classes": num_classes})
    except Exception:  # (a call cut at its limit, a missing function: nothing confirmed)
        return None
    if not isinstance(outcome, dict) or outcome.get("error") is not None:
        return None
    value = outcome.get("value")
    return value if isinstance(value, float) else None


# Labels with classes 0 and 3 of 4 absent: 2 classes present, a matrix sized by the labels
# (max + 1) has 3, num_classes is 4, so a macro_f1 that averages over the classes present and
# one that averages over its matrix's classes (or num_classes) give three different values.
GAP = (_labels([1, 2, 2, 1, 2]), _labels([1, 2, 1, 1, 2]), 4)


def _composes_across_a_gap(student, tol) -> bool:
    """macro_f1 composes over the student's confusion_matrix on labels with an absent class
    below the largest (`GAP`): where that matrix is sized by the labels, the controls (every
    class present) cannot tell a macro_f1 built on it from one that averages over the classes
    present without it (fresh eyes 13's m07: that mistake was excused as the matrix's). A
    caller that raises counts as composing where the matrix is not num_classes square (reading
    class num_classes − 1 off it raises in a correct caller too) or could not be made."""
    preds, targets, num_classes = GAP
    m = _matrix(_quiet(student, "confusion_matrix", preds, targets, num_classes))
    value = _quiet(student, "macro_f1", preds, targets, num_classes)
    if m is None or m.ndim != 2 or m.shape[0] != m.shape[1] or (m.is_floating_point() \
            and not bool(torch.isfinite(m).all())):
        return value is None
    if value is None:
        return tuple(m.shape) != (num_classes, num_classes)
    f1 = _f1_per_class(m)
    return bool(f1) and (_close(value, sum(f1) / len(f1), tol)
                         or _close(value, sum(f1) / num_classes, tol))


def _prf_compositions(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                      positive: int, tol) -> list[Composition]:
    """precision_recall_f1 built on the student's confusion_matrix: of the one-vs-rest
    labels (2 classes), or of the labels themselves (as many classes as they show)."""
    binary_p, binary_t = (preds == positive).long(), (targets == positive).long()
    classes = int(max(int(preds.max()), int(targets.max()), positive)) + 1
    control = functools.partial(_prf_control, student, ref, tol)
    return [
        _via_matrix(ref, "precision_recall_f1", binary_p, binary_t, 2,
                    lambda m: [_prf_of_matrix(m, 1)], control),
        _via_matrix(ref, "precision_recall_f1", preds, targets, classes,
                    lambda m: [_prf_of_matrix(m, positive)], control),
    ]


def _prf_blamed(student, ref, value: Any, preds: torch.Tensor, targets: torch.Tensor,
                positive: int, tol, floats: bool = False) -> bool:
    """precision_recall_f1's value is right for the student's own (wrong) confusion_matrix
    (`floats`: and made of Python floats, so a return type stays this function's mistake)."""
    if floats and not (isinstance(value, (tuple, list))
                       and all(type(v) is float for v in value)):
        return False
    if _ignores_an_input(student, ref, "precision_recall_f1", max(positive + 1, 3),
                         positive_class=positive):
        return False
    return helper_to_blame(student, value, lambda v, e: _same_triple(v, e, tol),
                           _prf_compositions(student, ref, preds, targets, positive, tol))


def _prf_check(student, tol, calls: tuple[HelperCall, ...]) -> Any:
    """The precision_recall_f1 check that charges its wrong outputs on `calls`: the 0/0 check
    when one is nan, the binary check when the formula is wrong on binary labels too, the 0/0
    check again when only classes whose ratios are 0/0 are wrong (an F1 of -1 for an absent
    class) and the outputs differ by class, else the one-vs-rest check (the same answer for
    every positive_class is one that ignores it, whichever classes it happens to fit)."""
    def zero_division(call: HelperCall) -> bool:
        # (TP = 0: a ratio's 0/0, or the F1's 2PR / (P + R) with P = R = 0)
        preds, targets = call.args
        return _counts(preds, targets, call.kwargs["positive_class"])[0] == 0

    def check(outputs: list[Any]) -> str:
        if any(isinstance(out, (tuple, list)) and any(_is_nan(v) for v in out)
               for out in outputs):
            return PRF_ZERO
        if _wrong_on_binary_labels(student, "reference", tol):
            return PRF_BINARY
        wrong = [call for out, call in zip(outputs, calls, strict=True)
                 if not _same_triple(out, call.expected, tol)]
        # (one answer for every class, where the classes' answers differ, ignores the class)
        alike = all(_same_triple(out, outputs[0], tol) for out in outputs) and not all(
            _same_triple(call.expected, calls[0].expected, tol) for call in calls)
        return PRF_ZERO if wrong and not alike and all(map(zero_division, wrong)) else PRF_MULTI
    return check


def _macro_compositions(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                        num_classes: int, tol) -> list[Composition]:
    """macro_f1 built on the student's confusion_matrix (per-class F1 off the matrix,
    averaged over its classes or over num_classes) or on their precision_recall_f1 (the
    mean of F1 over positive_class = 0 … num_classes − 1)."""
    def over_matrix(m: Any) -> list[float]:
        f1 = _f1_per_class(_matrix(m))  # type: ignore[arg-type]
        return [sum(f1) / len(f1), sum(f1) / num_classes]

    per_class = tuple(HelperCall((preds, targets), ref.precision_recall_f1(
        preds, targets, positive_class=c), {"positive_class": c}) for c in range(num_classes))
    return [
        _via_matrix(ref, "macro_f1", preds, targets, num_classes, over_matrix,
                    functools.partial(_macro_control, student, ref, tol, "confusion_matrix")),
        Composition("macro_f1", "precision_recall_f1", _prf_check(student, tol, per_class),
                    per_class,
                    lambda outputs: [sum(_number(out[2]) for out in outputs) / num_classes],
                    lambda v, e: _same_triple(v, e, tol),
                    functools.partial(_macro_control, student, ref, tol,
                                      "precision_recall_f1", (preds, targets, num_classes))),
    ]


def _kind_from_helper(student, value: Any, preds: torch.Tensor, targets: torch.Tensor) -> bool:
    """macro_f1's number is right but not a Python float, and precision_recall_f1 gives its
    values in that same kind (numpy values or tensors where floats are due): macro_f1 built on
    it returns what it is given, the helper's mistake (fresh eyes 7: one numpy habit charged
    by both checks)."""
    try:
        out = student.call("precision_recall_f1", preds, targets, positive_class=0).value
    except StudentError:
        return False
    if not (isinstance(out, (tuple, list)) and len(out) == 3):
        return False
    kinds = {type(v) for v in out}
    return type(value) in kinds and not kinds <= {float}


def _present_classes_past_helpers(student, preds: torch.Tensor, targets: torch.Tensor,
                                  num_classes: int, tol, what: str) -> None:
    """macro_f1 raised through a helper of the student's on labels with an absent class: with
    correct helpers in place of theirs (`macro_with_library_helpers`) it averages over the
    classes present — its own mistake, which the helper's crash hid (fresh eyes 71's m11:
    told only the helper's NameError)."""
    value = _on_library_helpers(student, preds, targets, num_classes)
    f1 = [_ratio(2 * tp, 2 * tp + fp + fn)
          for tp, fp, fn in _per_class(preds, targets, num_classes)]
    present = {int(c) for c in torch.cat([preds, targets]).unique()}
    if value is not None and not _close(value, sum(f1) / num_classes, tol) and _close(
            value, sum(f1) / len(present), tol):
        fail(f"macro_f1 averages over the classes present {what}: divide by num_classes, "
             "counting an absent class's F1 as 0. (Judged with correct helpers in place of "
             "yours, which raise on these labels.)", "present-classes-only")


def _macro_blamed(student, ref, value: Any, preds: torch.Tensor, targets: torch.Tensor,
                  num_classes: int, tol) -> bool:
    if _ignores_an_input(student, ref, "macro_f1", num_classes, num_classes):
        # No work shows over the student's helpers. Correct helpers in its place make it
        # right: it is built on them and does its own part (red team 31: a correct macro_f1
        # over an all-zeros confusion_matrix was charged, and told it ignores num_classes).
        return _close(_on_library_helpers(student, preds, targets, num_classes),
                      ref.macro_f1(preds, targets, num_classes), tol)
    return helper_to_blame(student, value, lambda v, e: _same_number(v, e, tol),
                           _macro_compositions(student, ref, preds, targets, num_classes, tol)) \
        or _wrong_helper_confirmed(student, ref, preds, targets, num_classes, tol)


def _wrong_helper_confirmed(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                            num_classes: int, tol) -> bool:
    """macro_f1 over a helper wrong in a way no composition models — a row-normalised
    confusion matrix read through int() (fresh eyes 70: the reference's macro_f1 charged 2
    for the matrix's mistake) —, confirmed by a run: a helper of the student's is wrong on
    these labels, and with correct helpers in place of theirs (`macro_with_library_helpers`)
    macro_f1 is right. The wrong helper's check charges it (the matrix's first)."""
    if not _close(_on_library_helpers(student, preds, targets, num_classes),
                  ref.macro_f1(preds, targets, num_classes), tol):
        return False
    matrix = _quiet(student, "confusion_matrix", preds, targets, num_classes)
    if not _matrix_right(matrix, ref.confusion_matrix(preds, targets, num_classes)):
        attributed_to(_matrix_check(num_classes)([matrix]))
        return True
    calls = tuple(HelperCall((preds, targets), ref.precision_recall_f1(
        preds, targets, positive_class=c), {"positive_class": c}) for c in range(num_classes))
    outputs = [_quiet(student, "precision_recall_f1", preds, targets, positive_class=c)
               for c in range(num_classes)]
    if all(_same_triple(out, call.expected, tol)
           for out, call in zip(outputs, calls, strict=True)):
        return False  # (its helpers are right here: the value is macro_f1's own)
    attributed_to(_prf_check(student, tol, calls)(outputs))
    return True


# ---------------------------------------------------------------- precision_recall_f1
def _prf_reference(preds: torch.Tensor, targets: torch.Tensor, positive: int,
                   model: str) -> tuple[float, float, float]:
    tp, fp, fn = _counts(preds, targets, positive)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    if model == "arithmetic":
        return precision, recall, (precision + recall) / 2
    return (recall, precision, f1) if model == "swapped" else (precision, recall, f1)


PRF_MODEL_PROBE = (_labels([1, 1, 1, 1, 0, 0, 1, 0, 0, 1]),
                   _labels([1, 1, 0, 0, 0, 1, 1, 0, 0, 0]))  # precision 3/6, recall 3/4


DEFAULT_ZERO = "default-class-0"  # a model: right, with a default positive_class of 0


def _default_class_zero(student, value: Any, tol) -> bool:
    """Called without positive_class, the function scores class 0 (fresh eyes 17's signature
    `positive_class: int = 0`), and given positive_class=1 it is right: confirmed by the
    explicit call, where the default's values are class 0's."""
    preds, targets = PRF_MODEL_PROBE
    explicit = _quiet(student, "precision_recall_f1", preds, targets, positive_class=1)
    return (isinstance(explicit, (tuple, list)) and len(explicit) == 3
            and all(_close(v, e, tol) for v, e in zip(
                explicit, _prf_reference(preds, targets, 1, "reference"), strict=True))
            and all(_close(v, e, tol) for v, e in zip(
                value, _prf_reference(preds, targets, 0, "reference"), strict=True)))


def _prf_model(student, memo, tol) -> str:
    """'swapped' when the student's precision and recall trade places, 'arithmetic' when
    their F1 is (P + R) / 2 (cached): the other checks hold them to that model, so the
    mistake costs the binary check only."""
    if "precision_recall_f1:model" not in memo:
        preds, targets = PRF_MODEL_PROBE
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
            if model == "swapped" and _default_class_zero(student, value, tol):
                model = DEFAULT_ZERO  # (class 0's P and R are class 1's swapped on the probe)
        memo["precision_recall_f1:model"] = model
    return memo["precision_recall_f1:model"]  # type: ignore[no-any-return]


# The orders (precision, recall, f1) can be returned in, by the position each value takes
# (recall and precision swapped alone is `_prf_model`'s "swapped", named before this)
_ORDERS = {(2, 0, 1): "(f1, precision, recall)", (2, 1, 0): "(f1, recall, precision)",
           (0, 2, 1): "(precision, f1, recall)", (1, 2, 0): "(recall, f1, precision)",
           (1, 0, 2): "(recall, precision, f1)"}


def _expect_order(value: Any, expected: tuple[float, float, float], tol, what: str) -> None:
    """The right three values in another order (fresh eyes 48's `return f1, p, r` was told
    only "a wrong value (precision)"): named, with the order it returned."""
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        return
    for order, words in _ORDERS.items():
        moved = tuple(expected[i] for i in order)
        if not all(_close(m, e, tol) for m, e in zip(moved, expected, strict=True)) and all(
                _close(v, m, tol) for v, m in zip(value, moved, strict=True)):
            fail(f"precision_recall_f1 returns the right values in another order {what}: it "
                 f"returns {words}, where the order is (precision, recall, f1).", "wrong-order")


def _expect_triple(value: Any, expected: tuple[float, float, float], tol, what: str,
                   strict_types: bool, mistake: str = "wrong-value") -> None:
    function = "precision_recall_f1"
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        sized = f" of {quotable_count(len(value), 6)} values" \
            if isinstance(value, (tuple, list)) else ""
        fail(f"{function} returned {describe(value)}{sized}: return a tuple "
             "(precision, recall, f1) of three Python floats.", "wrong-type")
    _reject_non_finite(function, value, what)
    for name, got, want in zip(("precision", "recall", "f1"), value, expected, strict=True):
        _rounded(function, got, want, tol, f"({name}) {what}")
        if strict_types:
            expect_float(got, want, _slack(tol, want), function, f"({name}) {what}",
                         mistake=mistake)
        elif not _close(got, want, tol):
            if mistake == "zero-division" and isinstance(_number(got), (int, float)):
                # (2 significant digits: the student's own float, quoted in full, carried
                # hidden labels past the decimal point — an outside red team; 4 still spelt
                # a few bits of them a message: enough to tell 0.5 or 1.0 from 0.0)
                fail(f"{function} gives {name} = {_zero_division_value(_number(got))} {what}, "
                     "where it must be "
                     f"{want!r}: a ratio whose denominator is 0 (0/0) gives 0.0 (sklearn's "
                     "zero_division=0) — check the denominator and return 0.0 when it is 0.",
                     mistake)
            fail(f"{function} gives a wrong {name} {what}.", mistake)


PRF_BINARY = "precision_recall_f1: matches sklearn for binary labels (positive_class=1)"


# Binary labels at the edges of the counts (every ratio defined): a condition written on the
# wrong count (`if fp`, `if tp - fp`, `if fn` for a 0/0 test) is wrong only there — random
# labels never showed a precision of exactly 1 or TP = FP (mutants of the alternatives).
BINARY_EDGES = (
    (_labels([1, 1, 0, 1, 0, 0]), _labels([1, 0, 0, 1, 1, 0]), ""),  # (the self-check's)
    (_labels([1, 1, 0, 0, 0, 1]), _labels([1, 1, 1, 0, 0, 1]),
     " where every predicted positive is right (FP = 0, so precision is 1)"),
    (_labels([1, 1, 1, 0, 1, 0]), _labels([1, 1, 0, 0, 1, 0]),
     " where every actual positive is found (FN = 0, so recall is 1)"),
    (_labels([1, 0, 1, 1, 0, 0]), _labels([1, 0, 1, 1, 0, 0]),
     " where every prediction is right (FP = FN = 0)"),
    (_labels([1, 1, 1, 1, 0, 0, 0, 0]), _labels([1, 1, 0, 0, 1, 1, 0, 0]),
     " where TP = FP = FN"),
    (_labels([1, 1, 1, 0, 0, 0]), _labels([1, 1, 0, 1, 1, 1]),
     " with no true negatives (TN = 0)"),
)


def _binary_cases() -> list[tuple[torch.Tensor, torch.Tensor, str]]:
    """The binary check's labels (0/1, positive_class=1, every ratio defined): the edges of
    the counts, then random ones; each with what to say about it after "for N labels"."""
    gen = torch.Generator().manual_seed(42)
    cases = [(_labels([1, 0, 1, 1, 0, 1, 0, 0]), _labels([1, 1, 0, 1, 0, 1, 1, 0]), ""),
             *BINARY_EDGES]
    while len(cases) < 5 + len(BINARY_EDGES):
        preds, targets = _random_labels(gen, 30, 2), _random_labels(gen, 30, 2)
        if min(_counts(preds, targets, 1)) > 0:  # defined everywhere: 0/0 has its own check
            cases.append((preds, targets, ""))
    return [*cases, (*_large_labels(2), ""), (*_huge_labels(), "")]


@check(PRF_BINARY,
       "precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·P·R / (P + R), each a "
       "Python float.",
       clauses=("matches scikit-learn with zero_division=0",))
def test_prf_binary(student, ref, tol, memo):
    model = _prf_model(student, memo, tol)
    if model != "reference" and _prf_blamed(
            student, ref, _quiet(student, "precision_recall_f1", *PRF_MODEL_PROBE),
            *PRF_MODEL_PROBE, 1, tol):
        model = "reference"  # right for the student's own confusion_matrix: that one's mistake
    if model == DEFAULT_ZERO:
        fail("precision_recall_f1 scores class 0 when positive_class is not given: its default "
             "must be positive_class=1, as in the signature you were given (given "
             "positive_class=1 explicitly, it is right).", "default-positive-class")
    if model == "swapped":
        fail("precision_recall_f1 has precision and recall swapped: precision = TP / (TP + FP) "
             "is the share of predicted positives that are right, recall = TP / (TP + FN) the "
             "share of actual positives that are found.", "precision-recall-swapped")
    if model == "arithmetic":
        fail("precision_recall_f1 returns the arithmetic mean (P + R) / 2 as F1: F1 is their "
             "harmonic mean, 2·P·R / (P + R) = 2·TP / (2·TP + FP + FN), which stays low when "
             "either is low.", "f1-arithmetic-mean")
    for preds, targets, edge in _binary_cases():
        value = _kept_inputs(student.call("precision_recall_f1", preds, targets),
                             "precision_recall_f1", student, (preds, targets, None))
        if not _same_triple(value, ref.precision_recall_f1(preds, targets), tol) and \
                _prf_blamed(student, ref, value, preds, targets, 1, tol, floats=True):
            continue
        _expect_f1_formula(value, preds, targets, tol)
        what = f"for N = {preds.numel()} binary labels{edge}"
        if not _same_triple(value, ref.precision_recall_f1(preds, targets), tol):
            _expect_order(value, ref.precision_recall_f1(preds, targets), tol, what)
            _expect_count_mistakes(value, preds, targets, 1, model, tol, what)
            if model == "reference":
                _expect_denominators(value, preds, targets, 1, tol, what)
            _expect_precision_without_negatives(value, preds, targets, tol, what)
        _expect_triple(value, ref.precision_recall_f1(preds, targets), tol, what,
                       strict_types=True)


def _expect_precision_without_negatives(value: Any, preds: torch.Tensor, targets: torch.Tensor,
                                        tol, what: str) -> None:
    """A precision that counts the true negatives as right, (TP + TN) / (TP + TN + FP): named
    (fresh eyes 52's was told only "a wrong value (precision)")."""
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        return
    tp, fp, _ = _counts(preds, targets, 1)
    tn = int(((preds != 1) & (targets != 1)).sum())
    if fp and tn and _close(value[0], _ratio(tp + tn, tp + tn + fp), tol):
        fail(f"precision_recall_f1's precision counts the true negatives {what}: precision is "
             "TP / (TP + FP), the share of the samples predicted as positive_class that are "
             "right — the negatives it got right belong to accuracy, not precision.",
             "precision-with-negatives")


# F1 written another way, from the counts: its name and the fix (mistakes review 40's IoU was
# told only "a wrong value (F1)")
F1_MISTAKES: dict[str, tuple[Callable[[int, int, int], float], str]] = {
    "f1-jaccard": (lambda tp, fp, fn: _ratio(tp, tp + fp + fn),
                   "precision_recall_f1's F1 is TP / (TP + FP + FN), the Jaccard index (IoU): "
                   "F1 counts the true positives twice, 2·TP / (2·TP + FP + FN) = 2·P·R / (P + R)."),
    "f1-missing-2": (lambda tp, fp, fn: _ratio(2 * tp, 2 * tp + fp + fn) / 2,
                     "precision_recall_f1's F1 is half the right one, P·R / (P + R): the "
                     "harmonic mean is 2·P·R / (P + R)."),
    # (fresh eyes 54: with the Jaccard index and the missing 2, every a·TP / (b·TP + FP + FN)
    # of a, b in {1, 2} but F1 itself)
    "f1-tp-once": (lambda tp, fp, fn: _ratio(2 * tp, tp + fp + fn),
                   "precision_recall_f1's F1 is 2·TP / (TP + FP + FN), which counts the true "
                   "positives once in the denominator: F1 = 2·TP / (2·TP + FP + FN) = "
                   "2·P·R / (P + R)."),
}


def _expect_f1_formula(value: Any, preds: torch.Tensor, targets: torch.Tensor, tol) -> None:
    """Precision and recall right, and the F1 one of `F1_MISTAKES`: named."""
    tp, fp, fn = _counts(preds, targets, 1)
    precision, recall, f1 = _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)
    if not (isinstance(value, (tuple, list)) and len(value) == 3) or _close(value[2], f1, tol) \
            or not (_close(value[0], precision, tol) and _close(value[1], recall, tol)):
        return
    for mistake, (formula, message) in F1_MISTAKES.items():
        wrong = formula(tp, fp, fn)
        if not math.isclose(wrong, f1, abs_tol=1e-9) and _close(value[2], wrong, tol):
            fail(message, mistake)
    # 2·P·R / (P + R + eps), an eps a student adds against 0/0 (fresh eyes 55's 1e-5 was told
    # only "a wrong value (f1)"): any eps from 1e-2 to 1e-12
    for eps in (10.0 ** -k for k in range(2, 13)):
        wrong = 2 * precision * recall / (precision + recall + eps)
        if not math.isclose(wrong, f1, abs_tol=1e-12) and _close(value[2], wrong, tol):
            fail("precision_recall_f1 adds a small eps to F1's denominator, 2·P·R / (P + R + "
                 "eps), which moves every F1 a little: F1 is 2·P·R / (P + R) exactly — "
                 "return 0.0 when P + R is 0 instead of adding an eps.", "f1-eps")


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
    # ... and positive_class given by position, as the signature allows (red team 39's
    # keyword-only one scored class 1 for precision_recall_f1(p, t, 2))
    if _same_triple(_quiet(student, "precision_recall_f1", preds, targets, positive_class=2),
                    _prf_reference(preds, targets, 2, model), tol) and not _same_triple(
            _quiet(student, "precision_recall_f1", preds, targets, 2),
            _prf_reference(preds, targets, 2, model), tol):
        fail("precision_recall_f1(preds, targets, 2) does not score class 2: keep the "
             "signature precision_recall_f1(preds, targets, positive_class=1), so that "
             "positive_class can be given by position too.", "positional-argument")
    gen = torch.Generator().manual_seed(43)
    cases = [(_labels([0, 1, 0, 0, 1, 1]), _labels([0, 0, 0, 1, 1, 0]), 0, 2)]
    while len(cases) < 5:
        preds, targets = _random_labels(gen, 30, 4), _random_labels(gen, 30, 4)
        positive = len(cases) % 4
        if min(_counts(preds, targets, positive)) > 0:
            cases.append((preds, targets, positive, 4))
    cases.append((*_large_labels(9), 7, 9))
    for preds, targets, positive, num_classes in cases:
        try:
            value = student.call("precision_recall_f1", preds, targets,
                                 positive_class=positive).value
        except StudentError as error:
            _expect_binary_only(student, tol, model, error)
            raise
        expected = _prf_reference(preds, targets, positive, model)
        what = f"for {num_classes} classes with positive_class={positive}"
        _reject_non_finite("precision_recall_f1", value, what)
        if isinstance(value, (tuple, list)) and len(value) == 3 and not all(
                _close(v, e, tol) for v, e in zip(value, expected, strict=True)):
            if not _one_vs_rest_mistake(value, preds, targets, model, tol, positive) \
                    and _wrong_on_binary_labels(student, model, tol):
                # the formula is wrong whatever the classes: the binary check charges it, once
                attributed_to(PRF_BINARY)
                return
            if _one_vs_rest_mistake(value, preds, targets, model, tol, positive):
                fail(f"precision_recall_f1 gives wrong values {what}: they are those of a "
                     "fixed positive class 1, of every nonzero label or of labels >= "
                     "positive_class — count a prediction "
                     "as positive when preds == positive_class and a target as positive when "
                     "targets == positive_class (one-vs-rest).", "one-vs-rest")
            _expect_order(value, expected, tol, what)
            _expect_count_mistakes(value, preds, targets, positive, model, tol, what)
            if model == "reference":
                _expect_denominators(value, preds, targets, positive, tol, what)
            # (right on 0/1 labels, or the binary check would charge it: the classes are what
            # it gets wrong — fresh eyes 51's products preds * targets, told only "a wrong
            # precision")
            fail(f"precision_recall_f1 gives wrong values {what}, though it is right for 0/1 "
                 "labels: count a prediction as positive when preds == positive_class and a "
                 "target as positive when targets == positive_class (one-vs-rest), not from "
                 "the labels' values as numbers.", "one-vs-rest")
        _expect_triple(value, expected, tol, what, strict_types=False)


def _expect_count_mistakes(value: Any, preds: torch.Tensor, targets: torch.Tensor,
                           positive: int, model: str, tol, what: str) -> None:
    """Wrong values that are those of one of `PRF_COUNT_MISTAKES`' counts: named."""
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        return
    right = _prf_of_counts(*_counts(preds, targets, positive), model)
    for mistake, counts, words in PRF_COUNT_MISTAKES:
        wrong = _prf_of_counts(*counts(preds, targets, positive), model)
        if wrong != right and all(_close(v, e, tol) for v, e in zip(value, wrong, strict=True)):
            fail(f"precision_recall_f1 gives wrong values {what}: {words}", mistake)


# A ratio over another count than its own (fresh eyes 48: precision over the actual
# positives, recall over TP + TN — each told only "a wrong value"): what it was divided by,
# from the four counts and N, as words; the right denominator is left out where it is equal.
_DENOMINATORS: tuple[tuple[str, Callable[[int, int, int, int], int]], ...] = (
    ("TP + FN, the actual positives (recall's denominator)", lambda tp, fp, fn, tn: tp + fn),
    ("TP + FP, the predicted positives (precision's denominator)", lambda tp, fp, fn, tn: tp + fp),
    ("TP + TN", lambda tp, fp, fn, tn: tp + tn),
    ("TP + FP + FN", lambda tp, fp, fn, tn: tp + fp + fn),
    ("TN + FP, the actual negatives", lambda tp, fp, fn, tn: tn + fp),
    ("TN + FN, the predicted negatives", lambda tp, fp, fn, tn: tn + fn),
)
_RATIOS = ((0, "precision", "TP / (TP + FP), over the samples predicted positive",
            lambda tp, fp, fn: tp + fp),
           (1, "recall", "TP / (TP + FN), over the samples whose target is positive",
            lambda tp, fp, fn: tp + fn))


def _expect_denominators(value: Any, preds: torch.Tensor, targets: torch.Tensor,
                         positive: int, tol, what: str) -> None:
    """Precision or recall equal to TP over another count of `_DENOMINATORS` (and not to the
    right ratio): named, with the count it was divided by."""
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        return
    tp, fp, fn = _counts(preds, targets, positive)
    tn = preds.numel() - tp - fp - fn
    for index, name, right_words, right in _RATIOS:
        if _close(value[index], _ratio(tp, right(tp, fp, fn)), tol):
            continue
        for words, denominator in _DENOMINATORS:
            count = denominator(tp, fp, fn, tn)
            if count != right(tp, fp, fn) and _close(value[index], _ratio(tp, count), tol):
                fail(f"precision_recall_f1 divides the true positives by {words} for its "
                     f"{name} {what}: {name} = {right_words}.", f"{name}-denominator")


def _prf_of_counts(tp: int, fp: int, fn: int, model: str) -> tuple[float, float, float]:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    if model == "arithmetic":
        return precision, recall, (precision + recall) / 2
    return (recall, precision, f1) if model == "swapped" else (precision, recall, f1)


def _negatives_class_zero(preds: torch.Tensor, targets: torch.Tensor,
                          positive: int) -> tuple[int, int, int]:
    """Counts with class 0 as the only negative class (a false positive where the target is
    0, a false negative where the prediction is 0)."""
    predicted, actual = preds == positive, targets == positive
    return (int((predicted & actual).sum()), int((predicted & (targets == 0)).sum()),
            int(((preds == 0) & actual).sum()))


def _product_counts(preds: torch.Tensor, targets: torch.Tensor,
                    positive: int) -> tuple[int, int, int]:
    """True positives as (preds * targets).sum(), the rest by difference."""
    tp = int((preds * targets).sum())
    return tp, int((preds == positive).sum()) - tp, int((targets == positive).sum()) - tp


# Counting mistakes of one-vs-rest, named where the values are theirs (mistakes review 26:
# each was told only "a wrong precision")
def _preds_at_class_one(preds: torch.Tensor, targets: torch.Tensor,
                        positive: int) -> tuple[int, int, int]:
    """Predictions compared with class 1, targets with positive_class."""
    return _mixed_counts(preds == 1, targets == positive)


def _targets_at_class_one(preds: torch.Tensor, targets: torch.Tensor,
                          positive: int) -> tuple[int, int, int]:
    """Targets compared with class 1, predictions with positive_class."""
    return _mixed_counts(preds == positive, targets == 1)


def _mixed_counts(predicted: torch.Tensor, actual: torch.Tensor) -> tuple[int, int, int]:
    """TP, FP, FN of the samples predicted positive and those actually positive."""
    return (int((predicted & actual).sum()), int((predicted & ~actual).sum()),
            int((~predicted & actual).sum()))


def _recall_over_n(preds: torch.Tensor, targets: torch.Tensor,
                   positive: int) -> tuple[int, int, int]:
    """Recall as TP / N: the counts whose recall that is (FN = N − TP)."""
    tp, fp, _ = _counts(preds, targets, positive)
    return tp, fp, preds.numel() - tp


def _precision_over_n(preds: torch.Tensor, targets: torch.Tensor,
                      positive: int) -> tuple[int, int, int]:
    """Precision as TP / N: the counts whose precision that is (FP = N − TP)."""
    tp, _, fn = _counts(preds, targets, positive)
    return tp, preds.numel() - tp, fn


PRF_COUNT_MISTAKES = (
    # (fresh eyes 44: each told only "wrong precision for 4 classes")
    ("preds-at-class-1", _preds_at_class_one,
     "the predictions are compared with class 1 and the targets with positive_class: compare "
     "both with positive_class (preds == positive_class, targets == positive_class)."),
    ("targets-at-class-1", _targets_at_class_one,
     "the targets are compared with class 1 and the predictions with positive_class: compare "
     "both with positive_class (preds == positive_class, targets == positive_class)."),
    ("recall-over-n", _recall_over_n,
     "recall divides the true positives by every sample (N): recall = TP / (TP + FN), over "
     "the samples whose target is positive_class."),
    ("precision-over-n", _precision_over_n,
     "precision divides the true positives by every sample (N): precision = TP / (TP + FP), "
     "over the samples predicted as positive_class."),
    ("negatives-class-0", _negatives_class_zero,
     "only class 0 counts as negative. One-vs-rest makes every class other than "
     "positive_class negative: a false positive is preds == positive_class where targets != "
     "positive_class, a false negative the other way round."),
    ("product-counts", _product_counts,
     "true positives are counted as (preds * targets).sum(), which counts the samples where "
     "both labels are 1 (right for 0/1 labels with positive_class=1 only): count where "
     "preds == positive_class and targets == positive_class."),
)


def _one_vs_rest_mistake(value: Any, preds: torch.Tensor, targets: torch.Tensor, model: str,
                         tol, positive: int = 1) -> bool:
    """The values are those of a fixed positive class 1, of every nonzero label positive, or
    of every label >= positive_class (a threshold)."""
    fixed = _prf_reference(preds, targets, 1, model)
    nonzero = _prf_reference((preds != 0).long(), (targets != 0).long(), 1, model)
    threshold = _prf_reference((preds >= positive).long(), (targets >= positive).long(), 1,
                               model)
    return any(all(_close(v, e, tol) for v, e in zip(value, wrong, strict=True))
               for wrong in (fixed, nonzero, threshold))


def _ignores_positive_class(student, value: Any, preds: torch.Tensor, targets: torch.Tensor,
                            positive: int, model: str, tol) -> bool:
    """The value for `positive` is that of a fixed class 1 or of every nonzero label, or the
    student's own value for another positive_class on the same labels (probe calls): the
    function does not count `positive` as the positive class."""
    if _one_vs_rest_mistake(value, preds, targets, model, tol, positive):
        return True
    for other in (0, 1, 2):
        if other == positive:
            continue
        got = _quiet(student, "precision_recall_f1", preds, targets, positive_class=other)
        if isinstance(got, (tuple, list)) and len(got) == 3 and all(
                _close(v, e, tol) for v, e in zip(value, got, strict=True)):
            return True
    return False


def _wrong_on_binary_labels(student, model: str, tol) -> bool:
    """One of the binary check's cases (positive_class=1 on 0/1 labels) is wrong as well (a
    formula may be right on one by chance: counting true negatives as FN is, on the first)."""
    for preds, targets, _ in _binary_cases():
        value = _quiet(student, "precision_recall_f1", preds, targets)
        expected = _prf_reference(preds, targets, 1, model)
        if not (isinstance(value, (tuple, list)) and len(value) == 3
                and all(_close(v, e, tol) for v, e in zip(value, expected, strict=True))):
            return True
    return False


PRF_ZERO = "precision_recall_f1: 0 instead of nan when there are no predicted or true positives"
# Valid inputs whose ratios are all nonzero and differ between the two (P, R, F1 = 2/3, 2/3,
# 2/3, then 3/5, 3/4, 2/3): a stub of constants cannot match a ratio of both.
PRF_ZERO_GATE = ((_labels([1, 1, 0, 1, 0, 0]), _labels([1, 0, 0, 1, 1, 0])),
                 (_labels([1, 1, 1, 1, 1, 0, 0, 0]), _labels([1, 1, 1, 0, 0, 1, 0, 0])))


def _without_true_negatives() -> tuple[torch.Tensor, torch.Tensor]:
    """Binary labels drawn afresh with no true negative (every sample predicted or truly
    positive), TP, FP and FN all nonzero and precision ≠ recall: a precision_recall_f1 that
    counts every correct prediction as a TP is right here (mistakes review 39), a formula of
    one ratio for all three, or a table of fixed inputs, is not (red team 49)."""
    gen = fresh_generator()
    while True:
        kinds = torch.randint(0, 3, (9,), generator=gen)  # 0: TP, 1: FP, 2: FN
        tp, fp, fn = (int((kinds == k).sum()) for k in range(3))
        if tp and fp and fn and fp != fn:
            return (kinds != 2).long(), (kinds != 1).long()


@check(PRF_ZERO,
       "When TP + FP = 0 (or TP + FN = 0) the ratio is 0/0: return 0.0 for it, as sklearn's "
       "zero_division=0 does.",
       clauses=("zero_division=0",))
def test_prf_zero_division(student, tol, memo, ref):
    model = _prf_model(student, memo, tol)
    # Every 0/0 case has TP = 0, so the answer is (0, 0, 0): it counts once some of the
    # function works on valid input (a ratio right where it is not 0, on each of the two gate
    # inputs, or every ratio on labels without a true negative), or a stub returning zeros
    # would score it. A formula
    # wrong in one ratio (FN counted from the true negatives) or on some inputs is the values
    # checks' to charge; its 0/0 handling is judged here.
    right = []
    for index, (preds, targets) in enumerate((*PRF_ZERO_GATE, _without_true_negatives())):
        value = student.call("precision_recall_f1", preds, targets).value
        expected = _prf_reference(preds, targets, 0, "reference") if model == DEFAULT_ZERO \
            else _prf_reference(preds, targets, 1, model)  # (its default: the binary check's)
        # (right for the student's own wrong confusion_matrix is working: fresh eyes 9's
        # matrix that counts a repeated pair once cost this check too; on the last input,
        # every ratio right)
        # (to a rounding's width: a value rounded to 3 decimals computes the ratio, its
        # values check charges the rounding — mistakes review 41)
        right.append((isinstance(value, (tuple, list)) and len(value) == 3 and (
            any if index < len(PRF_ZERO_GATE) else all)(
            _close(v, e, tol) or bool(_rounded_digits(v, e))
            for v, e in zip(value, expected, strict=True)))
            or _prf_blamed(student, ref, value, preds, targets, 1, tol))
    if not all(right[:-1]) and not right[-1]:
        fail("precision_recall_f1: this check counts once precision_recall_f1 returns "
             "correct values on valid input; fix the values check first.", "not-working")
    if not any(right[:-1]):  # right only without a true negative: judged where it is right
        attributed_to(PRF_BINARY)
        cases = [(_labels([0, 0, 0]), _labels([1, 1, 1]), 1,
                  "when nothing is predicted positive"),
                 (_labels([1, 1, 1, 1]), _labels([0, 0, 0, 0]), 1,
                  "when no target is positive")]
    else:
        cases = _PRF_ZERO_CASES
    _expect_zero_divisions(student, tol, model, cases)


_PRF_ZERO_CASES = [
    (_labels([0, 0, 0, 0, 0]), _labels([1, 0, 1, 0, 0]), 1,
     "when nothing is predicted positive"),
    (_labels([1, 0, 1, 0, 0]), _labels([0, 0, 0, 0, 0]), 1,
     "when no target is positive"),
    (_labels([0, 0, 0]), _labels([0, 0, 0]), 1, "when there are no positives at all"),
    (_labels([0, 2, 1, 0]), _labels([1, 2, 0, 0]), 3,
     "when positive_class=3 never occurs"),
]


def _expect_zero_divisions(student, tol, model: str,
                           cases: list[tuple[torch.Tensor, torch.Tensor, int, str]]) -> None:
    for preds, targets, positive, what in cases:
        try:
            value = student.call("precision_recall_f1", preds, targets,
                                 positive_class=positive).value
        except StudentError as error:
            if int(torch.cat([preds, targets]).max()) > 1 and not error.is_a(
                    "NotImplementedError") and _raises_on_multiclass(student, error):
                # (no 0/0 of its own: it raises on any multiclass labels, which the
                # one-vs-rest check charges; mistakes review 40's confusion_matrix(..., 2))
                attributed_to(PRF_MULTI)
                continue
            if not error.is_a("NotImplementedError") and any(  # (a stub is not a 0/0)
                    error.is_a(k) for k in ("ZeroDivisionError", "ValueError", "RuntimeError")):
                _zero_division_fail("precision_recall_f1", error, what)
            raise
        expected = _prf_reference(preds, targets, positive, model)
        if positive != 1 and isinstance(value, (tuple, list)) and len(value) == 3 and \
                not all(_close(v, e, tol) for v, e in zip(value, expected, strict=True)) and \
                _ignores_positive_class(student, value, preds, targets, positive, model, tol):
            # not a 0/0 for this function: it counts another class as positive (the
            # one-vs-rest check charges that); its 0/0 handling is judged on the other cases
            attributed_to(PRF_MULTI)
            continue
        if isinstance(value, (tuple, list)) and any(_is_nan(v) for v in value):
            _zero_division_fail("precision_recall_f1", None, what)
        if isinstance(value, (tuple, list)) and len(value) == 3 and not all(
                _close(v, e, tol) for v, e in zip(value, expected, strict=True)) \
                and _wrong_on_binary_labels(student, model, tol):
            # (its formula is wrong where no ratio is 0/0 too — fresh eyes 46's precision
            # as the accuracy was told to check a denominator —: the binary check charges
            # it, and its 0/0 handling is judged on what it gets right)
            attributed_to(PRF_BINARY)
            continue
        _expect_triple(value, expected, tol, what, strict_types=False,
                       mistake="zero-division")
        if isinstance(value, (tuple, list)) and any(type(v) is int for v in value) \
                and _floats_elsewhere(student):
            # (its ratios floats where they are defined: the 0 of a 0/0 an int — fresh eyes
            # 46's `return 0, 0, 0` — is this check's; a function returning ints everywhere
            # is its values check's, once)
            fail(f"precision_recall_f1 returns an int 0 {what}: return 0.0, a Python float, "
                 "as it does where the ratios are defined.", "int-not-float")


def _floats_elsewhere(student) -> bool:
    """precision_recall_f1 returns three Python floats on ordinary labels (`CONTROL_MULTI`)."""
    try:
        value = student.call("precision_recall_f1", *CONTROL_MULTI, positive_class=2).value
    except StudentError:
        return False
    return isinstance(value, (tuple, list)) and len(value) == 3 and all(
        type(v) is float for v in value)


def _expect_binary_only(student, tol, model: str, raised: StudentError) -> None:
    """precision_recall_f1 raises on multiclass labels (`_raises_on_multiclass`) and is right
    on binary ones: named as such (fresh eyes 48's confusion_matrix(preds, targets, 2) inside
    it was told only the reshape error, at confusion_matrix's line)."""
    if raised.is_a("NotImplementedError") or not _raises_on_multiclass(student, raised):
        return
    preds, targets = CONTROL_BINARY
    if not _same_triple(_quiet(student, "precision_recall_f1", preds, targets),
                        _prf_reference(preds, targets, 1, model), tol):
        return
    fail(f"precision_recall_f1 raises {raised.excerpt()} on labels of more than two classes, "
         "though it is right on binary labels: it must work for any number of classes (a "
         "confusion matrix of a fixed 2 classes, or code for 0/1 labels only, does not) — "
         "count one-vs-rest, preds == positive_class and targets == positive_class.",
         "binary-only")


def _raises_on_multiclass(student, raised: StudentError) -> bool:
    """precision_recall_f1 raises the same kind of error on ordinary multiclass labels with
    their positive class present (`CONTROL_MULTI`, positive_class=2)."""
    try:
        student.call("precision_recall_f1", *CONTROL_MULTI, positive_class=2)
    except StudentError as error:
        return error.kind == raised.kind
    return False


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
        # a class left out of the loop (fresh eyes 17: `range(1, num_classes)`), the sum
        # divided by num_classes or by the classes kept
        # the mean of one of the two ratios F1 combines (mistakes review 31: precision)
        "precision": precision,
        "recall": recall,
        "skips-first": sum(f1[1:]) / num_classes,
        "skips-first-mean": sum(f1[1:]) / max(num_classes - 1, 1),
        "skips-last": sum(f1[:-1]) / num_classes,
        "skips-last-mean": sum(f1[:-1]) / max(num_classes - 1, 1),
        # each class's F1 as P·R / (P + R), or TP / (TP + FP + FN) (mistakes review 40)
        "half": sum(f1) / 2 / num_classes,
        "jaccard": sum(_ratio(tp, tp + fp + fn) for tp, fp, fn in counts) / num_classes,
        # the sum over num_classes − 1, and each F1 by floor division (fresh eyes 48: told
        # only "a wrong value for 2 classes")
        "over-c-minus-1": sum(f1) / max(num_classes - 1, 1),
        "floor-division": sum((2 * tp) // (2 * tp + fp + fn) if tp else 0
                              for tp, fp, fn in counts) / num_classes,
    }


SKIPS_FIRST = ("macro_f1 leaves class 0 out (a loop over range(1, num_classes)): every class "
               "in range(num_classes), 0 included, counts — average the F1 of all num_classes "
               "classes.")
SKIPS_LAST = ("macro_f1 leaves the last class out (a loop over range(num_classes − 1)): every "
              "class in range(num_classes) counts — average the F1 of all num_classes classes.")
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
    "precision": "macro_f1 averages each class's precision, TP / (TP + FP), not its F1: a "
                 "class's F1 is 2·TP / (2·TP + FP + FN), which also counts what it misses — "
                 "compute that for each class, then average.",
    "recall": "macro_f1 averages each class's recall, TP / (TP + FN), not its F1: a class's F1 "
              "is 2·TP / (2·TP + FP + FN), which also counts its false alarms — compute that "
              "for each class, then average.",
    "half": "macro_f1 averages P·R / (P + R) over the classes, half of each class's F1: the "
            "harmonic mean is 2·P·R / (P + R) = 2·TP / (2·TP + FP + FN).",
    "jaccard": "macro_f1 averages each class's TP / (TP + FP + FN), the Jaccard index (IoU), "
               "not its F1: F1 counts the true positives twice, 2·TP / (2·TP + FP + FN).",
    "skips-first": SKIPS_FIRST,
    "skips-first-mean": SKIPS_FIRST,
    "skips-last": SKIPS_LAST,
    "skips-last-mean": SKIPS_LAST,
    "over-c-minus-1": "macro_f1 divides the sum of the per-class F1 by num_classes − 1: the "
                      "mean over all num_classes classes divides by num_classes.",
    "floor-division": "macro_f1 computes each class's F1 with floor division (//), so every "
                      "F1 is 0 or 1: use true division (/) — 2·TP / (2·TP + FP + FN) is a "
                      "fraction.",
}


# Unequal support (2, 4 and 6 samples), so that every wrong formula gives its own value.
MACRO_MODEL_PROBE = (_labels([0, 0, 0, 1, 1, 2, 2, 2, 2, 0, 1, 2]),
                     _labels([0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1]))


# Four classes, TP different from FP and from FN in each (none scores 0 by an edge's mistake)
MACRO_SKIP_PROBE = (_labels([1, 2, 0, 2, 0, 1, 1, 1, 1, 0, 3, 2, 0, 2, 3, 1, 2, 2, 2, 3]),
                    _labels([3, 2, 3, 2, 1, 2, 0, 0, 1, 0, 2, 2, 1, 2, 3, 2, 2, 3, 2, 3]))


# Labels whose classes 0 is predicted perfectly (F1 = 1) and the others not: where F1s taken
# by floor division (0 or 1 each) sum to something, not to 0 as on the other probes.
MACRO_PERFECT_CLASS_PROBE = (_labels([0, 0, 1, 1, 2, 2]), _labels([0, 0, 1, 2, 2, 2]))
# A model confirmed on labels of its own before it is named (`_macro_model`), with their
# number of classes: each fits an F1 of 0 somewhere, which many a wrong value gives too.
_CONFIRMED_ON = {**dict.fromkeys(("skips-first", "skips-first-mean", "skips-last",
                                  "skips-last-mean"), (MACRO_SKIP_PROBE, 4)),
                 "floor-division": (MACRO_PERFECT_CLASS_PROBE, 3)}


def _macro_model(student, memo, tol) -> str:
    """Which macro-F1 formula the student implemented (cached)."""
    if "macro_f1:model" not in memo:
        preds, targets = MACRO_MODEL_PROBE
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
        if model in _CONFIRMED_ON:  # (one class's F1 of 0 fits it too: confirmed apart)
            (preds, targets), classes = _CONFIRMED_ON[model]
            if not _close(_quiet(student, "macro_f1", preds, targets, classes),
                          _macro_models(preds, targets, classes)[model], tol):
                model = "reference"
        memo["macro_f1:model"] = model
    return memo["macro_f1:model"]  # type: ignore[no-any-return]


MACRO_VALUES = "macro_f1: mean of per-class F1 over num_classes (sklearn average='macro')"
# Every class present, at the edges of its counts (`BINARY_EDGES`' reason): a class predicted
# perfectly (F1 = 1: the self-check's labels), and TP = FP = FN in every class.
MACRO_EDGES = (
    (_labels([0, 0, 1, 1, 1, 1, 2, 2, 0, 0, 2, 2]), _labels([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]),
     3, " where TP = FP = FN in every class"),
    (_labels([0, 0, 1, 1, 2, 2]), _labels([0, 0, 1, 2, 2, 2]), 3,
     ", one of them predicted perfectly (its F1 is 1)"),
    # (no prediction right: every F1 is 0 — fresh eyes 46's `return 0`, an int, there)
    (_labels([1, 2, 0, 1]), _labels([0, 1, 2, 0]), 3, ", no prediction right (every F1 is 0)"),
)


@check(MACRO_VALUES,
       "macro_f1 averages the per-class F1 scores (2·TP / (2·TP + FP + FN) for each class), "
       "returned as a Python float.",
       clauses=("the plain mean of the per-class F1 over all num_classes classes",))
def test_macro_values(student, ref, tol, memo):
    model = _macro_model(student, memo, tol)
    if model in MACRO_MESSAGES and not _macro_blamed(
            student, ref, _quiet(student, "macro_f1", *MACRO_MODEL_PROBE, 3),
            *MACRO_MODEL_PROBE, 3, tol):
        fail(MACRO_MESSAGES[model], f"macro-{model}")
    gen = torch.Generator().manual_seed(44)
    cases = [(_labels([0, 1, 1, 0, 1]), _labels([0, 1, 0, 0, 1]), 2, ""), *MACRO_EDGES]
    while len(cases) < 5 + len(MACRO_EDGES):
        num_classes = 3 + len(cases) % 2
        preds = _random_labels(gen, 40, num_classes)
        targets = _random_labels(gen, 40, num_classes)
        if all(tp > 0 for tp, _, _ in _per_class(preds, targets, num_classes)):
            cases.append((preds, targets, num_classes, ""))
    cases += [(*_large_labels(13), 13, ""), (*_huge_labels(), 2, "")]
    for preds, targets, num_classes, edge in cases:
        try:
            result = student.call("macro_f1", preds, targets, num_classes)
        except StudentError as error:
            # (raised through its helper's mistake — a matrix of a size of its own on 13
            # classes —: that helper's check charges it, once)
            helper = "" if error.is_a("NotImplementedError") else (
                _raising_matrix(student, ref, preds, targets, num_classes, tol)
                or _raised_through_a_helper(student, ref, preds, targets, num_classes, tol))
            if not helper:
                raise
            attributed_to(helper)
            continue
        value = _kept_inputs(result, "macro_f1", student, (preds, targets, num_classes))
        expected = ref.macro_f1(preds, targets, num_classes)
        if not _close(value, expected, tol) and _edited_by_its_helper(
                student, ref, tol, result, (preds, targets, num_classes)):
            continue  # (the helper's edit: charged by its check, `_kept_inputs`)
        if not _close(value, expected, tol) and type(value) is float and _macro_blamed(
                student, ref, value, preds, targets, num_classes, tol):
            continue  # right for the student's own helper: that helper's mistake
        if type(value) is not float and _same_number(value, expected, tol) and \
                _kind_from_helper(student, value, preds, targets):
            attributed_to(PRF_BINARY)  # (the kind its helper returns: charged there, once)
            continue
        _reject_non_finite("macro_f1", value, f"for {num_classes} classes{edge}")
        _another_mean(value, expected, ref.confusion_matrix(preds, targets, num_classes), tol,
                      f"for {num_classes} classes{edge}")
        _rounded("macro_f1", value, expected, tol, f"for {num_classes} classes{edge}",
                 again=lambda: _macro_again(student, ref))
        expect_float(value, expected, _slack(tol, expected), "macro_f1",
                     f"for {num_classes} classes{edge}", mistake="wrong-value")


def _accuracy_again(student, ref) -> tuple[Any, float]:
    """accuracy on a second input whose exact value is no short decimal (for `_rounded`)."""
    preds, targets = _labels([0, 1, 2, 0, 1, 2, 0]), _labels([0, 1, 1, 0, 2, 2, 1])
    return _quiet(student, "accuracy", preds, targets), float(ref.accuracy(preds, targets))


def _macro_again(student, ref) -> tuple[Any, float]:
    """macro_f1 on a second input whose exact value is no short decimal (for `_rounded`)."""
    preds, targets = _labels([0, 1, 2, 0, 1, 2, 0]), _labels([0, 1, 1, 0, 2, 2, 1])
    return (_quiet(student, "macro_f1", preds, targets, 3),
            float(ref.macro_f1(preds, targets, 3)))


# The per-class F1s averaged with another mean than the arithmetic one (fresh eyes 55's
# `statistics.harmonic_mean`, 0 as soon as one class's F1 is 0)
OTHER_MEANS: tuple[tuple[str, Callable[[list[float]], float]], ...] = (
    ("harmonic", lambda f: 0.0 if min(f) <= 0 else len(f) / sum(1 / x for x in f)),
    ("geometric", lambda f: 0.0 if min(f) <= 0 else math.exp(sum(map(math.log, f)) / len(f))),
    ("median", lambda f: float(statistics.median(f))))


def _another_mean(value: Any, expected: float, matrix: torch.Tensor, tol, what: str) -> None:
    """The value is one of `OTHER_MEANS` of the per-class F1s of the true confusion matrix."""
    number = _number(value)
    if type(number) is not float or _close(number, expected, tol):
        return
    scores = _f1_per_class(matrix)
    for name, mean in OTHER_MEANS:
        if not math.isclose(mean(scores), expected, abs_tol=1e-9) and _close(
                number, mean(scores), tol):
            fail(f"macro_f1 takes the {name} mean of the per-class F1 scores {what}: macro "
                 "averaging is their plain (arithmetic) mean, sum(F1 of each class) / "
                 "num_classes.", "macro-other-mean")


MACRO_ABSENT = "macro_f1: absent classes count as F1 = 0 (divide by num_classes)"


@check(MACRO_ABSENT,
       "Every one of the num_classes classes counts, and a class whose F1 is 0/0 counts as 0.",
       clauses=("a class whose F1 is undefined counts as 0",))
def test_macro_absent_classes(student, ref, tol, memo):
    model = _macro_model(student, memo, tol)
    preds, targets = _labels([0, 1, 2, 1, 0, 2]), _labels([0, 2, 2, 1, 1, 2])
    chosen = model if model in MACRO_MESSAGES else "reference"
    got = (_quiet(student, "macro_f1", preds, targets, 3),
           _quiet(student, "macro_f1", preds, targets, 5))
    want = (_macro_models(preds, targets, 3)[chosen], _macro_models(preds, targets, 5)[chosen])
    over_smaller = [g is None and _raised_through_a_helper(student, ref, preds, targets, c, tol)
                    for g, c in zip(got, (3, 5), strict=True)]
    if any(over_smaller):
        attributed_to(next(check for check in over_smaller if check))
    if not all(_close(g, w, tol) or _macro_blamed(student, ref, g, preds, targets, c, tol)
               or bool(smaller)
               for g, w, c, smaller in zip(got, want, (3, 5), over_smaller, strict=True)):
        if type(got[0]) is float and math.isfinite(got[0]) and not (
                _close(got[0], want[0], tol) or over_smaller[0]
                or _macro_blamed(student, ref, got[0], preds, targets, 3, tol)):
            # wrong with num_classes=3, where no class of these labels is absent: a mistake
            # in the per-class F1 (mistakes review 37: precision_recall_f1 called without
            # positive_class=c, told it ignores num_classes), the values check's to charge
            # once macro_f1 works somewhere (or its helper's in-place edit, charged there)
            try:
                edited = _edited_by_its_helper(student, ref, tol, student.call(
                    "macro_f1", preds, targets, 3), (preds, targets, 3))
            except StudentError:
                edited = ""
            if edited:
                attributed_to(edited)
                return
            _held_to_macro_values(student, ref, model, tol)
            return
        expect_argument_used(
            "macro_f1", "num_classes", got, want,
            "with num_classes=3 and num_classes=5 on the same labels",
            "Average over all num_classes classes (not the classes present): an absent "
            "class's F1 is 0.")
    cases = [
        (_labels([0, 1, 2, 1, 0, 2, 1]), _labels([0, 1, 3, 3, 1, 0, 1]), 5,
         "when class 4 never occurs and class 3 is never predicted"),
        (_labels([0, 1, 1, 0]), _labels([1, 1, 0, 0]), 4, "when classes 2 and 3 never occur"),
    ]
    for preds, targets, num_classes, what in cases:
        try:
            result = student.call("macro_f1", preds, targets, num_classes)
            value = result.value
            models = _macro_models(preds, targets, num_classes)
            if not _close(value, models["reference" if model not in models else model], tol):
                if _macro_blamed(student, ref, value, preds, targets, num_classes, tol):
                    continue  # right for the student's own helper: that helper's mistake
                edited = _edited_by_its_helper(student, ref, tol, result,
                                               (preds, targets, num_classes))
                if edited:  # (its helper's in-place edit made it wrong: charged there)
                    attributed_to(edited)
                    continue
        except StudentError as error:
            raising = None if error.is_a("NotImplementedError") else \
                _raising_matrix(student, ref, preds, targets, num_classes, tol)
            if raising:  # (its confusion_matrix raises here too: that helper's mistake)
                _present_classes_past_helpers(student, preds, targets, num_classes, tol, what)
                attributed_to(raising)
                continue
            smaller = "" if error.is_a("NotImplementedError") else \
                _helper_to_blame_for(student, ref, preds, targets, num_classes, error, tol)
            if smaller:  # (its helper fails here: that helper's mistake)
                _present_classes_past_helpers(student, preds, targets, num_classes, tol, what)
                attributed_to(smaller)
                continue
            if not error.is_a("NotImplementedError"):  # (its own mistake named, if a run
                # with correct helpers shows one: a helper raising everywhere excuses nothing)
                _present_classes_past_helpers(student, preds, targets, num_classes, tol, what)
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
        if _wrong_without_absent(student, ref, preds, targets, model, tol):
            # wrong on the same labels with no class absent: a mistake in the per-class F1
            # (a test on the wrong count, wrong where TP = FP), the values check's to charge —
            # once macro_f1 works somewhere (a constant earns nothing here: red team 14)
            _held_to_macro_values(student, ref, model, tol)
            continue
        present = {int(c) for c in torch.cat([preds, targets]).unique()}
        f1 = [_ratio(2 * tp, 2 * tp + fp + fn)
              for tp, fp, fn in _per_class(preds, targets, num_classes)]
        if _close(value, sum(f1) / len(present), tol):
            fail(f"macro_f1 averages over the classes present {what}: divide by num_classes, "
                 "counting an absent class's F1 as 0.", "present-classes-only")
        fail(f"macro_f1 gives a wrong value {what}: every class in range(num_classes) counts, "
             "and a class with 2·TP + FP + FN = 0 has F1 = 0.", "absent-class")


# Two classes of equal F1 (0.8 each: the values check's first labels), where a macro_f1 that
# scores one class for all is right, and a function of one input (the mean prediction) is not
MACRO_EQUAL_F1 = (_labels([0, 1, 1, 0, 1]), _labels([0, 1, 0, 0, 1]))


# Every prediction right, every class present: F1 = 1 for each (mistakes review 39's
# integer division 2·TP // (2·TP + FP + FN) is right there, and nowhere else)
MACRO_PERFECT = (_labels([0, 1, 2, 1, 0, 2, 2]), _labels([0, 1, 2, 1, 0, 2, 2]))
# Class 0 predicted perfectly, classes 1 and 2 not: F1 = 1, 1/2, 1/2
MACRO_ONE_PERFECT = (_labels([0, 0, 1, 2, 1, 2]), _labels([0, 0, 1, 1, 2, 2]))


def _macro_works(student, ref, model: str, tol, perfect: bool = True) -> bool:
    """macro_f1 gives the right value (or its own diagnosed formula's) on some labels where
    every class occurs, of three classes or two (mistakes review 37's was right on two: F1 of
    class 1 for every class, `MACRO_EQUAL_F1`; review 39's on perfect predictions alone), or
    is right for the student's own helper there — and not one value for all of them (a
    constant is no computation: red team 14) where some prediction is wrong (red team 49's
    stub was 0 wherever one is, and right on perfect predictions). `perfect`: perfect
    predictions among them."""
    right, values = False, set()
    probes = [(*labels, 3) for labels in (*CONTROLS_MULTI, MACRO_MODEL_PROBE, SPARSE[3],
                                          MACRO_ONE_PERFECT)]
    probes += [(*MACRO_EQUAL_F1, 2), *([(*MACRO_PERFECT, 3)] if perfect else [])]
    for preds, targets, num_classes in probes:
        value = _quiet(student, "macro_f1", preds, targets, num_classes)
        if not bool((preds == targets).all()):  # (a value of its own where not all is right)
            values.add(repr(value))
        models = _macro_models(preds, targets, num_classes)
        right = right or _close(value, models["reference" if model not in models else model],
                                tol) or _macro_blamed(student, ref, value, preds, targets,
                                                      num_classes, tol)
    return right and len(values) > 1


# Every prediction right, classes 1 and 3 absent: (1 + 0 + 1 + 0) / 4 (class 1 absent: a
# macro_f1 scoring class 1 for every class gives 0 here, not the 1.0 of the classes present)
MACRO_PERFECT_ABSENT = (_labels([0, 2, 0, 2, 2]), _labels([0, 2, 0, 2, 2]), 4, 0.5)


def _held_to_macro_values(student, ref, model: str, tol) -> None:
    """A macro_f1 wrong where no class is absent: its values check charges that once it works
    somewhere ("not working" otherwise); where it works on perfect predictions alone, its
    absent classes are judged there (`_expect_absent_where_right`)."""
    if not _macro_works(student, ref, model, tol):
        fail("macro_f1: this check counts once macro_f1 returns correct values on valid "
             "input; fix the values check first.", "not-working")
    if not _macro_works(student, ref, model, tol, perfect=False):
        _expect_absent_where_right(student, tol)
    attributed_to(MACRO_VALUES)


def _expect_absent_where_right(student, tol) -> None:
    """The absent classes judged where a macro_f1 right on perfect predictions alone is
    right, on perfect predictions: averaged over the classes present there (1.0), it is
    charged. (Not for one that works elsewhere too: a mean weighted by TP or support is 1.0
    there as well, its one mistake the values check's.)"""
    preds, targets, num_classes, expected = MACRO_PERFECT_ABSENT
    value = _quiet(student, "macro_f1", preds, targets, num_classes)
    if not _close(value, expected, tol) and _close(value, 1.0, tol):
        fail("macro_f1 averages over the classes present when classes 1 and 3 never occur: "
             "divide by num_classes, counting an absent class's F1 as 0.",
             "present-classes-only")


def _wrong_without_absent(student, ref, preds: torch.Tensor, targets: torch.Tensor, model: str,
                         tol) -> bool:
    """macro_f1 is wrong (and not for its own helper) on the same labels with the classes
    present renumbered 0 … k − 1 and num_classes = k: no class is absent there."""
    present = sorted({int(c) for c in torch.cat([preds, targets]).unique()})
    renumber = torch.full((max(present) + 1,), -1, dtype=torch.int64)
    renumber[present] = torch.arange(len(present))
    preds, targets, k = renumber[preds], renumber[targets], len(present)
    value = _quiet(student, "macro_f1", preds, targets, k)
    models = _macro_models(preds, targets, k)
    return not _close(value, models["reference" if model not in models else model], tol) \
        and not _macro_blamed(student, ref, value, preds, targets, k, tol)


def _over_a_smaller_matrix(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                           num_classes: int, tol) -> str:
    """The confusion_matrix check that charges the matrix when macro_f1 raised on these labels
    because the student's matrix is not num_classes square here (sized by the labels): a
    correct macro_f1 that reads class num_classes − 1 off it raises too (fresh eyes 13's
    x_bug3: its IndexError was charged as a 0/0). Confirmed by a run: macro_f1 is right where
    the matrix is, and composes over it where a class is absent (`_macro_control`). ""
    otherwise."""
    m = _matrix(_quiet(student, "confusion_matrix", preds, targets, num_classes))
    if m is None or tuple(m.shape) == (num_classes, num_classes) \
            or not _macro_control(student, ref, tol, "confusion_matrix"):
        return ""
    return _matrix_check(num_classes)([m])


def _raised_through_a_helper(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                             num_classes: int, tol) -> str:
    """macro_f1 raises on these labels, and a run shows its helper's mistake is why
    (`_over_a_smaller_matrix`, `_raising_prf`): that helper's check ("" otherwise)."""
    try:
        student.call("macro_f1", preds, targets, num_classes)
    except StudentError as error:
        if error.is_a("NotImplementedError"):
            return ""
        return _helper_to_blame_for(student, ref, preds, targets, num_classes, error, tol)
    except MissingFunction:
        return ""
    return ""


def _helper_to_blame_for(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                         num_classes: int, error: StudentError, tol) -> str:
    """macro_f1 raised `error` on these labels: the check of the helper a run shows it
    raised through, "" when none."""
    return _over_a_smaller_matrix(student, ref, preds, targets, num_classes, tol) or \
        _raising_prf(student, ref, preds, targets, num_classes, error, tol) or \
        _raising_over_a_wrong_matrix(student, ref, preds, targets, num_classes, tol) or \
        _prf_refusing_positive_class_by_position(student, ref, preds, targets, num_classes,
                                                 tol)


def _prf_refusing_positive_class_by_position(student, ref, preds: torch.Tensor,
                                            targets: torch.Tensor, num_classes: int,
                                            tol) -> str:
    """The student's precision_recall_f1 raises when positive_class comes by position, as
    their macro_f1 passes it, and works by name; macro_f1 with correct helpers in their place
    is right: it raised through that signature, the check that asks positive_class by
    position charges it, once (fresh eyes 45: a keyword-only positive_class cost both
    macro_f1 checks as well). "" otherwise."""
    try:
        student.call("precision_recall_f1", preds, targets, positive_class=0)
    except (StudentError, MissingFunction):
        return ""
    try:
        student.call("precision_recall_f1", preds, targets, 0)
    except StudentError:
        if _close(_on_library_helpers(student, preds, targets, num_classes),
                  ref.macro_f1(preds, targets, num_classes), tol):
            return PRF_MULTI
    except MissingFunction:
        pass
    return ""


def _raising_over_a_wrong_matrix(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                                 num_classes: int, tol) -> str:
    """The student's confusion_matrix is not the int64 tensor it should be on these labels (a
    numpy array, a list, other counts), and macro_f1 with correct helpers in their place
    (worker scenario `macro_with_library_helpers`) is right: it raised over that matrix
    (mistakes review 40: `matrix.sum(dim=0)` on sklearn's numpy array), the confusion_matrix
    check's to charge ("" otherwise)."""
    matrix = _quiet(student, "confusion_matrix", preds, targets, num_classes)
    if type(matrix) is torch.Tensor and matrix.dtype == torch.int64 and bool(torch.equal(
            matrix, ref.confusion_matrix(preds, targets, num_classes))):
        return ""
    if not _close(_on_library_helpers(student, preds, targets, num_classes),
                  ref.macro_f1(preds, targets, num_classes), tol):
        return ""
    return CM_VALUES


# Labels where a class is predicted but never true (P = 0/2, R = 0/0), true but never
# predicted (P = 0/0, R = 0/2), and none of that: an F1 written as 2PR / (P + R) raises on the
# first two, one written as 2TP / (2TP + FP + FN) on none of them.
RAISE_PROBES = ((_labels([0, 1, 1, 0]), _labels([0, 0, 0, 0]), 2),
                (_labels([0, 0, 0]), _labels([0, 1, 1]), 2),
                (_labels([0, 1, 2, 1]), _labels([0, 1, 2, 2]), 3))


def _raises_with_prf(student, kind: str) -> bool:
    """On each of `RAISE_PROBES`, macro_f1 raises `kind` exactly where the student's
    precision_recall_f1 raises it for some class (and it does somewhere): macro_f1 raises
    through it, not by a division of its own."""
    def raises(function: str, *args: Any, **kwargs: Any) -> bool | None:
        try:
            student.call(function, *args, **kwargs)
        except StudentError as error:
            return True if error.kind == kind else None
        except MissingFunction:
            return None
        return False

    seen = False
    for preds, targets, num_classes in RAISE_PROBES:
        helper = [raises("precision_recall_f1", preds, targets, positive_class=c)
                  for c in range(num_classes)]
        caller = raises("macro_f1", preds, targets, num_classes)
        if None in helper or caller is None or caller != any(helper):
            return False
        seen = seen or caller
    return seen


def _raising_prf(student, ref, preds: torch.Tensor, targets: torch.Tensor, num_classes: int,
                 error: StudentError, tol) -> str:
    """The precision_recall_f1 check that charges it when macro_f1 raised on these labels
    because the student's precision_recall_f1 raises the same error for a class whose ratios
    are 0/0 here (fresh eyes 15: an unguarded F1 raising ZeroDivisionError for an absent
    class also cost macro_f1 built on it, as a 0/0 of its own). Confirmed by a run: macro_f1
    is right where that helper is (`_macro_control`). "" otherwise."""
    for c in range(num_classes):
        try:
            student.call("precision_recall_f1", preds, targets, positive_class=c)
        except StudentError as raised:
            tp = _counts(preds, targets, c)[0]
            if raised.kind != error.kind or not _raises_with_prf(student, error.kind) \
                    or not _macro_control(student, ref, tol, "precision_recall_f1"):
                return ""
            # (TP = 0: a ratio's 0/0, or the F1's 2PR / (P + R) with P = R = 0)
            if tp == 0:
                return PRF_ZERO
            # (a helper for binary labels only, raising on every multiclass input: fresh eyes
            # 48's confusion_matrix(..., 2) inside it cost macro_f1 built on it twice)
            return PRF_MULTI if _raises_on_multiclass(student, raised) else ""
        except MissingFunction:
            return ""
    return ""


def _raising_matrix(student, ref, preds: torch.Tensor, targets: torch.Tensor,
                    num_classes: int, tol) -> str:
    """The confusion_matrix check that charges the student's confusion_matrix raising on
    these labels while it works on others ("" otherwise): macro_f1 built on it raises there
    too, the helper's mistake. Sized by the labels (it works once they reach its last cell:
    fresh eyes 8's missing `minlength`, also a macro_f1 "0/0"), the absent-class check's;
    right on a few classes, macro_f1 too (a size of its own, 4, that 13 classes do not fit),
    its values check's."""
    try:
        student.call("confusion_matrix", preds, targets, num_classes)
    except StudentError as error:
        if error.is_a("NotImplementedError"):
            return ""
        # (only where it works on other labels: a matrix that raises on any is no helper,
        # and a stub earns nothing through it)
        if _sized_by_data(student, ref, preds, targets, num_classes):
            return CM_ABSENT
        return CM_VALUES if any(_both_right(student, ref, tol, classes)
                                for classes in (2, 3, 4)) else ""
    except MissingFunction:
        return ""
    return ""


def _both_right(student, ref, tol, classes: int) -> bool:
    """confusion_matrix and macro_f1 are right on eight labels of `classes` classes."""
    small = (torch.arange(8) % classes, (torch.arange(8) // 2) % classes, classes)
    matrix = _matrix(_quiet(student, "confusion_matrix", *small))
    return (matrix is not None and matrix.shape == (classes, classes)
            and bool(torch.equal(matrix.long(), ref.confusion_matrix(*small)))
            and _close(_quiet(student, "macro_f1", *small), ref.macro_f1(*small), tol))


HELPER_VALUES = {"confusion_matrix": CM_VALUES, "accuracy": ACC_VALUES,
                 "precision_recall_f1": PRF_BINARY}
