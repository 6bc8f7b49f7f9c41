"""Lab 5's worker-side scenarios (Part D): the training loop, evaluation, fit, the model
and the device, run inside the worker under the engine's instruments.

Why here and not in the engine: they call this lab's functions by name. The zygote imports
this module before its first fork (a worker's root holds no lab folder), and the worker's
integrity snapshot covers it like the engine's own modules. It holds nothing secret:
student code shares its process. What a scenario observes chooses the wording of feedback
at most; verdicts rest on what the judge recomputes (see the hidden Part D checks).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import weakref
from typing import Any

import numpy
import torch
import torch.utils.data
from torch import nn

from autograder.sandbox import devices, harness, probes
from autograder.sandbox.harness import scenario
from autograder.sandbox.rng import seed_rngs


class _Marker:
    """Lives exactly as long as the autograd node that holds it."""


class _Tag(torch.autograd.Function):
    """Identity on the loss (or the model's output) whose node holds a marker: while the
    marker lives, that batch's autograd graph is still reachable from something the student
    kept."""

    @staticmethod
    def forward(ctx: Any, loss: torch.Tensor, marker: Any) -> torch.Tensor:
        ctx.marker = marker
        return loss.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


def _emulated_gpu(params: dict[str, Any]) -> contextlib.AbstractContextManager[Any]:
    """Where the check asks for the emulated GPU (`emulated_gpu`): the model's setup and the
    student's call run under `sandbox.devices`, so the model a device of "cuda" moves is on
    the emulated GPU with its real data, and every "cuda" the call names (the device
    argument, `.cuda()`, a hard-coded one) is that GPU. What the loop reads back on the host
    is then what a GPU gives (fe17: the `meta` device read every value as 0, so correct
    loops dividing by a count kept on the device raised ZeroDivisionError)."""
    return devices.running(False) if params.get("emulated_gpu") is True \
        else contextlib.nullcontext()


class GraphWatchLoss(harness.InstrumentedLoss):
    """The instrumented loss (optionally label-smoothed), counting how many graphs of batches
    before the previous one are still alive when each batch's loss is computed (the previous
    batch's `loss` variable is legitimately alive until it is reassigned). A batch is told by
    the optimizer's steps before it (the log's "step" events), whatever the number of loss
    calls or forward passes it makes (a fourth red team of stop 50: a correct loop with a
    second, detached loss call per batch, or an evaluate after the loop, was counted as
    keeping graphs)."""

    def __init__(self, log: harness.Log, label_smoothing: float = 0.0) -> None:
        super().__init__(log)
        if label_smoothing:
            self.inner = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        # each marker with the steps taken before it was made; the model's outputs marked too
        # (`watch_output`): a graph kept through the logits (`kept.append(logits)`) never
        # reaches the loss's marker (a red team of stop 50: full marks)
        self.markers: list[tuple[weakref.ref[_Marker], int]] = []
        self.graphs_alive = 0  # (each loss call's count: the log's `counts`, in its ledger)
        # Each call's loss and batch size, as the student's run computed them: the judge
        # weighs the returned figure against the losses of the run it made.
        self.values: list[list[float]] = []

    def forward(self, input: torch.Tensor, target: torch.Tensor, *more: Any,
                **options: Any) -> torch.Tensor:
        steps = self._steps()
        alive = len({made for ref, made in self.markers
                     if made <= steps - 2 and ref() is not None})  # (batches, not markers)
        self.log.counts.append(alive)
        self.log.note("counts", alive)
        self.graphs_alive = max(self.graphs_alive, alive)
        loss = super().forward(input, target, *more, **options)
        if isinstance(loss, torch.Tensor) and loss.numel() == 1 and loss.device.type != "meta" \
                and isinstance(target, torch.Tensor) and target.ndim >= 1:
            self.values.append([float(loss.detach()), float(len(target))])
        if not (isinstance(loss, torch.Tensor) and loss.requires_grad):
            return loss
        return self.returning(self._tagged(loss))

    def watch_output(self, module: nn.Module, inputs: Any, output: Any) -> Any:
        """The output layer's forward hook (`harness.output_layer`: it runs under
        `model.forward(x)` too): the model's output, tagged where it carries a graph."""
        if not (isinstance(output, torch.Tensor) and output.requires_grad):
            return None
        return self._tagged(output)

    def _tagged(self, value: torch.Tensor) -> torch.Tensor:
        marker = _Marker()
        self.markers.append((weakref.ref(marker), self._steps()))
        return _Tag.apply(value, marker)

    def _steps(self) -> int:
        """The optimizer's steps so far, a run of steps with nothing between them counted
        once (fresh eyes 44: a loop stepping twice a batch had its previous batch's graph,
        alive until `loss` is reassigned, counted as one kept two batches back)."""
        events = self.log.events
        return sum(1 for i, event in enumerate(events)
                   if event == "step" and (i == 0 or events[i - 1] != "step"))


