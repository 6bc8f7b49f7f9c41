"""Lab 5's generated correct variants: which function gets which transform, and the probes
that prove each variant is still the reference function before selftest grades it.

Why here: the generator (`autograder.selftest.variants`) knows no lab; which rewrites are
safe for which function is the lab's knowledge (`evaluate` may take `no_grad` as a
decorator of the whole function because `model.eval()` does not care about grad mode;
`zero_grad(set_to_none=...)` either way trains the same), and so are the inputs that
exercise each function: values and gradients for Parts A–B, the metrics on random labels,
a tiny training step for Part D.
"""

from __future__ import annotations

from typing import Any

import torch

from autograder.selftest.variants import VariantSpec
from lab05_checks.test_part_c_metrics import BINARY_EDGES, MACRO_EDGES

# Words a text-matching check would trip on: they go into docstrings and comments.
WORDS = (
    "F.cross_entropy", "nn.CrossEntropyLoss", "F.nll_loss", "nll_loss", "torch.softmax",
    "F.log_softmax", "torch.logsumexp", "F.mse_loss", "F.l1_loss", "F.huber_loss",
    "F.binary_cross_entropy", "F.binary_cross_entropy_with_logits", "sklearn.metrics",
    "torch.no_grad()", "torch.inference_mode()", "cuda", "x.cuda()", ".to('cuda')",
    "torch.device('cuda')", "non_blocking=True", ".detach()", ".item()", ".numpy()",
    "model.train()", "model.eval()", "optimizer.zero_grad()", "loss.backward()",
    "optimizer.step()", "softmax", "argmax", "confusion_matrix", "accuracy_score",
)

LOSS = ("rename-locals", "alias-parameters", "extract-helper", "inline-helper", "docstring",
        "comments", "methods-functions", "operators-functions", "square-product", "reorder",
        "ifexp-if", "nested-function")
METRIC = ("rename-locals", "alias-parameters", "extract-helper", "inline-helper", "docstring",
          "comments", "methods-functions", "comprehension-loop", "sum-loop", "reorder",
          "ifexp-if", "nested-function", "split-tuple")
TRAINING = ("add-keyword", "split-tuple", "reorder", "expand-augmented", "nested-function",
            "rename-locals", "alias-parameters", "extract-helper", "docstring", "comments",
            "methods-functions", "inline-helper")
EVALUATE = ("swap-context", "context-decorated-inner", "context-function-decorator", *TRAINING)

FUNCTIONS: dict[str, tuple[str, ...]] = {
    "mse_loss": LOSS, "mae_loss": LOSS, "huber_loss": LOSS,
    "softmax": LOSS, "log_softmax": LOSS, "cross_entropy": LOSS,
    "binary_cross_entropy": LOSS, "binary_cross_entropy_with_logits": LOSS,
    "_reduce": LOSS,
    "accuracy": METRIC, "confusion_matrix": METRIC, "precision_recall_f1": METRIC,
    "macro_f1": METRIC,
    "get_device": ("docstring", "comments", "extract-helper", "nested-function", "ifexp-if"),
    "build_classifier": ("docstring", "comments", "extract-helper", "alias-parameters",
                         "nested-function"),
    "train_one_epoch": TRAINING, "evaluate": EVALUATE, "fit": TRAINING,
}


# ---------------------------------------------------------------- probes
def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _with_grads(fn: Any, *inputs: torch.Tensor, **kwargs: Any) -> tuple[Any, ...]:
    """The output and the gradients of a random weighting of it w.r.t. every input."""
    leaves = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
    out = fn(*leaves, **kwargs)
    weights = torch.rand(out.shape, generator=_generator(7), dtype=out.dtype)
    (out * weights).sum().backward()
    return out.detach(), [x.grad for x in leaves if x.requires_grad]


def _regression(name: str) -> Any:
    def probe(ns: dict[str, Any]) -> Any:
        g = _generator(1)
        pred, target = torch.randn(5, 3, generator=g) * 2, torch.randn(5, 3, generator=g) * 2
        # per reduction (output, gradients), then what each invalid call raised
        results: list[tuple[Any, ...] | str] = [
            _with_grads(ns[name], pred, target, reduction=r) for r in ("mean", "sum", "none")]
        for bad in (lambda: ns[name](pred, target[:, :2]), lambda: ns[name](pred, target, reduction="max")):
            try:
                bad()
                results.append("no error")
            except ValueError:
                results.append("ValueError")
        return results
    return probe


def _huber_delta(ns: dict[str, Any]) -> Any:
    g = _generator(2)
    pred, target = torch.randn(8, generator=g) * 3, torch.randn(8, generator=g)
    return [_with_grads(ns["huber_loss"], pred, target, delta=d) for d in (0.5, 2.0)]


def _softmaxes(ns: dict[str, Any]) -> Any:
    g = _generator(3)
    logits = torch.randn(4, 5, generator=g) * 3
    large = torch.tensor([[1e4, -1e4, 0.0], [5.0, 5.0, -1e4]])
    return [_with_grads(ns[name], x, dim=d) for name in ("softmax", "log_softmax")
            for x in (logits, large) for d in (0, 1, -1)]


