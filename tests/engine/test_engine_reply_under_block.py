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
        assert listed == []  # the list's own items: its `__iter__` never runs
        assert library != 0.0  # (what the library would have given)


# Red team 7: code that runs after the block is lifted — a mode a cell entered and never left
# (it keeps the copy of the returned value and fills it at the grader's next torch call), a
# profile hook, a collector callback, a weakref callback of a collected cycle — reaching the
# call's record to put the library's answer in its place.
LATE = '''
import gc, sys, weakref
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

seen, pending = [], []

class Keep(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if pending and torch._C._len_torch_function_stack() == 0:
            for t in seen:
                if isinstance(t, torch.Tensor) and t.numel() == 1:
                    t.fill_(pending[0])
        if isinstance(out, torch.Tensor):
            seen.append(out)
        return out

Keep().__enter__()  # entered in a cell, never left

def _record():
    f = sys._getframe(2)
    while f is not None:
        s = f.f_locals.get("self")
        if type(s).__name__ == "RecordedCall":
            return s
        f = f.f_back

def _late(*event):
    r = _record() or (holder[0] if holder else None)
    if r is not None and r.block.library is None and pending:
        r.plain = torch.tensor(pending[0])

holder = []
class Cycle:
    pass

def mse_loss(pred, target, reduction="mean"):
    pending[:] = [float(F.mse_loss(pred.detach(), target.detach()))] if False else [1.6666666]
    holder[:] = [_record()]
    sys.setprofile(lambda *a: _late())
    gc.callbacks.append(lambda phase, info: _late())
    gc.set_threshold(1, 1, 1)
    c = Cycle(); c.me = c
    weakref.ref(c, lambda ref: _late())
    del c
    return torch.zeros(())
'''


def test_code_run_after_the_block_does_not_change_the_value_sent(zygote) -> None:
    with one_cell_session(zygote, LATE) as session:
        assert session.cells[1].error is None, session.cells[1].error
        for _ in range(2):
            value = session.call("mse_loss", PRED, TARGET, record=True,
                                 block=("mse_loss",)).value
            assert type(value) is torch.Tensor and float(value) == 0.0, value


AUDIT = '''
import sys
heard = []
sys.addaudithook(lambda event, args: heard.append(event))  # (refused quietly, as Python does)
compile("1", "<x>", "eval")
'''


def test_a_notebook_cannot_add_an_audit_hook(zygote) -> None:
    """An audit hook, unlike every other hook, cannot be removed once added: it would run the
    notebook's code at each audited event of the grader's own work."""
    with one_cell_session(zygote, AUDIT) as session:
        assert session.cells[1].error is None, session.cells[1].error
        assert session.get_var("heard") == []
