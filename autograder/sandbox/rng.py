"""Seeding torch's random number generators, cheaply.

`torch.manual_seed` also seeds every accelerator backend (CUDA, XPU, MTIA); for a backend
that is not initialised it queues the seed together with `traceback.format_stack()`, which
reads every source file of the stack through linecache. That made seeding the largest cost
of a worker call (about half a millisecond, hundreds of calls per submission). Only the
CPU generator matters until CUDA is initialised, and once it is, seeding CUDA is direct.
"""

from __future__ import annotations

import os

import torch

# torch's own `torch.cuda.is_available`, taken at import (before the harness wraps it to
# answer as an emulated GPU would: `harness.FakeCuda`), and its answer in each process: a
# machine's CUDA does not come or go while a worker lives, and asking costs a few µs, on a
# path that runs hundreds of times a submission. (Where the emulation says "available" and
# no CUDA is there, the seed torch would queue is for an initialisation that never comes.)
_IS_AVAILABLE = torch.cuda.is_available
_REAL_CUDA: dict[int, bool] = {}


def _cuda_here() -> bool:
    pid = os.getpid()  # (asked again in a forked process: never the zygote's answer)
    known = _REAL_CUDA.get(pid)
    if known is None:
        known = _REAL_CUDA[pid] = bool(_IS_AVAILABLE())
    return known


def seed_rngs(seed: int) -> None:
    """What `torch.manual_seed(seed)` does for the generators in use, without the stack dump."""
    torch.default_generator.manual_seed(seed)
    if _cuda_here():
        if torch.cuda.is_initialized():
            torch.cuda.manual_seed_all(seed)
        else:  # the seed must wait for lazy initialisation: torch's own queue does that
            torch.manual_seed(seed)
