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


PY_IMPL_REFUSED = """
import torch
from torch._C import DispatchKey
try:
    torch.ops.aten.equal.default.py_impl(DispatchKey.CPU)(lambda a, b: True)
    refused = ""
except RuntimeError as error:
    refused = str(error)
"""


def test_a_notebooks_python_kernel_is_refused(zygote) -> None:
    """Outside red team 76 gave operators Python kernels (`OpOverload.py_impl`): a worker's
    `py_impl` refuses the notebook's own (`harness.refuse_python_kernels`)."""
    with one_cell_session(zygote, PY_IMPL_REFUSED) as session:
        assert "refuses kernels" in session.get_var("refused")


# (past the refusal, through the grader's own entry point read off the harness: a Python
# kernel over `aten::equal`, which the in-place edit check compares with, and the Python
# dispatcher left on by the cell)
PYTHON_DISPATCHER_LEFT_ON = """
import sys, torch
from torch._C import DispatchKey
_op = torch.ops.aten.equal.default
sys.modules["autograder.sandbox.harness"]._PY_IMPL(_op, DispatchKey.CPU)(lambda a, b: True)
_ON = torch._C._EnablePythonDispatcher()
_ON.__enter__()
def edits(x):
    x.add_(1.0)
    return x.sum()
def still_on():
    return torch._C._dispatch_tls_is_dispatch_key_included(DispatchKey.PythonDispatcher)
"""


def test_the_python_dispatcher_a_cell_left_on_is_off_for_the_grader(zygote) -> None:
    """Outside red team 76: with the Python dispatcher left on, the kernel answered the
    worker's own comparison "unchanged" and an in-place edit kept its points (+2). Every
    request starts with the dispatcher off and the thread's dispatch keys as torch's
    (`harness.restore_dispatch_keys`)."""
    with one_cell_session(zygote, PYTHON_DISPATCHER_LEFT_ON) as session:
        assert session.call("edits", torch.ones(3)).mutated == [0]
        assert session.call("still_on").value is False


IN_THE_CALL = """
import sys, torch
from torch._C import DispatchKey
_op = torch.ops.aten.equal.default
sys.modules["autograder.sandbox.harness"]._PY_IMPL(_op, DispatchKey.CPU)(lambda a, b: True)
_KEEP = []
def edits(x):
    _KEEP.append(torch._C._EnablePythonDispatcher())
    _KEEP[-1].__enter__()
    x.add_(1.0)
    return x.sum()
"""


def test_the_python_dispatcher_a_call_switches_on_is_off_once_it_returns(zygote) -> None:
    """... and one the student's function switches on while it runs is off again before
    the worker compares anything of the call's."""
    with one_cell_session(zygote, IN_THE_CALL) as session:
        assert session.call("edits", torch.ones(3)).mutated == [0]
        assert session.call("edits", torch.ones(3), record=True).mutated == [0]