def _classification(ns: dict[str, Any]) -> Any:
    g = _generator(4)
    logits = torch.randn(6, 4, generator=g) * 4
    targets = torch.randint(0, 4, (6,), generator=g)
    results: list[Any] = [_with_grads(ns["cross_entropy"], logits, targets, reduction=r)
                          for r in ("mean", "sum", "none")]
    results.append(_with_grads(ns["cross_entropy"], logits * 1e4, targets))
    probs = torch.rand(7, generator=g) * 0.98 + 0.01
    labels = (torch.rand(7, generator=g) > 0.5).float()
    results += [_with_grads(ns["binary_cross_entropy"], probs, labels, reduction=r)
                for r in ("mean", "sum", "none")]
    raw = torch.randn(7, generator=g) * 5
    for weight in (None, torch.tensor(2.5)):
        results += [_with_grads(ns["binary_cross_entropy_with_logits"], raw, labels,
                                pos_weight=weight, reduction=r) for r in ("mean", "none")]
    return results


def _defaults(ns: dict[str, Any]) -> Any:
    """Every default of the signatures: a reduction, delta, dim or positive_class left out."""
    g = _generator(11)
    pred, target = torch.randn(4, 3, generator=g) * 2, torch.randn(4, 3, generator=g) * 2
    results: list[Any] = [_with_grads(ns[name], pred, target)
                          for name in ("mse_loss", "mae_loss", "huber_loss")]
    for x in (torch.randn(5, generator=g) * 3, torch.randn(3, 4, generator=g) * 3):
        results += [_with_grads(ns[name], x) for name in ("softmax", "log_softmax")]
    logits, targets = torch.randn(5, 3, generator=g), torch.randint(0, 3, (5,), generator=g)
    results.append(_with_grads(ns["cross_entropy"], logits, targets))
    probs = torch.rand(6, generator=g) * 0.9 + 0.05
    labels = (torch.rand(6, generator=g) > 0.5).float()
    results += [_with_grads(ns["binary_cross_entropy"], probs, labels),
                _with_grads(ns["binary_cross_entropy_with_logits"], logits[:, 0], labels[:5])]
    return results


def _edges(ns: dict[str, Any]) -> Any:
    """The spec's edges: p of exactly 0 and 1, the kinks, ±1e4 logits, delta <= 0, a negative
    target, an unknown reduction for BCE and mismatched shapes for BCE with logits."""
    probs, labels = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    results: list[Any] = [_with_grads(ns["binary_cross_entropy"], probs, labels, reduction=r)
                          for r in ("none", "mean")]
    kink = torch.tensor([0.0, 1.0, -1.0, 0.5, 2.0])
    results += [_with_grads(ns["mae_loss"], kink, torch.zeros(5), reduction="none"),
                _with_grads(ns["huber_loss"], kink, torch.zeros(5), delta=1.0, reduction="none")]
    huge = torch.tensor([[1e4, -1e4], [-1e4, 1e4], [0.0, 1e4]])
    results += [_with_grads(ns["binary_cross_entropy_with_logits"], huge[:, 0], labels[:3]),
                _with_grads(ns["cross_entropy"], huge, torch.tensor([1, 1, 0]))]
    tiny = torch.tensor([1e-50, 1.0 - 1e-17, 0.5], dtype=torch.float64)  # logs past -100
    results.append(_with_grads(ns["binary_cross_entropy"], tiny,
                               torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)))
    results += [_with_grads(ns["cross_entropy"], huge[:1], torch.tensor([0]), reduction=r)
                for r in ("none", "mean")]  # a batch of one
    calls = [lambda: ns["huber_loss"](torch.randn(3), torch.randn(3), delta=0.0),
             lambda: ns["huber_loss"](torch.randn(3), torch.randn(3), delta=-1.0),
             lambda: ns["cross_entropy"](torch.zeros(3, 2), torch.tensor([0, -1, 1])),
             lambda: ns["binary_cross_entropy"](torch.rand(3), torch.rand(3), reduction="avg"),
             lambda: ns["binary_cross_entropy_with_logits"](torch.rand(5, 1), torch.rand(5)),
             lambda: ns["cross_entropy"](torch.zeros(3, 2), torch.tensor([[0], [1], [1]])),
             lambda: ns["mse_loss"](torch.rand(3), torch.rand(3), reduction="avg")]
    for call in calls:
        try:
            call()
            results.append("no error")
        except ValueError:
            results.append("ValueError")
    return results


def _on_cpu(seen: list[str]) -> Any:
    """A forward pre-hook that records where the inputs came, then runs the forward on the
    CPU, so that the labels' device is seen by the loss too."""
    def hook(_module: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor]:
        seen.append(f"inputs on {inputs[0].device}")
        return (torch.zeros(inputs[0].shape),)
    return hook


