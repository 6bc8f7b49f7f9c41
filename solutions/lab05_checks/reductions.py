"""Reduction mistakes shared by the elementwise losses of Parts A and B (MSE, MAE, Huber,
BCE, BCE with logits), each named only where a probe confirms it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch

from autograder.check.compare import expect_half_precision_named
from autograder.check.registry import CheckFailed, fail
from autograder.sandbox.quoting import quotable_shape
from autograder.sandbox.session import StudentError

#: Reductions every loss refuses with ValueError, as PyTorch does: a name of its own, another
#: case (fresh eyes 17: `.lower()` first accepted "Mean"), None (taken for 'none')
UNKNOWN_REDUCTIONS: tuple[str | None, ...] = ("avg", "Mean", None)

#: `agrees(student_value, expected)`: quietly, is this the expected tensor?
Agrees = Callable[[Any, torch.Tensor], bool]


def expect_mean_over_every_element(call: Callable[..., Any], function: str, value: Any,
                                   first: torch.Tensor, second: torch.Tensor,
                                   reference: Callable[..., torch.Tensor], agrees: Agrees,
                                   **extra: Any) -> None:
    """'mean' on a 2-D input that is the sum divided by the number of rows (sum / len(x),
    sum / x.shape[0], mean over dim 0 then sum), confirmed on the transposed input, where the
    rows are as many as the columns were: fail naming it; return otherwise. `call(first,
    second, reduction=..., **extra)` is the student's function, quietly (None where it
    raises)."""
    if not isinstance(value, torch.Tensor):
        return
    total = reference(first, second, reduction="sum", **extra)
    if first.numel() > 2 and agrees(value, total / (first.numel() - 1)):
        # (fresh eyes 52: the unbiased variance's N − 1, told only "wrong values")
        fail(f"{function} with reduction='mean' divides the sum by N − 1 ({first.numel() - 1} "
             f"for {first.numel()} elements), as an unbiased variance does: the mean loss "
             "divides by the number of elements, N — use .mean().", "mean-n-minus-1")
    if first.ndim != 2 or first.shape[0] == first.shape[1]:
        return
    rows = reference(first, second, reduction="sum", **extra) / first.shape[0]
    if not agrees(value, rows):
        return
    flipped, flipped_second = first.T.contiguous(), second.T.contiguous()
    probe = call(flipped, flipped_second, reduction="mean", **extra)
    if agrees(probe, reference(flipped, flipped_second, reduction="sum", **extra)
              / flipped.shape[0]):
        fail(f"{function} with reduction='mean' divides by the number of rows, not by every "
             f"element (on a {tuple(first.shape)} input it returns the sum / "
             f"{first.shape[0]}): use .mean() or divide by numel().", "mean-over-rows")


def expect_formula_before_reduction(function: str, reduction: str, elementwise: Any,
                                    wanted: torch.Tensor, agrees: Agrees, what: str) -> None:
    """A reduced value found wrong, where the function's own 'none' values (`elementwise`:
    its call with reduction='none', None if it raised) are wrong too, with the reference's
    shape and dtype (`wanted`): the per-element formula is the mistake, not the reduction (a
    fresh outside review's BCE with its two terms swapped was told "wrong values with
    reduction='mean'", tagged as a reduction mistake). Return otherwise."""
    if reduction == "none":
        return
    if isinstance(elementwise, torch.Tensor) and elementwise.dim() > wanted.dim() \
            and elementwise.shape[:wanted.dim()] == wanted.shape:
        # (fresh eyes 28: `-logp[targets]` picks whole rows, and was told "wrong values with
        # reduction='mean'", a reduction mistake; only the gradient check named the shape)
        fail(f"{function} gives wrong values {what}, and with reduction='none' it returns "
             f"shape {quotable_shape(elementwise.shape, wanted.shape)} where there is one loss per "
             "sample, shape "
             f"{tuple(wanted.shape)}: the per-element formula keeps more than one value per "
             "sample, not the reduction (e.g. index each row at its own target: "
             "logp[torch.arange(N), targets]).", "wrong-shape")
    if not isinstance(elementwise, torch.Tensor) or elementwise.shape != wanted.shape \
            or elementwise.dtype != wanted.dtype or agrees(elementwise, wanted):
        return
    if agrees(elementwise, -wanted):  # (mistakes review 39: a missing minus, told "wrong")
        fail(f"{function} gives the right values with the opposite sign {what}, and element "
             "by element too (reduction='none'): check the sign in the formula (a "
             "log-likelihood loss is minus the log-probability of the target).", "wrong-sign")
    expect_half_precision_named(function, elementwise, wanted, "element by element")
    expect_not_nearly_right(function, elementwise, wanted, what,
                            ", element by element too (reduction='none')")
    fail(f"{function} gives wrong values {what}, and element by element too "
         "(reduction='none'): the per-element formula is wrong, not the reduction — check it "
         "against the definition on one element first.", "wrong-values")


def expect_not_nearly_right(function: str, value: Any, wanted: torch.Tensor, what: str,
                            also: str = "") -> None:
    """Values of `wanted`'s shape and dtype, wrong, yet within 1e-4 of it (relative to its
    largest): a small constant shifts every value — named as such, not as a wrong formula or
    reduction (fresh eyes of stop 51: log(p + 1e-8) was told only "the per-element formula is
    wrong"; fresh eyes 43: -log(softmax + 1e-9) was told "wrong values with
    reduction='none'", tagged as a reduction mistake). Return otherwise."""
    if not isinstance(value, torch.Tensor) or value.shape != wanted.shape \
            or value.dtype != wanted.dtype:
        return
    gap = (value - wanted).abs()
    if bool(torch.isfinite(gap).all()) and gap.numel() and float(gap.max()) <= 1e-4 * (
            1.0 + float(wanted.abs().max())):
        fail(f"{function} gives values {what} that are close to the reference's but not "
             f"equal{also}: something shifts every value a little — an eps added inside a log "
             "or to a denominator, or a clamp where none is needed; compute it as the "
             "definition does.", "nearly-right")


# What each of the spec's reductions returns, as a refusal of it is told
REDUCTION_MEANS = {"mean": "'mean' averages the elementwise losses over every element",
                   "sum": "'sum' adds them up",
                   "none": "'none' returns them unreduced, one per element (the input's shape)"}


def expect_reduction_accepted(function: str, error: StudentError, reduction: str,
                              call: Callable[[str], Any], by_identity: bool = False) -> None:
    """A reduction the spec asks for, refused by the function's own ValueError (it supports
    'mean' and 'sum' only, say): named, with what that reduction returns (fresh eyes 47: told
    to fix its own error first) — where a probe shows the reduction is what it refuses: the
    same inputs with another of the spec's reductions are accepted (`call(reduction)`; fresh
    eyes 59: a range check comparing the targets with N instead of C raised on every reduction
    and was told it refused 'mean'). Any other error is the caller's to word. `by_identity`:
    the function's source compares a value with a string by `is` (the words only: the run
    showed the refusal) — fresh eyes 72's `reduction is "mean"`, true for the notebook's own
    literal, refused the grader's equal string, told only "raised ValueError"."""
    if by_identity and reduction in REDUCTION_MEANS and error.own and error.is_a("ValueError"):
        fail(f"{function} refuses reduction={reduction!r} (it raises its own ValueError): it "
             "compares `reduction` with a string by `is`, which asks whether both are the same "
             "object, not whether they are equal (true for a literal in your notebook, false "
             "for an equal string made elsewhere, as a caller's may be). Compare with ==.",
             "compared-by-identity")
    if reduction in REDUCTION_MEANS and error.own and error.is_a("ValueError") and any(
            _accepted(call, other) for other in REDUCTION_MEANS if other != reduction):
        fail(f"{function} refuses reduction={reduction!r} (it raises ValueError): the spec's "
             f"reductions are 'mean', 'sum' and 'none', and {REDUCTION_MEANS[reduction]}.",
             "reduction-refused")


def asked_again(student: Any, function: str, *args: Any, **kwargs: Any) -> Callable[[str], Any]:
    """The same call with another reduction (`expect_reduction_accepted`'s probe)."""
    return lambda reduction: student.call(function, *args, **{**kwargs, "reduction": reduction})


def _accepted(call: Callable[[str], Any], reduction: str) -> bool:
    try:
        call(reduction)
    except StudentError:
        return False
    return True


def values_mistake(reduction: str) -> str:
    """A values check's tag for wrong values with `reduction`: with 'none' the per-element
    formula is what is wrong, not a reduction (fresh eyes 43: tagged "reduction-none")."""
    return "wrong-values" if reduction == "none" else f"reduction-{reduction}"


def expect_mean_not_sum(function: str, mean_value: Any, none_right: bool,
                        expected_sum: torch.Tensor, agrees: Agrees) -> None:
    """'mean' that returns the sum, while 'none' works (so the argument is not ignored)."""
    if none_right and agrees(mean_value, expected_sum):
        fail(f"{function} with reduction='mean' returns the sum of the elementwise losses: "
             "divide by the number of elements (use .mean(), or .sum() / numel()).",
             "sum-for-mean")


def expect_sum_not_mean(function: str, sum_value: Any, none_right: bool,
                        expected_mean: torch.Tensor, expected_sum: torch.Tensor,
                        agrees: Agrees) -> None:
    """'sum' that returns the mean, while 'none' works: the argument is not ignored, 'sum' is
    (fe14: told "ignores its reduction argument", with 'none' right)."""
    if none_right and agrees(sum_value, expected_mean) and not agrees(sum_value, expected_sum):
        fail(f"{function} with reduction='sum' returns the mean of the elementwise losses (what "
             "'mean' returns): add them up for 'sum' (.sum()), without dividing.",
             "mean-for-sum")


def expect_value_error(function: str, error: StudentError, given: str, fix: str,
                       mistake: str) -> None:
    """An invalid input (`given`, in words) must be refused with ValueError: returns for one
    (a subclass too); another exception (an `assert`, a KeyError from a lookup of the
    reduction) is named with the fix — not left to "fix this error first", as if the function
    had to run to the end (fresh eyes 47). A stub's NotImplementedError is the engine's to
    word."""
    if error.is_a("ValueError"):
        return
    if error.is_a("NotImplementedError"):
        raise error
    how = " (an assert raises AssertionError)" if error.kind == "AssertionError" else ""
    fail(f"{function} raised {error.kind} for {given}{how}, where the spec asks for ValueError: "
         f"{fix}", mistake)


#: An input a function must refuse with ValueError: (its words, args, kwargs)
Invalid = tuple[str, tuple[Any, ...], dict[str, Any]]


# Shapes of one rank that differ and still broadcast (or hold as many elements): a shape
# check that compares only the number of dimensions, the first size or the element count
# lets them meet in the arithmetic (red team 39's mse_loss kept the error check)
# ... and a middle dim of 3-D inputs (red team 101's check of the rank, the first and the
# last size passed every 2-D pair)
SAME_RANK_MISMATCHES = (((2, 3), (2, 1)), ((3, 1), (3, 4)), ((2, 3), (3, 2)),
                        ((2, 1, 4), (2, 3, 4)))
SAME_RANK_FIX = ("compare the whole shapes (pred.shape != target.shape), not only their number "
                 "of dimensions, first size or number of elements: these would broadcast (or "
                 "be reshaped) without an error.")


def same_rank_mismatches(make: Callable[..., torch.Tensor]) -> list[Invalid]:
    """`SAME_RANK_MISMATCHES` as inputs (`make(*shape)` gives a valid input tensor)."""
    return [(f"a {first} input with a {second} target", (make(*first), make(*second)), {})
            for first, second in SAME_RANK_MISMATCHES]


def expect_same_rank_refused(call: Callable[..., Any], function: str,
                             make: Callable[..., torch.Tensor]) -> None:
    """`function` (`call(*args)`, raising `StudentError` when it raises) accepts none of
    `SAME_RANK_MISMATCHES`. One that raises another error there compares too late, which the
    check of a late comparison names (shapes that do not broadcast)."""
    for words, args, _ in same_rank_mismatches(make):
        try:
            call(*args)
        except StudentError:
            continue
        fail(f"{function} accepted {words}: {SAME_RANK_FIX}", "partial-shape-check")


def elementwise_invalid(make: Callable[..., torch.Tensor],
                        *more: Invalid) -> list[Invalid]:
    """The inputs every elementwise loss refuses (`make(*shape)` gives a valid input tensor):
    mismatched shapes and each unknown reduction, then `more`."""
    return [("a (5, 1) input with a (5,) target", (make(5, 1), make(5)), {}),
            ("a (4,) input with a (3,) target", (make(4), make(3)), {}),
            *same_rank_mismatches(make),
            *((f"reduction={unknown!r}", (make(3), make(3)), {"reduction": unknown})
              for unknown in UNKNOWN_REDUCTIONS), *more]


@contextlib.contextmanager
def every_invalid_named(call: Callable[..., Any], invalid: list[Invalid]) -> Iterator[None]:
    """An error check's failure names the first input accepted; the others it also accepts
    are added to it (fresh eyes 17: a huber_loss missing two validations was told of one,
    its self-check of the other, and fixing either still lost the check). `call(*args,
    **kwargs)` is the student's function, raising `StudentError` when it raises."""
    try:
        yield
    except CheckFailed as failure:
        if failure.mistake == "not-working":
            raise
        accepted = [words for words, args, kwargs in invalid
                    if words not in failure.message and _accepts(call, args, kwargs)]
        if not accepted:
            raise
        fail(f"{failure.message} It also accepts {'; '.join(accepted)}: raise ValueError for "
             "each of those too.", failure.mistake)


def _accepts(call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    try:
        call(*args, **kwargs)
    except StudentError:
        return False
    return True
