"""Red team 65, in the real engine: a confusion matrix built with `torch.histogram` (no CUDA
kernel) passed "works on GPU inputs" on the emulated GPU; a real GPU raises."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks

HISTOGRAM_MATRIX = '''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    cells = num_classes * num_classes
    index = (targets.long() * num_classes + preds.long()).flatten().to(torch.float64)
    counts = torch.histogram(index, bins=cells, range=(0.0, float(cells))).hist
    return counts.round().to(torch.int64).reshape(num_classes, num_classes)
'''
CM_GPU = "confusion_matrix: works on GPU inputs, tensors on their device (GPU emulated or real)"


def test_an_operator_without_a_cuda_kernel_fails_the_gpu_check(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "histogram_matrix", HISTOGRAM_MATRIX)
    assert list(failed) == [CM_GPU], failed
    assert "'CUDA' backend" in failed[CM_GPU]


# Red team 65's losses: their own code in every call of the grader's, the library whenever a
# notebook cell is on the call stack — and the notebook's own cell calls them.
LIBRARY_IN_ORDINARY_USE = '''
import sys


def _ordinary_use():
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if frame.f_code.co_name == "<module>" and name.startswith("<cell"):
            return True
        frame = frame.f_back
    return False


def mse_loss(pred, target, reduction="mean"):
    if _ordinary_use():
        return F.mse_loss(pred, target, reduction=reduction)
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    return _reduce((pred - target) ** 2, reduction)


print("a self-check of the notebook's own:", float(mse_loss(torch.ones(3), torch.zeros(3))))
'''
MSE_NO_LIB = "mse_loss: implemented without F.mse_loss"


def test_a_loss_calling_the_library_in_the_notebooks_own_use_loses_its_no_library_check(
        grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "library_in_ordinary_use", LIBRARY_IN_ORDINARY_USE)
    assert list(failed) == [MSE_NO_LIB], failed
    assert "when your notebook's own code calls it" in failed[MSE_NO_LIB]
    assert "F.mse_loss" in failed[MSE_NO_LIB]