def _devices(ns: dict[str, Any]) -> Any:
    """Where the device argument goes: get_device with CUDA reported available, and one
    epoch / one evaluation asked to run on the "meta" device with a model on the CPU (the
    reference moves x and y there, so the model's forward fails; code that ignores the
    device argument runs on)."""
    results: list[Any] = []
    available = torch.cuda.is_available
    torch.cuda.is_available = lambda: True  # type: ignore[assignment]
    try:
        results.append(str(ns["get_device"]()))
    finally:
        torch.cuda.is_available = available  # type: ignore[assignment]
    meta, seen = torch.device("meta"), []

    def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        seen.append(f"labels on {y.device}")
        return torch.nn.functional.cross_entropy(logits, y)

    for name, args in (("train_one_epoch", lambda m: (m, _data(12), loss_fn,
                                                      torch.optim.SGD(m.parameters(), lr=0.1),
                                                      meta)),
                       ("evaluate", lambda m: (m, _data(13), loss_fn, meta))):
        model = _model(ns)
        model.register_forward_pre_hook(_on_cpu(seen))
        try:
            ns[name](*args(model))
            seen.append("no error")
        except Exception as exc:  # which step failed first is the behaviour compared
            seen.append(type(exc).__name__)
        results.append(list(seen))
        seen.clear()
    return results


def _errors(ns: dict[str, Any]) -> Any:
    logits, targets = torch.zeros(3, 2), torch.tensor([0, 1, 1])
    calls = [lambda: ns["cross_entropy"](logits, targets, reduction="avg"),
             lambda: ns["cross_entropy"](logits, torch.tensor([0, 2, 1])),
             lambda: ns["cross_entropy"](logits[0], targets),
             lambda: ns["binary_cross_entropy"](torch.rand(3), torch.rand(3, 1)),
             lambda: ns["binary_cross_entropy_with_logits"](torch.rand(3), torch.rand(3), None, "x"),
             lambda: ns["accuracy"](torch.zeros(0), torch.zeros(0)),
             lambda: ns["accuracy"](torch.zeros(2), torch.zeros(3))]
    # (precision_recall_f1 on labels of two shapes: the spec sets no error for it)
    out = []
    for call in calls:
        try:
            call()
            out.append("no error")
        except ValueError:
            out.append("ValueError")
    return out


def _metrics(ns: dict[str, Any]) -> Any:
    g = _generator(5)
    preds, targets = torch.randint(0, 4, (30,), generator=g), torch.randint(0, 4, (30,), generator=g)
    return [ns["accuracy"](preds, targets), ns["confusion_matrix"](preds, targets, 5),
            ns["precision_recall_f1"](preds, targets), ns["precision_recall_f1"](preds, targets, 3),
            ns["precision_recall_f1"](torch.zeros(4), torch.zeros(4)),
            ns["macro_f1"](preds, targets, 4), ns["macro_f1"](preds, targets, 6),
            # the edges of the counts the checks look at (a precision of exactly 1, TP = FP)
            *(ns["precision_recall_f1"](p, t) for p, t, _ in BINARY_EDGES),
            *(ns["macro_f1"](p, t, k) for p, t, k, _ in MACRO_EDGES)]


def _data(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = _generator(seed)
    return [(torch.randn(5, 4, generator=g), torch.randint(0, 3, (5,), generator=g))
            for _ in range(3)]


def _model(ns: dict[str, Any]) -> torch.nn.Module:
    torch.manual_seed(0)
    return ns["build_classifier"](4, 8, 3)


def _parameters(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _device_and_model(ns: dict[str, Any]) -> Any:
    model = _model(ns)
    return [ns["get_device"](), _parameters(model), model(torch.ones(2, 4)).detach(),
            [type(m).__name__ for m in model.modules()]]


def _training(ns: dict[str, Any]) -> Any:
    model = _model(ns)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    cpu = torch.device("cpu")
    loss_fn = torch.nn.functional.cross_entropy
    results: list[Any] = []
    torch.manual_seed(1)
    model.eval()  # train_one_epoch must switch it back
    results.append(ns["train_one_epoch"](model, _data(6), loss_fn, optimizer, cpu))
    results.append([model.training, _parameters(model)])
    results.append(ns["evaluate"](model, _data(7), loss_fn, cpu))
    results.append([model.training, _parameters(model),
                    [p.grad.clone() if p.grad is not None else None for p in model.parameters()]])
    history = ns["fit"](model, _data(8), _data(9), loss_fn, optimizer, 2, cpu)
    results += [history, _parameters(model)]
    return results


PROBES = {
    "regression_mse": _regression("mse_loss"), "regression_mae": _regression("mae_loss"),
    "regression_huber": _regression("huber_loss"), "huber_delta": _huber_delta,
    "softmax": _softmaxes, "classification": _classification, "errors": _errors,
    "metrics": _metrics, "device_and_model": _device_and_model, "training": _training,
    "defaults": _defaults, "edges": _edges, "devices": _devices,
}

VARIANTS = VariantSpec(
    functions=FUNCTIONS, probes=PROBES, count=11, words=WORDS,
    counts={"train_one_epoch": 16, "evaluate": 18, "fit": 14},
    keywords=(("zero_grad", "set_to_none", (True, False)),),
    contexts=(("torch.no_grad()", "torch.inference_mode()"),),
    aliases={"F": ("fn", "functional", "TF"), "nn": ("tnn", "torchnn")},
    seed=5,
)
