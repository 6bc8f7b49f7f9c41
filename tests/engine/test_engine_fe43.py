"""Fresh eyes 43, in the real engine. A training loop and an evaluate that moved the model
and every batch to a hard-coded 'cpu' kept both device checks on the emulated GPU (the
model and its inputs agreed, so no mismatch showed); a run on the CPU while the device
argument is a GPU is now the device check's failure. The reference's loops keep it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import failed_checks
from tests.engine.loops import EVALUATE, TRAIN, edited

TRAIN_ON_CPU = edited(TRAIN, ("model.train()\n", "model.train()\n    model.to(\"cpu\")\n"),
                      ("x.to(device), y.to(device)", "x.to(\"cpu\"), y.to(\"cpu\")"))
EVAL_ON_CPU = edited(EVALUATE, ("model.eval()\n", "model.eval()\n    model.cpu()\n"),
                     ("x.to(device), y.to(device)", "x.cpu(), y.cpu()"))
TRAIN_DEVICE = "train_one_epoch: moves inputs and labels to the device argument (GPU emulated or real)"
EVAL_DEVICE = "evaluate: moves inputs and labels to the device argument (GPU emulated or real)"


def test_a_loop_on_a_hard_coded_cpu_loses_its_device_check_only(grader, tmp_path: Path):
    failed = failed_checks(grader, tmp_path, "train_on_cpu", TRAIN_ON_CPU)
    assert list(failed) == [TRAIN_DEVICE], failed
    assert "runs the model on the CPU while the device argument is a GPU" in failed[TRAIN_DEVICE]
    failed = failed_checks(grader, tmp_path, "eval_on_cpu", EVAL_ON_CPU)
    assert list(failed) == [EVAL_DEVICE], failed
    assert "hard-coded 'cpu' or .cpu()" in failed[EVAL_DEVICE]


CE_EPS = '''
def cross_entropy(logits, targets, reduction="mean"):
    if logits.dim() != 2 or targets.dim() != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError("shapes")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("reduction")
    if ((targets < 0) | (targets >= logits.shape[1])).any():
        raise ValueError("targets")
    p = softmax(logits, dim=1)
    losses = -torch.log(p[torch.arange(len(targets)), targets] + 1e-9)
    return losses.mean() if reduction == "mean" else losses.sum() if reduction == "sum" \\
        else losses
'''
CE_VALUES = "cross_entropy: matches F.cross_entropy for every reduction (float32 and float64)"
CE_EXTREME = "cross_entropy: finite and exact for logits of ±1e4"


def test_an_eps_inside_the_log_is_named_not_blamed_on_the_reduction(grader, tmp_path: Path):
    """Fresh eyes 43: -log(softmax + 1e-9) was told "wrong values with reduction='none'",
    tagged `reduction-none`. Since stop 56 the eps is one mistake, charged by the ±1e4 check
    that names it (the values check holds the function to its eps:
    `tests/check/test_ce_eps_charged_once.py`)."""
    failed = failed_checks(grader, tmp_path, "ce_eps", CE_EPS)
    assert CE_VALUES not in failed, failed[CE_VALUES]
    assert "an eps inside the log" in failed[CE_EXTREME], failed
    assert "reduction='none'" not in failed[CE_EXTREME]


TRAIN_BY_BATCHES_TIMES_SIZE = edited(TRAIN, ("return total / n",
                                           "return total / (len(loader) * loader.batch_size)"))
TRAIN_RETURN = "train_one_epoch: returns the sample-weighted mean loss as a float"


def test_dividing_by_batches_times_their_size_is_named(grader, tmp_path: Path):
    """Fresh eyes 43: len(loader) * batch_size was told only "not the sample-weighted mean"."""
    failed = failed_checks(grader, tmp_path, "by_batches_times_size", TRAIN_BY_BATCHES_TIMES_SIZE)
    assert "the number of batches × the batch size" in failed[TRAIN_RETURN], failed


EVAL_BY_BATCHES_TIMES_SIZE = edited(EVALUATE, ('"loss": total / n',
                                               '"loss": total / (len(loader) * loader.batch_size)'))
EVAL_VALUES = "evaluate: returns sample-weighted loss and accuracy as floats"


def test_evaluate_dividing_by_batches_times_their_size_is_named(grader, tmp_path: Path):
    failed = failed_checks(grader, tmp_path, "eval_batches_times_size", EVAL_BY_BATCHES_TIMES_SIZE)
    assert "the number of batches × the batch size" in failed[EVAL_VALUES], failed


TRAIN_STEPS_TWICE = edited(TRAIN, ("optimizer.step()\n", "optimizer.step()\n        optimizer.step()\n"))


def test_a_second_step_a_batch_is_not_a_kept_graph(grader, tmp_path: Path):
    """Fresh eyes 44: a loop stepping twice a batch lost its step-order check (right) and its
    returned-loss check too, told it kept every batch's graph alive (it keeps none)."""
    failed = failed_checks(grader, tmp_path, "steps_twice", TRAIN_STEPS_TWICE)
    assert failed and TRAIN_RETURN not in failed, failed
    assert not any("graph alive" in message for message in failed.values()), failed


def prf(predicted: str, actual: str, recall: str = "_safe_ratio(tp, tp + fn)") -> str:
    return f'''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    predicted_pos = {predicted}
    actual_pos = {actual}
    tp = int((predicted_pos & actual_pos).sum())
    fp = int((predicted_pos & ~actual_pos).sum())
    fn = int((~predicted_pos & actual_pos).sum())
    precision = _safe_ratio(tp, tp + fp)
    recall = {recall}
    f1 = _safe_ratio(2 * precision * recall, precision + recall)
    return precision, recall, f1
'''


@pytest.mark.parametrize(("code", "said"), [
    (prf("preds == 1", "targets == positive_class"), "the predictions are compared with class 1"),
    (prf("preds == positive_class", "targets == 1"), "targets == positive_class"),
    (prf("preds == positive_class", "targets == positive_class",
         "_safe_ratio(tp, preds.numel())"), "recall divides the true positives by every sample"),
])
def test_a_counting_mistake_in_precision_recall_f1_is_named(grader, tmp_path: Path, code: str,
                                                            said: str):
    """Fresh eyes 44: each was told only "wrong precision for 4 classes"."""
    failed = failed_checks(grader, tmp_path, "prf", code)
    assert any(said in message for message in failed.values()), failed


FIT_PERCENT = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer,
                                                     device))
        result = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(result["loss"])
        history["val_accuracy"].append(result["accuracy"] * 100)
    return history
'''
FIT = "fit: trains then evaluates every epoch and returns the history"


def test_a_percentage_in_fits_history_is_named(grader, tmp_path: Path):
    """Fresh eyes 44: told only to check which loader each call gets."""
    failed = failed_checks(grader, tmp_path, "fit_percent", FIT_PERCENT)
    assert "as a percentage" in failed[FIT], failed
