"""Small fixed models the judge and the worker both build for Part D scenarios.

Shared by both sides so that a state dict sent by the judge loads into the
same architecture in the worker. One linear layer is the fewest operations, for the
emulated device's runs (where tensors go does not depend on the layers). BatchNorm
makes train/eval mode observable in the outcome (batch statistics and running buffers);
Dropout makes a missing `eval()` visible in the evaluation loss.
"""

from __future__ import annotations

import torch
from torch import nn

IN_FEATURES = 6
HIDDEN = 12
NUM_CLASSES = 3


ARCHS = ("linear", "dropout_linear", "mlp", "bn_mlp", "bn_dropout_mlp")


def build(arch: str) -> nn.Module:
    if arch == "linear":  # the fewest operations: where tensors go, on an emulated device
        return nn.Sequential(nn.Linear(IN_FEATURES, NUM_CLASSES))
    if arch == "dropout_linear":  # (a layer of each mode-dependent kind a batch of one allows)
        return nn.Sequential(nn.Linear(IN_FEATURES, NUM_CLASSES), nn.Dropout(0.5))
    layers: list[nn.Module] = [nn.Linear(IN_FEATURES, HIDDEN)]
    if arch in ("bn_mlp", "bn_dropout_mlp"):
        layers.append(nn.BatchNorm1d(HIDDEN))
    layers.append(nn.ReLU())
    if arch == "bn_dropout_mlp":
        layers.append(nn.Dropout(0.5))
    layers.append(nn.Linear(HIDDEN, NUM_CLASSES))
    if arch not in ARCHS:
        raise ValueError(f"unknown probe architecture {arch}")
    return nn.Sequential(*layers)


def shuffled_order(n: int, seed: int, shuffle: int) -> torch.Tensor:
    """The order of the `shuffle`-th pass (0, 1, ...) over a shuffling loader of `n` samples
    (`harness.Reshuffled`): another each pass, as `shuffle=True` gives, and known to the
    judge, which replays the epoch on it."""
    generator = torch.Generator().manual_seed(seed * 1009 + shuffle)
    return torch.randperm(n, generator=generator)
