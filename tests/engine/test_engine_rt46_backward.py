"""Red team 46, in the real engine: a naive forward whose gradient comes from torch's own
backward kernel of the loss (`aten::binary_cross_entropy_backward` in an autograd.Function of
its own: right at p of 0 and 1, where the naive gradient is nan) kept its no-library point.
Each forbidden loss's backward kernel is blocked with it."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks

LIBRARY_GRADIENT = '''
class _LibraryGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, probs, targets):
        ctx.save_for_backward(probs, targets)
        log_p = torch.clamp(torch.log(probs), min=-100)
        log_q = torch.clamp(torch.log(1 - probs), min=-100)
        return -(targets * log_p + (1 - targets) * log_q)

    @staticmethod
    def backward(ctx, grad):
        probs, targets = ctx.saved_tensors
        return torch.ops.aten.binary_cross_entropy_backward(grad, probs, targets, None, 0), None


def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    return _reduce(_LibraryGradient.apply(probs, targets), reduction)
'''


def test_a_gradient_taken_from_the_loss_backward_kernel_is_a_library_call(
        grader, tmp_path: Path) -> None:
    failed = set(failed_checks(grader, tmp_path, "library_gradient", LIBRARY_GRADIENT))
    assert "binary_cross_entropy: implemented without F.binary_cross_entropy" in failed, failed
