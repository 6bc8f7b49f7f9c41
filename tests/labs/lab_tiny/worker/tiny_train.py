"""lab_tiny's worker-side scenario: one `train_step` on a linear model the judge describes.

Why a scenario and not a plain call: `train_step` takes a model, a loss and an optimizer,
which cannot cross the protocol (plain data only), so they are built here, inside the
worker, from the judge's state dict; the parameters after the step come back as plain
tensors and the judge compares them with its own replay. The stale gradients put on the
parameters first stand for the previous batch's, so a missing `zero_grad()` shows in the
result. Nothing here is secret: the notebook's code shares this process.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from autograder.sandbox import harness
from autograder.sandbox.harness import scenario
from autograder.sandbox.rng import seed_rngs


@scenario("tiny_train_step", function="train_step")
def tiny_train_step(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    weight = params["state"]["weight"]
    model = nn.Linear(int(weight.shape[1]), int(weight.shape[0]))
    model.load_state_dict(params["state"])
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]))
    for parameter in model.parameters():  # the previous batch's gradients, never cleared
        parameter.grad = torch.full_like(parameter, float(params["stale_grad"]))
    outcome: dict[str, Any] = {"error": None, "returned": None, "returned_type": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        returned = ns["train_step"](model, params["x"], params["y"], nn.MSELoss(), optimizer)
        outcome["returned_type"] = type(returned).__name__
        if isinstance(returned, torch.Tensor):
            returned = returned.detach().clone()
        outcome["returned"] = returned if isinstance(returned, (int, float, torch.Tensor)) else None
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["state"] = harness.state_of(model)
    return outcome
