"""The notebook's rule "Keep each signature": a graded function is called with its arguments
by position and by name, as its signature allows, and gives the same result however an
argument is passed. The checks name their arguments; here a loss's optional ones (`reduction`,
`delta`, `pos_weight`) are given by position too, once each loss's values are right by name.

Why: fresh eyes 45's losses with a keyword-only `reduction` (`def mse_loss(pred, target, *,
reduction="mean")`) and a BCE with logits taking `reduction` before `pos_weight` kept every
point — every call here named them — though `mse_loss(p, t, "sum")`, as the signature allows,
raises or computes something else. (`dim` is asked by position in the softmax checks, `delta`
in huber's; parameters renamed from the signature's are a TypeError by name, not judged.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from autograder.check.registry import fail
from autograder.sandbox.session import StudentError

# The optional parameters after the required ones, in the signature's order, with their
# defaults; and the signature in the notebook's words (for the message)
OPTIONAL: dict[str, tuple[tuple[str, Any], ...]] = {
    "mse_loss": (("reduction", "mean"),),
    "mae_loss": (("reduction", "mean"),),
    "huber_loss": (("delta", 1.0), ("reduction", "mean")),
    "cross_entropy": (("reduction", "mean"),),
    "binary_cross_entropy": (("reduction", "mean"),),
    "binary_cross_entropy_with_logits": (("pos_weight", None), ("reduction", "mean")),
}
REQUIRED: dict[str, str] = {
    "mse_loss": "pred, target", "mae_loss": "pred, target", "huber_loss": "pred, target",
    "cross_entropy": "logits, targets", "binary_cross_entropy": "probs, targets",
    "binary_cross_entropy_with_logits": "logits, targets",
}


def signature(function: str) -> str:
    optional = ", ".join(f"{name}={default!r}" for name, default in OPTIONAL[function])
    return f"{function}({REQUIRED[function]}, {optional})"


def _shown(name: str, value: Any) -> str:
    """An argument in a message: a plain value as written, a tensor by its parameter's name."""
    return name if isinstance(value, torch.Tensor) else repr(value)


def by_position_problem(call: Callable[..., Any], function: str, args: tuple[Any, ...],
                        named: dict[str, Any], right: Callable[[Any], bool]
                        ) -> tuple[str, str] | None:
    """`call(*args, **named)` is right (`right(value)`), and so must be the same call with
    the optional parameters given by position (those before the last one named take their
    defaults): else the failure's message and mistake. `call` raises `StudentError` for the
    student's own error. Wrong by name, it is the values check's other parts that say why:
    nothing is judged here."""
    try:
        if not right(call(*args, **named)):
            return None
    except StudentError:
        return None
    optional = OPTIONAL[function]
    last = max(i for i, (name, _) in enumerate(optional) if name in named)
    given = [named.get(name, default) for name, default in optional[:last + 1]]
    words = ", ".join(f"{name}={_shown(name, named[name])}" for name, _ in optional
                      if name in named)
    shown = ", ".join(_shown(name, value)
                      for (name, _), value in zip(optional, given, strict=False))
    by_position = f"{function}({REQUIRED[function]}, {shown})"
    try:
        value = call(*args, *given)
    except StudentError as error:
        return (f"{by_position} raises {error.excerpt()}, though the same call with {words} "
                f"given by name works: keep the signature {signature(function)}, so that its "
                "arguments can be given by position too.", "positional-argument")
    if not right(value):
        return (f"{by_position}, with the arguments given by position, is not what {function} "
                f"gives with {words} by name: keep the signature {signature(function)} and "
                "use each argument however it is passed.", "positional-argument")
    return None


def expect_same_by_position(call: Callable[..., Any], function: str, args: tuple[Any, ...],
                            named: dict[str, Any], right: Callable[[Any], bool]) -> None:
    """`by_position_problem`, failed."""
    problem = by_position_problem(call, function, args, named, right)
    if problem is not None:
        fail(*problem)
