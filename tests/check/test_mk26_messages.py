"""Mistakes review 26: mistakes caught under words that pointed elsewhere.

Each test is one of the review's notebooks' mistakes, judged in-process on the reference
with that one change, and asserts the message names what the code does.
"""

from __future__ import annotations

import textwrap

import pytest
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, failed, namespace, reference_source, verdict, verdicts


def test_a_model_moved_to_the_cpu_inside_the_loop_is_named_so() -> None:
    # (it was told it "moves data to 'cuda' instead of the device it was given")
    found = verdicts(namespace(edited("train_one_epoch", "    model.train()\n",
                                      "    model.train()\n    model.to('cpu')\n")),
                     "train_one_epoch")
    verdict = failed(found)[part_d.TRAIN_DEVICE]
    assert verdict.mistake == "model-moved-off", verdict.message
    assert "moves the model to the CPU" in verdict.message


def test_data_sent_to_a_cuda_of_its_own_is_still_told_to_use_the_device_argument() -> None:
    source = edited("train_one_epoch", "x, y = x.to(device), y.to(device)",
                    "x, y = x.to('cuda'), y.to('cuda')")
    found = verdict(namespace(source), part_d.TRAIN_DEVICE, source)
    assert not found.passed and found.mistake == "hard-coded-cuda", found.message


def test_a_history_made_anew_every_epoch_is_named_so() -> None:
    # (it was told to "run exactly `epochs` epochs", which the loop did)
    found = verdicts(namespace('''
        def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
            for _ in range(epochs):
                train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
                metrics = evaluate(model, val_loader, loss_fn, device)
                history = {"train_loss": [train_loss], "val_loss": [metrics["loss"]],
                           "val_accuracy": [metrics["accuracy"]]}
            return history
        '''), "fit")
    verdict = failed(found)[part_d.FIT]
    assert verdict.mistake == "fit-history-reset", verdict.message


def test_a_fit_that_runs_one_epoch_is_still_told_to_run_epochs() -> None:
    found = verdicts(namespace(edited("fit", "for _ in range(epochs):", "for _ in range(1):")),
                     "fit")
    assert failed(found)[part_d.FIT].mistake == "fit-epochs"


@pytest.mark.parametrize(("function", "check"), [("softmax", part_b.SOFTMAX_EXTREME),
                                                 ("log_softmax", part_b.LOG_SOFTMAX_EXTREME)])
def test_a_shift_by_the_min_is_named_at_the_extremes(function: str, check: str) -> None:
    # (it was told only to "look for a division by zero, a log of 0 or an overflow")
    found = verdicts(namespace(edited(function, "logits.amax(dim=dim, keepdim=True)",
                                      "logits.amin(dim=dim, keepdim=True)")), function)
    verdict = failed(found)[check]
    assert verdict.mistake == "min-shift", verdict.message
    assert "not the max" in verdict.message


def test_weighting_by_the_loaders_batch_size_is_named() -> None:
    found = verdicts(namespace(edited("train_one_epoch", "total_loss += loss.item() * x.shape[0]",
                                      "total_loss += loss.item() * loader.batch_size")),
                     "train_one_epoch")
    assert failed(found)[part_d.TRAIN_RETURN].mistake == "weight-by-loader-batch-size"


COUNTS = ("    fp = int((predicted_pos & ~actual_pos).sum())\n"
          "    fn = int((~predicted_pos & actual_pos).sum())\n")


@pytest.mark.parametrize(("mistake", "old", "new"), [
    ("negatives-class-0", COUNTS, "    fp = int((predicted_pos & (targets == 0)).sum())\n"
                                  "    fn = int(((preds == 0) & actual_pos).sum())\n"),
    ("product-counts", "    tp = int((predicted_pos & actual_pos).sum())\n" + COUNTS,
     "    tp = int((preds * targets).sum())\n"
     "    fp = int(predicted_pos.sum()) - tp\n"
     "    fn = int(actual_pos.sum()) - tp\n"),
])
def test_a_one_vs_rest_counting_mistake_is_named(mistake: str, old: str, new: str) -> None:
    # (each was told only "a wrong precision")
    found = verdicts(namespace(edited("precision_recall_f1", old, new)), "precision_recall_f1")
    assert failed(found)[part_c.PRF_MULTI].mistake == mistake, failed(found)


@pytest.mark.parametrize("where", ["epoch", "once"])
def test_a_fit_that_reinitialises_the_model_is_caught(where: str) -> None:
    # (mistakes review 27: reset_parameters() in every epoch scored full marks)
    reset = ("    for layer in model.modules():\n"
             "        if hasattr(layer, 'reset_parameters'):\n"
             "            layer.reset_parameters()\n")
    loop = "    for _ in range(epochs):\n"
    source = edited("fit", loop, loop + textwrap.indent(reset, "    ")) if where == "epoch" \
        else edited("fit", loop, reset + loop)
    verdict = failed(verdicts(namespace(source), "fit"))[part_d.FIT]
    assert verdict.mistake == "fit-resets-model", verdict.message
    assert ("between epochs" if where == "epoch" else "before the first epoch") in verdict.message


def test_a_fit_that_trains_twice_an_epoch_is_named_so() -> None:
    found = verdicts(namespace(edited(
        "fit", "history[\"train_loss\"].append(train_one_epoch(",
        "train_one_epoch(model, train_loader, loss_fn, optimizer, device)\n"
        "        history[\"train_loss\"].append(train_one_epoch(")), "fit")
    assert failed(found)[part_d.FIT].mistake == "fit-trains-twice"


def test_a_wrong_cross_entropy_formula_is_not_called_a_reduction_mistake() -> None:
    # (mistakes review 27: label smoothing, wrong for 'none' too, was tagged reduction-mean)
    found = verdicts(namespace(edited(
        "cross_entropy", "return _reduce(nll, reduction)",
        "nll = 0.9 * nll - 0.1 * log_probs.mean(dim=1)\n    return _reduce(nll, reduction)")),
        "cross_entropy")
    verdict = failed(found)[part_b.CE_VALUES]
    assert verdict.mistake == "wrong-values", verdict.message


def test_an_evaluate_over_one_batch_is_named_so() -> None:
    found = verdicts(namespace('''
        def evaluate(model, loader, loss_fn, device):
            model.eval()
            with torch.no_grad():
                x, y = next(iter(loader))
                x, y = x.to(device), y.to(device)
                logits = model(x)
                loss = loss_fn(logits, y).item()
                accuracy = (logits.argmax(dim=1) == y).float().mean().item()
            return {"loss": loss, "accuracy": accuracy}
        '''), "evaluate")
    assert failed(found)[part_d.EVAL_VALUES].mistake == "eval-partial-loader"


def test_a_huber_switching_at_one_not_delta_is_named_so() -> None:
    from lab05_checks import test_part_a_regression as part_a

    source = reference_source("huber_loss")
    condition = next(line for line in source.splitlines() if "< delta" in line)
    found = verdicts(namespace(source.replace(condition, condition.replace("< delta", "< 1.0"))),
                     "huber_loss")
    assert failed(found)[part_a.HUBER_VALUES].mistake == "threshold-not-delta", failed(found)
