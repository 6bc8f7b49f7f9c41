"""fe17: the emulated GPU accepts what a real GPU accepts (`sandbox.devices`).

Two classes of false positive an outside tester's correct notebooks showed: `.numpy(force=True)`
refused on the emulated GPU (a real one copies to the host), and Part D's device scenarios
run on the bare `meta` device, whose every `.item()`, `.tolist()`, `float()` and `bool()`
read 0 — a correct loop keeping its counts on the device divided by zero, a finiteness guard
raised. The scenarios now run on the emulated GPU with real data: what a loop reads back is
what a GPU gives. Each correct loop below passes its device check; the device mistakes the
check is there for are still charged. The scenarios and the hidden checks run here, in
process, as the worker and a judge run them.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

import pytest
import torch
from lab05_checks import test_part_d_training as part_d
from lab05_checks.test_gpu_inputs import ON_GPU
from test_helper_blame import REFERENCE, namespace, verdict

from autograder.sandbox import devices, harness


# ---------------------------------------------------------------- numpy(force=True)
def test_numpy_force_true_copies_the_gpu_tensors_values_to_the_host() -> None:
    x = torch.tensor([[1.5, -2.0], [0.25, 4.0]], requires_grad=True)

    def as_numpy(t: torch.Tensor) -> Any:
        return t.numpy(force=True)

    value, _ = devices.to_host(devices.call_on_gpu(as_numpy, [x], {}, real=False))
    assert value.tolist() == x.tolist()
    value[0, 0] = 99.0  # (a copy, as CUDA's force=True is: the GPU tensor is not touched)
    assert x[0, 0].item() == 1.5


def test_plain_numpy_of_a_gpu_tensor_is_still_refused_in_cudas_words() -> None:
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        devices.call_on_gpu(lambda t: t.numpy(), [torch.ones(2)], {}, real=False)
    with pytest.raises(TypeError, match="can't convert cuda:0"):
        devices.call_on_gpu(lambda t: t.numpy(force=False), [torch.ones(2)], {}, real=False)


CM_NUMPY_FORCE = '''
import numpy as np
def confusion_matrix(preds, targets, num_classes):
    t = targets.numpy(force=True)
    p = preds.numpy(force=True)
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (t, p), 1)
    return torch.as_tensor(m, device=preds.device)
'''

CM_PLAIN_NUMPY = CM_NUMPY_FORCE.replace(".numpy(force=True)", ".numpy()").replace(
    "device=preds.device", "device=preds.device if preds.is_cuda else None")


def test_confusion_matrix_through_numpy_force_passes_the_gpu_check() -> None:
    found = verdict(namespace(CM_NUMPY_FORCE), f"confusion_matrix: {ON_GPU}", CM_NUMPY_FORCE)
    assert found.passed, found.message


def test_confusion_matrix_through_plain_numpy_still_fails_the_gpu_check() -> None:
    found = verdict(namespace(CM_PLAIN_NUMPY), f"confusion_matrix: {ON_GPU}", CM_PLAIN_NUMPY)
    assert not found.passed
    assert ".numpy()" in found.message


# ---------------------------------------------------------------- Part D: values read back
TRAIN_COUNTERS_ON_DEVICE = '''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    loss_sum = torch.zeros((), device=device)
    n_seen = torch.zeros((), device=device)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * y.shape[0]
        n_seen += y.shape[0]
    return loss_sum.item() / n_seen.item()
'''

EVAL_COUNTERS_ON_DEVICE = '''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.long, device=device)
    seen = torch.zeros((), dtype=torch.long, device=device)
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += loss_fn(logits, y).double() * y.numel()
            correct += (logits.argmax(dim=1) == y).sum()
            seen += y.numel()
    return {"loss": loss_sum.item() / seen.item(), "accuracy": correct.item() / seen.item()}
'''

TRAIN_TOLIST = '''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    weighted = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        batch_loss = loss_fn(model(x), y)
        batch_loss.backward()
        optimizer.step()
        weighted.append((batch_loss.tolist(), len(y)))
    return sum(l * n for l, n in weighted) / sum(n for _, n in weighted)
'''

EVAL_STATS_TOLIST = '''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    with torch.no_grad():
        stats = torch.zeros(3, dtype=torch.float64, device=device)
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            n = y.shape[0]
            stats += torch.stack([loss_fn(logits, y).double() * n,
                                  (logits.argmax(1) == y).sum().double(),
                                  torch.tensor(float(n), dtype=torch.float64, device=device)])
        loss_sum, correct, total = stats.tolist()
    return {"loss": loss_sum / total, "accuracy": correct / total}
'''

TRAIN_FINITE_GUARD = '''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite training loss {loss.item()}")
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''

# (b6/device_counters, b6/device_counters_eval, b5/tolist_accounting, b6/train_finite_guard)
CORRECT_LOOPS = {
    "train_counters_kept_on_the_device": (TRAIN_COUNTERS_ON_DEVICE, part_d.TRAIN_DEVICE),
    "eval_counters_kept_on_the_device": (EVAL_COUNTERS_ON_DEVICE, part_d.EVAL_DEVICE),
    "train_losses_read_with_tolist": (TRAIN_TOLIST, part_d.TRAIN_DEVICE),
    "eval_stats_read_with_tolist": (EVAL_STATS_TOLIST, part_d.EVAL_DEVICE),
    "train_finite_loss_guard": (TRAIN_FINITE_GUARD, part_d.TRAIN_DEVICE),
}


@pytest.mark.parametrize("loop", sorted(CORRECT_LOOPS))
def test_a_correct_loop_reading_values_back_passes_its_device_check(loop: str) -> None:
    definition, check = CORRECT_LOOPS[loop]
    found = verdict(namespace(definition), check, definition)
    assert found.passed, found.message


@pytest.mark.parametrize("name, definition", [
    ("train_one_epoch", TRAIN_COUNTERS_ON_DEVICE), ("evaluate", EVAL_COUNTERS_ON_DEVICE)])
def test_the_emulated_gpu_run_computes_what_the_cpu_run_does(name: str,
                                                             definition: str) -> None:
    """The values a loop reads back on the emulated GPU are the real ones: its return value
    and the trained parameters equal the CPU run's, and every tensor was on the GPU."""
    ns = namespace(definition)
    params = (part_d._train_params(lr=0.5, start_train=True, n=part_d.BATCH + 2)
              if name == "train_one_epoch" else part_d._eval_params(n=part_d.BATCH + 2))
    gpu = harness.SCENARIOS[name](ns, part_d._on_emulated_gpu(params))
    cpu = harness.SCENARIOS[name](ns, part_d._cpu_without_gpu_params(part_d._emulated(params)))
    assert gpu["error"] is None and cpu["error"] is None, (gpu["error"], cpu["error"])
    assert gpu["returned"] == pytest.approx(cpu["returned"], rel=1e-6)
    for key, value in cpu["state"].items():
        torch.testing.assert_close(gpu["state"][key], value)
    devices_seen = {c["logits_device"] for c in gpu["loss_calls"]} | {
        c["targets_device"] for c in gpu["loss_calls"]} | {
        f[k] for f in gpu["forward"] for k in ("input_device", "param_device")}
    assert devices_seen == {"cuda:0"}
    assert gpu["_findings"] == []


