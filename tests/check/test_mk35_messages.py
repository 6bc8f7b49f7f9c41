"""Mistakes review 35: a mistake that kept its points.

Judged in-process on the reference with that one change.
"""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
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
