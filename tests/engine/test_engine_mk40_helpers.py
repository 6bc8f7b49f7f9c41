"""Mistakes review 40, in the real engine: a confusion_matrix returning sklearn's numpy array
is charged by its own check; macro_f1, the reference's code built on it, raised in
`matrix.sum(dim=0)` and lost both its checks. Run with correct helpers in their place, it is
right: the matrix's mistake, charged once."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks

NUMPY_MATRIX = '''
def confusion_matrix(preds, targets, num_classes):
    from sklearn.metrics import confusion_matrix as sk_cm
    return sk_cm(targets.cpu().numpy(), preds.cpu().numpy(), labels=list(range(num_classes)))
'''


def test_macro_f1_over_a_numpy_matrix_is_charged_to_the_matrix(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "numpy_matrix", NUMPY_MATRIX)
    assert not [name for name in failed if name.startswith("macro_f1")], failed
    assert any(name.startswith("confusion_matrix: int64") for name in failed), failed
