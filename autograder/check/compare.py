"""Judge-side comparisons that explain themselves.

Each helper either returns quietly or fails the check with a message about
the student's value (its type, shape, dtype, or where it differs), never with
the hidden input or the expected numbers — and never with more of the student's own value
than `sandbox.quoting` allows (a class name or a shape made from the hidden inputs).

NaN and inf never pass: every value must be finite where the reference is, and
non-finite exactly where the reference is (same nan, same signed inf). Plain
`abs(got - want) <= atol` does not say so by itself (any comparison with nan is
false, so `abs(nan - x) > atol` let nan metrics through); `close_float` and
`close` do, and every check compares through them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from autograder.check.registry import fail
from autograder.config import Tolerance, Tolerances
from autograder.sandbox.protocol import MetaTensor, NumpyArray, Opaque
from autograder.sandbox.quoting import quotable_class, quotable_dtype_description, quotable_shape

# A class feedback may not name (`quoting.quotable_class`): neither the notebook's own, nor a
# built-in, nor one of a library the grader has loaded (a name made at run time could
# spell the call's values)
RUN_TIME_CLASS = "a class not the notebook's, Python's or PyTorch's (its name is not quoted)"


def describe(value: Any) -> str:
    """A returned value in words, for a message: "None", "a numpy array", "the `...`
    placeholder", never a class name of the grader's (such as Opaque)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return "a Python number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, NumpyArray):
        # (a 0-d one is a numpy scalar such as np.float32, which a sum or mean over an array
        # gives: mistakes review 26's accuracy was told "a numpy array")
        if value.tensor.dim() == 0:
            return f"a numpy scalar (numpy.{str(value.tensor.dtype).removeprefix('torch.')})"
        return "a numpy array"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {quotable_shape(value.shape)}"
    if isinstance(value, MetaTensor):
        return "a tensor on another device"
    if isinstance(value, (list, tuple, dict, set)):
        return f"a Python {type(value).__name__}"
    if isinstance(value, Opaque):
        if value.description.endswith("ellipsis"):
            return "the `...` placeholder (not filled in yet)"
        # (each name as `quoting` allows: a class made at run time can spell hidden inputs)
        if value.kind == "module":
            name = quotable_class(value.description)
            return f"a module ({name})" if name else f"a module of {RUN_TIME_CLASS}"
        if " of dtype " in value.description:  # (a tensor or array of a dtype no check reads)
            said = quotable_dtype_description(value.description)
            return f"a {said}" if said else "a tensor or array of a dtype no check reads"
        name = quotable_class(value.description)
        return f"a `{name}` object" if name else f"an object of {RUN_TIME_CLASS}"
    return f"a `{type(value).__name__}`"


def is_placeholder(value: Any) -> bool:
    """None or the notebook's untouched `...`: work not done yet, not a wrong answer."""
    return value is None or (isinstance(value, Opaque) and value.description.endswith("ellipsis"))


def as_tensor(value: Any, function: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, NumpyArray):
        fail(f"{function} returned a numpy array: return a torch.Tensor so the result stays "
             "in the autograd graph (avoid .numpy()).", "returned-numpy")
    if isinstance(value, (list, tuple)):
        fail(f"{function} returned a Python {type(value).__name__}: return a torch.Tensor.",
             "returned-list")
    if isinstance(value, (int, float)):
        fail(f"{function} returned a Python number: return a tensor (no .item()), so that "
             "backward() can flow through it.", "returned-number")
    fail(f"{function} returned {describe(value)}, not a torch.Tensor.", "returned-object")


def tolerance(tol: Tolerances, dtype: torch.dtype) -> Tolerance:
    return tol.float64 if dtype == torch.float64 else tol.float32


def _non_finite_kind(values: torch.Tensor) -> str:
    nan, inf = bool(torch.isnan(values).any()), bool(torch.isinf(values).any())
    return "inf/nan" if nan and inf else "nan" if nan else "inf"


