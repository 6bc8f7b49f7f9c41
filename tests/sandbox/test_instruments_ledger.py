"""The scenario instruments' own copies (`harness.Log`'s ledger, `hooks_findings`): records
a notebook edits in place, a grad flag set back, or a layer's hook removed are found after
the call (an outside red team's `evaluate` did all three and passed the no-grad check)."""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from autograder.sandbox import harness


def _instrumented() -> tuple[nn.Module, harness.Log, list]:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    log = harness.Log()
    handles = harness.instrument(model, torch.optim.SGD(model.parameters(), lr=0.1), log)
    loss = harness.InstrumentedLoss(log)
    loss(model(torch.randn(5, 3)), torch.tensor([0, 1, 0, 1, 1]))
    return model, log, handles


def test_honest_records_are_not_edited() -> None:
    model, log, handles = _instrumented()
    assert log.forward and log.loss_calls and log.inner_grad
    assert not log.edited() and harness.hooks_findings(model, handles) == []
    assert harness.Unchanged(log=log).findings(grown=("inner_grad",)) == []


def test_records_edited_in_place_or_a_flag_set_back_are_found() -> None:
    for edit in (lambda log: log.forward[0].update(grad_enabled=False),
                 lambda log: log.loss_calls[0].update(requires_grad=False),
                 lambda log: log.events.clear(),
                 lambda log: setattr(log, "inner_grad", False)):
        _, log, _ = _instrumented()
        edit(log)
        assert log.edited()
        assert harness.Unchanged(log=log).findings(grown=("inner_grad",))


def test_a_layers_hook_removed_is_found() -> None:
    model, _, handles = _instrumented()
    model[0]._forward_pre_hooks.clear()
    assert harness.hooks_findings(model, handles)


def test_a_module_s_own_machinery_is_not_the_instrument_s_state() -> None:
    """An honest `loss_fn.eval()` (or `.train()`, or a hook of the student's own on the
    loss) changes nn.Module's machinery, not what the instruments keep: not tampering."""
    _, log, _ = _instrumented()
    loss = harness.InstrumentedLoss(log)
    loss.reveal = 0.25
    watch = harness.Unchanged(loss=loss, log=log)
    loss.eval()
    loss.register_forward_hook(lambda module, inputs, output: None)
    assert watch.findings(grown=("inner_grad",)) == []
    loss.reveal = 0.0
    assert watch.findings(grown=("inner_grad",)) == ["the scenario's loss.reveal was replaced"]


def test_a_copy_of_the_loss_records_into_the_same_log() -> None:
    """An honest `copy.deepcopy(loss_fn)` (or of the model, whose hooks hold the log): the copy
    records into the scenario's own log, so its ledger stays whole — not tampering."""
    import copy

    model, log, _ = _instrumented()
    loss = copy.deepcopy(harness.InstrumentedLoss(log))
    assert loss.log is log
    copy.deepcopy(model)(torch.randn(2, 3))
    loss(model(torch.randn(2, 3)), torch.tensor([0, 1]))
    assert not log.edited()


def test_layers_record_inputs_on_another_device_than_their_parameters() -> None:
    """`model.forward(x)` skips the model's own hook, not its layers': a batch on another
    device than the parameters is recorded by the first layer it reaches (an evaluate that ran
    the model before moving the batch passed the device check on the emulated GPU), and the
    record is kept in the ledger like the others."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to("meta")
    log = harness.Log()
    harness.instrument(model, torch.optim.SGD(model.parameters(), lr=0.1), log)
    model(torch.randn(2, 3, device="meta"))
    assert log.layer_inputs == [] and not log.edited()
    with contextlib.suppress(RuntimeError):  # (a C++ meta kernel may or may not refuse it)
        model.forward(torch.randn(2, 3))
    assert len(log.forward) == 1  # (the model's own hook saw only the first call)
    assert log.layer_inputs[0] == {"input_device": "cpu", "param_device": "meta"}
    log.layer_inputs.clear()
    assert log.edited()
