"""'Implement it yourself' checks: no library call of the function being written."""

from __future__ import annotations

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
                           source: SourceFacts) -> None:
    """Fails if the source (judge-side) or the run (worker-side) shows a forbidden call."""
    used = (set(observed.called) | source.library_calls(function)) & forbidden
    if used:
        names = ", ".join(LIBRARY_NAME.get(n, n) for n in sorted(used))
        fail(f"{function} calls {names}, which is what you are asked to implement: "
             "write it from elementary tensor operations (exp, log, sum, max, where, …).",
             "library-call")
