"""One mistake, one cost, across functions: a caller built on a student's own helper.

The notebook lets students reuse their earlier functions (precision_recall_f1 on
confusion_matrix, macro_f1 on either, softmax as exp(log_softmax), evaluate on accuracy,
the Part E experiments on the metrics …). A mistake in the helper then shows in the caller
too, and charging both would cost one mistake twice, with a caller's message that names a
mistake its own code does not make ("precision and recall swapped" for a transposed
confusion matrix).

The rule, confirmed by a run and never by the source text: the caller is excused for a
value when (1) probe calls of the student's helper on the inputs the caller would hand it
succeed, (2) the helper is wrong on at least one of them (else the fault is the caller's own)
and (3) the caller's value equals a correct composition over those helper outputs (and,
where a stub could match it, the caller is right where the helper is: `control`). The
calling check is then held to that composition and `attributed_to` the helper's check,
which charges the mistake once. Where the caller is wrong, no composition is confirmed and
the helper is wrong too, the caller's message may add that the helper is the likely cause
(`naming_helper`) — words only: the verdict is the caller's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import torch

from autograder.check.registry import CheckFailed, attributed_to, fail
from autograder.sandbox.session import StudentError

#: `agrees(student_value, expected)`: quietly, is this the expected value?
Agrees = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class HelperCall:
    """One probe call of the student's helper: its arguments, and what the correct helper
    returns for them."""

    args: tuple[Any, ...]
    expected: Any
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Composition:
    """`caller` built correctly on the student's `helper`.

    `calls`: the helper calls a correct caller makes for the caller's inputs; `compose`: the
    values a correct caller returns given those helper outputs (several where more than one
    correct composition exists, e.g. one accuracy over every sample or the size-weighted
    batch accuracies); `helper_right` compares a helper output with the correct one;
    `check`: the helper's check that charges the helper's mistake (or a function of the
    helper's outputs naming it, where the mistake decides which check that is).

    `control`: where a degenerate helper (a stub of zeros) makes the composition degenerate
    too, so that a stub caller could match it, a probe that the caller is right on an input
    where the student's helper is right (a caller built on the helper is; a stub is not)."""

    caller: str
    helper: str
    check: str | Callable[[list[Any]], str]
    calls: Sequence[HelperCall]
    compose: Callable[[list[Any]], Iterable[Any]]
    helper_right: Agrees
    control: Callable[[], bool] | None = None


def _helper_outputs(student, composition: Composition) -> list[Any] | None:
    """The student's helper on every probe call (None where one raised or is missing)."""
    outputs = []
    for call in composition.calls:
        try:
            outputs.append(student.call(composition.helper, *call.args, **call.kwargs).value)
        except StudentError:
            return None
        except Exception:  # (a missing helper, a call cut at its limit: nothing to blame)
            return None
    return outputs


def helper_wrong(student, composition: Composition) -> bool:
    """Is the student's helper wrong on (at least one of) the caller's inputs?"""
    outputs = _helper_outputs(student, composition)
    return outputs is not None and not all(
        composition.helper_right(out, call.expected)
        for out, call in zip(outputs, composition.calls, strict=True))


def helper_to_blame(student, value: Any, agrees: Agrees,
                    compositions: Iterable[Composition]) -> bool:
    """True (and the running check attributed to the helper's check) when `value`, the
    caller's result, is a correct composition over a wrong helper's outputs, confirmed by
    probe calls of that helper; False otherwise (the caller's value stays the caller's)."""
    for composition in compositions:
        outputs = _helper_outputs(student, composition)
        if outputs is None or all(composition.helper_right(out, call.expected)
                                  for out, call in zip(outputs, composition.calls, strict=True)):
            continue  # the helper is right here (or unusable): the fault is the caller's own
        if _no_work(outputs, composition):
            continue  # (a stub helper excuses nothing: the caller did the work it shows)
        try:
            candidates = list(composition.compose(outputs))
        except Exception:  # outputs of the wrong kind: a correct caller would raise on them
            continue
        if any(agrees(value, candidate) for candidate in candidates) and (
                composition.control is None or composition.control()):
            check = composition.check
            attributed_to(check if isinstance(check, str) else check(outputs))
            return True
    return False


def _no_work(outputs: list[Any], composition: Composition) -> bool:
    """The helper's tensor outputs show no work on these calls: each all zeros where the
    correct output is not, or one of the call's own inputs handed back where the correct
    output is not (a constant of another value can be a mistake in work done: a confusion
    matrix counting each pair once is all ones where every pair occurs). A caller over such
    a helper is no composition over work done (red team 29: huber as half the MSE over a
    `mae_loss` of zeros, softmax as the exp of a `log_softmax` that returned its logits,
    +16, each excused as the stub's mistake)."""
    shown = False
    for out, call in zip(outputs, composition.calls, strict=True):
        expected = call.expected
        if not (isinstance(out, torch.Tensor) and isinstance(expected, torch.Tensor)
                and out.shape == expected.shape and out.numel() > 1):
            continue
        shown = True
        if _zeros(out) and not _zeros(expected):
            continue
        handed = [a for a in call.args if isinstance(a, torch.Tensor) and a.shape == out.shape]
        if any(same_result(out, a) and not same_result(expected, a) for a in handed):
            continue
        return False
    return shown


def same_result(value: Any, other: Any) -> bool:
    """Two results of a student's function alike: tensors element by element (nan with nan),
    containers item by item, numbers equal (nan with nan), anything else equal — never an
    error, whatever a function returned. What the no-work probes compare (a result that
    stays the same when an input it should read moves)."""
    if isinstance(value, torch.Tensor) or isinstance(other, torch.Tensor):
        return (isinstance(value, torch.Tensor) and isinstance(other, torch.Tensor)
                and value.shape == other.shape
                and bool(torch.equal(value.detach().double().nan_to_num(-7.0),
                                     other.detach().double().nan_to_num(-7.0))))
    if type(value) is not type(other):
        return False
    if isinstance(value, (tuple, list)):
        return len(value) == len(other) and all(map(same_result, value, other))
    if isinstance(value, dict):
        return value.keys() == other.keys() and all(same_result(value[k], other[k])
                                                    for k in value)
    if isinstance(value, float) and math.isnan(value) and math.isnan(other):
        return True
    try:
        return bool(value == other)
    except Exception:
        return False


def _zeros(tensor: torch.Tensor) -> bool:
    return not bool(tensor.detach().double().abs().sum())


@contextmanager
def naming_helper(student, compositions: Iterable[Composition],
                  generic: frozenset[str] = frozenset({"wrong-value"}),
                  built_on_caller: Callable[[Composition], bool] | None = None,
                  ) -> Iterator[None]:
    """A failure of the caller's check inside this block that names no mistake of the
    caller's own (its tag is in `generic`), on inputs where the student's helper is wrong too
    (and no composition was confirmed), says that the helper is the likely cause — unless a
    run shows the helper wrong only through the caller (`built_on_caller`: mistakes review
    41's log_softmax was sent to fix a softmax built on it, whose check sent it back). The
    verdict and the mistake tag are unchanged."""
    try:
        yield
    except CheckFailed as failure:
        if failure.mistake not in generic:
            raise
        for composition in compositions:
            if helper_wrong(student, composition) and not (
                    built_on_caller is not None and built_on_caller(composition)):
                raise CheckFailed(
                    f"{failure.message} (Your {composition.helper} is wrong on these inputs "
                    f"as well: if {composition.caller} calls it, that is the likely cause — "
                    f"fix {composition.helper} first, see its check.)", failure.mistake,
                ) from failure
        raise


def gradient_cut(function: str, on: str, where: str = "") -> NoReturn:
    """backward() gave no gradient at all for the input (autograd's None: the result does not
    reach it through the graph). Said as what happened and what to change; the gradient
    check charges it, and the checks of gradients at the edges defer to it (one mistake,
    one cost)."""
    fail(f"{function}: backward(){where} gives no gradient for {on} at all (its .grad stays "
         f"None): the result is cut off from {on} in the autograd graph. A .detach() (with or "
         "without .requires_grad_() after it), torch.tensor(...) or .item() of an "
         f"intermediate starts a new graph — compute every step from {on} with tensor "
         "operations.", "no-gradient")


def float32_evidence(value: Any, expected: torch.Tensor, in_float32: torch.Tensor,
                     rtol: float = 1e-6, atol: float = 1e-7) -> str:
    """How a run shows a float64 input computed in float32 (a .float() inside), within
    `rtol`/`atol` of `in_float32` (the reference computed on the inputs cast to float32): the
    result is float32, or float64 whose every element is a float32 number (cast back at the
    end) where the float64 reference's are not. Being merely close to `in_float32` is no
    evidence: an eps in a log or any other small offset is too. "" where the run does not
    show it."""
    if not isinstance(value, torch.Tensor) or value.shape != expected.shape \
            or expected.dtype != torch.float64 or not value.is_floating_point() \
            or not bool(torch.allclose(value.double(), in_float32.double(), rtol=rtol, atol=atol,
                                       equal_nan=True)):
        return ""
    if value.dtype == torch.float32:
        return "its result is float32"
    if value.dtype == torch.float64 and _all_float32(value) and not _all_float32(expected):
        return "its values carry float32's rounding"
    return ""


def _all_float32(values: torch.Tensor) -> bool:
    """Every finite element exactly a float32 number."""
    finite = values[torch.isfinite(values)]
    return bool(torch.equal(finite, finite.float().double()))


def float32_message(function: str, evidence: str) -> str:
    return (f"{function}: torch.autograd.gradcheck fails because {function} computes in "
            f"float32 for float64 input ({evidence}): gradcheck's finite differences need "
            "float64's precision — keep the input's dtype throughout (no .float(), no float32 "
            "constant tensors).")


def held_to_float32(function: str, values_check: str, value: Any, got: Any,
                    args: tuple[Any, ...], reference: Callable[..., torch.Tensor],
                    upstream: torch.Tensor | None, expected_value: torch.Tensor,
                    charged: bool, **kwargs: Any) -> bool:
    """A gradient check whose gradients or gradcheck disagree, for a function the run shows
    computing in float32 for float64 input (`float32_evidence`, on the same call): its
    gradients are judged against the reference computed in float32 (False where they are
    not those either: the check goes on as usual). The float32 step is one mistake: where the
    values check charges it (`charged`: the value is outside float64's tolerance there), this
    check is attributed to it; where it does not, gradcheck's failure names the cause."""
    leaf = args[0].detach().clone().requires_grad_(True)
    rest = tuple(a.float() if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                 for a in args[1:])
    out = reference(leaf.float(), *rest, **kwargs)
    evidence = float32_evidence(value, expected_value, out.detach())
    if not evidence:
        return False
    (want,) = torch.autograd.grad(out, leaf, grad_outputs=None if upstream is None
                                  else upstream.to(out.dtype))
    if not isinstance(got, torch.Tensor) or got.shape != want.shape or not bool(
            torch.allclose(got.double(), want.double(), rtol=1e-4, atol=1e-6)):
        return False
    if charged:
        attributed_to(values_check)
        return True
    fail(float32_message(function, evidence), "float32-precision")
