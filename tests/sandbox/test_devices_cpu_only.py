"""The emulated GPU refuses what a real GPU refuses: an operator with no kernel CUDA can run
(red team 65's confusion matrix from `torch.histogram`, which has CPU and MPS kernels only,
passed the GPU check on the emulation and raises on a real GPU)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from autograder.sandbox import devices
from autograder.sandbox.quoting import _library_message

GPU_KEYS = ("CUDA", "CompositeExplicitAutograd", "CompositeExplicitAutogradNonFunctional",
            "CompositeImplicitAutograd")


def _native_functions() -> Path | None:
    import torchgen

    path = Path(torchgen.__file__).parent / "packaged" / "ATen" / "native" / \
        "native_functions.yaml"
    return path if path.is_file() else None


@pytest.mark.skipif(_native_functions() is None, reason="torchgen's native_functions.yaml absent")
def test_the_cpu_only_operators_are_those_of_the_installed_torch() -> None:
    import yaml

    entries = yaml.load(_native_functions().read_text(), Loader=yaml.CSafeLoader)
    found = set()
    for entry in entries:
        keys = {key.strip() for group in entry.get("dispatch") or {} for key in group.split(",")}
        if "CPU" in keys and not keys & set(GPU_KEYS):
            found.add("aten::" + entry["func"].split("(")[0])
    assert found == devices.CPU_ONLY


def _histogram_matrix(preds: torch.Tensor, targets: torch.Tensor, n: int) -> torch.Tensor:
    index = (targets * n + preds).double()
    return torch.histogram(index, bins=n * n, range=(0.0, float(n * n))).hist.long().reshape(n, n)


def test_an_operator_no_gpu_runs_is_refused_on_the_emulated_gpu_as_cuda_refuses_it() -> None:
    preds, targets = torch.tensor([0, 1, 2, 1]), torch.tensor([0, 2, 2, 1])
    assert _histogram_matrix(preds, targets, 3).tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    with pytest.raises(NotImplementedError, match="'CUDA' backend") as raised:
        devices.call_on_gpu(_histogram_matrix, [preds, targets, 3], {}, devices.real_gpu())
    assert _library_message(str(raised.value)).startswith(
        "Could not run 'aten::histogram.bin_ct' with arguments from the 'CUDA' backend")
    # (what every GPU runs still runs: bincount, as the reference counts)
    value, where = devices.to_host(devices.call_on_gpu(
        lambda p, t, n: torch.bincount(t * n + p, minlength=n * n).reshape(n, n),
        [preds, targets, 3], {}, devices.real_gpu()))
    assert value.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]] and where == ["gpu"]


def test_torchs_own_getters_see_the_gpu_a_notebook_sees() -> None:
    """Red team 65 read a tensor's device with torch's own getter
    (`torch._C.TensorBase.__dict__["device"].__get__(x)`), which answered `meta` on the
    emulated GPU alone, and moved nothing to the device anywhere else: the getters answer
    what the tensor's properties answer."""
    def read(x: torch.Tensor) -> list[object]:
        getters = torch._C.TensorBase.__dict__
        return [getters["device"].__get__(x), getters["is_cuda"].__get__(x),
                getters["is_meta"].__get__(x), x.device, (x * 2).device]

    seen, _ = devices.to_host(devices.call_on_gpu(read, [torch.ones(2)], {}, devices.real_gpu()))
    assert seen == [torch.device("cuda", 0), True, False, torch.device("cuda", 0),
                    torch.device("cuda", 0)]
