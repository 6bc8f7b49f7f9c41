"""An answer of Part E built on the student's own accuracy is excused as that function's
mistake only where the function measures agreement on a scale of its own (a percentage, the
error rate): one dividing by the number of classes present was excused on 1 draw in 9 (the
probes shared a repetition count) and charged otherwise (fresh eyes 45)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch
from lab05_checks.test_part_e_experiments import _scaled_accuracy


class _Student:
    def __init__(self, accuracy: Any) -> None:
        self.accuracy = accuracy

    def call(self, name: str, *args: Any, **kwargs: Any) -> SimpleNamespace:
        assert name == "accuracy"
        return SimpleNamespace(value=self.accuracy(*args))


def test_an_accuracy_over_the_classes_present_is_never_a_scale() -> None:
    def over_classes(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return float((preds == targets).sum()) / float(torch.unique(targets).numel())

    assert not any(_scaled_accuracy(_Student(over_classes)) for _ in range(60))


def test_a_percentage_and_an_error_rate_are_scales_on_every_draw() -> None:
    def percentage(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return 100.0 * float((preds == targets).float().mean())

    def error_rate(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return float((preds != targets).float().mean())

    assert all(_scaled_accuracy(_Student(percentage)) for _ in range(20))
    assert all(_scaled_accuracy(_Student(error_rate)) for _ in range(20))
