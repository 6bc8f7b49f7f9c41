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


#: A graded function the checked one may be built on: (its name, a call's arguments and
#: keyword arguments, its values check's name)
Helper = tuple[str, tuple[Any, ...], dict[str, Any], str]


def expect_same_without_gradients(student: Any, tol: Tolerances, function: str,
                                  args: tuple[Any, ...], kwargs: dict[str, Any] | None = None,
                                  helpers: tuple[Helper, ...] = ()) -> None:
    """The call `function(*args, **kwargs)` gives the same value under `torch.no_grad()` as
    with gradients on (within the values' tolerance); where it raises with them on, the
    other checks judge it. Where it differs and a helper of `helpers` (a function of the
    student's it may be built on) differs too, that is the helper's mistake, charged by its
    values check (one mistake, one cost)."""
    found = _differs(student, tol, function, args, dict(kwargs or {}))
    if found is None:
        return
    for name, helper_args, helper_kwargs, check in helpers:
        if _differs(student, tol, name, helper_args, helper_kwargs) is not None:
            attributed_to(check)
            return
    fail(found, MISTAKE)


def _differs(student: Any, tol: Tolerances, function: str, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> str | None:
    """What `function` does otherwise with gradients off, in words (None: nothing)."""
    try:
        outcome = student.scenario(function + SCENARIO_SUFFIX,
                                   {"args": list(args), "kwargs": kwargs}, record=False)
    except (StudentError, MissingFunction):  # (missing, or cut: the other checks' verdict)
        return None
    on, off = outcome.get("on"), outcome.get("off")
    if outcome.get("on_error") is not None or not isinstance(on, torch.Tensor):
        return None  # (raising with gradients on, or no tensor: the other checks' verdict)
    error = outcome.get("off_error")
    if error is not None:
        raised = StudentError(function, error)
        return (f"{function} raises {raised.excerpt()} when gradients are off (under "
                "torch.no_grad(), as evaluate calls a loss) where it works with them on: "
                "compute the same whatever the grad mode.")
    if isinstance(off, torch.Tensor) and off.dtype == on.dtype \
            and close(off, on, tolerance(tol, on.dtype)):
        return None
    return (f"{function} returns other values when gradients are off (under torch.no_grad(), "
            "as evaluate calls a loss) than when they are on: compute the same whatever the "
            "grad mode — no branch on torch.is_grad_enabled().")
