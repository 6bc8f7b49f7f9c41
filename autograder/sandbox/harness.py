"""In-worker scenario runners and instrumentation for the checks.

This code runs inside the untrusted worker, so a submission can tamper with
it. It therefore only *observes*: the judge scores on the outcomes it gets
back (returned values, parameters, buffers, gradients) and compares them with
its own reference run; the event logs recorded here only choose the wording
of feedback.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader, TensorDataset

from autograder.sandbox import probes
from autograder.sandbox.rng import seed_rngs

WATCHED_CALLS = frozenset({
    "cross_entropy", "nll_loss", "softmax", "log_softmax", "logsumexp", "mse_loss",
    "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "softmin", "kl_div",
})


class CallRecorder(TorchFunctionMode):
    """Notes library losses/softmaxes a student function calls, aliases included."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        name = getattr(func, "__name__", "")
        if name in WATCHED_CALLS and name not in self.names:
            self.names.append(name)
        return func(*args, **(kwargs or {}))


def gradients(value: Any, inputs: list[torch.Tensor], upstream: torch.Tensor | None) -> Any:
    if not isinstance(value, torch.Tensor):
        return {"problem": "not a tensor"}
    if not value.requires_grad:
        return {"problem": "detached"}
    grad_out = upstream if upstream is not None else torch.ones_like(value)
    try:
        grads = torch.autograd.grad(value, inputs, grad_outputs=grad_out.to(value.dtype)
                                    .reshape(value.shape), allow_unused=True)
    except Exception as exc:
        return {"problem": f"{type(exc).__name__}: {exc}"[:300]}
    return list(grads)


def run_gradcheck(fn: Any, args: list[Any], kwargs: dict[str, Any], grad_args: list[int]) -> Any:
    inputs = tuple(args[i].detach().clone().requires_grad_(True) for i in grad_args)

    def wrapped(*xs: torch.Tensor) -> Any:
        call_args = list(args)
        for i, x in zip(grad_args, xs, strict=False):
            call_args[i] = x
        return fn(*call_args, **kwargs)

    try:
        return bool(torch.autograd.gradcheck(wrapped, inputs, eps=1e-6, atol=1e-5,
                                             raise_exception=False))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


# ---------------------------------------------------------------- Part D
class _Log:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.loss_calls: list[dict[str, Any]] = []
        self.forward: list[dict[str, Any]] = []


class _InstrumentedLoss(nn.Module):
    def __init__(self, log: _Log) -> None:
        super().__init__()
        self.log = log
        self.inner = nn.CrossEntropyLoss()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        info: dict[str, Any] = {
            "logits_device": str(getattr(logits, "device", "?")),
            "targets_device": str(getattr(targets, "device", "?")),
            "probs": False,
        }
        if isinstance(logits, torch.Tensor) and logits.device.type != "meta" and logits.ndim == 2:
            detached = logits.detach()
            info["probs"] = bool(
                (detached >= 0).all() and torch.allclose(detached.sum(1),
                                                         torch.ones(1, dtype=detached.dtype),
                                                         atol=1e-4)
            )
        self.log.events.append("loss")
        self.log.loss_calls.append(info)
        return self.inner(logits, targets)


def _instrument(model: nn.Module, optimizer: torch.optim.Optimizer, log: _Log) -> list[Any]:
    handles: list[Any] = []

    def pre_forward(module: nn.Module, inputs: tuple[Any, ...]) -> None:
        x = inputs[0] if inputs else None
        log.events.append("forward")
        log.forward.append({
            "input_device": str(getattr(x, "device", "?")),
            "param_device": str(next(module.parameters()).device),
            "grad_enabled": torch.is_grad_enabled(),
            "training": module.training,
        })

    handles.append(model.register_forward_pre_hook(pre_forward))
    first = next(model.parameters())
    handles.append(first.register_post_accumulate_grad_hook(lambda p: log.events.append("backward")))
    original_zero, original_step = optimizer.zero_grad, optimizer.step

    def zero_grad(*args: Any, **kwargs: Any) -> Any:
        log.events.append("zero_grad")
        return original_zero(*args, **kwargs)

    def step(*args: Any, **kwargs: Any) -> Any:
        log.events.append("step")
        return original_step(*args, **kwargs)

    optimizer.zero_grad = zero_grad  # type: ignore[method-assign]
    optimizer.step = step  # type: ignore[method-assign]
    model_zero = model.zero_grad

    def model_zero_grad(*args: Any, **kwargs: Any) -> Any:
        log.events.append("zero_grad")
        return model_zero(*args, **kwargs)

    model.zero_grad = model_zero_grad  # type: ignore[method-assign]
    return handles