@scenario("train_one_epoch")
def scenario_train_one_epoch(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    with _emulated_gpu(params):
        model, device, log = harness.setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]),
                                momentum=float(params.get("momentum", 0.0)))
    handles = harness.instrument(model, optimizer, log)
    loader = harness.loader(params["x"], params["y"], int(params["batch_size"]),
                            params.get("shuffle_seed"))
    outcome: dict[str, Any] = {"error": None, "returned": None}
    loss_fn = GraphWatchLoss(log, float(params.get("label_smoothing", 0.0)))
    handles.append(harness.output_layer(model).register_forward_hook(loss_fn.watch_output))
    counts = log.counts
    watch = harness.Unchanged(loss=loss_fn, log=log)
    seed_rngs(int(params.get("seed", 0)))
    try:
        with harness.device_context(params), harness.BackwardRecorder(model, log), \
                _emulated_gpu(params):
            if params.get("by_name"):  # (its arguments by name, as a caller may pass them)
                outcome["returned"] = ns["train_one_epoch"](
                    model=model, loader=loader, loss_fn=loss_fn, optimizer=optimizer,
                    device=device)
            else:
                outcome["returned"] = ns["train_one_epoch"](model, loader, loss_fn, optimizer,
                                                            device)
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["graphs_alive"] = max(counts, default=0)
    tampered = watch.findings(grown=("graphs_alive", "inner_grad"))
    if loss_fn.graphs_alive != outcome["graphs_alive"]:
        tampered.append("the scenario's loss.graphs_alive was rewritten")
    outcome["_findings"] = [*harness.hooks_findings(model, handles), *log.findings, *tampered]
    for handle in handles:
        handle.remove()
    outcome.update(state=harness.state_of(model), training_after=model.training, events=log.events,
                   loss_calls=log.loss_calls, forward=log.forward,
                   layer_inputs=log.layer_inputs, layer_calls=log.layer_calls,
                   backward_calls=log.backward_calls,
                   loss_values=list(loss_fn.values))
    return outcome


STALE_GRAD = 0.5  # each parameter's gradient left from before, where a run asks for one


def _plain_objects(params: dict[str, Any]) -> tuple[nn.Module, Any]:
    """The probe model in the given state and mode, and a plain loader over the given data:
    torch's own objects, with nothing of the grader's on them."""
    model = probes.build(str(params["arch"]))
    model.load_state_dict(params["state"])
    model.train(bool(params.get("start_train", True)))
    return model, torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(params["x"], params["y"]),
        batch_size=int(params["batch_size"]), collate_fn=harness.collate)


