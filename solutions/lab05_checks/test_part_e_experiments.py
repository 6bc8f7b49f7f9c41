"""Part E — experiments and concept checks (answers from the hidden key)."""

from __future__ import annotations

import math

from autograder.check.compare import describe, is_placeholder
from autograder.check.registry import check, fail
from autograder.score.results import WRONG_ANSWER

QUESTIONS = {
    "q_logits": "why raw logits go to cross-entropy",
    "q_imbalanced": "is 95% accuracy on a 95%-negative set good",
    "q_loss_vs_metric": "loss versus metric",
    "q_backward": "what backward() does and does not do",
    "q_zero_grad": "why zero_grad()",
    "q_mse_vs_ce": "MSE versus cross-entropy on classification",
    "q_outliers": "which loss recovers the slope with outliers",
}


def _number(student, name: str) -> float:
    value = student.get_var(name)
    if is_placeholder(value):
        fail(f"{name} is not filled in yet: compute it in its experiment cell and run the "
             "cell.", "no-answer")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"{name} should hold a number computed in the notebook (it holds "
             f"{describe(value)}); run the experiment cell.", "not-a-number")
    return float(value)


ALWAYS_NEGATIVE_ACC = "always_negative_accuracy: accuracy of the always-negative classifier"


@check(ALWAYS_NEGATIVE_ACC,
       "Compute accuracy(preds, targets) where preds is all zeros on the imbalanced set.")
def test_always_negative_accuracy(student, answers):
    value = _number(student, "always_negative_accuracy")
    if not math.isclose(value, answers["always_negative_accuracy"], abs_tol=1e-6):
        fail("always_negative_accuracy is not the accuracy of predicting 'negative' for every "
             "sample of the experiment's data: make the predictions all zeros with the targets' "
             "shape and pass both to your accuracy().", "wrong-value")


ALWAYS_NEGATIVE_F1 = "always_negative_f1: F1 of the always-negative classifier"


@check(ALWAYS_NEGATIVE_F1,
       "Compute the F1 of the positive class for all-negative predictions.")
def test_always_negative_f1(student, answers):
    value = _number(student, "always_negative_f1")
    if not math.isclose(value, answers["always_negative_f1"], abs_tol=1e-6):
        fail("always_negative_f1 is not the F1 of the positive class for all-negative "
             "predictions on the experiment's data: call your precision_recall_f1 on all-zero "
             "predictions and those targets, and think about what predicting no positives "
             "means for the true positives.", "wrong-value")


def _choice(student, answers, name: str) -> None:
    value = student.get_var(name)
    if not isinstance(value, str) or value.strip().lower() not in ("a", "b", "c", "d"):
        fail(f"{name} should be one of 'a', 'b', 'c', 'd'.", "no-answer")
    if value.strip().lower() != answers[name]:
        # the option chosen, in the tag only: the dashboard shows the class's choices
        fail(f"{name}: not the best answer — reread the section on {QUESTIONS[name]}.",
             f"{WRONG_ANSWER}{value.strip().lower()}")


Q_LOGITS = "q_logits: why raw logits go to cross-entropy"


@check(Q_LOGITS, "Pick the best option.")
def test_q_logits(student, answers):
    _choice(student, answers, "q_logits")


@check("q_imbalanced: is 95% accuracy on a 95%-negative set good", "Pick the best option.")
def test_q_imbalanced(student, answers):
    _choice(student, answers, "q_imbalanced")


@check("q_loss_vs_metric: loss versus metric", "Pick the best option.")
def test_q_loss_vs_metric(student, answers):
    _choice(student, answers, "q_loss_vs_metric")


@check("q_backward: what backward() does and does not do", "Pick the best option.")
def test_q_backward(student, answers):
    _choice(student, answers, "q_backward")


@check("q_zero_grad: why zero_grad()", "Pick the best option.")
def test_q_zero_grad(student, answers):
    _choice(student, answers, "q_zero_grad")


@check("q_mse_vs_ce: MSE versus cross-entropy on classification", "Pick the best option.")
def test_q_mse_vs_ce(student, answers):
    _choice(student, answers, "q_mse_vs_ce")


@check("q_outliers: which loss recovers the slope with outliers", "Pick the best option.")
def test_q_outliers(student, answers):
    _choice(student, answers, "q_outliers")
