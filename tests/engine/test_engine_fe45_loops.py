"""Fresh eyes 45's training loops, in the real engine, each one edit of a right loop: a loss
computed again after step() for the figure (one mistake: the extra forward pass the order
check names — the return check told it to start every call from a total of 0), and a total
kept across calls in a global (told only that the figure was wrong)."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks
from tests.engine.loops import TRAIN, edited

TRAIN_ORDER = "train_one_epoch: zero_grad → forward → loss → backward → step on every batch"
TRAIN_RETURN = "train_one_epoch: returns the sample-weighted mean loss as a float"

LOSS_AFTER_STEP = edited(
    TRAIN, ("        total += loss.item() * x.shape[0]",
            "        total += loss_fn(model(x), y).item() * x.shape[0]"))
TOTAL_IN_A_GLOBAL = edited(
    TRAIN, ("def train_one_epoch(", "TOTAL = [0.0, 0]\n\n\ndef train_one_epoch("),
    ("    total, n = 0.0, 0\n", ""),
    ("        total += loss.item() * x.shape[0]\n        n += x.shape[0]\n",
     "        TOTAL[0] += loss.item() * x.shape[0]\n        TOTAL[1] += x.shape[0]\n"),
    ("    return total / n", "    return TOTAL[0] / TOTAL[1]"))


def test_a_loss_computed_again_after_step_is_charged_once_by_the_order_check(
        grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "loss_after_step", LOSS_AFTER_STEP)
    assert list(failed) == [TRAIN_ORDER], failed
    assert "forward passes for the loader's" in failed[TRAIN_ORDER]


def test_a_total_kept_across_calls_is_named(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "total_in_a_global", TOTAL_IN_A_GLOBAL)
    assert "carries over from call to call" in failed.get(TRAIN_RETURN, ""), failed