def close_float(got: Any, expected: float, atol: float) -> bool:
    """Is the Python number `got` within `atol` of `expected`, nan and inf included? A
    finite reference needs a finite value; a non-finite one the same nan or signed inf."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    try:
        value = float(got)
    except OverflowError:  # an int beyond float range: not the finite reference value
        return False
    if not math.isfinite(expected):
        return (math.isnan(value) and math.isnan(expected)) or value == expected
    return math.isfinite(value) and abs(value - expected) <= atol


def close(actual: torch.Tensor, expected: torch.Tensor, tol: Tolerance) -> bool:
    """Same shape, and every element within tolerance: `allclose` with `equal_nan=True`
    requires nan exactly where the reference has nan, the same signed inf where it has inf,
    and a finite value everywhere else."""
    if actual.shape != expected.shape:
        return False
    if _identical(actual, expected):
        return True
    return bool(torch.allclose(actual.to(expected.dtype), expected, rtol=tol.rtol, atol=tol.atol,
                               equal_nan=True))


def _identical(actual: torch.Tensor, expected: torch.Tensor) -> bool:
    """The same dtype and the same values, element for element: within any tolerance, and
    finite wherever the reference is (nan equals nothing, so a nan goes the long way). One
    comparison instead of `allclose`'s dozen tensor operations, for the common right answer."""
    return actual.dtype == expected.dtype and torch.equal(actual, expected)


def matches(value: Any, expected: torch.Tensor, rtol: float, atol: float) -> bool:
    """Quietly: is `value` a tensor of `expected`'s shape with its values (see `close`)?"""
    return isinstance(value, torch.Tensor) and close(value, expected, Tolerance(rtol=rtol,
                                                                               atol=atol))


# Half-precision formats, by their unit roundoff (2^-p, p the significand's bits)
_HALVES = ((torch.bfloat16, "bfloat16", 2.0 ** -8), (torch.float16, "float16", 2.0 ** -11))


def half_precision(actual: Any, expected: torch.Tensor) -> str:
    """"float16" or "bfloat16" where `actual` (a float32 or float64 tensor) is `expected`
    computed in that format: every value exactly one of the format's (on enough distinct
    values that the reference's own are not), not all integers (those are a rounding of
    another kind), and most of them within a few of the format's roundoffs of the reference
    (a function that casts to half precision, computes, and casts back). "" otherwise. The
    values are the probe: no model of the student's code is guessed (fresh eyes 52's float16
    softmax was told it clamped its logits)."""
    if not (isinstance(actual, torch.Tensor) and actual.dtype in (torch.float32, torch.float64)
            and actual.shape == expected.shape and expected.is_floating_point()):
        return ""
    seen = actual.detach().flatten()
    want = expected.detach().flatten().to(seen.dtype)
    kept = torch.isfinite(seen) & (seen != 0) & torch.isfinite(want)
    finite, want = seen[kept], want[kept]
    if finite.numel() < 4 or torch.unique(finite).numel() < 4 \
            or torch.equal(finite, finite.round()):
        return ""
    error = (finite - want).abs() / want.abs().clamp(min=torch.finfo(want.dtype).tiny)
    for half, name, unit in _HALVES:
        if torch.equal(finite, finite.to(half).to(finite.dtype)) and not torch.equal(
                want, want.to(half).to(want.dtype)) and float(
                (error <= 8 * unit).double().mean()) >= 0.5:
            return name
    return ""


def expect_half_precision_named(function: str, actual: Any, expected: torch.Tensor,
                                what: str) -> None:
    """Fail naming the cast where `actual` carries half precision's rounding
    (`half_precision`); return otherwise."""
    half = half_precision(actual, expected)
    if half:
        fail(f"{function} computes in {half} {what}: its values carry {half}'s rounding — keep "
             f"the input's dtype throughout (no .half(), .to(torch.{half}) or autocast).",
             "half-precision")


