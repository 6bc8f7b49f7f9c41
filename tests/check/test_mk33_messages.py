"""Mistakes review 33: mistakes of the metrics and the training loop that kept their points.

Each test is one of the review's notebooks' mistakes, judged in-process on the reference
with that one change.
"""

from __future__ import annotations

import pytest
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import failed, namespace, verdicts

SCORES_TAKEN = '''
def accuracy(preds, targets):
    if preds.dim() == 2 and preds.shape[1] > 1:
        preds = preds.argmax(dim=1)
    if preds.shape != targets.shape:
        raise ValueError(f"shapes {tuple(preds.shape)} and {tuple(targets.shape)}")
    if preds.numel() == 0:
        raise ValueError("no samples")
    return (preds == targets).float().mean().item()
'''


def test_an_accuracy_that_takes_the_argmax_of_scores_fails_the_shape_check() -> None:
    """The spec's accuracy takes labels of shape (N,); scores of shape (N, C) are another
    shape, which raises."""
    found = failed(verdicts(namespace(SCORES_TAKEN), "accuracy"))
    assert set(found) == {part_c.ACC_ERRORS}, set(found)
    assert "(5, 3)" in found[part_c.ACC_ERRORS].message


EARLY_STOP = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience={p}):
    history = {{"train_loss": [], "val_loss": [], "val_accuracy": []}}
    best, bad = float("inf"), 0
    for _ in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer,
                                                     device))
        figures = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(figures["loss"])
        history["val_accuracy"].append(figures["accuracy"])
        if figures["loss"] < best:
            best, bad = figures["loss"], 0
        else:
            bad += 1
            if bad >= patience:
                break
    return history
'''


@pytest.mark.parametrize("patience", [2, 3])
def test_a_fit_that_stops_early_fails(patience: int) -> None:
    """The stand-ins' validation loss grows every epoch: a fit with early stopping runs
    fewer epochs than asked."""
    found = failed(verdicts(namespace(EARLY_STOP.format(p=patience)), "fit"))
    assert set(found) == {part_d.FIT}, set(found)
    assert found[part_d.FIT].mistake == "fit-epochs", found[part_d.FIT].message
    assert "no early stop" in found[part_d.FIT].message


CACHED_BUILD = '''
import functools

@functools.lru_cache(maxsize=None)
def build_classifier(in_features, hidden, num_classes):
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(),
                         nn.Linear(hidden, num_classes))
'''


def test_a_cached_build_classifier_fails_the_architecture_check() -> None:
    found = failed(verdicts(namespace(CACHED_BUILD), "build_classifier"))
    assert set(found) == {part_d.CLS_ARCH}, set(found)
    assert found[part_d.CLS_ARCH].mistake == "same-model", found[part_d.CLS_ARCH].message