@scenario("train_one_epoch_plain", function="train_one_epoch")
def scenario_train_one_epoch_plain(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """An epoch with plain objects: torch's own model layers with no hook, a plain
    `nn.CrossEntropyLoss`, `DataLoader` and optimizer — nothing of the grader's for the loop
    to tell apart (red team 41's loop was right only when its loss had a `.log` or its model
    hooks: +4). The optimizer is torch's averaged SGD, which is no `torch.optim.SGD` (red
    team 44's loop zeroed the gradients for SGD alone, the only optimizer the other runs
    give). The parameters it leaves are compared with the epoch the watched run matched
    (`training.make_optimizer("asgd", ...)` judge-side). `stale_grads`: the parameters come
    with gradients left from before (mistakes review 39: a loop zeroing after step() alone
    stepped on them at its first batch)."""
    model, loader = _plain_objects(params)
    if params.get("stale_grads"):  # (gradients left from before: the first batch zeroes them)
        for parameter in model.parameters():
            parameter.grad = torch.full_like(parameter, STALE_GRAD)
    optimizer = torch.optim.ASGD(model.parameters(), lr=float(params["lr"]))
    outcome: dict[str, Any] = {"error": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        with harness.device_context({"device": "cpu"}):
            ns["train_one_epoch"](model, loader, nn.CrossEntropyLoss(), optimizer,
                                  torch.device("cpu"))
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["state"] = harness.state_of(model)
    return outcome


@scenario("called_again", function="train_one_epoch")
def scenario_called_again(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The loop (`params["function"]`: train_one_epoch or evaluate) called `calls` times (3)
    on one model, the other mode set before each later call, as fit alternates them: what the
    later calls did, watched as each check's own run is (their forward passes and modes,
    events, what the loss got, the graphs they kept, the state they left; what the last
    returned and its losses), and what the first returned (an outside red team's loops were
    wrong from their third call on a model when two were asked). Each check's own run calls
    it once, on a fresh model: red team 39's loops set the mode only the first time they met
    a model, and an outside red team's of this stop were right on their first call on a model
    only (no zero_grad, a softmax before the loss, a graph kept, no no_grad, from the second
    call on)."""
    function = str(params["function"])
    with _emulated_gpu(params):
        model, device, log = harness.setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params.get("lr", 0.1)),
                                momentum=float(params.get("momentum", 0.0)))
    handles = harness.instrument(model, optimizer, log)
    loader = harness.loader(params["x"], params["y"], int(params["batch_size"]))
    outcome: dict[str, Any] = {"error": None, "forward": [], "events": []}
    training = function != "evaluate"
    loss_fn: harness.InstrumentedLoss = GraphWatchLoss(log) if training \
        else harness.InstrumentedLoss(log)
    if isinstance(loss_fn, GraphWatchLoss):
        handles.append(harness.output_layer(model).register_forward_hook(loss_fn.watch_output))
    watch = harness.Unchanged(loss=loss_fn, log=log)
    seed_rngs(int(params.get("seed", 0)))

    def run() -> Any:
        with harness.device_context(params), _emulated_gpu(params):
            if not training:
                return ns["evaluate"](model, loader, loss_fn, device)
            with harness.BackwardRecorder(model, log):
                return ns["train_one_epoch"](model, loader, loss_fn, optimizer, device)

    try:
        outcome["first_returned"] = run()
        marks = (len(log.forward), len(log.events), len(log.loss_calls),
                 len(log.counts))
        last = 0
        buffers = _optimizer_buffers(optimizer)
        for _ in range(max(1, min(int(params.get("calls", 3)), 4)) - 1):  # (the later calls)
            model.train(not training)  # (the mode the other loop leaves)
            last = len(getattr(loss_fn, "values", ()))
            outcome["returned"] = run()
            now = _optimizer_buffers(optimizer)
            # (a step updates its state in place: another object is state made afresh, as
            # a loop that clears `optimizer.state` at its start makes it — red team 91)
            if any(now.get(key) != kept for key, kept in buffers.items()):
                outcome["state_reset"] = True
            buffers = now
        outcome.update(forward=log.forward[marks[0]:], events=log.events[marks[1]:],
                       loss_calls=log.loss_calls[marks[2]:])
        if isinstance(loss_fn, GraphWatchLoss):
            outcome.update(graphs_alive=max(log.counts[marks[3]:], default=0),
                           loss_values=list(loss_fn.values[last:]))  # (the last call's)
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["grad_enabled_after"] = torch.is_grad_enabled()
    outcome["_findings"] = [*harness.hooks_findings(model, handles), *log.findings,
                            *watch.findings(grown=("graphs_alive", "inner_grad"))]
    for handle in handles:
        handle.remove()
    outcome.update(state=harness.state_of(model), inner_grad=log.inner_grad,
                   grads_present=not training and harness.grads_present(model))
    return outcome


@scenario("evaluate")
def scenario_evaluate(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    with _emulated_gpu(params):
        model, device, log = harness.setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    handles = harness.instrument(model, optimizer, log)
    loader = harness.loader(params["x"], params["y"], int(params["batch_size"]))
    outcome: dict[str, Any] = {"error": None, "returned": None}
    loss_fn = harness.InstrumentedLoss(log)
    if params.get("label_smoothing"):
        loss_fn.inner = nn.CrossEntropyLoss(label_smoothing=float(params["label_smoothing"]))
    loss_fn.reveal = float(params.get("reveal_grad", 0.0))  # (see InstrumentedLoss)
    watch = harness.Unchanged(loss=loss_fn, log=log)
    thawed = [p for p in nn.Module.parameters(model) if p.requires_grad]
    seed_rngs(int(params.get("seed", 0)))
    try:
        with harness.device_context(params), _emulated_gpu(params):
            if params.get("by_name"):  # (its arguments by name, as a caller — fit — may)
                outcome["returned"] = ns["evaluate"](model=model, loader=loader,
                                                     loss_fn=loss_fn, device=device)
            else:
                outcome["returned"] = ns["evaluate"](model, loader, loss_fn, device)
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    # (gradients on at the start, as every request starts: still on, or switched off for good)
    outcome["grad_enabled_after"] = torch.is_grad_enabled()
    # (the parameters that required gradients before and do not now: frozen by evaluate)
    outcome["frozen_after"] = sum(1 for p in thawed if not p.requires_grad)
    outcome["_findings"] = [*harness.hooks_findings(model, handles), *log.findings,
                            *watch.findings(grown=("inner_grad",))]
    for handle in handles:
        handle.remove()
    outcome.update(state=harness.state_of(model), training_after=model.training, events=log.events,
                   loss_calls=log.loss_calls, forward=log.forward, inner_grad=log.inner_grad,
                   layer_inputs=log.layer_inputs, layer_calls=log.layer_calls,
                   grads_present=harness.grads_present(model))
    return outcome


@scenario("evaluate_plain", function="evaluate")
def scenario_evaluate_plain(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """`evaluate` with plain objects: torch's own model layers with no hook, a plain
    `nn.CrossEntropyLoss` and `DataLoader`, the CPU — nothing of the grader's for it to tell
    apart (red team 48's evaluate was right only when the model had hooks or the loss was
    not torch's: +6). The judge compares its figures and the state it leaves with the
    watched run's reference."""
    model, loader = _plain_objects(params)
    outcome: dict[str, Any] = {"error": None, "returned": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        with harness.device_context({"device": "cpu"}):
            returned = ns["evaluate"](model, loader, nn.CrossEntropyLoss(),
                                      torch.device("cpu"))
        if isinstance(returned, dict):  # (its two figures as numbers, nothing else)
            # (a numpy number too: an evaluate built on an accuracy() returning numpy.float32
            # returns one, the accuracy's mistake, charged there: fresh eyes 58)
            outcome["returned"] = {key: float(value) for key, value in returned.items()
                                   if key in ("loss", "accuracy")
                                   and isinstance(value, (int, float, torch.Tensor, numpy.number))
                                   and getattr(value, "numel", lambda: 1)() == 1}
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    outcome["state"] = harness.state_of(model)
    return outcome


def _wraps(got: Any, model: Any) -> bool:
    """`got` is a module whose parameters are exactly the model's own (the same tensors, in
    order): the model itself behind a wrapper — `torch.compile(model)` (fresh eyes 19: told
    it trained a model of its own), `nn.DataParallel` — that trains what the caller gave."""
    if not isinstance(got, nn.Module) or not issubclass(type(got), nn.Module):
        return False
    try:
        mine = list(nn.Module.parameters(model))
        theirs = list(nn.Module.parameters(got))
    except Exception:
        return False
    return bool(mine) and len(mine) == len(theirs) and all(
        a is b for a, b in zip(mine, theirs, strict=True))


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
    # Loaders as fit gets them (a list of batches told the check from a real run: red team
    # 37's fit trained only when handed lists), of sizes that follow the judge's draw
    train_loader, val_loader = (_loader(5 + int(base * 4) % 7) for base in (train_base, eval_base))
    counters = {"train": 0, "eval": 0}
    model = probes.build("mlp")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    device = torch.device(str(params.get("device", "cpu")))
    calls: list[str] = []  # "train" / "eval", in order
    loaders: list[str] = []  # each call's loader: "train:own", "eval:other", ...
    foreign: list[str] = []  # the arguments a stand-in got that fit was not given
    # The model each stand-in was handed, as the one before left it: a fit that re-initialises
    # the parameters between epochs (or before the first) trains from scratch every epoch,
    # and its history of stand-in figures would still be right (mistakes review 27).
    left = [_weights(model)]  # (the caller's model, then each training stand-in's result)
    moved: list[str] = []  # "train N" / "eval N": a stand-in handed other weights than left
    # what an epoch was trained under that fit was not given: "grad_off", "frozen" (parameters
    # set not to require grad), "settings" (the optimizer's), "state" (the optimizer's cleared)
    unfit: list[str] = []
    blind = [False]  # the weights moved where they hold no data (`_weights`): `moved` saw less
    settings = _settings(optimizer)
    first = optimizer.param_groups[0]["params"][0]  # (whose state the stand-in keeps)
    # the buffer the last training stand-in left there; the first, as an optimizer that has
    # trained before holds one (red team 92's fit cleared the state once, before its loop)
    marker: list[torch.Tensor] = [torch.zeros(1)]
    vars(optimizer)["state"][first] = {"momentum_buffer": marker[0]}

    def given(args: tuple[Any, ...], kwargs: dict[str, Any], names: tuple[str, ...]) -> None:
        expected = {"model": model, "loss_fn": loss_fn, "optimizer": optimizer,
                    "device": device}
        # Bound as the real function would bind them: a missing or extra argument raises
        # the TypeError the student's own function would have raised.
        parameters = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                      for n in ("model", "loader", *names)]
        values = inspect.Signature(parameters).bind(*args, **kwargs).arguments
        for name in ("model", *names):
            got, want = values[name], expected[name]
            same = (got == want or str(got) == str(want)) if name == "device" else (
                got is want or (name == "model" and _wraps(got, want)))
            if not same and name not in foreign:
                foreign.append(name)

    def kept(what: str) -> None:
        now = _weights(model)
        if now is None:  # (moved to a device that holds no data: nothing seen from here on)
            blind[0] = True
        if now is not None and left[0] is not None and now != left[0]:
            moved.append(f"{what} {counters['train']}")

    def train_stub(*args: Any, **kwargs: Any) -> float:
        counters["train"] += 1
        calls.append("train")
        given(args, kwargs, ("loss_fn", "optimizer", "device"))
        kept("train")
        # What an epoch is trained under: gradients on, the optimizer's settings as given (red
        # team 91: a fit training under no_grad, or with a rate of its own, matched the
        # stand-ins' history, and the real run never ran)
        if not torch.is_grad_enabled():
            unfit.append("grad_off")
        if not all(p.requires_grad for p in nn.Module.parameters(model)):
            unfit.append("frozen")  # (red team 92: `model.requires_grad_(False)` in fit)
        if _settings(optimizer) != settings:  # (the rate, and every other: weight decay, ...)
            unfit.append("settings")
        # ... and its state as the epoch before left it (the stand-in leaves a buffer there,
        # as a step with momentum would: red team 91's fit cleared `optimizer.state` every
        # epoch)
        state = vars(optimizer).get("state")
        if marker and (not isinstance(state, dict) or not isinstance(state.get(first), dict)
                       or state[first].get("momentum_buffer") is not marker[0]):
            unfit.append("state")
        if isinstance(state, dict):
            marker[:] = [torch.zeros(1)]
            state.setdefault(first, {})["momentum_buffer"] = marker[0]
        with torch.no_grad():  # (an epoch's training: the weights move, by a known step)
            for weight in nn.Module.parameters(model):
                if weight.device.type != "meta":
                    weight.add_(1 / 64)
        left[0] = _weights(model)
        loader = args[1] if len(args) > 1 else kwargs.get("loader")
        loaders.append("train:" + ("own" if loader is train_loader else "other"))
        return train_base + counters["train"] / 8 if loader is train_loader else -1.0

    def evaluate_stub(*args: Any, **kwargs: Any) -> dict[str, float]:
        # Its figures depend on how many epochs were trained before it: evaluating before
        # training (one epoch behind) shows in the history.
        counters["eval"] += 1
        calls.append("eval")
        given(args, kwargs, ("loss_fn", "device"))
        kept("eval")
        loader = args[1] if len(args) > 1 else kwargs.get("loader")
        loaders.append("eval:" + ("own" if loader is val_loader else "other"))
        if loader is not val_loader:
            return {"loss": -1.0, "accuracy": -1.0}
        return {"loss": eval_base + counters["train"] / 16, "accuracy": counters["train"] / 32}

    saved = {name: ns.get(name) for name in ("train_one_epoch", "evaluate")}
    ns["train_one_epoch"], ns["evaluate"] = train_stub, evaluate_stub
    outcome: dict[str, Any] = {"error": None, "returned": None}
    try:
        outcome["returned"] = ns["fit"](model, train_loader, val_loader, loss_fn,
                                        optimizer, int(params["epochs"]), device)
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    finally:
        ns.update(saved)
    outcome.update(calls=calls, foreign=foreign, moved=moved, loaders=loaders, unfit=unfit,
                   blind=blind[0])
    return outcome


def _settings(optimizer: torch.optim.Optimizer) -> list[dict[str, Any]]:
    """Each parameter group's settings (its learning rate, momentum, weight decay, ...; not
    the `initial_lr` a scheduler notes when it is made, which changes nothing by itself)."""
    return [{key: value for key, value in group.items() if key not in ("params", "initial_lr")}
            for group in optimizer.param_groups]


def _optimizer_buffers(optimizer: torch.optim.Optimizer) -> dict[tuple[int, str], int]:
    """The identity of each tensor of the optimizer's state (a momentum buffer, ...), by its
    parameter's position and name: read from the optimizer's own dicts, nothing of its run."""
    found: dict[tuple[int, str], int] = {}
    state = vars(optimizer).get("state")
    if not isinstance(state, dict):
        return found
    groups = vars(optimizer).get("param_groups") or []
    params = [p for group in groups if isinstance(group, dict) for p in group.get("params", [])]
    for index, param in enumerate(params):
        entry = state.get(param) if isinstance(param, torch.Tensor) else None
        if isinstance(entry, dict):
            found.update({(index, str(name)): id(value) for name, value in entry.items()
                          if isinstance(value, torch.Tensor)})
    return found


def _loader(n: int) -> torch.utils.data.DataLoader[Any]:
    dataset = torch.utils.data.TensorDataset(torch.randn(n, probes.IN_FEATURES),
                                             torch.randint(0, probes.NUM_CLASSES, (n,)))
    return torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True,
                                       collate_fn=harness.collate)


def _weights(model: nn.Module) -> tuple[float, ...] | None:
    """The model's parameters in a few exact numbers (None where they hold no data: a fit
    that moved the model to the emulated device)."""
    sums: list[float] = []
    for weight in nn.Module.parameters(model):
        if weight.device.type == "meta":
            return None
        values = weight.detach().double()
        sums += [float(values.sum()), float((values * values).sum())]
    return tuple(sums)


@scenario("fit")
def scenario_fit(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    model, device, log = harness.setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]))
    # The mode of every forward pass, and which of them trained (a backward follows before
    # the next forward): a fit that calls model.train() once, before the epoch loop, trains
    # its later epochs in the eval mode evaluate() left.
    handles = harness.instrument(model, optimizer, log)
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
    outcome["_findings"] = [*harness.hooks_findings(model, handles), *log.findings]
    for handle in handles:
        handle.remove()
    outcome["state"] = harness.state_of(model)
    outcome.update(events=log.events, forward=log.forward)
    return outcome


