"""Outside red team 91's fits, held here in-process on the reference with `fit` rewritten (see
test_helper_blame): a fit whose history of the stand-ins' figures is right was judged on the
arguments and weights the stand-ins saw alone, and the real run never ran — a fit training
under `torch.no_grad()` (no epoch can train) or with a learning rate of its own kept its
points."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, failed, namespace, reference_source, verdicts

LOOP = "    for _ in range(epochs):\n"


@pytest.mark.parametrize(("name", "old", "new", "mistake"), [
    ("no_grad around the loop", LOOP,
     "    torch.set_grad_enabled(False)\n" + LOOP, "fit-no-grad"),
    ("a rate of its own", LOOP,
     "    for group in optimizer.param_groups:\n        group['lr'] = 0.01\n" + LOOP,
     "fit-own-lr"),
])
def test_a_fit_that_cannot_train_as_given_is_charged(name: str, old: str, new: str,
                                                     mistake: str) -> None:
    import torch

    try:
        found = failed(verdicts(namespace(edited("fit", old, new)), "fit"))
    finally:
        torch.set_grad_enabled(True)  # (in-process: the rewritten fit left it off here)
    assert found[part_d.FIT].mistake == mistake, (name, found[part_d.FIT].message)


def test_the_reference_fit_trains_as_given() -> None:
    found = verdicts(namespace(reference_source("fit")), "fit")
    assert part_d.FIT not in failed(found)


def test_a_fit_that_moves_the_model_then_resets_it_is_charged() -> None:
    """The stand-ins' run hands fit a device that holds no data (`meta`): after `model.to(device)`
    the weights the stand-ins watch were gone, and a re-initialisation every epoch went
    unseen. Such a run is repeated on the CPU for the weights."""
    source = edited("fit", LOOP, "    model.to(device)\n" + LOOP + "        for layer in "
                    "model.modules():\n            if hasattr(layer, 'reset_parameters'):\n"
                    "                layer.reset_parameters()\n")
    found = failed(verdicts(namespace(source), "fit"))
    assert found[part_d.FIT].mistake == "fit-resets-model", found[part_d.FIT].message


def test_dropout_layers_set_to_eval_inside_a_training_model_are_charged() -> None:
    """Every training run's model but one had BatchNorm alone: a loop setting the Dropout
    layers to eval under a model in train mode was seen nowhere. The single-sample run's model
    has a Dropout now, and the train-mode check reads it."""
    source = edited("train_one_epoch", "    model.train()\n",
                    "    model.train()\n    for layer in model.modules():\n"
                    "        if isinstance(layer, torch.nn.Dropout):\n"
                    "            layer.eval()\n")
    found = failed(verdicts(namespace(source), "train_one_epoch"))
    assert found[part_d.TRAIN_MODE].mistake == "no-train-mode", found
    assert "(BatchNorm, Dropout) in eval mode while the model trains" in found[
        part_d.TRAIN_MODE].message


def test_a_model_right_on_small_sizes_only_is_charged() -> None:
    """Both build_classifier probes asked for hidden sizes under 16: a cap there went free."""
    source = edited("build_classifier", "    return nn.Sequential(",
                    "    hidden = min(hidden, 16)\n    return nn.Sequential(")
    found = failed(verdicts(namespace(source), "build_classifier"))
    assert found[part_d.CLS_ARCH].mistake == "ignores-arguments", found


def test_a_loop_that_clears_the_optimizers_state_is_charged() -> None:
    """The runs that call train_one_epoch again on one optimizer gave it an SGD without
    momentum, which keeps no state: a loop clearing `optimizer.state` at its start was
    right in every run. The called-again runs' SGD has momentum, and new buffers are named."""
    source = edited("train_one_epoch", "    model.train()\n",
                    "    model.train()\n    optimizer.state.clear()\n")
    found = failed(verdicts(namespace(source), "train_one_epoch"))
    assert found[part_d.TRAIN_ORDER].mistake == "optimizer-state-reset", found[
        part_d.TRAIN_ORDER].message


def test_a_fit_that_clears_the_optimizers_state_is_charged() -> None:
    source = edited("fit", LOOP, LOOP + "        optimizer.state.clear()\n")
    found = failed(verdicts(namespace(source), "fit"))
    assert found[part_d.FIT].mistake == "fit-optimizer-state", found[part_d.FIT].message
