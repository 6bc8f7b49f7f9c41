"""A `calls` request carries every call's tensors in one frame, each name prefixed by the
call it belongs to ("c3." + "args.0"); the worker hands each call its own, by prefix."""

from __future__ import annotations

import torch

from autograder.sandbox.worker import _by_prefix


def test_each_call_gets_its_own_tensors_under_their_own_names() -> None:
    a, b, c = torch.zeros(1), torch.ones(2), torch.full((3,), 2.0)
    groups = _by_prefix({"c0.args.0": a, "c0.upstream": b, "c10.args.0": c})
    assert set(groups) == {"c0.", "c10."}
    assert groups["c0."] == {"args.0": a, "upstream": b}
    assert groups["c10."] == {"args.0": c}  # "c1." is not a prefix of "c10."
    assert groups.get("c1.", {}) == {}


def test_a_name_without_a_prefix_belongs_to_no_call() -> None:
    assert _by_prefix({"upstream": torch.zeros(1)}) == {}
