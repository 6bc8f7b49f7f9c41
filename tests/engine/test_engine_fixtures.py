"""The engine judged by its fixtures: full marks, zero, each mistake caught alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab05_checks.test_part_a_regression import (
    HUBER_NO_LIB,
    MAE_GRAD,
    MSE_VALUES,
)
from lab05_checks.test_part_c_metrics import ACC_ERRORS, CM_ABSENT, PRF_BINARY
from lab05_checks.test_part_d_training import (
    CLS_LOGITS,
    EVAL_DEVICE,
    EVAL_MODE,
    EVAL_NO_GRAD,
    FIT,
    GET_DEVICE,
    TRAIN_DEVICE,
    TRAIN_LOGITS,
    TRAIN_MODE,
    TRAIN_ORDER,
    TRAIN_RETURN,
)

from autograder.score.results import Status

ROOT = Path(__file__).resolve().parents[2]

# fixture -> (the one check it must fail, a word its message must contain)
MUTANTS = {
    "mutant_mse_sum_for_mean": (MSE_VALUES, "mean"),
    "mutant_mae_detached": (MAE_GRAD, "detached"),
    "mutant_huber_calls_library": (HUBER_NO_LIB, "F.huber_loss"),
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
    "mutant_prf_numpy_values_macro_built_on_it": (PRF_BINARY, "numpy"),
    "mutant_confusion_bincount_without_minlength": (CM_ABSENT, "size it by num_classes"),
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
    # Every function reports "not implemented yet"; Part E placeholders ask for an answer,
    # and all of it is work not attempted yet (never a real mistake on the dashboard).
    for test in result.tests:
        if test.name.startswith("q_"):
            assert "should be one of" in test.output, test
        elif test.name.startswith("always_negative"):
            assert "not filled in yet" in test.output, test
        else:
            assert "not implemented yet" in test.output, test
        assert test.mistake in {"not-implemented", "no-answer"}, test


@pytest.mark.parametrize("fixture", ["near_stub_raises_value_error",
                                     "near_stub_loops_without_the_model"])
def test_work_not_done_earns_nothing_whatever_it_raises_or_returns(grade, fixture):
    """A function raising another error than NotImplementedError on valid input, a training
    loop that never runs the model, an accuracy that validates its input and returns a
    constant (an outside red team's, 9 and 12 points of 135 before): only fit, wired
    correctly around train_one_epoch and evaluate, earns its points."""
    result = grade(fixture)
    assert result.status is Status.GRADED, result.reason
    earned = {t.name: t.score for t in result.tests if t.score}
    assert set(earned) <= {FIT}, earned
    if fixture == "near_stub_loops_without_the_model":
        assert set(earned) == {FIT}
        outputs = failed(result)
        for name in (TRAIN_LOGITS, TRAIN_DEVICE, EVAL_MODE, EVAL_NO_GRAD, EVAL_DEVICE):
            assert "never runs the model" in outputs[name], (name, outputs[name])
        assert "counts once accuracy returns a correct value" in outputs[ACC_ERRORS]


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
