"""Reduction mistakes shared by the elementwise losses of Parts A and B (MSE, MAE, Huber,
BCE, BCE with logits), each named only where a probe confirms it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from autograder.check.registry import fail

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
    if first.ndim != 2 or first.shape[0] == first.shape[1] or not isinstance(value, torch.Tensor):
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
