"""The CUDA runtime API while the GPU is emulated (`sandbox.cuda_runtime`): what a one-GPU
machine answers, only while the emulation says a GPU is there; torch's own otherwise."""

from __future__ import annotations

import pytest
import torch

from autograder.sandbox import cuda_runtime, harness


def test_the_runtime_answers_as_one_gpu_while_emulated() -> None:
    with harness.FakeCuda(True):
        assert torch.cuda.is_available() and torch.cuda.current_device() == 0
        assert torch.cuda.get_device_name(0) == cuda_runtime.NAME
        properties = torch.cuda.get_device_properties(torch.device("cuda"))
        assert properties.total_memory == cuda_runtime.TOTAL_MEMORY and properties.major == 8
        assert torch.cuda.mem_get_info() == (cuda_runtime.TOTAL_MEMORY,) * 2
        torch.cuda.set_device(0)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        assert torch.cuda.max_memory_allocated() == 0
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        end.record()
        end.synchronize()
        assert start.elapsed_time(end) > 0  # (a throughput divides by it)
        with torch.cuda.stream(torch.cuda.Stream()):
            torch.cuda.current_stream().synchronize()
        x = torch.arange(3.0)
        pinned = x.pin_memory()
        assert torch.equal(pinned, x) and pinned is not x


@pytest.mark.parametrize("fake", [False, None])
def test_torchs_own_runtime_answers_otherwise(fake) -> None:
    """Without a GPU (or on a real one): torch's own functions, so an unguarded call fails
    on a CPU-only machine as it would anywhere else."""
    if torch.cuda.is_available():
        pytest.skip("a real GPU answers for itself")
    with harness.FakeCuda(fake):
        for call in (lambda: torch.cuda.get_device_name(0), torch.cuda.synchronize,
                     lambda: torch.cuda.Event(enable_timing=True),
                     lambda: torch.arange(3.0).pin_memory()):
            with pytest.raises((AssertionError, RuntimeError, AttributeError)):
                call()
