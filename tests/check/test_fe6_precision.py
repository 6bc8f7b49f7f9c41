"""The values check names a float32 step only where the run shows one: an eps inside a log
(fresh eyes 6: `-log(p + 1e-9)`; here 3e-8, where the old rule named it) is as close to the
float32 reference as float32's rounding, but moves every value the same way: not named
float32 (the student would look for a `.float()` that is not there)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from lab05_checks.precision import expect_not_float32

from autograder.check.registry import CheckFailed
from autograder.config import load_config
from autograder.lab import Lab

TOLERANCES = load_config(Lab.load(Path(__file__).resolve().parents[2]).config).tolerances

LOGITS = torch.randn(6, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
TARGETS = torch.tensor([0, 1, 2, 3, 0, 1])


def _expected() -> torch.Tensor:
    return F.cross_entropy(LOGITS, TARGETS, reduction="none")


def test_an_eps_inside_the_log_is_not_named_float32() -> None:
    probs = LOGITS.softmax(1)
    value = -torch.log(probs.gather(1, TARGETS[:, None]).squeeze(1) + 3e-8)
    expect_not_float32(TOLERANCES, "cross_entropy", value, _expected(), F.cross_entropy,
                       (LOGITS, TARGETS), "with reduction='none'", reduction="none")


def test_a_float32_computation_is_named() -> None:
    value = F.cross_entropy(LOGITS.float(), TARGETS, reduction="none").double()
    with pytest.raises(CheckFailed, match="float32"):
        expect_not_float32(TOLERANCES, "cross_entropy", value, _expected(), F.cross_entropy,
                           (LOGITS, TARGETS), "with reduction='none'", reduction="none")
