"""The engine judged by its fixtures: full marks, zero, each mistake caught alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.score.results import Status

ROOT = Path(__file__).resolve().parents[2]

TRAIN_ORDER = "train_one_epoch: zero_grad → forward → loss → backward → step on every batch"
TRAIN_LOGITS = "train_one_epoch: hands raw logits to the loss (no softmax before it)"
TRAIN_MODE = "train_one_epoch: puts the model in train mode"
TRAIN_RETURN = "train_one_epoch: returns the sample-weighted mean loss as a float"
TRAIN_DEVICE = ("train_one_epoch: moves inputs and labels to the device argument "
                "(GPU emulated or real)")
EVAL_MODE = "evaluate: switches to eval mode (Dropout off, BatchNorm statistics unchanged)"
EVAL_NO_GRAD = "evaluate: computes no gradients (torch.no_grad)"
CLS_LOGITS = "build_classifier: outputs raw logits (no softmax at the end)"
GET_DEVICE = "get_device: returns cuda when available, otherwise cpu"

# fixture -> (the one check it must fail, a word its message must contain)
MUTANTS = {
    "mutant_mse_sum_for_mean": (
        "mse_loss: matches F.mse_loss for every reduction (float32 and float64)", "mean"),
    "mutant_mae_detached": (
        "mae_loss: backward gives the reference gradients (float64, gradcheck)", "detached"),
    "mutant_huber_calls_library": ("huber_loss: implemented without F.huber_loss",
                                   "F.huber_loss"),
    "mutant_softmax_before_ce": (TRAIN_LOGITS, "raw logits"),
    "mutant_classifier_softmax_at_end": (CLS_LOGITS, "softmax"),
    "mutant_no_zero_grad": (TRAIN_ORDER, "never called"),
    "mutant_zero_grad_after_backward": (TRAIN_ORDER, "between backward() and step()"),
    "mutant_step_before_backward": (TRAIN_ORDER, "step() runs before backward()"),
    "mutant_no_train_mode": (TRAIN_MODE, "model.train()"),
    "mutant_mean_of_batch_means": (TRAIN_RETURN, "mean of the batch means"),
    "mutant_evaluate_no_eval": (EVAL_MODE, "model.eval()"),
    "mutant_evaluate_no_no_grad": (EVAL_NO_GRAD, "no_grad"),
    "mutant_hardcoded_cuda": (TRAIN_DEVICE, "hard-codes 'cuda'"),
    "mutant_labels_not_moved": (TRAIN_DEVICE, "labels"),
    "mutant_get_device_always_cpu": (GET_DEVICE, "expected cuda"),
    "mutant_wrong_concept_answer": ("q_logits: why raw logits go to cross-entropy",
                                    "not the best answer"),
}

ALTERNATIVES = ["alt_huber_piecewise_mask", "alt_training_model_zero_grad_inference_mode",
                "alt_classifier_module_class"]


def failed(result) -> dict[str, str]:
    return {t.name: t.output for t in result.tests if not t.passed}


def test_reference_code_scores_full_marks(grade):
    result = grade("reference_code")
    assert result.status is Status.GRADED, result.reason
    assert failed(result) == {}
    assert result.score == result.max_score > 0


@pytest.mark.slow
def test_master_notebook_scores_full_marks(grader):
    result = grader.grade(ROOT / "solutions" / "lab05.ipynb", "master")
    assert result.status is Status.GRADED, result.reason
    assert failed(result) == {}


def test_untouched_template_scores_zero(grader):
    result = grader.grade(ROOT / "assignment" / "lab05.ipynb", "template")
    assert result.status is Status.GRADED, result.reason
    assert result.score == 0
    assert len(result.tests) == len(grader.config.tests)
    # Every function reports "not implemented yet"; Part E placeholders ask for an answer.
    for test in result.tests:
        part_e = test.name.startswith(("q_", "always_negative"))
        assert ("should" if part_e else "not implemented yet") in test.output, test


@pytest.mark.parametrize("fixture", sorted(MUTANTS))
def test_mutant_loses_exactly_its_check(grade, fixture):
    check, keyword = MUTANTS[fixture]
    result = grade(fixture)
    assert result.status is Status.GRADED, result.reason
    assert set(failed(result)) == {check}, failed(result)
    assert keyword in failed(result)[check]
    assert result.score == result.max_score - next(t.max_score for t in result.tests
                                                   if t.name == check)


@pytest.mark.parametrize("fixture", ALTERNATIVES)
def test_alternative_implementation_scores_full_marks(grade, fixture):
    result = grade(fixture)
    assert failed(result) == {}, failed(result)
