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
