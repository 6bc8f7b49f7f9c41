"""What the student notebook says about handing in, generated from the grader's config.

Why: a student who raised the epochs in an experiment and timed out had never been told
there was a limit; one who opened the notebook on Colab without its `tests/` folder saw
`ValueError: Test mse_loss not found` under every self-check cell. So the build adds,
from `grading_config.yaml` at build time (never copied by hand, so never stale):

- a "Handing in" cell after the title: what to submit, how, and the limits the grader
  applies (cell and notebook time, memory, files, network);
- a self-check set-up cell in place of otter's plain one, which says once, in words,
  that the self-checks are off when `tests/` (or otter) is missing, instead of a
  traceback per cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import nbformat

from autograder.config import Limits

OTTER_INIT_MARK = "# Initialize Otter"


def handing_in_markdown(notebook: str, limits: Limits,
                        tolerances: Mapping[str, tuple[float, float]] | None = None) -> str:
    return f"""## Handing in

* **What:** this notebook, `{notebook}`, with your code in it, and nothing else. Keep
  every function's name and signature as given (the autograder also passes arguments by
  position, in the order given), and the `q_…` answer variables.
* **How:** first *Kernel → Restart & Run All* and check that it runs from top to bottom,
  then save it and upload `{notebook}` where your course collects this lab (Gradescope or
  the LMS assignment). You may hand in again before the deadline; your latest upload is
  the one graded.
* **Limits while it is graded** (the grader's own settings): each cell may run for at
  most {limits.cell_timeout_s:g} s and the whole notebook, with every check, for
  {limits.submission_timeout_s:g} s; memory about {limits.memory_mb} MB beyond PyTorch
  itself; a file you write at most {limits.max_file_mb} MB, and it is gone after grading;
  no network. A cell over its limit is skipped and named in your feedback, so keep the
  experiments' sizes (epochs, grids) as the cells set them.
* **Self-checks:** the `grader.check(...)` cells run the public tests in the `tests/`
  folder that came with this notebook, with the grader's tolerances. Keep `tests/` next to
  the notebook (on Colab, upload the folder too); without it the checks say so once and
  your work is graded the same.
{_comparisons(tolerances or {})}"""


#: What the engine's own tolerance kinds compare (a lab's own kinds are named as declared).
_KINDS = {"float32": "float32 results", "float64": "float64 results",
          "training": "a training run's losses and parameters",
          "metric": "metrics", "gradient": "float64 gradients (backward())"}
#: (a lab's own kinds: named by the config's key, e.g. `edge_gradient`)


def _comparisons(tolerances: Mapping[str, tuple[float, float]]) -> str:
    """How values are compared, with the grader's tolerances (the config's, at build time)."""
    if not tolerances:
        return ""
    kinds = "; ".join(f"{_KINDS.get(kind, f'`{kind}`')} rtol {rtol:g}, atol {atol:g}"
                      for kind, (rtol, atol) in tolerances.items())
    return ("* **How values are compared:** as `torch.allclose(yours, expected, rtol, atol)` "
            f"(or `math.isclose` for a number) with the grader's tolerances — {kinds}. The "
            "self-checks use the same ones.\n")


def self_check_init(notebook: str) -> str:
    return f'''# Self-checks: the public tests in tests/ next to this notebook (the grader's tolerances)
import os

try:
    import otter
except ImportError:  # e.g. a fresh Colab runtime: run `!pip install otter-grader` first
    otter = None


class _SelfChecksOff:
    """Stands in for the checker when tests/ or otter is missing: says so once."""

    told = False

    def check(self, *args, **kwargs):
        if not _SelfChecksOff.told:
            _SelfChecksOff.told = True
            print("Self-checks are off: put the tests/ folder that came with this notebook "
                  "next to it (on Colab, upload it too) and `pip install otter-grader`, then "
                  "re-run this cell. Your work is graded the same either way.")

    check_all = check


grader = (otter.Notebook("{notebook}") if otter is not None and os.path.isdir("tests")
          else _SelfChecksOff())'''


def apply(nb: Any, notebook: str, limits: Limits, stem: str,
          tolerances: Mapping[str, tuple[float, float]] | None = None) -> Any:
    """Add the handing-in cell after the first markdown cell; replace otter's init cell."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(OTTER_INIT_MARK):
            cell.source = self_check_init(notebook)
    title = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
    cell = nbformat.v4.new_markdown_cell(handing_in_markdown(notebook, limits, tolerances))
    cell["id"] = f"{stem}-handing-in"
    nb.cells.insert(title + 1, cell)
    return nb
