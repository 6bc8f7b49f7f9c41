"""A notebook that registers its own kernel over one of torch's operators (`torch.library`)
changes what the worker computes its evidence with (an outside red team replaced
`aten::equal`, and the in-place edit check compared nothing): the worker's integrity check
reads the operators' kernel tables (`integrity.Kernels`) and reports it on every evidence."""

from __future__ import annotations

import torch

from autograder.sandbox import integrity
from tests.engine.conftest import one_cell_session

OVERRIDE = """
import torch
_lib = torch.library.Library("aten", "IMPL")
_lib.impl("equal", lambda a, b: True, "CPU")
def edits(x):
    x.add_(1.0)
    return x.sum()
"""

HONEST = """
import torch
def edits(x):
    return (x + 1.0).sum()
"""


def test_a_kernel_registered_over_torchs_own_is_a_finding(zygote) -> None:
    with one_cell_session(zygote, OVERRIDE) as session:
        session.call("edits", torch.ones(3))
        found = session.findings()
    assert any("a kernel was registered over torch's aten::equal" in m for m in found), found


def test_honest_code_and_the_graders_own_work_change_no_kernel_table(zygote) -> None:
    with one_cell_session(zygote, HONEST) as session:
        session.call("edits", torch.ones(3))
        session.call("edits", torch.ones(3), gpu=True)  # (the emulated GPU: meta kernels)
        assert session.findings() == []


def test_the_snapshot_holds_each_watched_operators_table() -> None:
    kernels = integrity.kernels()
    assert kernels is not None and kernels.names == integrity.KERNEL_OPS
    assert all(text.startswith("name: " + name) for name, text in
               zip(kernels.names, kernels.dumps, strict=True))
    assert kernels.dump("aten::equal") == kernels.dumps[0]
    assert torch.equal(torch.ones(2), torch.ones(2))
