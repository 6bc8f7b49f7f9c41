"""A cell is compiled as Jupyter compiles it: the worker's own `from __future__` imports do
not reach it, so its annotations are evaluated when its functions are defined."""

from __future__ import annotations

from tests.engine.conftest import one_cell_session

CELL = '''
import torch

def typed(x: torch.Tensor) -> torch.Tensor:
    return x * 2

try:
    def broken(x: NotDefinedAnywhere) -> None:
        return None
    undefined = "no error"
except NameError as exc:
    undefined = type(exc).__name__
'''

POSTPONED = '''
from __future__ import annotations

def later(x: NotDefinedAnywhere) -> None:
    return None

annotation = later.__annotations__["x"]
'''


def test_annotations_are_evaluated_as_in_jupyter(zygote) -> None:
    with one_cell_session(zygote, CELL) as session:
        assert session.cells[1].error is None, session.cells[1].error
        assert session.get_var("undefined") == "NameError"
        assert session.call("typed", 3).value == 6


def test_a_cells_own_future_import_still_applies(zygote) -> None:
    with one_cell_session(zygote, POSTPONED) as session:
        assert session.cells[1].error is None, session.cells[1].error
        assert session.get_var("annotation") == "NotDefinedAnywhere"


SOURCE_READER = '''
import inspect
import torch

@torch.jit.script
def _lse(x: torch.Tensor, dim: int) -> torch.Tensor:
    m = torch.amax(x, dim=dim, keepdim=True)
    return m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))

def first_line():
    return inspect.getsource(first_line).splitlines()[0]

def lse_of_zeros():
    return float(_lse(torch.zeros(1, 2), 1))
'''


def test_code_that_reads_its_own_source_runs_as_in_jupyter(zygote) -> None:
    """A cell's source is where `inspect` finds it, as IPython keeps it: `torch.jit.script`
    over a helper (fresh eyes 17: "can't get source", every check of log_softmax lost)."""
    with one_cell_session(zygote, SOURCE_READER) as session:
        assert session.cells[1].error is None, session.cells[1].error
        assert session.call("first_line").value == "def first_line():"
        assert abs(session.call("lse_of_zeros").value - 0.6931471805599453) < 1e-6
