"""The scenarios' device and backward instrumentation: wrappers put into torch once
(`harness.install`), switched on and off by plain attributes. A scenario must change no
class and no torch namespace (that invalidated Python's attribute caches and made the
integrity check re-read every binding of torch.Tensor, nn.Module, torch.autograd and
torch.cuda after each scenario), and each switch must behave as the patch it replaced."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from autograder.sandbox import harness, integrity
from tests.engine.conftest import one_cell_session

WATCHED = (torch.Tensor, nn.Module, torch.autograd, torch.cuda)


def _versions() -> list[Any]:
    reader = integrity.DICT_VERSION
    if reader is None:
        pytest.skip("this Python has no readable dict versions")
    return [reader(integrity._store(owner)) for owner in WATCHED]


def test_a_scenarios_contexts_change_no_class_and_no_torch_namespace() -> None:
    harness.install()
    before = _versions()
    model = nn.Linear(3, 2)
    for params in ({"device": "cpu"}, {"device": "meta", "fake_cuda": True},
                   {"device": "cpu", "fake_cuda": False}):
        with harness.device_context(params), harness.BackwardRecorder(model, harness.Log()):
            model(torch.randn(2, 3)).sum().backward()
    assert _versions() == before


def test_cuda_as_cpu_runs_a_hard_coded_cuda_on_the_cpu_while_it_is_on() -> None:
    model = nn.Linear(3, 2)
    with harness.CudaAsCpu():
        moved = torch.ones(2).to("cuda")
        by_keyword = torch.ones(2).to(device=torch.device("cuda:0"))
        assert model.to("cuda") is model and model.cuda() is model
        assert torch.ones(1).cuda().device.type == "cpu"
    assert moved.device.type == by_keyword.device.type == "cpu"
    assert harness.SWITCHES.cuda_as_cpu is False
    assert torch.ones(2).to(torch.float64).dtype == torch.float64  # off: torch's own `to`


def test_meta_copies_read_a_meta_tensor_as_host_zeros_and_nothing_else() -> None:
    meta = torch.ones(2, 3, device="meta", dtype=torch.float64)
    with harness.MetaCopies():
        assert meta.sum().item() == 0.0 and float(meta.sum()) == 0.0 and int(meta.sum()) == 0
        assert meta.tolist() == [[0.0] * 3] * 2 and meta[0, 0].tolist() == 0.0
        assert bool(meta[0, 0]) is False and range(meta.long()[0, 0]) == range(0)
        for copy in (meta.cpu(), meta.to("cpu"), meta.to(torch.device("cpu")),
                     meta.to(device="cpu"), meta.detach().cpu()):
            assert copy.device.type == "cpu" and copy.shape == (2, 3) and not copy.any()
            assert copy.dtype == torch.float64
        assert meta.to("cpu", torch.float32).dtype == torch.float32
        assert meta.to(torch.ones(1)).dtype == torch.float32  # `to(other)`: its device, dtype
        assert meta.cpu().numpy().shape == (2, 3)  # the usual `.cpu().numpy()` works
        with pytest.raises(TypeError):
            meta.numpy()  # as a CUDA tensor's: it must be copied to the host first
        with pytest.raises(RuntimeError):
            meta.item()  # as a CUDA tensor of 6 elements: not one number
        assert meta.to(torch.float32).device.type == "meta"  # a dtype change stays on device
        assert torch.tensor(2.5).item() == 2.5 and torch.tensor([1.0]).cpu().tolist() == [1.0]
    with pytest.raises((RuntimeError, NotImplementedError)):
        meta.sum().item()  # off: torch's own answer (no data)
    with pytest.raises(NotImplementedError):
        meta.cpu()
    assert (int(torch.tensor(3)), float(torch.tensor(0.5)), torch.tensor([1, 2]).tolist()) \
        == (3, 0.5, [1, 2])


def test_fake_cuda_answers_while_it_is_on_and_nested_switches_put_back_what_they_found() -> None:
    truth = torch.cuda.is_available()
    with harness.FakeCuda(True):
        assert torch.cuda.is_available() is True and torch.cuda.device_count() == 1
        with harness.FakeCuda(False):
            assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
        assert torch.cuda.is_available() is True
    with harness.FakeCuda(None):
        assert torch.cuda.is_available() is truth
    assert harness.SWITCHES.fake_cuda is None and torch.cuda.is_available() is truth


def test_a_switch_is_put_back_when_the_students_code_raises() -> None:
    with pytest.raises(ZeroDivisionError), harness.CudaAsCpu(), harness.MetaCopies():
        raise ZeroDivisionError
    assert harness.SWITCHES.cuda_as_cpu is False and harness.SWITCHES.meta_copies is False


CELL = """
import torch
from torch import nn
wrapped = (torch.Tensor.to.__name__, nn.Module.to.__name__, torch.autograd.backward.__name__,
           torch.cuda.is_available.__name__)
"""


def test_a_worker_starts_with_the_wrappers_in_place_as_its_baseline(zygote) -> None:
    with one_cell_session(zygote, CELL) as session:
        assert session.get_var("wrapped") == ("to_tensor", "to_module", "recorded_backward",
                                              "cuda_is_available")
        assert session.findings() == []  # installed before the snapshot: not a change


def test_a_notebook_that_replaces_a_wrapper_is_caught_like_one_that_replaces_torch(zygote) -> None:
    with one_cell_session(zygote, "import torch\ntorch.Tensor.to = lambda t, *a, **k: t") \
            as session:
        assert any("torch.Tensor.to was replaced" in m for m in session.findings())
