"""`forbidden.right_without_the_library` when a function is wrong alike in both workers on
the new inputs: its edge inputs are asked again in the main worker, and a function right
there before and wrong now changes its answers between calls (red team 44: the library for
its first few calls at ±1e4, its naive code after; it kept its no-library point), and one
right there still is right on one draw of the edge inputs and wrong on another (red team
45)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from lab05_checks import forbidden

from autograder.check.registry import CheckFailed
from autograder.check.static import SourceFacts
from autograder.sandbox.session import CallResult

EDGE = (torch.tensor([1e4, -1e4, 0.0], dtype=torch.float64),)
NEW = (torch.tensor([2e4, 5.0, -1e4], dtype=torch.float64),)


def _right(inputs: tuple[Any, ...]) -> torch.Tensor:
    return torch.softmax(inputs[0], dim=-1)


def _naive(inputs: tuple[Any, ...]) -> torch.Tensor:
    e = inputs[0].exp()
    return e / e.sum()


class _Student:
    """The main and evidence workers' answers, as a function that is naive on the new inputs
    everywhere and, on the edge inputs, right the first time (the edge check's call) and
    naive from then on when `changes`."""

    def __init__(self, changes: bool) -> None:
        self.changes, self.edge_calls = changes, 0

    def call(self, function: str, *args: Any, **kwargs: Any) -> CallResult:
        if args[0] is EDGE[0]:
            self.edge_calls += 1
            value = _naive(args) if self.changes and self.edge_calls > 1 else _right(args)
        else:
            value = _naive(args)
        return CallResult(value=value, called=[], mutated=[], recorded=kwargs.get("record",
                                                                               False))


def _judge(student: _Student) -> None:
    student.call("softmax", *EDGE)  # the edge check's own call: right
    forbidden.right_without_the_library(
        student, "softmax", {"softmax"}, SourceFacts(()), EDGE, NEW, _right,
        lambda result: result.value,
        lambda got, want: bool(torch.allclose(got, want, equal_nan=False)),
        "at the edges", known_right=True)


def test_a_function_whose_edge_answer_changed_is_accused() -> None:
    with pytest.raises(CheckFailed) as failed:
        _judge(_Student(changes=True))
    assert failed.value.mistake == "library-elsewhere"
    assert "change from call to call" in failed.value.message


def test_a_function_right_on_one_draw_of_the_edge_and_wrong_alike_on_another_is_charged(
        ) -> None:
    """Red team 45: right on the edge inputs (the library, where they looked hand-written),
    naive on the new ones in both workers. The edge inputs and the new ones are draws of one
    distribution now, so being right on one and wrong on the other is no honest mistake the
    new inputs alone show: it is charged, without an accusation of the library."""
    with pytest.raises(CheckFailed) as failed:
        _judge(_Student(changes=False))
    assert failed.value.mistake == "right-on-some-edges"
    assert "for some inputs and wrong for new ones of the same kind" in failed.value.message
