"""Part E — experiments and concept checks (answers from the hidden key)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from autograder.check.compare import describe, is_placeholder
from autograder.check.registry import attributed_to, check, fail
from autograder.sandbox.protocol import NumpyArray
from autograder.sandbox.session import MissingFunction, StudentError
from autograder.score.results import WRONG_ANSWER
from lab05_checks.forbidden import fresh_generator
from lab05_checks.test_part_c_metrics import ACC_VALUES, PRF_BINARY, PRF_ZERO

QUESTIONS = {
    "q_logits": "why raw logits go to cross-entropy",
    "q_imbalanced": "is 95% accuracy on a 95%-negative set good",
    "q_loss_vs_metric": "loss versus metric",
    "q_backward": "what backward() does and does not do",
    "q_zero_grad": "why zero_grad()",
    "q_mse_vs_ce": "MSE versus cross-entropy on classification",
    "q_outliers": "which loss recovers the slope with outliers",
}


def _experiment_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The experiment cell's data, rebuilt as the notebook builds it: 950 negatives and 50
    positives (shuffled with seed 0), and the always-negative predictions."""
    generator = torch.Generator().manual_seed(0)
    targets = torch.cat([torch.zeros(950, dtype=torch.int64),
                         torch.ones(50, dtype=torch.int64)])[torch.randperm(1000,
                                                                            generator=generator)]
    return torch.zeros_like(targets), targets


def _as_number(value: Any) -> Any:
    if isinstance(value, NumpyArray):
        value = value.tensor
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


def _kind(value: Any) -> str:
    return ("tensor" if isinstance(value, torch.Tensor)
            else "numpy" if isinstance(value, NumpyArray) else "plain")


def _same_answer(a: Any, b: Any) -> bool:
    """The same value and kind (a tensor for a tensor, a numpy value for a numpy value — a
    metric returning numpy values hands them to the answer computed with it —, nan for
    nan)."""
    if _kind(a) != _kind(b):
        return False
    a, b = _as_number(a), _as_number(b)
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) \
            or not isinstance(b, (int, float)):
        return False
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, abs_tol=1e-6)


def _close(value: float, expected: float, tol) -> bool:
    """The answer is the key's within the metric tolerance (the config's, as the notebook's
    Handing-in cell states it)."""
    return abs(value - expected) <= tol.metric.atol + tol.metric.rtol * abs(expected)


# The answer is what the student's own metric gives on the experiment's data, as the step
# asks, and that metric is wrong there — and elsewhere too, so the answer is not excused as
# the metric's mistake (`_metric_to_blame`: a function right on other labels): fresh eyes 45's
# accuracy dividing by the number of classes was told to "pass both to your accuracy()",
# which it did.
OWN_METRIC_WRONG = ("{name} is what your {function}() gives on the experiment's data, as this "
                    "step asks, but that is not the right value: your {function}() is wrong "
                    "(its own check in Part C says how) — fix it and run this cell again.")


def _own_metric_gives(student, function: str, pick: Any, value: Any) -> bool:
    """The student's `function` on the experiment's data gives `value` (`pick`: the number
    of its result the answer is)."""
    preds, targets = _experiment_data()
    try:
        got = pick(student.call(function, preds, targets).value)
    except (StudentError, LookupError, TypeError):
        return False
    return _same_answer(value, got)


