"""Mistakes review 35: a mistake that kept its points.

Judged in-process on the reference with that one change.
"""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, excused, failed, namespace, verdicts


@pytest.mark.parametrize(("function", "gradient"), [
    ("mse_loss", part_a.MSE_GRAD), ("mae_loss", part_a.MAE_GRAD),
    ("huber_loss", part_a.HUBER_GRAD)])
def test_a_regression_loss_that_detaches_its_target_fails_the_gradient_check(
        function: str, gradient: str) -> None:
    """`target = target.detach()` inside the loss: right values and a right gradient for
    pred, none for target, which F.mse_loss differentiates too (the notebook says so)."""
    source = edited(function, "    _check_reduction(reduction)\n",
                    "    _check_reduction(reduction)\n    target = target.detach()\n")
    found = failed(verdicts(namespace(source), function))
    assert set(found) == {gradient}, {k: v.message for k, v in found.items()}
    assert found[gradient].mistake == "no-gradient"
    assert "gradient for target" in found[gradient].message


def test_the_reference_regression_losses_keep_their_gradient_points() -> None:
    found = verdicts(namespace(), "mse_loss", "mae_loss", "huber_loss")
    assert not failed(found), {k: v.message for k, v in failed(found).items()}


def test_a_cross_entropy_right_for_one_sample_is_charged_once() -> None:
    """`log_probs[:, targets]` (an N×N matrix) is right for one sample: the notebook's rule
    judges its other checks where it is right (held to its own function), the values check
    naming it (it cost six of seven checks)."""
    found = verdicts(namespace(edited(
        "cross_entropy", "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
        "nll = -log_probs[:, targets]")), "cross_entropy")
    wrong = failed(found)
    assert set(wrong) == {part_b.CE_VALUES}, {k: v.message for k, v in wrong.items()}
    assert wrong[part_b.CE_VALUES].mistake == "column-indexing"
    for held in (part_b.CE_GRAD, part_b.CE_EXTREME):
        assert excused(found).get(held) == part_b.CE_VALUES, held


def test_a_get_device_that_prefers_mps_fails() -> None:
    """Mistakes review 36: MPS asked first kept its points — no MPS was ever reported. The
    scenario reports it available without CUDA (as a Mac): the spec's answer is the CPU."""
    source = '''
def get_device():
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
'''
    found = failed(verdicts(namespace(source), "get_device"))
    assert set(found) == {part_d.GET_DEVICE}, {k: v.message for k, v in found.items()}
    assert "returned mps" in found[part_d.GET_DEVICE].message
    # ... and the spec's own form keeps its points
    assert not failed(verdicts(namespace(), "get_device"))


@pytest.mark.parametrize(("new", "logits_check_passes"), [
    ("nn.Linear(hidden, num_classes - 1)", True),
    ("nn.Linear(hidden, num_classes + 1), nn.Softmax(dim=1)", False)])
def test_a_classifier_with_another_number_of_classes_is_charged_by_its_sizes(
        new: str, logits_check_passes: bool) -> None:
    """Mistakes review 36: `num_classes - 1` also lost the logits check ("should have shape
    (N, num_classes)"); that check judges logits-or-probabilities on the output as it is."""
    found = verdicts(namespace(edited("build_classifier", "nn.Linear(hidden, num_classes)",
                                      new)), "build_classifier")
    wrong = failed(found)
    assert part_d.CLS_ARCH in wrong
    assert (part_d.CLS_LOGITS not in wrong) == logits_check_passes, wrong.get(part_d.CLS_LOGITS)
    if not logits_check_passes:
        assert wrong[part_d.CLS_LOGITS].mistake == "softmax-at-end"
    else:
        assert excused(found).get(part_d.CLS_LOGITS) == part_d.CLS_ARCH


def test_a_fit_recording_the_train_loaders_evaluation_is_told_where_its_train_loss_comes_from(
        ) -> None:
    """Mistakes review 36: train_loss from evaluate(model, train_loader), each epoch trained
    on train_loader, was told "fit trains on another loader than train_loader"."""
    source = edited(
        "fit", "history[\"train_loss\"].append(train_one_epoch(model, train_loader, loss_fn, "
        "optimizer, device))",
        "train_one_epoch(model, train_loader, loss_fn, optimizer, device)\n"
        "        history[\"train_loss\"].append(evaluate(model, train_loader, loss_fn, "
        "device)[\"loss\"])")
    found = failed(verdicts(namespace(source), "fit"))
    assert set(found) == {part_d.FIT}, {k: v.message for k, v in found.items()}
    assert found[part_d.FIT].mistake == "fit-train-loss-source", found[part_d.FIT].message


@pytest.mark.parametrize(("function", "source", "check"), [
    ("softmax", '''
def softmax(logits, dim=-1):
    exps = logits.clamp(-80, 80).exp()      # avoid overflow
    return exps / exps.sum(dim=dim, keepdim=True)
''', part_b.SOFTMAX_EXTREME),
    ("log_softmax", '''
def log_softmax(logits, dim=-1):
    x = logits.clamp(-50, 50)
    return x - x.exp().sum(dim=dim, keepdim=True).log()
''', part_b.LOG_SOFTMAX_EXTREME)])
def test_logits_clamped_before_exp_are_named_at_the_edges(function: str, source: str,
                                                          check: str) -> None:
    """Mistakes review 36: `logits.clamp(-80, 80).exp()` was told only "wrong at ±1e4"."""
    found = failed(verdicts(namespace(source), function))
    assert check in found, {k: v.message for k, v in found.items()}
    assert found[check].mistake == "clamped-logits", found[check].message
