"""A call with its tensor arguments on the GPU, through a real worker (`session.call(...,
gpu=True)`): the value comes back as plain CPU data with where each tensor was, a device
mistake comes back as the student's error, and the call leaves the worker untouched (the
integrity check after it finds nothing)."""

from __future__ import annotations

import pytest
import torch

from autograder.sandbox import devices
from autograder.sandbox.session import StudentError
from tests.engine.conftest import one_cell_session

CELL = '''
import torch

def on_device(logits, targets):
    mask = torch.zeros(logits.shape, device=logits.device)
    mask[torch.arange(len(targets)), targets] = 1
    return -(logits.log_softmax(1) * mask).sum(1), float(logits.sum())

def mask_on_cpu(logits, targets):
    mask = torch.zeros(logits.shape)
    mask[torch.arange(len(targets)), targets] = 1
    return -(logits.log_softmax(1) * mask).sum(1)

def counts_on_cpu(t, p):
    matrix = torch.zeros(3, 3, dtype=torch.int64)
    for a, b in zip(t.tolist(), p.tolist()):
        matrix[a, b] += 1
    return matrix

def double(x):
    return x * 2

class Dressed(torch.Tensor):  # (red team 41: a CPU result saying it is on CUDA)
    @property
    def device(self):
        return torch.device("cuda", 0)

    @property
    def is_cuda(self):
        return True

def counts_dressed_as_cuda(t, p):
    return counts_on_cpu(t, p).as_subclass(Dressed)

def counts_wrapped_in_the_inputs_type(t, p):  # (red team 42: torch.Tensor(...) on a real GPU)
    return type(t)(counts_on_cpu(t, p))
'''

LOGITS = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
TARGETS = torch.tensor([0, 2])


def test_calls_on_the_gpu_through_the_worker(zygote) -> None:
    with one_cell_session(zygote, CELL) as session:
        assert session.cells[1].error is None, session.cells[1].error
        result = session.call("on_device", LOGITS, TARGETS, gpu=True)
        losses, total = result.value
        assert result.devices == ["gpu"]
        expected = -LOGITS.log_softmax(1)[torch.arange(2), TARGETS]
        assert type(losses) is torch.Tensor and torch.allclose(losses, expected)
        assert total == pytest.approx(float(LOGITS.sum()))
        assert session.call("on_device", LOGITS, TARGETS).devices is None  # (on the CPU)
        with pytest.raises(StudentError) as raised:
            session.call("mask_on_cpu", LOGITS, TARGETS, gpu=True)
        assert devices.CPU_INDEXED in raised.value.excerpt()
        counts = session.call("counts_on_cpu", TARGETS, TARGETS, gpu=True)
        assert counts.devices == ["cpu"] and counts.value.sum() == 2
        # where the storage is, not what a subclass's `device` says
        dressed = session.call("counts_dressed_as_cuda", TARGETS, TARGETS, gpu=True)
        assert dressed.devices == ["cpu"] and dressed.value.sum() == 2
        wrapped = session.call("counts_wrapped_in_the_inputs_type", TARGETS, TARGETS, gpu=True)
        assert wrapped.devices == ["cpu"] and wrapped.value.sum() == 2
        session.call("double", torch.ones(2), record=True)  # evidence: verified after it
        assert session.findings() == []
