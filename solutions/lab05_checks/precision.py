"""A float64 loss computed in float32, named where the run confirms it (parts A and B).

Why: `.float()` inside a loss, or a float32 constant tensor, gives float64 input float32's
rounding: the values check fails with a generic "wrong values" although the formula is right.
The value is the evidence: outside float64's tolerance, yet within 1e-6 relative of both the
float64 reference and the reference computed on the inputs cast to float32, with differences
of both signs — an eps inside a log is as close, but moves every value the same way."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import torch

from autograder.check.compare import close, tolerance
from autograder.check.registry import fail
from autograder.config import Tolerance, Tolerances

NEAR = Tolerance(rtol=1e-6, atol=1e-7)


def expect_not_float32(tol: Tolerances, function: str, value: Any, expected: torch.Tensor,
                       reference: Callable[..., torch.Tensor], inputs: tuple[torch.Tensor, ...],
                       what: str, elementwise: Callable[[], Any] | None = None,
                       **kwargs: Any) -> None:
    """Fail, naming the float32 step, when `value` is `reference(*inputs, **kwargs)` computed
    in float32 (only the floating inputs are cast); return otherwise. A reduced value holds
    too few numbers to tell rounding from an offset (fresh eyes 17: an eps inside BCE's log,
    on 'mean', was named float32): it is judged on the function's own reduction='none'
    values for the same inputs (`elementwise()`) where they are enough."""
    if not _near_but_wrong(tol, value, expected, inputs):
        return  # (right, or wrong by more than rounding: the reference in float32 is not needed)
    if value.numel() < 4 and elementwise is not None and "reduction" in kwargs:
        each = {**kwargs, "reduction": "none"}
        values, expecteds = elementwise(), reference(*inputs, **each)
        if isinstance(values, torch.Tensor) and values.numel() >= 4:
            if not _near_but_wrong(tol, values, expecteds, inputs):
                return  # (its own values are right, or wrong by more than rounding)
            value, expected, kwargs = values, expecteds, each
    # Computed in float32, or some floating inputs rounded to float32 first (mistakes review
    # 40: the targets alone, told "it assumes hard labels": 0/1 targets lose nothing there)
    floating = [i for i, t in enumerate(inputs) if t.is_floating_point()]
    casts = [(set(floating), False), *((set(rounded), True) for size in range(
        1, len(floating) + 1) for rounded in itertools.combinations(floating, size))]

    def in_float32(cast: set[int], rounded: bool) -> torch.Tensor:
        return reference(*((t.float().to(t.dtype) if rounded else t.float()) if i in cast
                           else t for i, t in enumerate(inputs)), **kwargs).double()

    # Rounding goes both ways; an eps inside a log (fresh eyes 6), as close to both references,
    # moves every value the same way: an offset, not float32.
    if any(close(value, in_float32(*cast), NEAR) for cast in casts) \
            and not _one_way(value, expected):
        fail(f"{function} computes in float32 for float64 input ({what}): its values carry "
             "float32's rounding — keep the input's dtype throughout (no .float(), no float32 "
             "constant tensors).", "float32-precision")



def _near_but_wrong(tol: Tolerances, value: Any, expected: torch.Tensor,
                    inputs: tuple[torch.Tensor, ...]) -> bool:
    """A float64 result for float64 input, outside float64's tolerance but within rounding."""
    return (any(t.dtype == torch.float64 for t in inputs) and isinstance(value, torch.Tensor)
            and value.dtype == torch.float64 and value.shape == expected.shape
            and not close(value, expected, tolerance(tol, torch.float64))
            and close(value, expected, NEAR))


def _one_way(value: torch.Tensor, expected: torch.Tensor) -> bool:
    """Every finite difference from the reference has the same sign (four or more of them)."""
    both = torch.isfinite(value) & torch.isfinite(expected)
    diff = (value - expected)[both]
    diff = diff[diff != 0]
    return diff.numel() >= 4 and (bool((diff > 0).all()) or bool((diff < 0).all()))