@scenario("build_classifier")
def scenario_build_classifier(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    seed_rngs(int(params.get("seed", 0)))
    model = ns["build_classifier"](*params["args"])
    outcome: dict[str, Any] = {"is_module": isinstance(model, nn.Module)}
    if not isinstance(model, nn.Module):
        return outcome
    # A second model of the same sizes is another model, with parameters of its own (mistakes
    # review 33's build_classifier behind functools.lru_cache gave the one already trained)
    again = ns["build_classifier"](*params["args"])
    mine = {id(p) for p in nn.Module.parameters(model)}
    outcome["fresh"] = again is not model and (not isinstance(again, nn.Module) or mine.isdisjoint(
        id(p) for p in nn.Module.parameters(again)))
    outcome["params"] = [[name, p.detach().clone()] for name, p in model.named_parameters()]
    # (a parameter left out of training: red team 99's first layer frozen kept every point)
    outcome["frozen"] = [name for name, p in model.named_parameters() if not p.requires_grad]
    outcome["leaf_types"] = [type(m).__name__ for m in model.modules()
                             if not list(m.children())]
    # A model that is built but raises when it runs (layers of the wrong widths) is the
    # architecture check's to charge, once, its layers judged first (fresh eyes of stop 50:
    # one crash cost both build_classifier checks)
    outcome["forward_error"] = None
    try:
        model.eval()
        with torch.no_grad():
            outcome["logits"] = model(params["x"])
        # and as training runs it (an outside red team's model ended with a softmax in train
        # mode only): Linear → ReLU → Linear gives the same outputs in both modes
        model.train()
        with torch.enable_grad():
            outcome["logits_train"] = model(params["x"]).detach()
        # ... and on inputs of other sizes, in both modes, after those two calls (red team
        # 31's model ended with a softmax unless the batch had the probe's 9 rows, or from
        # its third call on): one model, whatever input it is given and however often
        outcome["more"] = []
        for x in params.get("more", []):
            model.eval()
            with torch.no_grad():
                evaluated = model(x)
            model.train()
            with torch.enable_grad():
                outcome["more"].append([evaluated, model(x).detach()])
    except Exception as exc:
        outcome["forward_error"] = harness.error_info(exc)
    return outcome


class _DeviceOrdinals(type):
    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, _TORCH_DEVICE)


