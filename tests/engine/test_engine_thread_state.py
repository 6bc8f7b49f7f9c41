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


HOOKS_CELL = """
import torch
import torch.nn.modules.module as module_hooks
import torch.optim.optimizer as optimizer_hooks

RAN = []
module_hooks.register_module_forward_pre_hook(lambda m, a: RAN.append("module"))
module_hooks._global_forward_hooks = {7: lambda m, a, o: RAN.append("rebound")}
optimizer_hooks.register_optimizer_step_post_hook(lambda o, a, k: RAN.append("optimizer"))
torch.autograd.graph.saved_tensors_hooks(lambda t: RAN.append("pack") or t,
                                         lambda t: RAN.append("unpack") or t).__enter__()

def ran(x):
    RAN.clear()
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(x).sum().backward()
    optimizer.step()
    return list(RAN)

def leaves_hooks(x):
    module_hooks.register_module_forward_hook(lambda m, a, o: RAN.append("left by a call"))
    return ran(x)
"""


def test_hooks_a_cell_left_in_torchs_global_registries_run_in_no_call(zygote) -> None:
    """Red team 45: a global module hook, a global optimizer step hook and saved-tensor hooks
    left on the thread by a cell ran the student's code inside every run the checks watch
    (an evaluate without no_grad, a loop without zero_grad looked right). They are emptied
    before each call and scenario; what a call registers while it runs is its own."""
    with one_cell_session(zygote, HOOKS_CELL) as session:
        assert session.call("ran", torch.ones(1, 2)).value == []
        assert session.call("leaves_hooks", torch.ones(1, 2)).value == ["left by a call"]
        assert session.call("ran", torch.ones(1, 2)).value == []


STATE_CELL = """
import torch
torch.autograd.set_detect_anomaly(True)

class Answered(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.autograd.grad:  # (answers the grader's question itself)
            return tuple(torch.ones_like(t) for t in args[1])
        with torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

def anomaly(x):
    return torch.is_anomaly_enabled()

def detached_loss(pred, target):
    return ((pred - target) ** 2).mean().detach().as_subclass(Answered)
"""


def test_anomaly_mode_is_off_and_a_subclass_answers_no_gradient_question(zygote) -> None:
    """Red team 46: anomaly mode left on by a cell (a backward through nan then raises, and
    an edge gradient could not be assessed), and a returned tensor subclass answering the
    grader's `autograd.grad` itself (a detached loss passed the gradient checks)."""
    with one_cell_session(zygote, STATE_CELL) as session:
        assert session.call("anomaly", torch.ones(1)).value is False
        result = session.call("detached_loss", torch.ones(3, dtype=torch.float64),
                              torch.zeros(3, dtype=torch.float64), grad_args=(0,),
                              gradcheck=True)
        assert result.grads == {"problem": "detached"}
        assert result.gradcheck is not True


TABLES_CELL = """
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data._utils import collate

RAN = []
_TENSORS = collate.default_collate_fn_map[torch.Tensor]

def handler(batch, *, collate_fn_map=None):
    RAN.append("handler")
    return _TENSORS(batch, collate_fn_map=collate_fn_map)

collate.default_collate_fn_map[torch.Tensor] = handler
collate.default_collate_fn_map[float] = handler
import torch.optim.optimizer as optimizer_module
optimizer_module._foreach_supported_types = []
torch.inference_mode().__enter__()
for _ in range(1500):  # (more than any fixed number of pops)
    torch._C._autograd._push_saved_tensors_default_hooks(lambda t: t, lambda t: t)

def batches(x):
    RAN.clear()
    list(DataLoader(TensorDataset(x, x), batch_size=1))
    return (list(RAN), torch.is_inference_mode_enabled(),
            torch._C._autograd._top_saved_tensors_default_hooks(False) is None,
            collate.default_collate_fn_map[float] is not handler,
            len(optimizer_module._foreach_supported_types) > 0)
"""


def test_tables_inference_mode_and_saved_hooks_a_cell_left_are_torchs_again(zygote) -> None:
    """Outside red team 72: a handler a cell put in the loaders' table of collate functions
    ran at every batch of the grader's runs; inference mode a cell entered and never left
    stayed on in every call; saved-tensor hooks beyond a fixed count of pops stayed on the
    thread. Each call starts with torch's tables as torch made them (a table rebound too), no
    inference mode and no saved-tensor hook."""
    with one_cell_session(zygote, TABLES_CELL) as session:
        assert session.call("batches", torch.ones(2, 1)).value == ([], False, True, True, True)
