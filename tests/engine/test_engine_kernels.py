"""A notebook that registers its own kernel over one of torch's operators (`torch.library`)
changes what the worker computes its evidence with (an outside red team replaced
`aten::equal`, and the in-place edit check compared nothing): the worker's integrity check
reads the operators' kernel tables (`integrity.Kernels`) and reports it on every evidence."""

from __future__ import annotations

import torch

from autograder.sandbox import integrity
from tests.engine.conftest import one_cell_session

# (a worker refuses a notebook's kernel: `harness.refuse_kernel_registrations`; this one goes
# past the refusal through the grader's own entry point, read off the harness — what the
# kernel tables are still read for)
OVERRIDE = """
import sys, torch
_lib = torch.library.Library("aten", "IMPL")
sys.modules["autograder.sandbox.harness"]._IMPL(_lib.m, "equal", "CPU", lambda a, b: True,
                                                False)
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


REGISTERS = """
import torch
try:
    _lib = torch.library.Library("aten", "IMPL")
    _lib.impl("equal", lambda a, b: True, "CPU")
    refused = ""
except RuntimeError as error:
    refused = str(error)
def edits(x):
    x.add_(1.0)
    return x.sum()
"""


def test_a_notebooks_kernel_is_refused(zygote) -> None:
    """Outside red team 75: a kernel over `aten::stack` ran in the grader's own loaders. A
    worker refuses every kernel of the notebook's own (torch's own registrations go on)."""
    with one_cell_session(zygote, REGISTERS) as session:
        assert "refuses kernels" in session.get_var("refused")
        session.call("edits", torch.ones(3))
        assert session.findings() == []