def _metric_to_blame(student, name: str, value: Any, expected: float, function: str,
                     pick: Any, check_for: Any) -> bool:
    """The answer is wrong (or not a float) because the student's own metric function is: a
    probe call of it on the experiment's data gives this very value (and not the right one,
    as a float). The metric's check charges that mistake once; this item is held to it."""
    preds, targets = _experiment_data()
    try:
        got = pick(student.call(function, preds, targets).value)
    except (StudentError, LookupError, TypeError):
        return False
    if type(got) is float and math.isclose(got, expected, abs_tol=1e-6):
        return False  # the function is right here: the experiment cell is at fault
    if not _same_answer(value, got):
        return False
    if _works_elsewhere(student, function) or (
            function == "accuracy" and _scaled_accuracy(student)):
        attributed_to(check_for(got))  # (wrong here only: the check for this data's case)
        return True
    if not _does_work(student, function):
        return False  # (a constant stub: no work to build the answer on)
    # Wrong on plain labels too: its values check charges it (fresh eyes 58: a
    # precision_recall_f1 counting every right prediction as a true positive cost
    # always_negative_f1 as well); the pass stands only where that check fails
    attributed_to(VALUES_CHECKS[function])
    return True


def _does_work(student, function: str) -> bool:
    """The student's `function` gives different results on different labels (`WORKS`'
    probes): a function that reads its inputs, not a constant."""
    seen = []
    for (preds, targets), _ in WORKS[function]:
        try:
            got = student.call(function, preds, targets).value
        except StudentError:
            return False
        values = got if isinstance(got, (tuple, list)) else (got,)
        seen.append(tuple(_as_number(v) for v in values))
    return len(set(map(repr, seen))) > 1


# The check charging a metric that is wrong on plain labels (`_metric_to_blame`)
VALUES_CHECKS = {"accuracy": ACC_VALUES, "precision_recall_f1": PRF_BINARY}

# Labels where the usual wrong metrics are right (every prediction right; a symmetric
# confusion with both classes): a function that is wrong on the experiment's data only in the
# way its own check charges is right here, a constant stub is not.
# (each metric's value differs from probe to probe, and precision_recall_f1's from the
# accuracy of its labels: red team 29's constant accuracy and accuracy-as-F1 each passed, and
# the answer built on them was excused as their mistake)
WORKS = {"accuracy": (((torch.tensor([2, 0, 1]), torch.tensor([2, 0, 1])), 1.0),
                      ((torch.tensor([2, 0, 1]), torch.tensor([0, 1, 2])), 0.0)),
         "precision_recall_f1": (((torch.tensor([0, 1, 1, 0, 1, 0]),
                                   torch.tensor([1, 0, 1, 0, 1, 0])), 2 / 3),
                                 ((torch.tensor([1, 1, 0]), torch.tensor([1, 1, 0])), 1.0),
                                 ((torch.tensor([1, 1, 0, 0, 0, 0]),
                                   torch.tensor([1, 0, 1, 0, 0, 0])), 0.5))}


# An accuracy that is a fixed scale of the true one (a percentage, the error rate 1 − acc):
# labels whose true accuracy is 1, 0 and 1/3 for one set of predictions, and 0 for other
# predictions — it must read both (mistakes review 29: the answer built on a percentage
# accuracy was charged as well as the accuracy)
SCALED = (((torch.tensor([2, 0, 1]), torch.tensor([2, 0, 1])), 1.0),
          ((torch.tensor([2, 0, 1]), torch.tensor([0, 1, 2])), 0.0),
          ((torch.tensor([2, 0, 1]), torch.tensor([2, 1, 0])), 1 / 3),
          ((torch.tensor([0, 1, 2]), torch.tensor([2, 0, 1])), 0.0))