def expect_tensor(value: Any, expected: torch.Tensor, tol: Tolerances, function: str,
                  what: str, mistake: str = "wrong-value", sign_hint: str = "") -> torch.Tensor:
    """Type, shape, dtype, finiteness, then values — in the order a student should fix them.
    `sign_hint`: the lab's words after "check the sign in the formula" for values right but
    for their sign (" (a log-likelihood loss is minus …)"); the engine's own words name no
    kind of function (a lab author's week-6 dropout read of log-likelihood losses)."""
    actual = as_tensor(value, function)
    if actual.shape != expected.shape:
        count = expected.numel()
        # (as many values as expected, in another shape: a result flattened, squeezed or
        # viewed — its size then quoted too, a number the grader's own shape makes)
        reshaped = actual.numel() == count and count > 1
        fail(f"{function} returned shape "
             f"{quotable_shape(actual.shape, (*expected.shape, count))} {what}, expected "
             f"{tuple(expected.shape)}: "
             + ("the right number of values in another shape — don't flatten, squeeze or "
                "reshape the result." if reshaped else
                "check which dimensions it reduces and any broadcasting."), "wrong-shape")
    if actual.dtype != expected.dtype:
        fail(f"{function} returned {actual.dtype} for {expected.dtype} input {what}: keep the "
             "input's dtype (don't hard-code float32/float64).", "wrong-dtype")
    if _identical(actual, expected):
        return actual
    bad = torch.isfinite(expected) & ~torch.isfinite(actual)
    if bool(bad.any()):
        fail(f"{function} returned {_non_finite_kind(actual[bad])} {what} where the true value "
             "is finite: look for a division by zero, a log of 0 or an overflow, and use a "
             "numerically stable formulation.", "not-finite")
    if not close(actual, expected, tolerance(tol, expected.dtype)):
        expect_half_precision_named(function, actual, expected, what)
        if actual.is_floating_point() and bool((expected != 0).any()) and \
                close(-actual, expected, tolerance(tol, expected.dtype)):
            fail(f"{function} gives the right values with the opposite sign {what}: check the "
                 f"sign in the formula{sign_hint}.", "wrong-sign")
        fail(f"{function} gives wrong values {what}.", mistake)
    return actual


def expect_float(value: Any, expected: float, atol: float, function: str, what: str,
                 mistake: str = "wrong-value") -> float:
    """A plain Python float within `atol` of `expected`; nan or inf fail unless the
    reference is that same nan or inf."""
    if isinstance(value, torch.Tensor):
        fail(f"{function} returned a tensor; it should return a plain Python float "
             "(use .item()).", "returned-tensor")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"{function} returned {describe(value)}; it should return a Python float.",
             "wrong-type")
    if isinstance(value, int) and close_float(value, expected, atol):
        # (the right number as an int: `return 0` or `return 1` on an edge case — fresh
        # eyes 46; the spec's metrics are floats, as sklearn's are)
        fail(f"{function} returned the int {int(value)} {what}: return a Python float there "
             f"too ({float(value)}), as in every other case.", "int-not-float")
    if math.isfinite(expected) and isinstance(value, float) and not math.isfinite(value):
        fail(f"{function} returned {value!r} {what} where the true value is finite: look for "
             "a 0/0 or a division by zero and return the defined value instead.", "not-finite")
    if not close_float(value, expected, atol):
        fail(f"{function} gives a wrong value {what}.", mistake)
    return float(value)


KINK_RULE = ("where PyTorch's gradient is finite yours must be finite too, and at a kink "
             "(a point where the function is not differentiable) any value between the "
             "one-sided derivatives is accepted")


