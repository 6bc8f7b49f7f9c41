"""Seeding torch's random number generators, cheaply.

`torch.manual_seed` also seeds every accelerator backend (CUDA, XPU, MTIA); for a backend
that is not initialised it queues the seed together with `traceback.format_stack()`, which
reads every source file of the stack through linecache. That made seeding the largest cost
of a worker call (about half a millisecond, hundreds of calls per submission). Only the
CPU generator matters until CUDA is initialised, and once it is, seeding CUDA is direct.
"""

from __future__ import annotations

import torch


def seed_rngs(seed: int) -> None:
    """What `torch.manual_seed(seed)` does for the generators in use, without the stack dump."""
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_available():
        if torch.cuda.is_initialized():
            torch.cuda.manual_seed_all(seed)
        else:  # the seed must wait for lazy initialisation: torch's own queue does that
            torch.manual_seed(seed)