def _disguised(preds: torch.Tensor, targets: torch.Tensor, gen: torch.Generator,
               relabel: bool, times: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The same labels drawn afresh in a form of their own (red team 50's metrics answered a
    table of these probes, and the answers built on them were excused): every sample repeated
    2 to 4 times, the samples shuffled, and (`relabel`) the classes renamed by a random
    bijection of 0 … 9 — accuracy, precision, recall and F1 are unchanged. (Never once: an
    accuracy dividing by the number of classes is right on three distinct samples of three
    classes, so whether its answer was excused depended on the draw — fresh eyes 45.)"""
    if times is None:
        times = int(torch.randint(2, 5, (1,), generator=gen))
    order = torch.randperm(preds.numel() * times, generator=gen)
    preds, targets = preds.repeat(times)[order], targets.repeat(times)[order]
    if relabel:
        names = torch.randperm(10, generator=gen)
        preds, targets = names[preds], names[targets]
    return preds, targets


def _scaled_accuracy(student) -> bool:
    """The student's accuracy is a * acc + b (a != 0) on `SCALED` (`_disguised`): it measures
    agreement, on a scale of its own that its values check charges; a constant or a function
    of one input is no such scale."""
    values = []
    gen = fresh_generator()
    # (each probe repeated a different number of times: an accuracy dividing by something
    # other than N — the number of classes — is a scale of the true one only for one
    # repetition, which the probes sharing a draw made it, 1 in 9: fresh eyes 45)
    repeats = (torch.randperm(len(SCALED), generator=gen) + 2).tolist()
    for ((preds, targets), _), times in zip(SCALED, repeats, strict=True):
        try:
            got = _as_number(student.call("accuracy", *_disguised(
                preds, targets, gen, relabel=True, times=times)).value)
        except StudentError:
            return False
        if isinstance(got, bool) or not isinstance(got, (int, float)) or not math.isfinite(got):
            return False
        values.append(float(got))
    b = values[1]
    a = values[0] - b
    return abs(a) > 1e-9 and all(math.isclose(v, a * t + b, abs_tol=1e-6 * max(1.0, abs(a)))
                                 for v, (_, t) in zip(values, SCALED, strict=True))


def _works_elsewhere(student, function: str) -> bool:
    # (positive_class given: a default of 0 is the binary check's mistake, charged there)
    given = {"positive_class": 1} if function == "precision_recall_f1" else {}
    gen = fresh_generator()
    for (preds, targets), expected in WORKS[function]:
        try:
            got = student.call(function, *_disguised(preds, targets, gen, relabel=function == (
                "accuracy")), **given).value
        except StudentError:
            return False
        values = got if function == "accuracy" else (
            got if isinstance(got, (tuple, list)) and len(got) == 3 else (None,))
        if not all(_same_answer(_as_number(v), expected) for v in (
                values if isinstance(values, (tuple, list)) else (values,))):
            return False
    return True


def _raising_on_the_experiment(student, function: str, check_for: str,
                               excuses: Callable[[StudentError], bool]) -> bool:
    """The student's own `function` raises on the experiment's data, an error `excuses`
    accepts: the item, missing because its cell stopped there, is held to `check_for`, the
    check that charges that mistake once."""
    preds, targets = _experiment_data()
    try:
        student.call(function, preds, targets)
    except StudentError as error:
        if not excuses(error):
            return False
        attributed_to(check_for)
        return True
    except MissingFunction:
        return False
    return False


def _metric_raises(student, function: str, kind: str, check_for: str) -> bool:
    """The answer is missing because the student's own metric function raises `kind` on the
    experiment's data (its cell stopped there) while it works elsewhere (fresh eyes 13: a
    precision_recall_f1 raising ZeroDivisionError when nothing is predicted positive, the
    experiment's 0/0, also cost always_negative_f1, "not defined")."""
    return _raising_on_the_experiment(student, function, check_for, lambda error: error.is_a(
        kind) and _works_elsewhere(student, function))


def _stopped_before(student, function: str, check_for: str,
                    own_answer: Callable[[], bool]) -> bool:
    """The answer is missing because its cell stopped at an earlier line, where the student's
    own `function` raises on the experiment's data, and the answer's own metric, asked here,
    gives the right value (mistakes review 37: an accuracy raising for N > 1 also cost
    always_negative_f1, set after it in the same cell by a precision_recall_f1 that was
    right)."""
    return _raising_on_the_experiment(student, function, check_for, lambda error: not error.is_a(
        "NotImplementedError") and own_answer())


def _number(student, name: str, blame: Any = None,
            raised: tuple[str, str, str] | None = None,
            stopped: Callable[[], bool] | None = None) -> float | None:
    """The answer as a float; None where `blame` holds the student's own metric function
    responsible (the item is then held to it: nothing more to judge), or where the answer is
    missing and `raised` (the metric function, an exception, the check charging it) raises
    on the experiment's data, or `stopped` finds its cell stopped earlier by another
    function's mistake (`_stopped_before`)."""
    def excused() -> bool:
        return (raised is not None and _metric_raises(student, *raised)) or \
            (stopped is not None and stopped())

    try:
        value = student.get_var(name)
    except MissingFunction:
        if excused():
            return None
        raise
    if is_placeholder(value) and excused():
        return None
    if is_placeholder(value):
        fail(f"{name} is not filled in yet: compute it in its experiment cell and run the "
             "cell.", "no-answer")
    if blame is not None and blame(value):
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 1:  # (fresh eyes 17: a 0-d tensor)
        fail(f"{name} holds a tensor ({describe(value)}), where the answer is a Python float: "
             "convert it with .item() or float(...) in its experiment cell.", "not-a-number")
    if isinstance(value, (tuple, list)) and len(value) == 3:  # (mistakes review 40)
        fail(f"{name} holds three values (precision_recall_f1's whole result, precision, "
             "recall and F1), where the answer is one number: keep the one it asks for (the "
             "F1 is the third, result[2]).", "not-a-number")
    # (fresh eyes 64: a numpy scalar and a formatted string were told to run the cell)
    if isinstance(value, NumpyArray) and value.tensor.dim() == 0:
        fail(f"{name} holds {describe(value)}, where the answer is a Python float: convert it "
             "with float(...) in its experiment cell.", "not-a-number")
    if isinstance(value, str):
        fail(f"{name} holds a string (a figure formatted as text?), where the answer is the "
             "number itself: keep the number, and format it only when you print it.",
             "not-a-number")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"{name} should hold a number computed in the notebook (it holds "
             f"{describe(value)}); run the experiment cell.", "not-a-number")
    return float(value)


