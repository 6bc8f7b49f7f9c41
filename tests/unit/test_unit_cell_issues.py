"""grader.cell_issues alone: a notebook of many failing cells is reported in a bounded list —
every skipped cell and every cell that would have defined a graded name, the first others
one by one, the rest counted — so a page of feedback stays readable and small (and carries
out no more than that of what a notebook read)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from autograder.grader import LISTED_CELLS, cell_issues
from autograder.load.notebook import Cell, Submission


def _session(n: int, defining: set[int], fatal: set[int]) -> SimpleNamespace:
    cells = tuple(Cell(index=i, source=f"def f{i}(): pass" if i in defining else "1/0",
                       defines=(f"f{i}",) if i in defining else ()) for i in range(1, n + 1))
    records = {i: SimpleNamespace(index=i, fatal="it hung" if i in fatal else "",
                                  error={"type": "ZeroDivisionError", "message": "division by zero"},
                                  location=f"cell {i}", line=1, code="1/0")
               for i in range(1, n + 1)}
    return SimpleNamespace(cells=records, submission=Submission("s", Path("s.ipynb"), cells, ""))


def test_failed_cells_beyond_the_listed_few_are_counted_not_listed() -> None:
    n = LISTED_CELLS + 50
    issues = cell_issues(_session(n, defining={n - 1}, fatal={n}),  # type: ignore[arg-type]
                         frozenset({f"f{n - 1}"}))
    listed = [i for i in issues if i.location.startswith("cell ")]
    assert [i.location for i in listed[:LISTED_CELLS]] == [f"cell {i}"
                                                           for i in range(1, LISTED_CELLS + 1)]
    # the cell that would have defined a graded name and the skipped one are listed whatever
    # their place
    assert {"cell 69", "cell 70"} <= {i.location for i in listed}
    assert issues[-1].location == f"{n - LISTED_CELLS - 2} more cells"
    assert len(issues) == LISTED_CELLS + 3


def test_a_few_failed_cells_are_all_listed() -> None:
    issues = cell_issues(_session(3, defining=set(), fatal=set()))  # type: ignore[arg-type]
    assert [i.location for i in issues] == ["cell 1", "cell 2", "cell 3"]


def test_cells_defining_names_nothing_grades_are_counted_past_the_listed_few() -> None:
    """One slice of a string raised per cell, each cell assigning a name of its own: listed
    all, the feedback carried out whatever the notebook read (red team 43). Past the first
    few only the cells that would define a graded name are listed."""
    n = LISTED_CELLS + 30
    session = _session(n, defining=set(range(1, n + 1)), fatal=set())
    issues = cell_issues(session, frozenset({"f45"}))  # type: ignore[arg-type]
    listed = [i.location for i in issues if i.location.startswith("cell ")]
    assert listed == [f"cell {i}" for i in range(1, LISTED_CELLS + 1)] + ["cell 45"]
    assert issues[-1].location == f"{n - LISTED_CELLS - 1} more cells"