class _MetaFloats:
    """On the emulated device, reading a meta tensor as a number gives 0.

    Meta tensors carry shapes and devices but no data, so `loss.item()` or
    `int(correct)` would fail although the student's code is right.
    """

    NAMES = ("item", "__float__", "__int__", "tolist")

    def __enter__(self) -> None:
        self.saved = {name: getattr(torch.Tensor, name) for name in self.NAMES}
        for name, original in self.saved.items():
            zero: Any = 0 if name == "__int__" else 0.0

            def patched(t: torch.Tensor, *args: Any, _orig: Any = original,
                        _zero: Any = zero) -> Any:
                return _zero if t.device.type == "meta" else _orig(t, *args)

            setattr(torch.Tensor, name, patched)

    def __exit__(self, *exc: Any) -> None:
        for name, original in self.saved.items():
            setattr(torch.Tensor, name, original)


class _FakeCuda:
    def __init__(self, available: bool | None) -> None:
        self.available = available

    def __enter__(self) -> None:
        self.original = torch.cuda.is_available
        if self.available is not None:
            value = self.available
            torch.cuda.is_available = lambda: value  # type: ignore[assignment]

    def __exit__(self, *exc: Any) -> None:
        torch.cuda.is_available = self.original  # type: ignore[assignment]


class _CudaAsCpu:
    """Outside the device checks, a hard-coded "cuda" runs on the CPU.

    So that hard-coding the device costs the device check only, instead of
    crashing every training check on a machine without a GPU.
    """

    def __enter__(self) -> None:
        self.tensor_to, self.tensor_cuda = torch.Tensor.to, torch.Tensor.cuda
        self.module_to, self.module_cuda = nn.Module.to, nn.Module.cuda
        tensor_to, module_to = self.tensor_to, self.module_to

        def fix(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("cuda"):
                return "cpu"
            if isinstance(value, torch.device) and value.type == "cuda":
                return torch.device("cpu")
            return value

        def to_tensor(t: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            args = tuple(fix(a) for a in args)
            if "device" in kwargs:
                kwargs["device"] = fix(kwargs["device"])
            return tensor_to(t, *args, **kwargs)

        def to_module(m: nn.Module, *args: Any, **kwargs: Any) -> Any:
            args = tuple(fix(a) for a in args)
            if "device" in kwargs:
                kwargs["device"] = fix(kwargs["device"])
            return module_to(m, *args, **kwargs)

        torch.Tensor.to = to_tensor  # type: ignore[method-assign,assignment]
        torch.Tensor.cuda = lambda t, *a, **k: t  # type: ignore[method-assign,assignment]
        nn.Module.to = to_module  # type: ignore[method-assign,assignment]
        nn.Module.cuda = lambda m, *a, **k: m  # type: ignore[method-assign,assignment]

    def __exit__(self, *exc: Any) -> None:
        torch.Tensor.to = self.tensor_to  # type: ignore[method-assign]
        torch.Tensor.cuda = self.tensor_cuda  # type: ignore[method-assign]
        nn.Module.to = self.module_to  # type: ignore[method-assign]
        nn.Module.cuda = self.module_cuda  # type: ignore[method-assign]


def _error(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc)[:300]}


def _setup(params: dict[str, Any]) -> tuple[nn.Module, torch.device, _Log]:
    model = probes.build(params["arch"])
    model.load_state_dict(params["state"])
    device = torch.device(params.get("device", "cpu"))
    model.to(device)
    model.train(bool(params.get("start_train", True)))
    return model, device, _Log()


def _loader(x: torch.Tensor, y: torch.Tensor, batch_size: int) -> DataLoader:
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)


def _state(model: nn.Module) -> dict[str, torch.Tensor] | None:
    if next(model.parameters()).device.type == "meta":
        return None
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _context(params: dict[str, Any]) -> ExitStack:
    stack = ExitStack()
    stack.enter_context(_FakeCuda(params.get("fake_cuda")))
    if params.get("device") == "meta":
        stack.enter_context(_MetaFloats())
    elif params.get("device", "cpu") == "cpu":
        stack.enter_context(_CudaAsCpu())
    return stack