_TORCH_DEVICE = torch.device


class _Device(metaclass=_DeviceOrdinals):
    """`torch.device` while CUDA is emulated for get_device: an index alone names the GPU,
    as on a machine that has one (`torch.device(torch.cuda.current_device())` is cuda:0
    there; this CPU build refuses an index without an accelerator). What it makes is a real
    `torch.device`."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        if len(args) == 1 and not kwargs and type(args[0]) is int:
            return _TORCH_DEVICE("cuda", args[0])
        return _TORCH_DEVICE(*args, **kwargs)


# What this CPU build says where a GPU machine answers: of `torch.device(0)` (an index alone
# names the accelerator), and of a tensor made on "cuda"
_NO_GPU_HERE = ("Cannot access accelerator device when none is available",
                "Torch not compiled with CUDA enabled")


@contextlib.contextmanager
def _as_a_gpu_machine_has_it() -> Any:
    """get_device on a machine with a GPU, as far as emulation reaches: an index alone names
    the GPU (`_Device`), and a tensor made on "cuda" is made on the emulated GPU
    (`devices.running`). Fresh eyes of stop 50's `torch.device(torch.cuda.current_device())`
    and `torch.empty(0, device="cuda").device`, right on a GPU, raised here. Only for a
    function that met this build's refusal: rebinding `torch.device` changes the torch
    module's namespace, which every later integrity check of the worker then compares in
    full instead of reading its version (`integrity.Unchanged`)."""
    torch.device = _Device  # type: ignore[misc]
    try:
        with devices.running(False):
            yield
    finally:
        torch.device = _TORCH_DEVICE  # type: ignore[misc]


@contextlib.contextmanager
def _without_cuda() -> Any:
    """A machine without CUDA as many are: Apple's MPS backend says it is available (mistakes
    review 36: a get_device asking for MPS first kept its points — the spec's device is cuda
    when available, otherwise the CPU), and CUDA_VISIBLE_DEVICES is set, as a cluster's CPU
    node may have it (red team 44's get_device read the variable, never is_available())."""
    backend = torch.backends.mps
    saved = backend.is_available, backend.is_built
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")

    def yes() -> bool:
        return True

    backend.is_available = yes  # type: ignore[assignment]
    backend.is_built = yes  # type: ignore[assignment]
    os.environ["CUDA_VISIBLE_DEVICES"] = "0"
    try:
        yield
    finally:
        backend.is_available, backend.is_built = saved
        if visible is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = visible


@scenario("get_device")
def scenario_get_device(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = {}
    for label, available in (("with_cuda", True), ("without_cuda", False)):
        try:
            with harness.FakeCuda(available), \
                    (contextlib.nullcontext() if available else _without_cuda()):
                try:
                    value = ns["get_device"]()
                except (RuntimeError, AssertionError) as exc:
                    if not available or not any(said in str(exc) for said in _NO_GPU_HERE):
                        raise
                    with _as_a_gpu_machine_has_it():  # (asked again: see its docstring)
                        value = ns["get_device"]()
            # Told apart by the value's own type, never by a class name the notebook picks
            # (an outside red team's `class device(str)` passed as a torch.device).
            kind = ("device" if type(value) is torch.device
                    else "str" if isinstance(value, str) else type(value).__name__)
            outcome[label] = (torch.device.__str__(value) if kind == "device"
                              else str.__str__(value) if kind == "str" else None)
            outcome[label + "_type"] = kind if kind in ("device", "str") else "other"
            if outcome[label] is None:  # the value itself, for the judge to describe in words
                outcome[label + "_returned"] = value
        except Exception as exc:
            outcome[label + "_error"] = harness.error_info(exc)
    return outcome


# ---------------------------------------------------------------- one mistake, one cost
def _log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = logits - logits.amax(dim=dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def _softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    exps = (logits - logits.amax(dim=dim, keepdim=True).detach()).exp()
    return exps / exps.sum(dim=dim, keepdim=True)


#: The graded functions another graded function may call, as PyTorch's semantics define them
#: (with the lab's defaults; nothing of the reference solution), written from elementary
#: operations: the evidence worker of a no-library check has PyTorch's softmax routines
#: blocked for good (`session.evidence`), and cross_entropy's check runs this there.
LIBRARY_EQUIVALENTS: dict[str, Any] = {"log_softmax": _log_softmax, "softmax": _softmax}


def _reduced(loss: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _mse_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    return _reduced((pred - target) ** 2, reduction)


def _mae_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    return _reduced((pred - target).abs(), reduction)


#: Part A's: huber_loss may be built on the student's own elementwise mse_loss and mae_loss
REGRESSION_EQUIVALENTS: dict[str, Any] = {"mse_loss": _mse_loss, "mae_loss": _mae_loss}


@scenario("cross_entropy_with_library", function="cross_entropy")
def scenario_cross_entropy_with_library(ns: dict[str, Any], params: dict[str, Any],
                                        ) -> dict[str, Any]:
    """cross_entropy with the student's log_softmax and softmax replaced by PyTorch's, so a
    mistake in those helpers is charged to their own checks only: value, gradients (of the
    first argument), gradcheck and in-place edits, as a direct call reports them."""
    return _with_helpers_replaced(ns, params, "cross_entropy", LIBRARY_EQUIVALENTS)


@scenario("huber_with_library", function="huber_loss")
def scenario_huber_with_library(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """huber_loss with the student's mse_loss and mae_loss replaced by PyTorch's semantics,
    as `cross_entropy_with_library` does for cross_entropy's helpers (fresh eyes 54: a huber
    built on an mse_loss computed in float32 failed its own gradient check for it)."""
    return _with_helpers_replaced(ns, params, "huber_loss", REGRESSION_EQUIVALENTS)


def _with_helpers_replaced(ns: dict[str, Any], params: dict[str, Any], function: str,
                           equivalents: dict[str, Any]) -> dict[str, Any]:
    """`function` called as a direct call is, with the graded helpers it may call replaced by
    `equivalents` for the call: value, gradients, gradcheck, what ran and in-place edits."""
    args = list(params["args"])
    kwargs = dict(params.get("kwargs") or {})
    grad_args = [int(i) for i in params.get("grad_args") or []]
    for i in grad_args:
        args[i] = args[i].detach().clone().requires_grad_(True)
    before = [a.detach().clone() if isinstance(a, torch.Tensor) else None for a in args]
    saved = {name: ns.get(name) for name in equivalents if name in ns}
    outcome: dict[str, Any] = {"error": None, "value": None, "grads": None, "gradcheck": None}
    ns.update({name: equivalents[name] for name in saved})
    record = params.get("record") is not False  # what ran: only the no-library check asks
    # (the helpers put in the student's place are the grader's own code, which a block
    # refuses where the student's code reaches it on its own: `harness.LAB_WORKER`)
    recorded = harness.RecordedCall(params.get("block"), record, allow=tuple(
        helper.__code__ for helper in equivalents.values()))
    gpu = params.get("gpu") is True  # (its tensor arguments on the GPU: no gradients asked)
    try:
        if gpu:
            value = recorded(devices.call_on_gpu, ns[function], args, kwargs, devices.real_gpu())
            host, outcome["devices"] = devices.to_host(value)  # (where each tensor was)
            frozen = harness.plain_copy(host)
        else:
            value = recorded(ns[function], *args, **kwargs)
            frozen = recorded.plain  # (made under the block: harness.plain_copy; held here)
        if grad_args and not gpu:
            outcome["grads"] = harness.gradients(value, [args[i] for i in grad_args],
                                                 params.get("upstream"))
        if params.get("gradcheck") and not gpu:
            outcome["gradcheck"] = harness.run_gradcheck(ns[function], args, kwargs,
                                                         grad_args)
        harness.silence_hooks()
        harness.strip_modes()
        plain = harness.thaw(frozen)
        outcome["value"] = plain.detach() if type(plain) is torch.Tensor else plain
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    finally:
        ns.update(saved)
    outcome["called"] = recorded.names  # what ran (the no-library check)
    if not recorded.intact:  # evidence of calls voided, as for a direct call
        outcome["_findings"] = [("the grader's call recorders (or its library block) were "
                                 f"removed during {function}", "calls")]
    outcome["mutated"] = [i for i, (a, b) in enumerate(zip(args, before, strict=False))
                          if b is not None and isinstance(a, torch.Tensor)
                          and harness.tensor_changed(a, b)]
    return outcome


@scenario("family_with_library", function="softmax")
def scenario_family_with_library(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """softmax (or log_softmax) with the other member of the pair replaced by PyTorch's: a
    value that becomes right shows the function is built on its partner, so a mistake both
    show is the partner's (the direction the values alone cannot tell)."""
    function = str(params["function"])
    outcome: dict[str, Any] = {"error": None, "value": None}
    saved = {name: ns.get(name) for name in LIBRARY_EQUIVALENTS
             if name in ns and name != function}
    ns.update({name: LIBRARY_EQUIVALENTS[name] for name in saved})
    upstream = params.get("upstream")  # (asked: the gradient too, with this upstream)
    x = params["x"]
    if isinstance(upstream, torch.Tensor):
        x = x.detach().clone().requires_grad_(True)
    original = x.detach().clone()
    try:
        value = ns[function](x, dim=int(params["dim"]))
        # (whether it still edits its input with its partner PyTorch's: an edit that goes
        # with the partner is the partner's)
        outcome["mutated"] = harness.tensor_changed(x, original)
        if isinstance(upstream, torch.Tensor):
            outcome["grads"] = harness.gradients(value, [x], upstream)
        outcome["value"] = value.detach() if isinstance(value, torch.Tensor) else value
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    finally:
        ns.update(saved)
    return outcome


# ---------------------------------------------------------------- macro_f1 on correct helpers
def _counted_prf(preds: torch.Tensor, targets: torch.Tensor,
                 positive_class: int = 1) -> tuple[float, float, float]:
    """One-vs-rest precision, recall and F1 as sklearn defines them (0/0 is 0)."""
    predicted, actual = preds == positive_class, targets == positive_class
    tp = int((predicted & actual).sum())
    fp, fn = int((predicted & ~actual).sum()), int((~predicted & actual).sum())
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0,
            2 * tp / (2 * tp + fp + fn) if tp else 0.0)


def _counted_matrix(preds: torch.Tensor, targets: torch.Tensor,
                    num_classes: int) -> torch.Tensor:
    """Rows the true class, columns the predicted one (sklearn's layout), int64 counts."""
    index = targets.reshape(-1).long() * num_classes + preds.reshape(-1).long()
    return torch.bincount(index, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)


#: The metrics macro_f1 may be built on, as sklearn computes them (nothing of the reference).
METRIC_EQUIVALENTS: dict[str, Any] = {"precision_recall_f1": _counted_prf,
                                      "confusion_matrix": _counted_matrix}


@scenario("macro_with_library_helpers", function="macro_f1")
def scenario_macro_with_library_helpers(ns: dict[str, Any], params: dict[str, Any],
                                        ) -> dict[str, Any]:
    """macro_f1 with the student's precision_recall_f1 and confusion_matrix replaced by
    correct ones: right there, it is built on them and right itself, so a wrong value over
    the student's own is theirs to charge; still wrong, the mistake is macro_f1's own (fe14:
    a helper ignoring positive_class gives every class one F1, and any average of equal
    numbers is that number, so averaging over the classes present was excused)."""
    saved = {name: ns.get(name) for name in METRIC_EQUIVALENTS if name in ns}
    outcome: dict[str, Any] = {"error": None, "value": None}
    ns.update({name: METRIC_EQUIVALENTS[name] for name in saved})
    try:
        value = ns["macro_f1"](params["preds"], params["targets"], int(params["num_classes"]))
        outcome["value"] = float(value) if isinstance(value, (int, float, torch.Tensor)) \
            and getattr(value, "numel", lambda: 1)() == 1 else None
    except Exception as exc:
        outcome["error"] = harness.error_info(exc)
    finally:
        ns.update(saved)
    return outcome


# ---------------------------------------------------------------- gradients off
#: The graded functions a caller also runs with gradients off (evaluate's loss under
#: torch.no_grad(), a softmax for a prediction): each has a scenario `<name>_without_gradients`.
WITHOUT_GRADIENTS = ("mse_loss", "mae_loss", "huber_loss", "softmax", "log_softmax",
                     "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits")


def _own_copy(value: Any) -> Any:
    return value.clone() if isinstance(value, torch.Tensor) else value


def _without_gradients(function: str) -> Any:
    def run(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Each of the calls in `params["calls"]`, with gradients on, then under
        `torch.no_grad()` (as evaluate calls a loss), each on copies of its own: outside red
        team 95's cross_entropy applied softmax and its mse_loss a square root only where
        gradients were off — right in every graded call, wrong on every validation loss; red
        team 101's edited its input, or switched to log(softmax) at ±1e4, only there. The
        judge compares the two values, and whether either call changed its inputs (one
        request: what either call raised, the other's value)."""
        return {"calls": [_on_and_off(ns, function, call, int(params.get("seed", 0)))
                          for call in params.get("calls", [])]}
    run.__name__ = f"scenario_{function}_without_gradients"
    return run


def _on_and_off(ns: dict[str, Any], function: str, call: dict[str, Any],
                seed: int) -> dict[str, Any]:
    kwargs = dict(call.get("kwargs", {}))
    outcome: dict[str, Any] = {}
    for label, mode in (("on", torch.enable_grad), ("off", torch.no_grad)):
        seed_rngs(seed)
        args = [_own_copy(a) for a in call["args"]]
        given = {k: _own_copy(v) for k, v in kwargs.items()}
        try:
            with mode():
                value = ns[function](*args, **given)
            outcome[label] = value.detach() if type(value) is torch.Tensor else value
        except Exception as exc:
            outcome[label + "_error"] = harness.error_info(exc)
        outcome[label + "_mutated"] = any(
            harness.tensor_changed(now, before)
            for now, before in [*zip(args, call["args"], strict=True),
                                *((given[k], v) for k, v in kwargs.items())]
            if isinstance(before, torch.Tensor))
    return outcome


for _function in WITHOUT_GRADIENTS:
    scenario(f"{_function}_without_gradients", function=_function)(_without_gradients(_function))
