"""Red team 44: behaviours no run showed, judged in-process on the reference with one change.

A training loop that stops after a few batches (every loader the checks built held four at
most), and a get_device that reads CUDA_VISIBLE_DEVICES instead of asking
torch.cuda.is_available(), kept every point.
"""

from __future__ import annotations

from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, failed, namespace, verdicts


def test_a_loop_that_stops_after_a_few_batches_fails_the_order_check() -> None:
    """The plain-objects epoch has nine batches: a loop stopping after five trains otherwise."""
    source = edited("train_one_epoch", "    for x, y in loader:\n",
                    "    for i, (x, y) in enumerate(loader):\n        if i >= 5:\n"
                    "            break\n")
    found = failed(verdicts(namespace(source), "train_one_epoch"))
    assert set(found) == {part_d.TRAIN_ORDER}, {k: v.message for k, v in found.items()}
    assert found[part_d.TRAIN_ORDER].mistake == "plain-objects-differ"


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
    assert not failed(verdicts(namespace(), "train_one_epoch", "get_device"))


def test_an_evaluate_that_stops_after_a_few_batches_fails_its_values_check() -> None:
    """Red team 44's evaluate stopped after five batches; every loader held four at most."""
    source = edited("evaluate", "        for x, y in loader:\n",
                    "        for i, (x, y) in enumerate(loader):\n            if i >= 5:\n"
                    "                break\n")
    found = failed(verdicts(namespace(source), "evaluate"))
    assert set(found) == {part_d.EVAL_VALUES}, {k: v.message for k, v in found.items()}
    assert found[part_d.EVAL_VALUES].mistake == "eval-partial-loader"


def test_a_loop_that_zeroes_gradients_for_sgd_alone_fails_the_order_check() -> None:
    """The plain-objects epoch trains with torch's ASGD, which is not an SGD."""
    source = edited("train_one_epoch", "        optimizer.zero_grad()\n",
                    "        if isinstance(optimizer, torch.optim.SGD):\n"
                    "            optimizer.zero_grad()\n")
    found = failed(verdicts(namespace(source), "train_one_epoch"))
    assert set(found) == {part_d.TRAIN_ORDER}, {k: v.message for k, v in found.items()}
    assert found[part_d.TRAIN_ORDER].mistake == "plain-objects-differ"