_PAIRED = {"always_negative_accuracy": "always_negative_f1",
           "always_negative_f1": "always_negative_accuracy"}


def _expect_not_swapped(student, answers: dict[str, Any], tol, name: str, value: float) -> None:
    """Each of the two answers holds the other's (fresh eyes 64: two generic messages, neither
    saying the answers were swapped)."""
    other = _PAIRED[name]
    if _close(value, float(answers[name]), tol) or not _close(value, float(answers[other]), tol):
        return
    try:
        theirs = student.get_var(other)
    except MissingFunction:
        return
    if isinstance(theirs, (int, float)) and not isinstance(theirs, bool) and _close(
            float(theirs), float(answers[name]), tol):
        fail(f"{name} holds what {other} asks for, and {other} what {name} asks for: the two "
             "answers are swapped.", "answers-swapped")


def _expect_not_rounded(name: str, value: float, expected: float, tol) -> None:
    """An answer that is the key rounded (`round(acc, 1)`, a figure copied from a printout)
    is told so (fresh eyes 64: told to compute what it had computed)."""
    if _close(value, expected, tol):
        return
    if any(value == round(expected, digits) for digits in range(5)):
        fail(f"{name} holds {value:g}, the answer rounded: keep the exact value your function "
             "returns (round only when you print it).", "rounded")


ALWAYS_NEGATIVE_ACC = "always_negative_accuracy: accuracy of the always-negative classifier"


@check(ALWAYS_NEGATIVE_ACC,
       "Compute accuracy(preds, targets) where preds is all zeros on the imbalanced set.")
