"""Lab 5's worker-side scenarios (Part D): the training loop, evaluation, fit, the model
and the device, run inside the worker under the engine's instruments.

Why here and not in the engine: they call this lab's functions by name. The zygote imports
this module before its first fork (a worker's root holds no lab folder), and the worker's
integrity snapshot covers it like the engine's own modules. It holds nothing secret:
student code shares its process. What a scenario observes chooses the wording of feedback
at most; verdicts rest on what the judge recomputes (see the hidden Part D checks).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from autograder.sandbox import harness, probes
from autograder.sandbox.harness import scenario
from autograder.sandbox.rng import seed_rngs


@scenario("train_one_epoch")
def scenario_train_one_epoch(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    model, device, log = harness.setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]))
    handles = harness.instrument(model, optimizer, log)
    loader = harness.loader(params["x"], params["y"], int(params["batch_size"]))
    outcome: dict[str, Any] = {"error": None, "returned": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        with harness.device_context(params):
            outcome["returned"] = ns["train_one_epoch"](model, loader, harness.InstrumentedLoss(log),
                                                        optimizer, device)
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["_findings"] = [*harness.hooks_findings(model, handles), *log.findings]
    for handle in handles:
        handle.remove()
    outcome.update(state=harness.state_of(model), training_after=model.training, events=log.events,
                   loss_calls=log.loss_calls, forward=log.forward)
    return outcome


@scenario("evaluate")
def scenario_evaluate(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    model, device, log = harness.setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    handles = harness.instrument(model, optimizer, log)
    loader = harness.loader(params["x"], params["y"], int(params["batch_size"]))
    outcome: dict[str, Any] = {"error": None, "returned": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        with harness.device_context(params):
            outcome["returned"] = ns["evaluate"](model, loader, harness.InstrumentedLoss(log), device)
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["_findings"] = [*harness.hooks_findings(model, handles), *log.findings]
    for handle in handles:
        handle.remove()
    outcome.update(state=harness.state_of(model), training_after=model.training, events=log.events,
                   loss_calls=log.loss_calls, forward=log.forward,
                   grads_present=any(p.grad is not None for p in model.parameters()))
    return outcome


@scenario("fit_stubbed", function="fit")
def scenario_fit_stubbed(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """`fit` with judge-scripted stand-ins for train_one_epoch/evaluate.

    The stand-ins answer differently when handed the wrong loader, so the
    returned history alone shows whether fit wired the epochs correctly. Their
    values start from offsets the judge draws per submission, so a history that
    did not come from calling them cannot match.
    """
    train_base = float(params.get("train_base", 1.0))
    eval_base = float(params.get("eval_base", 0.5))
    train_loader, val_loader = [("train", 0)], [("val", 0)]
    counters = {"train": 0, "eval": 0}

    def train_stub(model: Any, loader: Any, *args: Any, **kwargs: Any) -> float:
        counters["train"] += 1
        return train_base + counters["train"] / 8 if loader is train_loader else -1.0

    def evaluate_stub(model: Any, loader: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
        counters["eval"] += 1
        if loader is not val_loader:
            return {"loss": -1.0, "accuracy": -1.0}
        return {"loss": eval_base + counters["eval"] / 16, "accuracy": counters["eval"] / 32}

    saved = {name: ns.get(name) for name in ("train_one_epoch", "evaluate")}
    ns["train_one_epoch"], ns["evaluate"] = train_stub, evaluate_stub
    outcome: dict[str, Any] = {"error": None, "returned": None}
    try:
        model = probes.build("mlp")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        outcome["returned"] = ns["fit"](model, train_loader, val_loader, nn.CrossEntropyLoss(),
                                        optimizer, int(params["epochs"]), torch.device("cpu"))
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    finally:
        ns.update(saved)
    return outcome


@scenario("fit")
def scenario_fit(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    model, device, _log = harness.setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]))
    batch = int(params["batch_size"])
    outcome: dict[str, Any] = {"error": None, "returned": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        outcome["returned"] = ns["fit"](model, harness.loader(params["x"], params["y"], batch),
                                        harness.loader(params["vx"], params["vy"], batch),
                                        nn.CrossEntropyLoss(), optimizer, int(params["epochs"]),
                                        device)
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["state"] = harness.state_of(model)
    return outcome


@scenario("build_classifier")
def scenario_build_classifier(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    seed_rngs(int(params.get("seed", 0)))
    model = ns["build_classifier"](*params["args"])
    outcome: dict[str, Any] = {"is_module": isinstance(model, nn.Module)}
    if not isinstance(model, nn.Module):
        return outcome
    model.eval()
    with torch.no_grad():
        outcome["logits"] = model(params["x"])
    outcome["params"] = [[name, p.detach().clone()] for name, p in model.named_parameters()]
    outcome["leaf_types"] = [type(m).__name__ for m in model.modules()
                             if not list(m.children())]
    return outcome


@scenario("get_device")
def scenario_get_device(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = {}
    for label, available in (("with_cuda", True), ("without_cuda", False)):
        try:
            with harness.FakeCuda(available):
                value = ns["get_device"]()
            outcome[label] = str(value) if isinstance(value, (torch.device, str)) else None
            outcome[label + "_type"] = type(value).__name__
        except Exception as exc:
            outcome[label + "_error"] = harness.error_info(exc)
    return outcome
