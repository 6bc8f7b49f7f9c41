"""A cell is compiled as Jupyter compiles it: the worker's own `from __future__` imports do
not reach it, so its annotations are evaluated when its functions are defined."""

from __future__ import annotations

from autograder.load.transform import to_plain_python
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


# What a notebook does in Jupyter outside its graded functions (fresh eyes 22: each of these
# cost a correct notebook points: 91, 2 and 12)
JUPYTER_HABITS = '''
import torch
torch.set_num_threads(2)  # "use both cores"
torch.set_num_interop_threads(2)
x = torch.randn(600, 600)
product = float((x @ x).sum())  # (parallel work: a second thread would have been started)
threads = torch.get_num_threads()
display("a table")  # IPython puts `display` in every notebook's namespace
''' + to_plain_python("%%writefile metric_helpers.py\ndef safe_div(a, b):\n    "
                      "return a / b if b else 0.0\n") + '''
from metric_helpers import safe_div
'''


def test_jupyter_habits_outside_the_graded_functions_run_as_in_jupyter(zygote) -> None:
    """`torch.set_num_threads(2)` accepted (the worker stays on its one thread: it used to
    die starting the second), `display` there, and a module written by `%%writefile`
    importable by the next line, as Jupyter writes it."""
    with one_cell_session(zygote, JUPYTER_HABITS) as session:
        assert session.cells[1].error is None, session.cells[1].error
        assert session.get_var("threads") == 1
        assert session.call("safe_div", 1.0, 0).value == 0.0


# More of the same (fresh eyes 23): stacked cell magics over a graded function (8 points),
# `%run` of a file written by `%%writefile` (9), `%%file` (9), `!mkdir -p` before a save (2)
MORE_HABITS = [
    to_plain_python("%%time\n%%capture\ndef stacked(x):\n    return x + 1\n"),
    to_plain_python("%%file run_helpers.py\nimport sys\n"
                    "def squared_error(a, b):\n    return (a - b) ** 2\n"
                    "ARGS = sys.argv[1:]\n"),
    to_plain_python("%run run_helpers.py one two\n"),
    to_plain_python("!mkdir -p checkpoints/last\n%mkdir figures\n") +
    "import os\nfolders = [os.path.isdir('checkpoints/last'), os.path.isdir('figures')]\n",
]


def test_more_jupyter_habits_run_as_in_jupyter(zygote) -> None:
    with one_cell_session(zygote, "\n".join(MORE_HABITS)) as session:
        assert session.cells[1].error is None, session.cells[1].error
        assert session.call("stacked", 1).value == 2
        assert session.call("squared_error", 3, 1).value == 4
        assert session.get_var("ARGS") == ["one", "two"]
        assert session.get_var("folders") == [True, True]
