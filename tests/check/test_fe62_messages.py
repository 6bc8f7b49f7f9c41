"""Fresh eyes 62's collateral charges and misnamed mistakes, held here in-process on the
reference with one function rewritten (see test_helper_blame):

* a log_softmax whose `dim` was renamed `axis` made cross_entropy raise TypeError on every
  call, and cross_entropy's GPU check charged that again (its other checks run it with
  PyTorch's log_softmax);
* a cross_entropy whose 'mean' was `sum() // N` (right for 'sum' and 'none') was taken for a
  constant by the GPU check, whose figure barely moved with its input;
* a loop taking its inputs from the loader and its labels from `loader.dataset` in its
  stored order was told something changed the gradients between backward() and step();
* `reduction is "mean"` was told it ignored its argument.
"""

from __future__ import annotations

import pytest
import torch
from lab05_checks import test_part_d_training as part_d
from lab05_checks.test_gpu_inputs import ON_GPU
from test_helper_blame import edited, failed, namespace, reference_source, verdicts

from autograder.check.compare import expect_argument_used
from autograder.check.registry import CheckFailed

CE_ON_GPU = f"cross_entropy: {ON_GPU}"


def test_a_renamed_helper_parameter_is_charged_by_the_helper_alone() -> None:
    source = edited("log_softmax", "dim: int = -1", "axis: int = -1").replace(
        "dim=dim", "dim=axis")
    # (cross_entropy defined again beside it: the reference's own calls the reference's)
    found = verdicts(namespace(source, reference_source("cross_entropy")), "cross_entropy")
    assert CE_ON_GPU not in failed(found), failed(found)[CE_ON_GPU].message


def test_a_mean_floored_is_no_constant_to_the_gpu_check() -> None:
    source = edited("cross_entropy", "    return _reduce(nll, reduction)",
                    "    if reduction == \"mean\":\n        return nll.sum() // targets.shape[0]\n"
                    "    return _reduce(nll, reduction)")
    found = verdicts(namespace(source), "cross_entropy")
    assert CE_ON_GPU not in failed(found), failed(found)[CE_ON_GPU].message


def test_labels_from_the_stored_order_beside_the_loaders_inputs_are_named() -> None:
    source = edited("train_one_epoch", "    for x, y in loader:\n",
                    "    start = 0\n    for x, _ in loader:\n"
                    "        y = loader.dataset[start:start + x.shape[0]][1]\n"
                    "        start += x.shape[0]\n")
    found = failed(verdicts(namespace(source), "train_one_epoch"))
    assert found[part_d.TRAIN_ORDER].mistake == "batches-unpaired", found[
        part_d.TRAIN_ORDER].message
    assert "labels from the dataset in its stored order" in found[part_d.TRAIN_ORDER].message


def test_a_string_compared_by_identity_is_named_where_the_run_charged_it() -> None:
    same, other = torch.tensor(2.0), torch.tensor(3.0)
    with pytest.raises(CheckFailed) as caught:
        expect_argument_used("mse_loss", "reduction", (same, same), (same, other),
                             "with reduction='mean' and with reduction='sum'", "Average.",
                             by_identity=True)
    assert "compares `reduction` with a string by `is`" in str(caught.value)
    expect_argument_used("mse_loss", "reduction", (same, other), (same, other),  # (used: fine)
                         "with reduction='mean' and with reduction='sum'", "Average.",
                         by_identity=True)