def scenario_train_one_epoch(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    model, device, log = _setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]))
    handles = _instrument(model, optimizer, log)
    loader = _loader(params["x"], params["y"], int(params["batch_size"]))
    outcome: dict[str, Any] = {"error": None, "returned": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        with _context(params):
            outcome["returned"] = ns["train_one_epoch"](model, loader, _InstrumentedLoss(log),
                                                        optimizer, device)
    except Exception as exc:
        outcome["error"] = _error(exc)
    for handle in handles:
        handle.remove()
    outcome.update(state=_state(model), training_after=model.training, events=log.events,
                   loss_calls=log.loss_calls, forward=log.forward)
    return outcome


def scenario_evaluate(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    model, device, log = _setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    handles = _instrument(model, optimizer, log)
    loader = _loader(params["x"], params["y"], int(params["batch_size"]))
    outcome: dict[str, Any] = {"error": None, "returned": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        with _context(params):
            outcome["returned"] = ns["evaluate"](model, loader, _InstrumentedLoss(log), device)
    except Exception as exc:
        outcome["error"] = _error(exc)
    for handle in handles:
        handle.remove()
    outcome.update(state=_state(model), training_after=model.training, events=log.events,
                   loss_calls=log.loss_calls, forward=log.forward,
                   grads_present=any(p.grad is not None for p in model.parameters()))
    return outcome


def scenario_fit_stubbed(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """`fit` with judge-scripted stand-ins for train_one_epoch/evaluate.

    The stand-ins answer differently when handed the wrong loader, so the
    returned history alone shows whether fit wired the epochs correctly.
    """
    train_loader, val_loader = [("train", 0)], [("val", 0)]
    counters = {"train": 0, "eval": 0}

    def train_stub(model: Any, loader: Any, *args: Any, **kwargs: Any) -> float:
        counters["train"] += 1
        return 1.0 + counters["train"] / 8 if loader is train_loader else -1.0

    def evaluate_stub(model: Any, loader: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
        counters["eval"] += 1
        if loader is not val_loader:
            return {"loss": -1.0, "accuracy": -1.0}
        return {"loss": 0.5 + counters["eval"] / 16, "accuracy": counters["eval"] / 32}

    saved = {name: ns.get(name) for name in ("train_one_epoch", "evaluate")}
    ns["train_one_epoch"], ns["evaluate"] = train_stub, evaluate_stub
    outcome: dict[str, Any] = {"error": None, "returned": None}
    try:
        model = probes.build("mlp")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        outcome["returned"] = ns["fit"](model, train_loader, val_loader, nn.CrossEntropyLoss(),
                                        optimizer, int(params["epochs"]), torch.device("cpu"))
    except Exception as exc:
        outcome["error"] = _error(exc)
    finally:
        ns.update(saved)
    return outcome


def scenario_fit(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    model, device, _log = _setup(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]))
    batch = int(params["batch_size"])
    outcome: dict[str, Any] = {"error": None, "returned": None}
    seed_rngs(int(params.get("seed", 0)))
    try:
        outcome["returned"] = ns["fit"](model, _loader(params["x"], params["y"], batch),
                                        _loader(params["vx"], params["vy"], batch),
                                        nn.CrossEntropyLoss(), optimizer, int(params["epochs"]),
                                        device)
    except Exception as exc:
        outcome["error"] = _error(exc)
    outcome["state"] = _state(model)
    return outcome


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


def scenario_get_device(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = {}
    for label, available in (("with_cuda", True), ("without_cuda", False)):
        try:
            with _FakeCuda(available):
                value = ns["get_device"]()
            outcome[label] = str(value) if isinstance(value, (torch.device, str)) else None
            outcome[label + "_type"] = type(value).__name__
        except Exception as exc:
            outcome[label + "_error"] = _error(exc)
    return outcome


SCENARIOS = {
    "train_one_epoch": scenario_train_one_epoch,
    "evaluate": scenario_evaluate,
    "fit_stubbed": scenario_fit_stubbed,
    "fit": scenario_fit,
    "build_classifier": scenario_build_classifier,
    "get_device": scenario_get_device,
}


def run_scenario(name: str, ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    function = "fit" if name.startswith("fit") else name
    if not callable(ns.get(function)):
        return {"missing": function}
    return SCENARIOS[name](ns, params)
