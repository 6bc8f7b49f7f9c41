"""The zygote's rehearsal of the worker's paths (`rehearsal`): every request it makes is
answered as a worker answers a judge, and it leaves nothing changed behind it — not torch's
random state, not a switch, not a binding the integrity baseline (taken after it) covers."""

from __future__ import annotations

import random

import torch

from autograder.sandbox import harness, integrity, rehearsal
from autograder.sandbox.zygote import warm_up


def test_the_rehearsal_is_answered_as_a_worker_answers_and_leaves_nothing_changed() -> None:
    warm_up()  # as the zygote does first (torch wraps some of its functions on first use)
    torch.manual_seed(7)
    random.seed(7)
    rng, py_rng = torch.get_rng_state(), random.getstate()
    harness.install()
    snapshot, tools = integrity.take(harness.LAB_MODULES), integrity.tools()
    replies = rehearsal.run(rounds=2)
    assert torch.equal(torch.get_rng_state(), rng) and random.getstate() == py_rng
    ops = [op for op, _, _ in rehearsal._requests()]
    assert len(replies) == len(ops)
    by_op = dict(zip(ops, replies, strict=False))
    calls = [r for op, r in zip(ops, replies, strict=True) if op == "call"]
    # the library blocked (a block's own path too), the pair, then raises and missing
    assert [bool(r.get("ok")) for r in calls] == [True] * 6 + [False, True, False, False]
    assert calls[6]["error"]["type"] == "LibraryBlocked"
    assert calls[8]["error"]["type"] == "ValueError" and calls[9].get("missing") is True
    assert len(by_op["calls"]["results"]) == 10 and by_op["verify"]["markers"] == []
    assert (harness.SWITCHES.cuda_as_cpu, harness.SWITCHES.meta_copies,
            harness.SWITCHES.fake_cuda, harness.SWITCHES.backward) == (False, False, None, None)
    findings: list[tuple[str, tuple[str, ...]]] = []
    assert integrity.verify(snapshot, tools, findings) == 0, findings
