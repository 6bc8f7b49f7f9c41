"""Red team 44: behaviours no run showed, judged in-process on the reference with one change.

A training loop or evaluate that stops after a few batches (every loader the checks built
held four at most), a loop that zeroes gradients for `torch.optim.SGD` alone (the only
optimizer the runs gave it), and a get_device that reads CUDA_VISIBLE_DEVICES instead of
asking torch.cuda.is_available(), kept every point.
"""

from __future__ import annotations

import pytest
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, failed, namespace, verdicts

CAPPED = "    for i, (x, y) in enumerate(loader):\n        if i >= 5:\n            break\n"
CAPPED_10 = CAPPED.replace("i >= 5", "i >= 10")  # (red team 91: a cap at the plain run's nine)


@pytest.mark.parametrize(("function", "old", "new", "check", "mistake"), [
    # the plain-objects epoch has seventeen batches, and trains with ASGD
    ("train_one_epoch", "    for x, y in loader:\n", CAPPED, part_d.TRAIN_ORDER,
     "plain-objects-differ"),
    ("train_one_epoch", "    for x, y in loader:\n", CAPPED_10, part_d.TRAIN_ORDER,
     "plain-objects-differ"),
    ("train_one_epoch", "        optimizer.zero_grad()\n",
     "        if isinstance(optimizer, torch.optim.SGD):\n            optimizer.zero_grad()\n",
     part_d.TRAIN_ORDER, "plain-objects-differ"),
    # evaluate is run on seventeen batches too
    ("evaluate", "        for x, y in loader:\n", "    " + CAPPED.replace("\n    ", "\n        "),
     part_d.EVAL_VALUES, "eval-partial-loader"),
    ("evaluate", "        for x, y in loader:\n",
     "    " + CAPPED_10.replace("\n    ", "\n        "), part_d.EVAL_VALUES,
     "eval-partial-loader")])
def test_a_loop_right_only_on_the_runs_it_was_given_fails(function: str, old: str, new: str,
                                                          check: str, mistake: str) -> None:
    found = failed(verdicts(namespace(edited(function, old, new)), function))
    assert set(found) == {check}, {k: v.message for k, v in found.items()}
    assert found[check].mistake == mistake, found[check].message


def test_a_get_device_reading_cuda_visible_devices_fails() -> None:
    """Without CUDA the scenario sets CUDA_VISIBLE_DEVICES, as a cluster's CPU node may."""
    source = '''
def get_device():
    import os
    if os.environ.get("CUDA_VISIBLE_DEVICES", "") not in ("", "-1"):
        return torch.device("cuda")
    return torch.device("cuda" if torch.cuda.device_count() > 0 else "cpu")
'''
    found = failed(verdicts(namespace(source), "get_device"))
    assert set(found) == {part_d.GET_DEVICE}, {k: v.message for k, v in found.items()}
    assert found[part_d.GET_DEVICE].mistake == "wrong-device"


def test_the_reference_loop_and_device_keep_their_points() -> None:
    assert not failed(verdicts(namespace(), "train_one_epoch", "evaluate", "get_device"))
