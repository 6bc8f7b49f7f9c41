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
