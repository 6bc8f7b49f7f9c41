"""What a call returns is copied to plain data while its library block and recorders still
hold (`harness.plain_copy`): encoding the reply afterwards runs none of the student's code.
Red team 6: a tensor subclass returned zeros and, through its `__torch_function__`, wrote
PyTorch's loss into them once the block was lifted — when the worker encoded the reply —
collecting every "implemented without …" check while calling the library."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tests.engine.conftest import one_cell_session

CELL = '''
import torch
import torch.nn.functional as F

def _recording():
    return torch._C._len_torch_function_stack() > 0

def _lazy(compute, shape, dtype):
    out = torch.zeros(shape, dtype=dtype)
    state = {"done": False}
    class Lazy(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if not state["done"] and not _recording():
                state["done"] = True
                out.copy_(compute().detach())
            return super().__torch_function__(func, types, args, kwargs or {})
    return out.as_subclass(Lazy)

def mse_loss(pred, target, reduction="mean"):
    p, t = pred.detach().clone(), target.detach().clone()
    return _lazy(lambda: F.mse_loss(p, t, reduction=reduction), (), p.dtype)

class Items(list):
    def __iter__(self):
        if not _recording():
            return iter([F.mse_loss(*self.args)])
        return iter([torch.zeros(())])

def as_list(pred, target):
    items = Items()
    items.args = (pred.detach().clone(), target.detach().clone())
    return items
'''

PRED, TARGET = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, 2.0, 5.0])


def test_a_lazy_value_is_sent_as_it_was_when_the_function_returned(zygote) -> None:
    with one_cell_session(zygote, CELL) as session:
        assert session.cells[1].error is None, session.cells[1].error
        library = float(F.mse_loss(PRED, TARGET))
        for record in (True, False):
            value = session.call("mse_loss", PRED, TARGET, record=record,
                                 block=("mse_loss",)).value
            # zeros as returned, or — where its own method reached the blocked library while
            # being copied — the subclass by name: never the library's answer
            assert value == "<Lazy>" or (type(value) is torch.Tensor and float(value) == 0.0), \
                (record, value)
        listed = session.call("as_list", PRED, TARGET, record=True, block=("mse_loss",)).value
        assert [float(v) for v in listed] == [0.0]
        assert library != 0.0  # (what the library would have given)
