"""Grad mode and the default dtype a notebook leaves changed are put back before every call
and scenario (a tenth outside red team's: a cell switched grad mode off, and an `evaluate`
without `no_grad` looked right)."""

from __future__ import annotations

import torch

from tests.engine.conftest import one_cell_session

CELL = """
import torch
torch.set_grad_enabled(False)
torch.set_default_dtype(torch.float64)

def state(x):
    return torch.is_grad_enabled(), str(torch.get_default_dtype())

def leaves_it_off(x):
    torch.set_grad_enabled(False)
    return x
"""


def test_a_cell_or_an_earlier_call_cannot_leave_grad_mode_off(zygote) -> None:
    with one_cell_session(zygote, CELL) as session:
        assert session.call("state", torch.ones(1)).value == (True, "torch.float32")
        session.call("leaves_it_off", torch.ones(1))
        assert session.call("state", torch.zeros(1)).value == (True, "torch.float32")