def test_always_negative_accuracy(student, answers, tol):
    expected = answers["always_negative_accuracy"]
    value = _number(student, "always_negative_accuracy", lambda v: not _same_answer(
        v, float(expected)) and _metric_to_blame(
        student, "always_negative_accuracy", v, expected, "accuracy", lambda got: got,
        lambda got: ACC_VALUES))
    if value is None:
        return
    if not _close(value, answers["always_negative_accuracy"], tol) \
            and _close(value / 100, answers["always_negative_accuracy"], tol):
        fail(f"always_negative_accuracy holds {value:g}, a percentage: keep the accuracy a "
             "fraction in [0, 1], as your accuracy() returns it (no × 100).", "percentage")
    if not _close(value, answers["always_negative_accuracy"], tol) and _own_metric_gives(
            student, "accuracy", lambda got: got, value):
        fail(OWN_METRIC_WRONG.format(name="always_negative_accuracy", function="accuracy"),
             "own-metric-wrong")
    _expect_not_rounded("always_negative_accuracy", value, expected, tol)
    _expect_not_swapped(student, answers, tol, "always_negative_accuracy", value)
    if not _close(value, expected, tol) and _close(1 - value, expected, tol):
        # (fresh eyes 67: told only "not the accuracy of predicting 'negative'")
        fail("always_negative_accuracy holds the fraction of samples predicted wrong (the error "
             "rate; here also the share of positives), not the fraction predicted right: pass "
             "the all-zero predictions and the targets to your accuracy().", "error-rate")
    if not _close(value, answers["always_negative_accuracy"], tol):
        fail("always_negative_accuracy is not the accuracy of predicting 'negative' for every "
             "sample of the experiment's data: make the predictions all zeros with the targets' "
             "shape and pass both to your accuracy().", "wrong-value")


ALWAYS_NEGATIVE_F1 = "always_negative_f1: F1 of the always-negative classifier"


@check(ALWAYS_NEGATIVE_F1,
       "Compute the F1 of the positive class for all-negative predictions.")
def test_always_negative_f1(student, answers, tol):
    expected = answers["always_negative_f1"]
    value = _number(student, "always_negative_f1", lambda v: not _same_answer(
        v, float(expected)) and _metric_to_blame(
        student, "always_negative_f1", v, expected, "precision_recall_f1",
        lambda got: got[2], lambda got: _prf_charging(student, got, expected)),
        raised=("precision_recall_f1", "ZeroDivisionError", PRF_ZERO),
        stopped=lambda: _stopped_before(student, "accuracy", ACC_VALUES,
                                        lambda: _prf_gives(student, float(expected))))
    if value is None:
        return
    if isinstance(value, float) and math.isnan(value):
        # (fresh eyes of stop 51: a nan was told only to think about the true positives)
        fail("always_negative_f1 is nan: a metric is never nan (the notebook's rule: a ratio "
             "that would divide by zero is what sklearn's zero_division=0 makes it); compute it "
             "with your precision_recall_f1 on all-zero predictions.", "nan-metric")
    if not _close(value, answers["always_negative_f1"], tol) and _own_metric_gives(
            student, "precision_recall_f1", lambda got: got[2], value):
        fail(OWN_METRIC_WRONG.format(name="always_negative_f1", function="precision_recall_f1"),
             "own-metric-wrong")
    if not _close(value, answers["always_negative_f1"], tol) and _close(
            value, _negative_class_f1(), tol):
        # (fresh eyes 59: positive_class=0 given, told only to think about true positives)
        fail("always_negative_f1 is the F1 of class 0, the negative class (positive_class=0): "
             "the F1 asked is the positive class's — class 1, precision_recall_f1's default "
             "positive_class.", "negative-class-f1")
    _expect_not_rounded("always_negative_f1", value, expected, tol)
    _expect_not_swapped(student, answers, tol, "always_negative_f1", value)
    if not _close(value, answers["always_negative_f1"], tol):
        fail("always_negative_f1 is not the F1 of the positive class for all-negative "
             "predictions on the experiment's data: call your precision_recall_f1 on all-zero "
             "predictions and those targets, and think about what predicting no positives "
             "means for the true positives.", "wrong-value")


