"""The notebook states every graded behaviour: a clause a check enforces but the stub's
docstring (or its Part's text) never states stops the build.

Why: binary_cross_entropy was graded on raising ValueError while its docstring had no
Raises section; a student following the notebook to the letter lost points.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from autograder.assign import build as assign
from autograder.assign.build import (
    BuildError,
    check_clauses,
    clause_stated,
    contract_gaps,
)
from autograder.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
SPEC = assign.Spec.for_lab(LAB)
MASTER = nbformat.read(LAB.master, as_version=4)


def _without_raises(nb: nbformat.NotebookNode, function: str) -> nbformat.NotebookNode:
    """`nb` with the Raises section of `function`'s docstring removed."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(f"def {function}("):
            start = cell.source.index("    Raises:")
            end = cell.source.index('    """', start)
            cell.source = cell.source[:start] + cell.source[end:]
            return nb
    raise AssertionError(f"no cell defines {function}")


def test_checks_declare_their_clauses() -> None:
    clauses = check_clauses(LAB)
    assert "raises ValueError for mismatched shapes" in clauses["binary_cross_entropy"]
    assert "raises ValueError for an unknown reduction" in clauses[
        "binary_cross_entropy_with_logits"]
    assert SPEC.clauses == clauses


def test_the_shipped_notebook_states_every_clause() -> None:
    assert contract_gaps(MASTER, SPEC, SPEC.clauses) == []


@pytest.mark.parametrize("function", ["binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss"])
def test_a_missing_clause_fails_the_build(function: str, tmp_path: Path) -> None:
    broken = _without_raises(MASTER, function)
    gaps = contract_gaps(broken, SPEC, SPEC.clauses)
    assert gaps and all(gap.startswith(f"{function}:") for gap in gaps)
    path = tmp_path / LAB.master.name
    nbformat.write(broken, path)
    with pytest.raises(BuildError, match=f"{function}: the docstring"):
        assign.render(path, SPEC)


def test_clause_words_match_by_stem() -> None:
    assert clause_stated("raises ValueError for mismatched shapes",
                         "Raises:\n    ValueError: if the inputs have mismatched shape.")
    assert not clause_stated("raises ValueError for mismatched shapes",
                             "Returns the loss for inputs of any shape.")
