"""Reference solutions for lab_tiny (a two-minute lab).

Hidden: never shipped to students and never readable by a grading worker. The
judge imports it to compute expected values and reference training runs.

Generated from solutions/lab_tiny.ipynb by `python -m autograder assign`: edit the
notebook, not this file.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

def standardize(x: torch.Tensor) -> torch.Tensor:
    if x.shape[0] < 2:
        raise ValueError(f"standardize needs at least two rows, got {x.shape[0]}")
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    return (x - mean) / std


def squared_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target) ** 2).mean()


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, optimizer) -> float:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
