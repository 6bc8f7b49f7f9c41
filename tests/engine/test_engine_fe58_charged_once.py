"""Fresh eyes 58: a mistake in an earlier function charged twice, against the notebook's
"charged once" rule — a precision_recall_f1 counting every right prediction as a true
positive also cost always_negative_f1 (its answer, computed with it), and an accuracy
returning numpy.float32 also cost evaluate, built on it (a tensor-returning accuracy was
already "not assessed separately" there). Each is graded here end to end, beside the same
mistake made by the later item itself, which is still charged."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from autograder.score.results import SubmissionResult

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
from make_fixtures import REFERENCE, answers, notebook  # noqa: E402

ACC_VALUES = "accuracy: fraction of correct predictions as a Python float"
EVAL_VALUES = "evaluate: returns sample-weighted loss and accuracy as floats"
PRF_BINARY = "precision_recall_f1: matches sklearn for binary labels (positive_class=1)"
ALWAYS_NEGATIVE_F1 = "always_negative_f1: F1 of the always-negative classifier"

NUMPY_ACCURACY = '''
import numpy as np

def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("preds and targets must have the same, non-empty shape")
    return np.float32((preds == targets).float().mean().item())


def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, total_accuracy, total = 0.0, 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * x.shape[0]
            total_accuracy += accuracy(logits.argmax(dim=1), y) * x.shape[0]
            total += x.shape[0]
    return {"loss": total_loss / total, "accuracy": total_accuracy / total}
'''

# evaluate's own mistake, on a right accuracy: a numpy number returned
EVALUATE_RETURNS_NUMPY = '''
import numpy as np

def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, total = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * x.shape[0]
            correct += int((logits.argmax(dim=1) == y).sum())
            total += x.shape[0]
    return {"loss": total_loss / total, "accuracy": np.float32(correct / total)}
'''

# every right prediction counted as a true positive (the true negatives too)
PRF_COUNTS_TRUE_NEGATIVES = '''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("preds and targets must have the same shape")
    tp = int((preds == targets).sum())
    fp = int(((preds == positive_class) & (targets != positive_class)).sum())
    fn = int(((preds != positive_class) & (targets == positive_class)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
'''


@pytest.fixture(scope="module")
def graded(grader, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fe58")

    def run(name: str, *cells: str) -> dict[str, object]:
        path = folder / f"{name}.ipynb"
        nbformat.write(notebook(REFERENCE, *cells), path)
        result: SubmissionResult = grader.grade(path, name)
        return {t.name: t for t in result.tests}

    return run


def test_evaluate_on_a_numpy_accuracy_is_not_charged_again(graded) -> None:
    tests = graded("numpy_accuracy", NUMPY_ACCURACY, answers())
    assert not tests[ACC_VALUES].passed, tests[ACC_VALUES].output
    assert tests[EVAL_VALUES].passed, tests[EVAL_VALUES].output
    assert "Not assessed separately" in tests[EVAL_VALUES].output


def test_evaluate_returning_numpy_itself_is_charged(graded) -> None:
    tests = graded("evaluate_numpy", EVALUATE_RETURNS_NUMPY, answers())
    assert tests[ACC_VALUES].passed, tests[ACC_VALUES].output
    assert not tests[EVAL_VALUES].passed, tests[EVAL_VALUES].output
    assert "numpy" in tests[EVAL_VALUES].output


def test_an_answer_computed_with_a_wrong_f1_is_not_charged_again(graded) -> None:
    tests = graded("prf_true_negatives", PRF_COUNTS_TRUE_NEGATIVES, answers(
        always_negative_f1=0.9743589743589743))  # (what that function gives there)
    assert not tests[PRF_BINARY].passed, tests[PRF_BINARY].output
    assert tests[ALWAYS_NEGATIVE_F1].passed, tests[ALWAYS_NEGATIVE_F1].output
    assert "Not assessed separately" in tests[ALWAYS_NEGATIVE_F1].output


def test_a_wrong_answer_beside_a_right_f1_is_charged(graded) -> None:
    tests = graded("wrong_f1_answer", answers(always_negative_f1=0.9743589743589743))
    assert tests[PRF_BINARY].passed, tests[PRF_BINARY].output
    assert not tests[ALWAYS_NEGATIVE_F1].passed, tests[ALWAYS_NEGATIVE_F1].output

