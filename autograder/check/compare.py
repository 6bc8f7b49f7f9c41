"""Judge-side comparisons that explain themselves.

Each helper either returns quietly or fails the check with a message about
the student's value (its type, shape, dtype, or where it differs), never with
the hidden input or the expected numbers.
"""

from __future__ import annotations

from typing import Any

import torch

from autograder.check.registry import fail
from autograder.config import Tolerance, Tolerances
from autograder.sandbox.protocol import MetaTensor, NumpyArray, Opaque


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
    if isinstance(value, (Opaque, MetaTensor)):
        fail(f"{function} returned {value!r}, not a torch.Tensor.", "returned-object")
    fail(f"{function} returned {type(value).__name__}, not a torch.Tensor.", "returned-object")


def tolerance(tol: Tolerances, dtype: torch.dtype) -> Tolerance:
    return tol.float64 if dtype == torch.float64 else tol.float32


def close(actual: torch.Tensor, expected: torch.Tensor, tol: Tolerance) -> bool:
    if actual.shape != expected.shape:
        return False
    return bool(torch.allclose(actual.to(expected.dtype), expected, rtol=tol.rtol, atol=tol.atol,
                               equal_nan=True))


def expect_tensor(value: Any, expected: torch.Tensor, tol: Tolerances, function: str,
                  what: str, mistake: str = "wrong-value") -> torch.Tensor:
    """Type, shape, dtype, finiteness, then values — in the order a student should fix them."""
    actual = as_tensor(value, function)
    if actual.shape != expected.shape:
        fail(f"{function} returned shape {tuple(actual.shape)} {what}, expected "
             f"{tuple(expected.shape)}: check the reduction and any broadcasting.", "wrong-shape")
    if actual.dtype != expected.dtype:
        fail(f"{function} returned {actual.dtype} for {expected.dtype} input {what}: keep the "
             "input's dtype (don't hard-code float32/float64).", "wrong-dtype")
    if torch.isfinite(expected).all() and not torch.isfinite(actual).all():
        fail(f"{function} returned inf/nan {what} where the true value is finite: the "
             "computation overflows — use a numerically stable formulation.", "not-finite")
    if not close(actual, expected, tolerance(tol, expected.dtype)):
        fail(f"{function} gives wrong values {what}.", mistake)
    return actual


def expect_float(value: Any, expected: float, atol: float, function: str, what: str,
                 mistake: str = "wrong-value") -> float:
    if isinstance(value, torch.Tensor):
        fail(f"{function} returned a tensor; metrics return a plain Python float "
             "(use .item()).", "returned-tensor")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"{function} returned {type(value).__name__}; it should return a Python float.",
             "wrong-type")
    if abs(float(value) - expected) > atol:
        fail(f"{function} gives a wrong value {what}.", mistake)
    return float(value)
