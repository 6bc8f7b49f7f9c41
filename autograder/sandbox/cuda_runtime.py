"""The CUDA runtime API as a one-GPU machine answers it, while the GPU is emulated.

Why: the device checks run a student's function with `torch.cuda.is_available()` saying
True on a worker without a GPU (`harness.FakeCuda`, `sandbox.devices`). Correct code guarded
by that answer then calls what any CUDA machine provides — `torch.cuda.get_device_name(0)`
printed by `get_device`, `torch.cuda.synchronize()` or CUDA events around a loop, peak-memory
statistics, `pin_memory()` before a non-blocking copy — and a CPU build of PyTorch refuses
each ("Torch not compiled with CUDA enabled"): a fresh outside review's ten correct notebooks
lost 2 points each, told to fix code that has no bug, or that it hard-codes "cuda".

Each function here is put in `torch.cuda` (and `Tensor.pin_memory`) by `harness.install`,
before the integrity snapshot, and answers as CUDA does only while the emulation says a GPU
is there (`emulating()`); otherwise the original runs (a real GPU, or a run with none, where
an unguarded call fails as it would on a CPU-only machine). Nothing here computes a value a
check compares: timings are the host's clock, memory figures those of an idle device.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import torch

NAME = "Emulated GPU (autograder)"
TOTAL_MEMORY = 16 * 1024**3
CAPABILITY = (8, 0)


class EmulatedProperties:
    """What `torch.cuda.get_device_properties` gives, for the emulated device."""

    name = NAME
    total_memory = TOTAL_MEMORY
    major, minor = CAPABILITY
    multi_processor_count = 80
    is_integrated = False
    is_multi_gpu_board = False
    warp_size = 32

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{NAME}', major={self.major}, minor={self.minor}, "
                f"total_memory={TOTAL_MEMORY // 1024**2}MB, multi_processor_count="
                f"{self.multi_processor_count})")


class EmulatedEvent:
    """A CUDA event: recorded at the host's clock (the emulated device runs synchronously)."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False) -> None:
        self.enable_timing = enable_timing
        self.at: float | None = None

    def record(self, stream: Any = None) -> None:
        self.at = time.perf_counter()

    def wait(self, stream: Any = None) -> None:
        return None

    def query(self) -> bool:
        return True

    def synchronize(self) -> None:
        return None

    def elapsed_time(self, end_event: EmulatedEvent) -> float:
        """Milliseconds between the two records, as CUDA gives them (never 0: a loop that
        divides by it, for a throughput, does not fail)."""
        if self.at is None or getattr(end_event, "at", None) is None:
            raise RuntimeError("elapsed_time: both events must be recorded first")
        return max((end_event.at - self.at) * 1000.0, 1e-3)  # type: ignore[operator]


class EmulatedStream:
    """A CUDA stream of the emulated device: everything on it is already done."""

    def __init__(self, device: Any = None, priority: int = 0, **kwargs: Any) -> None:
        self.device = torch.device("cuda", 0)
        self.priority = priority

    def synchronize(self) -> None:
        return None

    def query(self) -> bool:
        return True

    def wait_stream(self, stream: Any) -> None:
        return None

    def wait_event(self, event: Any) -> None:
        return None

    def record_event(self, event: Any = None) -> EmulatedEvent:
        event = event if isinstance(event, EmulatedEvent) else EmulatedEvent()
        event.record()
        return event


def _none(*args: Any, **kwargs: Any) -> None:
    return None


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


# torch.cuda's name -> what it does on the emulated device (what a CPU build refuses; its
# `empty_cache()` and `memory_allocated()` family already answer as an idle device)
EMULATED: dict[str, Callable[..., Any]] = {
    "synchronize": _none,
    "set_device": _none,
    "ipc_collect": _none,
    "reset_peak_memory_stats": _none,
    "reset_max_memory_allocated": _none,
    "reset_max_memory_cached": _none,
    "reset_accumulated_memory_stats": _none,
    "current_device": _zero,
    "get_device_name": lambda device=None: NAME,
    "get_device_capability": lambda device=None: CAPABILITY,
    "get_device_properties": lambda device=None: EmulatedProperties(),
    "mem_get_info": lambda device=None: (TOTAL_MEMORY, TOTAL_MEMORY),
    "memory_summary": lambda device=None, abbreviated=False: f"{NAME}: no memory in use\n",
    "Event": EmulatedEvent,
    "Stream": EmulatedStream,
    "current_stream": lambda device=None: EmulatedStream(),
    "default_stream": lambda device=None: EmulatedStream(),
    "stream": lambda stream=None: contextlib.nullcontext(),
}


# torch.accelerator's name -> what it answers on the emulated device: PyTorch's
# device-agnostic API (its tutorials' `get_device` since 2.6) reads the build's accelerator
# from torch._C, None on a CPU build, so the emulated GPU said "no GPU" there (red team 99's
# correct `current_accelerator(check_available=True)`, -2). Its `is_available()` asks
# `current_accelerator()` and then `torch.cuda.is_available()`: both answered.
ACCELERATOR_EMULATED: dict[str, Callable[..., Any]] = {
    "current_accelerator": lambda check_available=False: torch.device("cuda"),
    "device_count": lambda: 1,
    "current_device_index": _zero,
    "current_device_idx": _zero,
    "set_device_index": _none,
    "set_device_idx": _none,
    "synchronize": _none,
}


def wrappers(emulating: Callable[[], bool]) -> list[tuple[Any, str, Any]]:
    """(owner, name, wrapper) for each function above that torch has, and for
    `Tensor.pin_memory`: the emulated answer while `emulating()`, else torch's own."""
    found: list[tuple[Any, str, Any]] = []
    accelerator = getattr(torch, "accelerator", None)
    for owner, table in ((torch.cuda, EMULATED), (accelerator, ACCELERATOR_EMULATED)):
        for name, emulated in table.items() if owner is not None else ():
            original = vars(owner).get(name)
            if original is None:
                continue

            def wrapper(*args: Any, _emulated: Any = emulated, _original: Any = original,
                        **kwargs: Any) -> Any:
                return (_emulated if emulating() else _original)(*args, **kwargs)

            wrapper.__name__ = wrapper.__qualname__ = name
            wrapper.__doc__ = getattr(original, "__doc__", None)
            found.append((owner, name, wrapper))
    # (`torch.backends.cuda.is_built()`: what a CUDA build answers — fresh eyes 35's
    # get_device tested it before `is_available()`, as torch itself does inside it)
    import torch.backends.cuda as backends_cuda

    is_built = vars(backends_cuda).get("is_built")
    if is_built is not None:
        def built() -> bool:
            return True if emulating() else bool(is_built())

        built.__name__ = built.__qualname__ = "is_built"
        built.__doc__ = getattr(is_built, "__doc__", None)
        found.append((backends_cuda, "is_built", built))
    pin_memory = torch.Tensor.pin_memory

    def pinned(t: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        # (a copy in page-locked host memory: on the emulated device, a plain copy)
        return t.clone() if emulating() and t.device.type == "cpu" else pin_memory(t, *args,
                                                                                  **kwargs)

    pinned.__name__ = pinned.__qualname__ = "pin_memory"
    found.append((torch.Tensor, "pin_memory", pinned))
    return found