def expect_edge_gradient(got: Any, expected: torch.Tensor, lower: torch.Tensor,
                         upper: torch.Tensor, function: str, what: str, tol: Tolerance,
                         cause: str | Callable[[], str] = "") -> None:
    """The gradient at the edges the spec names (kinks, huge logits): finite wherever
    `expected` (PyTorch's) is finite, and within [lower, upper] elementwise — equal bounds
    where the function is differentiable, the one-sided derivatives at a kink. `cause`: the
    likely cause of a non-finite gradient, where the caller knows one (its words only; a
    callable is asked only when the gradient is not finite: reading the source to word a
    failure costs nothing on a right answer)."""
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        fail(f"{function}: backward gives no gradient of the input's shape {what}.",
             "wrong-gradient")
    got = got.to(expected.dtype)
    bad = torch.isfinite(expected) & ~torch.isfinite(got)
    if bool(bad.any()):
        cause = (cause() if callable(cause) else cause) \
            or "e.g. sqrt(d**2) at d = 0, or exp overflowing"
        fail(f"{function}: backward gives {_non_finite_kind(got[bad])} {what} where PyTorch's "
             f"gradient is finite ({cause}): the rule is that {KINK_RULE}.",
             "not-finite-gradient")
    slack = tol.atol + tol.rtol * torch.maximum(lower.abs(), upper.abs())
    inside = (got >= torch.minimum(lower, upper) - slack) & (got <= torch.maximum(lower, upper)
                                                            + slack)
    if not bool(inside[torch.isfinite(expected)].all()):
        fail(f"{function}: backward gives gradients outside the subdifferential {what}: the "
             f"rule is that {KINK_RULE}.", "kink-gradient")


def _same_result(a: Any, b: Any) -> bool:
    """Exactly the same result (tensor of one shape with equal values, nan positions
    included, equal Python numbers, or tuples/lists of those)."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            torch.equal(a, b) or torch.allclose(a, b, rtol=0.0, atol=0.0, equal_nan=True))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_result(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (a != a and b != b)
    return False


def _all_finite(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return not value.is_floating_point() or bool(torch.isfinite(value).all())
    if isinstance(value, (tuple, list)):
        return all(_all_finite(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def expect_argument_used(function: str, argument: str, got: tuple[Any, Any],
                         want: tuple[Any, Any], settings: str, fix: str,
                         by_identity: bool = False) -> None:
    """Counterfactual: the same call with `argument` changed (`settings` says how). Where the
    reference's result changes and the student's stays exactly the same, the argument is
    ignored; anything else is the value checks' to judge. `by_identity`: the function's
    source compares a value with a string by `is` (the words only: the run charged it)."""
    if _same_result(want[0], want[1]) or not _same_result(got[0], got[1]) \
            or not _all_finite(got[0]):
        return  # nan/inf: the value checks say that first
    if by_identity:
        # (fresh eyes 62: `reduction is "mean"` is true in a notebook, whose literal "mean"
        # Python interns, and false for a string made as the program runs, as a caller's
        # may be: told it ignored its argument, a student saw the branch in their code)
        fail(f"{function} gives the same result {settings}, where the correct result changes: "
             f"it compares `{argument}` with a string by `is`, which asks whether both are the "
             "same object, not whether they are equal (true for a literal in your notebook, "
             "false for an equal string made elsewhere). Compare with ==.",
             f"ignores-{argument.replace('_', '-')}")
    # (what the probe saw, and what it implies: a part of the result that does not follow the
    # argument — mistakes review 32's true positives counted over every class)
    fail(f"{function} does not use its `{argument}` argument everywhere it should: {settings} it "
         f"returns the same result, where the correct result changes. {fix}",
         f"ignores-{argument.replace('_', '-')}")


def expect_default(function: str, argument: str, default: Any, got: Any,
                   want: torch.Tensor, tol: Tolerances) -> None:
    """A call that leaves `argument` out must give what `argument=default` gives (the
    signature's default is part of the contract). Called after the explicit values passed,
    so a difference here is the default alone."""
    if matches(got, want, tolerance(tol, want.dtype).rtol, tolerance(tol, want.dtype).atol):
        return
    fail(f"{function} called without `{argument}` gives another result than "
         f"{argument}={default!r}: keep the signature's default, {argument}={default!r}.",
         f"default-{argument.replace('_', '-')}")
