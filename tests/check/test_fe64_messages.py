"""Fresh eyes 64's misnamed Part E answers, held here in-process on the reference with the
answer replaced (see test_helper_blame): a numpy scalar and a formatted string were told to
run the experiment cell, and an answer rounded to one digit was told to compute what it had
computed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import failed, namespace, verdicts

from autograder.sandbox.protocol import NumpyArray


def _answer(**variables):
    return failed(verdicts(namespace(**variables), "always_negative_accuracy")).get(
        part_e.ALWAYS_NEGATIVE_ACC)


def _right() -> float:
    ns = namespace()
    return float(ns["always_negative_accuracy"])


@pytest.mark.parametrize(("value", "mistake", "words"), [
    # (a numpy scalar as the worker sends it: a 0-d array, `NumpyArray`)
    (lambda right: NumpyArray(torch.from_numpy(np.asarray(np.float32(right)))), "not-a-number",
     "convert it with float(...)"),
    (lambda right: f"{right:.2f}", "not-a-number", "format it only when you print it"),
    (lambda right: round(right, 1), "rounded", "the answer rounded"),
])
def test_an_answer_of_the_wrong_kind_is_told_what_it_is(value, mistake: str, words: str) -> None:
    right = _right()
    if mistake == "rounded":
        assert round(right, 1) != right  # (else nothing is rounded away)
    found = _answer(always_negative_accuracy=value(right))
    assert found is not None and found.mistake == mistake, found
    assert words in found.message, found.message


def test_a_step_at_the_top_of_the_loop_is_named() -> None:
    """A loop stepping at the top of every batch (the last batch's step after the loop) was
    told to call zero_grad() before its forward pass, which it did."""
    from lab05_checks import test_part_d_training as part_d
    source = _step_first_loop()
    found = failed(verdicts(namespace(source), "train_one_epoch"))
    assert found[part_d.TRAIN_ORDER].mistake == "step-before-backward", found[
        part_d.TRAIN_ORDER].message


def _step_first_loop() -> str:
    from test_helper_blame import reference_source

    source = reference_source("train_one_epoch")
    lines = source.splitlines(keepends=True)
    step = next(i for i, line in enumerate(lines) if "optimizer.step()" in line)
    indent = lines[step][:len(lines[step]) - len(lines[step].lstrip())]
    del lines[step]
    zero = next(i for i, line in enumerate(lines) if "optimizer.zero_grad()" in line)
    lines.insert(zero, f"{indent}optimizer.step()\n")
    ret = next(i for i, line in enumerate(lines) if line.lstrip().startswith("return"))
    lines.insert(ret, "    optimizer.step()\n")
    return "".join(lines)



def test_a_backward_on_another_tensor_than_the_losss_output_is_recorded() -> None:
    """What the words of a loss scaled before backward() rest on (fresh eyes 64's
    `(loss * x.shape[0]).backward()` was told something changed the gradients after
    backward()): each recorded backward says whether it ran on what the loss returned."""
    from torch import nn

    from autograder.sandbox import harness

    model = nn.Sequential(nn.Linear(3, 2))
    log = harness.Log()
    loss_fn = harness.InstrumentedLoss(log)
    x, y = torch.randn(4, 3), torch.tensor([0, 1, 1, 0])
    with harness.BackwardRecorder(model, log):
        loss_fn(model(x), y).backward()
        (loss_fn(model(x), y) * x.shape[0]).backward()
    assert [c["loss_output"] for c in log.backward_calls] == [True, False]
    assert [c["graph"] for c in log.backward_calls] == [True, True]


def test_the_words_for_a_backward_on_another_tensor() -> None:
    from lab05_checks import test_part_d_training as part_d

    scaled = {"backward_calls": [{"graph": True, "loss_output": False}] * 3}
    assert part_d._backward_on_another_tensor(scaled)
    plain = {"backward_calls": [{"graph": True, "loss_output": True}] * 3}
    detached = {"backward_calls": [{"graph": False, "loss_output": False}] * 3}
    assert not part_d._backward_on_another_tensor(plain)
    assert not part_d._backward_on_another_tensor(detached)
    assert not part_d._backward_on_another_tensor({})


def test_two_answers_swapped_are_named() -> None:
    ns = namespace()
    accuracy, f1 = float(ns["always_negative_accuracy"]), float(ns["always_negative_f1"])
    found = failed(verdicts(namespace(always_negative_accuracy=f1, always_negative_f1=accuracy),
                            "always_negative_accuracy", "always_negative_f1"))
    for check in (part_e.ALWAYS_NEGATIVE_ACC, part_e.ALWAYS_NEGATIVE_F1):
        assert found[check].mistake == "answers-swapped", found[check].message
