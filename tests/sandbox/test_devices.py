"""The GPU a call's arguments go to when the worker has none (`sandbox.devices`): real data
on the emulated device, the same values as on the CPU for code that keeps to the input's
device, and what a real GPU refuses refused here too (a tensor made on the CPU beside the
inputs, a CPU tensor indexed with them, `.numpy()`). In process: the emulation alone."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

from autograder.sandbox import devices

LOGITS = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0], [2.0, 2.0, 2.0], [-1.0, 0.0, 1.0]])
TARGETS = torch.tensor([0, 1, 2, 2])
PROBS = torch.tensor([0.1, 0.9, 0.5, 0.0])
LABELS = torch.tensor([0.0, 1.0, 1.0, 0.0])


def _on_gpu(fn: Any, *args: Any) -> tuple[Any, list[str]]:
    return devices.to_host(devices.call_on_gpu(fn, list(args), {}, real=False))


# Correct code in the styles students write: the same value on the emulated GPU as on the
# CPU, and its tensors left on the GPU.
def ce_gather(logits, targets):
    return -logits.log_softmax(1).gather(1, targets.unsqueeze(1)).squeeze(1).mean()


def ce_one_hot(logits, targets):
    return -(F.one_hot(targets, logits.shape[1]) * logits.log_softmax(1)).sum(1).mean()


def ce_range_index(logits, targets):
    shifted = logits - logits.max(1, keepdim=True).values
    shifted = shifted.clone()
    shifted -= shifted.exp().sum(1, keepdim=True).log()
    return -shifted[range(len(targets)), targets].mean()


def ce_mask_on_device(logits, targets):
    mask = torch.zeros(logits.shape, device=logits.device)
    mask[torch.arange(len(targets)), targets] = 1
    return -(logits.log_softmax(1) * mask).sum(1).mean()


def bce_constants(p, y):
    low = torch.tensor(-100.0)  # a CPU scalar: allowed beside GPU tensors, as on CUDA
    eps = torch.tensor(1e-12, device=p.device)
    return -(y * torch.maximum(torch.log(p + 0 * eps), low)
             + (1 - y) * torch.maximum(torch.log(1 - p), low)).mean()


def confusion_loop(t, p):
    matrix = torch.zeros(3, 3, dtype=torch.int64, device=t.device)
    for a, b in zip(t.tolist(), p.tolist(), strict=False):
        matrix[a, b] += 1
    return matrix


def confusion_bincount(t, p):
    return torch.bincount(t * 3 + p, minlength=9).reshape(3, 3)


def accuracy_item(t, p):
    if t.shape != p.shape or (t < 0).any():
        raise ValueError("shapes")
    return (t == p).float().mean().item()


def softmax_rows(x):
    out = torch.empty_like(x)
    for i in range(x.shape[0]):
        e = (x[i] - x[i].max()).exp()
        out[i] = e / e.sum()
    return out


def made_from_data(x):
    weights = x.new_tensor([1.0, 2.0, 3.0]) + torch.as_tensor([0.0, 0.0, 0.0], device=x.device)
    return (x[:, :3] * weights).sum(1) + x[[0, 1, 2, 3], [0, 0, 0, 0]] + float(f"{x.sum():.3f}")


def confusion_from_scalars(t, p):  # (torch.tensor of a list of GPU scalars: read by value)
    return torch.tensor([[((t == i) & (p == j)).sum()
                          for j in range(3)] for i in range(3)], device=p.device)


def device_by_hand(x):  # (red team 8: "cuda" named by hand, a type string, a device index)
    device = "cuda" if x.is_cuda else "cpu"
    ones = torch.ones(x.shape, device=device) + torch.zeros(x.shape, device=x.get_device()
                                                            if x.is_cuda else "cpu")
    return (x * ones).type(x.type()) + x.new_tensor([x.sum()] * x.shape[-1])


CORRECT = [(confusion_from_scalars, (TARGETS, TARGETS.flip(0))), (device_by_hand, (LOGITS,)),
           (ce_gather, (LOGITS, TARGETS)), (ce_one_hot, (LOGITS, TARGETS)),
           (ce_range_index, (LOGITS, TARGETS)), (ce_mask_on_device, (LOGITS, TARGETS)),
           (bce_constants, (PROBS.clamp(1e-6, 1 - 1e-6), LABELS)),
           (confusion_loop, (TARGETS, TARGETS.flip(0))),
           (confusion_bincount, (TARGETS, TARGETS.flip(0))), (accuracy_item, (TARGETS, TARGETS)),
           (softmax_rows, (LOGITS,)), (made_from_data, (LOGITS,))]


@pytest.mark.parametrize("fn, args", CORRECT, ids=[fn.__name__ for fn, _ in CORRECT])
def test_code_on_the_inputs_device_computes_the_cpu_value_there(fn, args) -> None:
    value, where = _on_gpu(fn, *args)
    expected = fn(*args)
    if isinstance(expected, torch.Tensor):
        assert where == ["gpu"]
        assert torch.equal(value, expected)
    else:
        assert where == [] and value == expected


# The classic device mistakes: each refused (or its result left on the CPU) as on a GPU.
def mask_on_cpu(logits, targets):
    mask = torch.zeros(logits.shape)
    mask[torch.arange(len(targets)), targets] = 1
    return -(logits.log_softmax(1) * mask).sum(1).mean()


def eye_on_cpu(logits, targets):
    return -(torch.eye(logits.shape[1])[targets] * logits.log_softmax(1)).sum(1).mean()


def weights_on_cpu(p, y):
    return (torch.ones(len(p)) * (p - y) ** 2).mean()


def counts_on_cpu(t, p):
    matrix = torch.zeros(3, 3, dtype=torch.int64)
    matrix.index_put_((t, p), torch.ones_like(t), accumulate=True)
    return matrix


def counts_accumulated_from_cpu(t, p):  # (the matrix on the GPU, the ones added on the CPU)
    matrix = torch.zeros(3, 3, dtype=torch.int64, device=t.device)
    matrix.index_put_((t, p), torch.ones(len(t), dtype=torch.int64), accumulate=True)
    return matrix


def through_numpy(t, p):
    return float((t.numpy() == p.numpy()).mean())


def counts_by_integer_matmul(t, p):  # (CUDA has no integer matrix product)
    return F.one_hot(t, 3).T @ F.one_hot(p, 3)


@pytest.mark.parametrize("fn, args, message", [
    (mask_on_cpu, (LOGITS, TARGETS), devices.CPU_INDEXED),
    (eye_on_cpu, (LOGITS, TARGETS), devices.CPU_INDEXED),
    (weights_on_cpu, (PROBS, LABELS), devices.MIXED),
    (counts_on_cpu, (TARGETS, TARGETS), devices.CPU_INDEXED),
    (counts_accumulated_from_cpu, (TARGETS, TARGETS), devices.CPU_VALUES),
    (through_numpy, (TARGETS, TARGETS), devices.NUMPY),
    (counts_by_integer_matmul, (TARGETS, TARGETS), "\"mm_cuda\" not implemented for 'Long'"),
], ids=["mask_on_cpu", "eye_on_cpu", "weights_on_cpu", "counts_on_cpu",
        "counts_accumulated_from_cpu", "through_numpy",
        "counts_by_integer_matmul"])
def test_what_a_gpu_refuses_is_refused(fn, args, message) -> None:
    fn(*args)  # (fine on the CPU)
    with pytest.raises((RuntimeError, TypeError, NotImplementedError)) as raised:
        _on_gpu(fn, *args)
    assert str(raised.value) == message
    # (CUDA's own type for an operation it lacks: NotImplementedError, on an H200)
    assert isinstance(raised.value, NotImplementedError) == ("not implemented" in message)


def test_a_result_built_on_the_cpu_is_reported_there() -> None:
    def loop_on_cpu(t, p):
        matrix = torch.zeros(3, 3, dtype=torch.int64)
        for a, b in zip(t.tolist(), p.tolist(), strict=False):
            matrix[a, b] += 1
        return matrix

    value, where = _on_gpu(loop_on_cpu, TARGETS, TARGETS)
    assert where == ["cpu"] and torch.equal(value, loop_on_cpu(TARGETS, TARGETS))
    assert _on_gpu(lambda x: (x.cpu(), x * 2, [x.to("cpu")]), LOGITS)[1] == ["cpu", "gpu", "cpu"]
    # an explicit CPU device is the CPU, also beside GPU inputs (red team 8)
    assert _on_gpu(lambda x: (x.new_zeros(2, device="cpu"), torch.zeros_like(x, device="cpu")),
                   LOGITS)[1] == ["cpu", "cpu"]


def test_gradients_flow_on_the_emulated_gpu() -> None:
    leaf = devices.to_gpu(LOGITS.clone().requires_grad_(True), real=False)
    with devices.running(real=False):
        ce_gather(leaf, devices.to_gpu(TARGETS, real=False)).backward()
    expected = torch.func.grad(lambda x: F.cross_entropy(x, TARGETS))(LOGITS)
    grad, where = devices.to_host(leaf.grad)
    assert where == ["gpu"] and torch.allclose(grad, expected)


def test_a_tensor_without_its_data_is_the_emulations_gap_not_a_mistake() -> None:
    hidden = torch.zeros(4, device="meta")  # what torch makes below the emulation's reach
    with pytest.raises(devices.EmulationGap):
        _on_gpu(lambda x: x + hidden, PROBS)


def test_python_code_reading_the_device_sees_a_gpu() -> None:
    """Red team 8: `x.device.type == "meta"` told the emulation apart (and honest code choosing
    a device by hand got the CPU): what Python reads is CUDA's; torch still routes by the
    emulated device."""
    def probe(x):
        made = torch.zeros(2, device=x.device)
        return (x.device.type, x.is_cuda, x.is_meta, x.type(), made.device.type)

    value, _ = _on_gpu(probe, LOGITS)
    assert value == ("cuda", True, False, "torch.cuda.FloatTensor", "cuda")