def _negative_class_f1() -> float:
    """The F1 of class 0 for the experiment's all-negative predictions (sklearn's, by hand)."""
    preds, targets = _experiment_data()
    tp = int(((preds == 0) & (targets == 0)).sum())
    predicted, actual = int((preds == 0).sum()), int((targets == 0).sum())
    return 2 * tp / (predicted + actual) if predicted + actual else 0.0


def _prf_gives(student, expected: float) -> bool:
    """The student's precision_recall_f1, called as the experiment cell calls it, gives
    `expected` as its F1 on the experiment's data."""
    try:
        got = student.call("precision_recall_f1", *_experiment_data()).value
    except StudentError:
        return False
    f1 = _as_number(got[2]) if isinstance(got, (tuple, list)) and len(got) == 3 else None
    return isinstance(f1, (int, float)) and not isinstance(f1, bool) and \
        math.isclose(f1, expected, abs_tol=1e-6)


def _prf_charging(student, got: Any, expected: float) -> str:
    """The precision_recall_f1 check that charges the F1 it gives on the experiment's data
    (`got`, called as the experiment cell calls it: without positive_class): the binary check
    for a tensor or array where a float is due, or for a default positive_class of 0 (given
    positive_class=1 it is right here: a fresh outside review's `positive_class=0` signature
    was told "compute the F1 of the positive class"), else the 0/0 check."""
    if isinstance(got, (torch.Tensor, NumpyArray)):
        return PRF_BINARY
    preds, targets = _experiment_data()
    try:
        explicit = student.call("precision_recall_f1", preds, targets, positive_class=1).value
    except StudentError:
        return PRF_ZERO
    if isinstance(explicit, (tuple, list)) and len(explicit) == 3 and \
            type(explicit[2]) is float and math.isclose(explicit[2], expected, abs_tol=1e-6):
        return PRF_BINARY
    return PRF_ZERO


def letter(value: str) -> str:
    """The option an answer names, as the notebook's self-check reads it: case, surrounding
    spaces and brackets do not matter ("(d)", "D", " d." are all 'd'; mistakes review 34)."""
    return value.strip().strip("().").strip().lower()


def _choice(student, answers, name: str) -> None:
    value = student.get_var(name)
    if not isinstance(value, str) or letter(value) not in ("a", "b", "c", "d"):
        fail(f"{name} should be one of 'a', 'b', 'c', 'd'.", "no-answer")
    if letter(value) != answers[name]:
        # the option chosen, in the tag only: the dashboard shows the class's choices
        fail(f"{name}: not the best answer — reread the section on {QUESTIONS[name]}.",
             f"{WRONG_ANSWER}{letter(value)}")


Q_LOGITS = "q_logits: why raw logits go to cross-entropy"


@check(Q_LOGITS, "Pick the best option.")
def test_q_logits(student, answers):
    _choice(student, answers, "q_logits")


@check("q_imbalanced: is 95% accuracy on a 95%-negative set good", "Pick the best option.")
def test_q_imbalanced(student, answers):
    _choice(student, answers, "q_imbalanced")


@check("q_loss_vs_metric: loss versus metric", "Pick the best option.")
def test_q_loss_vs_metric(student, answers):
    _choice(student, answers, "q_loss_vs_metric")


@check("q_backward: what backward() does and does not do", "Pick the best option.")
def test_q_backward(student, answers):
    _choice(student, answers, "q_backward")


@check("q_zero_grad: why zero_grad()", "Pick the best option.")
def test_q_zero_grad(student, answers):
    _choice(student, answers, "q_zero_grad")


@check("q_mse_vs_ce: MSE versus cross-entropy on classification", "Pick the best option.")
def test_q_mse_vs_ce(student, answers):
    _choice(student, answers, "q_mse_vs_ce")


@check("q_outliers: which loss recovers the slope with outliers", "Pick the best option.")
def test_q_outliers(student, answers):
    _choice(student, answers, "q_outliers")
