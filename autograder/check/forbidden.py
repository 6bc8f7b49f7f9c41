"""'Implement it yourself' checks: no library call of the function being written."""

from __future__ import annotations

from typing import Any

import torch

from autograder.check.registry import fail
from autograder.check.static import SourceFacts
from autograder.sandbox.session import CallResult

LIBRARY_NAME = {
    "cross_entropy": "F.cross_entropy / nn.CrossEntropyLoss",
    "nll_loss": "F.nll_loss",
    "softmax": "torch.softmax / F.softmax",
    "log_softmax": "torch.log_softmax / F.log_softmax",
    "logsumexp": "torch.logsumexp",
    "softmin": "F.softmin",
    "mse_loss": "F.mse_loss / nn.MSELoss",
    "l1_loss": "F.l1_loss / nn.L1Loss",
    "huber_loss": "F.huber_loss / nn.HuberLoss",
    "smooth_l1_loss": "F.smooth_l1_loss",
    "binary_cross_entropy": "F.binary_cross_entropy / nn.BCELoss",
    "binary_cross_entropy_with_logits": "F.binary_cross_entropy_with_logits / nn.BCEWithLogitsLoss",
}


def assert_no_library_call(function: str, forbidden: set[str], observed: CallResult,
                           source: SourceFacts, expected: Any = None) -> None:
    """Fails if the source (judge-side) or the run (worker-side) shows a forbidden call.

    Only a function that computes the right value earns this check: otherwise a
    stub returning zeros would score for "not calling the library".
    """
    if expected is not None and not _same(observed.value, expected):
        fail(f"{function}: this check counts once {function} returns correct values; fix "
             "the values check first.", "not-working")
    used = (set(observed.called) | source.library_calls(function)) & forbidden
    if used:
        names = ", ".join(LIBRARY_NAME.get(n, n) for n in sorted(used))
        fail(f"{function} calls {names}, which is what you are asked to implement: "
             "write it from elementary tensor operations (exp, log, sum, max, where, …).",
             "library-call")


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, torch.Tensor):
        return (isinstance(value, torch.Tensor) and value.shape == expected.shape
                and bool(torch.allclose(value.to(expected.dtype), expected, rtol=1e-4, atol=1e-5,
                                        equal_nan=True)))
    if isinstance(expected, (tuple, list)):
        return (isinstance(value, (tuple, list)) and len(value) == len(expected)
                and all(_same(v, e) for v, e in zip(value, expected, strict=True)))
    if isinstance(expected, float):
        return isinstance(value, (int, float)) and abs(value - expected) <= 1e-6
    return bool(value == expected)
