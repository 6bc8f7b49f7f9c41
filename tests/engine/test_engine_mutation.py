"""A call reports the tensor arguments the student's function changed (`mutated`), however it
changed them, and nothing else: a nan left in its place is no change."""

from __future__ import annotations

import torch

from tests.engine.conftest import one_cell_session

CELL = """
def in_place(x, y):
    x.sub_(1)
    return x + y

def through_data(x, y):
    x.data.add_(1)
    return x

def through_numpy(x, y):
    x.numpy()[0] = 5.0
    return y

def pure(x, y):
    return x * 2 + y

def resized(x, y):
    x.resize_(1)
    return y
"""


def test_changed_arguments_are_reported_and_unchanged_ones_are_not(zygote) -> None:
    x = torch.tensor([1.0, float("nan"), 3.0])
    y = torch.tensor([0.5, 0.5, float("nan")])
    with one_cell_session(zygote, CELL) as session:
        assert session.call("in_place", x, y).mutated == [0]
        assert session.call("through_data", x, y).mutated == [0]
        assert session.call("through_numpy", x, y).mutated == [0]
        assert session.call("resized", x, y).mutated == [0]
        assert session.call("pure", x, y).mutated == []  # nans where they were: no change
        assert session.call("pure", x, y, grad_args=(0,)).mutated == []
        result = session.call("in_place", x, y)  # each call gets the values sent, unchanged
        assert torch.equal(result.value[0], torch.tensor(0.5))
        assert x[0] == 1.0 and x[2] == 3.0  # the judge's own tensors are never touched