# ---------------------------------------------------------------- device mistakes still caught
MISTAKES = {  # (function, the reference's line, the mistake's, the check, words of its message)
    "train_inputs_not_moved": ("train_one_epoch", "x, y = x.to(device), y.to(device)",
                               "y = y.to(device)", part_d.TRAIN_DEVICE, "not on the device"),
    "train_labels_not_moved": ("train_one_epoch", "x, y = x.to(device), y.to(device)",
                               "x = x.to(device)", part_d.TRAIN_DEVICE, "labels"),
    "train_to_not_assigned": ("train_one_epoch", "x, y = x.to(device), y.to(device)",
                              "x.to(device)\n        y = y.to(device)", part_d.TRAIN_DEVICE,
                              "assign"),
    "train_hard_coded_cuda": ("train_one_epoch", "x, y = x.to(device), y.to(device)",
                              'x, y = x.to("cuda"), y.to("cuda")', part_d.TRAIN_DEVICE,
                              "hard-codes 'cuda'"),
    "train_get_device_inside": ("train_one_epoch", "x, y = x.to(device), y.to(device)",
                                "x, y = x.to(get_device()), y.to(get_device())",
                                part_d.TRAIN_DEVICE, "device argument"),
    "train_model_and_batches_on_hard_coded_cuda": (
        "train_one_epoch", "x, y = x.to(device), y.to(device)",
        'model.to("cuda")\n        x, y = x.to("cuda"), y.to("cuda")', part_d.TRAIN_DEVICE,
        "cuda"),
    "train_counter_made_on_the_cpu": (
        "train_one_epoch", "total_loss += loss.item() * x.shape[0]",
        "total_loss += (loss.detach() * torch.ones(x.shape[0])).sum().item()",
        part_d.TRAIN_DEVICE, "made on the CPU"),
    "train_cuda_from_a_helper": (  # (a fifth outside red team's, the helper's "cuda" unseen)
        "train_one_epoch", "x, y = x.to(device), y.to(device)",
        'x, y = x.to(_elsewhere(device)), y.to(_elsewhere(device))', part_d.TRAIN_DEVICE,
        "instead of the device it was given"),
    "eval_labels_not_moved": ("evaluate", "x, y = x.to(device), y.to(device)",
                              "x = x.to(device)", part_d.EVAL_DEVICE, "labels"),
    "eval_is_available_inside": ("evaluate", "x, y = x.to(device), y.to(device)",
                                 'here = "cuda" if torch.cuda.is_available() else "cpu"\n'
                                 "            x, y = x.to(here), y.to(here)",
                                 part_d.EVAL_DEVICE, "device argument"),
}


ELSEWHERE = '''

def _elsewhere(device):
    return device if torch.device(device).type == "meta" else "cu" + "da"
'''


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_device_mistake_is_still_charged_on_the_emulated_gpu(mistake: str) -> None:
    function, old, new, check, words = MISTAKES[mistake]
    source = textwrap.dedent(inspect.getsource(getattr(REFERENCE.module, function)))
    assert old in source
    wrong = source.replace(old, new) + ELSEWHERE
    found = verdict(namespace(wrong), check, wrong)
    assert not found.passed
    assert words in found.message, found.message


def test_the_reference_passes_both_device_checks() -> None:
    for check in (part_d.TRAIN_DEVICE, part_d.EVAL_DEVICE):
        found = verdict(namespace(), check)
        assert found.passed, found.message
