"""A graded function computes the same with gradients off as with them on.

Why: a loss is called with gradients on while training and off while evaluating (evaluate's
`torch.no_grad()`), a softmax off for a prediction; every graded call ran with them on, so
outside red team 95's cross_entropy that applied softmax, and its mse_loss that took a square
root, only under `no_grad` kept every point — right in each graded call, wrong on every
validation loss. Judged on the student's own two values (the same call, gradients on and
off), so a formula mistake, the same either way, is its values check's alone."""

from __future__ import annotations

from typing import Any

import torch

from autograder.check.compare import close, tolerance
from autograder.check.registry import attributed_to, fail
from autograder.config import Tolerances
from autograder.sandbox.session import MissingFunction, StudentError

#: The suffix of the lab's worker scenarios that call a function with gradients on, then
#: under `torch.no_grad()` (worker/scenarios.py's `WITHOUT_GRADIENTS`)
SCENARIO_SUFFIX = "_without_gradients"
MISTAKE = "differs-without-gradients"


#: A call's arguments and keyword arguments
Call = tuple[tuple[Any, ...], dict[str, Any]]
#: A graded function the checked one may be built on: (its name, its calls, its values
#: check's name)
Helper = tuple[str, tuple[Call, ...], str]


def expect_same_without_gradients(student: Any, tol: Tolerances, function: str,
                                  calls: tuple[Call, ...],
                                  helpers: tuple[Helper, ...] = ()) -> None:
    """Each call `function(*args, **kwargs)` of `calls` gives the same value under
    `torch.no_grad()` as with gradients on (within the values' tolerance; the same nan or inf
    too), and leaves its inputs as they were in both; where it raises with them on, the other
    checks judge it. Where it differs and a helper of `helpers` (a function of the student's
    it may be built on) differs too, that is the helper's mistake, charged by its values
    check (one mistake, one cost)."""
    found = _differs(student, tol, function, calls)
    if found is None:
        return
    for name, helper_calls, check in helpers:
        if _differs(student, tol, name, helper_calls) is not None:
            attributed_to(check)
            return
    fail(found, MISTAKE)


def _differs(student: Any, tol: Tolerances, function: str,
             calls: tuple[Call, ...]) -> str | None:
    """What `function` does otherwise with gradients off, in words (None: nothing)."""
    try:
        outcome = student.scenario(function + SCENARIO_SUFFIX, {"calls": [
            {"args": list(args), "kwargs": kwargs} for args, kwargs in calls]}, record=False)
    except (StudentError, MissingFunction):  # (missing, or cut: the other checks' verdict)
        return None
    found = outcome.get("calls") if isinstance(outcome, dict) else None
    for call in found if isinstance(found, list) else []:
        said = _call_differs(tol, function, call) if isinstance(call, dict) else None
        if said is not None:
            return said
    return None


def _call_differs(tol: Tolerances, function: str, call: dict[str, Any]) -> str | None:
    on, off = call.get("on"), call.get("off")
    if call.get("on_error") is not None or not isinstance(on, torch.Tensor):
        return None  # (raising with gradients on, or no tensor: the other checks' verdict)
    error = call.get("off_error")
    if error is not None:
        raised = StudentError(function, error)
        return (f"{function} raises {raised.excerpt()} when gradients are off (under "
                "torch.no_grad(), as evaluate calls a loss) where it works with them on: "
                "compute the same whatever the grad mode.")
    if call.get("off_mutated") is True and call.get("on_mutated") is False:
        return (f"{function} modifies its input in place when gradients are off (under "
                "torch.no_grad(), as evaluate calls it), though not with them on: never "
                "edit an input — compute on new tensors whatever the grad mode.")
    if isinstance(off, torch.Tensor) and off.dtype == on.dtype \
            and close(off, on, tolerance(tol, on.dtype)):
        return None
    return (f"{function} returns other values when gradients are off (under torch.no_grad(), "
            "as evaluate calls a loss) than when they are on: compute the same whatever the "
            "grad mode — no branch on torch.is_grad_enabled().")
