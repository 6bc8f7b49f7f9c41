"""Reference solutions for Lab 5 (Loss Functions & Metrics).

Hidden: never shipped to students and never readable by a grading worker. The
judge imports it to compute expected values and reference training runs.

Generated from solutions/lab05.ipynb by `python -m autograder assign`: edit the
notebook, not this file.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_same_shape(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f"pred has shape {tuple(pred.shape)} but target has shape {tuple(target.shape)}; "
            "reshape one of them so they match (e.g. pred.squeeze(-1))"
        )


def _reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


# ---------------------------------------------------------------- Part A
def mse_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    return _reduce((pred - target) ** 2, reduction)


def mae_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    return _reduce((pred - target).abs(), reduction)


def huber_loss(
    pred: torch.Tensor, target: torch.Tensor, delta: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta}")
    diff = pred - target
    abs_diff = diff.abs()
    quadratic = 0.5 * diff**2
    linear = delta * (abs_diff - 0.5 * delta)
    return _reduce(torch.where(abs_diff < delta, quadratic, linear), reduction)


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


# ---------------------------------------------------------------- Part B
def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    _check_reduction(reduction)
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError(
            f"expected logits (N, C) and targets (N,), got {tuple(logits.shape)} "
            f"and {tuple(targets.shape)}"
        )
    num_classes = logits.shape[1]
    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= num_classes):
        raise ValueError(f"targets must be class indices in [0, {num_classes})")
    log_probs = log_softmax(logits, dim=1)
    nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)
    return _reduce(nll, reduction)


def binary_cross_entropy(
    probs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    # log(0) is -inf and its slope infinite: a clamp alone gives the value -100 but a nan
    # gradient (0 * inf). Take the log of a safe value where p is 0 (or 1), then clamp.
    safe_p = torch.where(probs > 0, probs, 1.0)
    safe_q = torch.where(probs < 1, probs, 0.0)
    log_p = torch.clamp(torch.where(probs > 0, torch.log(safe_p), -100.0), min=-100)
    log_1mp = torch.clamp(torch.where(probs < 1, torch.log1p(-safe_q), -100.0), min=-100)
    return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)


def binary_cross_entropy_with_logits(
    logits: torch.Tensor,
    targets: torch.Tensor,
    pos_weight: torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    # -log(sigmoid(x)) = softplus(-x), computed without overflow for |x| up to 1e4.
    neg_log_sigmoid = -F.logsigmoid(logits)
    weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1
    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)


# ---------------------------------------------------------------- Part C
def accuracy(preds: torch.Tensor, targets: torch.Tensor) -> float:
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    if preds.numel() == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return int((preds == targets).sum()) / preds.numel()


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    index = targets.long() * num_classes + preds.long()
    counts = torch.bincount(index.flatten(), minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _safe_ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def precision_recall_f1(
    preds: torch.Tensor, targets: torch.Tensor, positive_class: int = 1
) -> tuple[float, float, float]:
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    predicted_pos = preds == positive_class
    actual_pos = targets == positive_class
    tp = int((predicted_pos & actual_pos).sum())
    fp = int((predicted_pos & ~actual_pos).sum())
    fn = int((~predicted_pos & actual_pos).sum())
    precision = _safe_ratio(tp, tp + fp)
    recall = _safe_ratio(tp, tp + fn)
    f1 = _safe_ratio(2 * tp, 2 * tp + fp + fn)
    return precision, recall, f1


def macro_f1(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> float:
    matrix = confusion_matrix(preds, targets, num_classes)
    tp = matrix.diagonal()
    fp = matrix.sum(dim=0) - tp
    fn = matrix.sum(dim=1) - tp
    per_class = [_safe_ratio(int(2 * t), int(2 * t + p + n)) for t, p, n in zip(tp, fp, fn)]  # noqa: B905
    return sum(per_class) / num_classes


# ---------------------------------------------------------------- Part D
def get_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_classifier(in_features: int, hidden: int, num_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(in_features, hidden),
        nn.ReLU(),
        nn.Linear(hidden, num_classes),
    )


def train_one_epoch(model, loader, loss_fn, optimizer, device) -> float:
    model.train()
    total_loss, total_samples = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * x.shape[0]
        total_samples += x.shape[0]
    return total_loss / total_samples


def evaluate(model, loader, loss_fn, device) -> dict:
    model.eval()
    total_loss, correct, total_samples = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * x.shape[0]
            correct += int((logits.argmax(dim=1) == y).sum())
            total_samples += x.shape[0]
    return {"loss": total_loss / total_samples, "accuracy": correct / total_samples}


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device) -> dict:
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer, device))  # noqa: E501
        metrics = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(metrics["loss"])
        history["val_accuracy"].append(metrics["accuracy"])
    return history
