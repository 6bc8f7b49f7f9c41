"""Several notebooks in one upload: a batch of a Gradescope export grades, under the
submission's own id, the notebook the Gradescope package would grade (s8/run2.sh: the
batch took `Untitled.ipynb`, 0, while the package takes `lab05.ipynb`, 126). One rule,
`discover.notebook_rank`, for both."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.batch.discover import discover
from autograder.export.gradescope import choose_notebook

NOTEBOOK = nbformat.writes(nbformat.v4.new_notebook())


def upload(folder: Path, names: list[str]) -> Path:
    for i, name in enumerate(names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(NOTEBOOK + "\n" * i)  # different bytes: not duplicates
    return folder


@pytest.mark.parametrize(("names", "chosen"), [
    (["Untitled.ipynb", "lab05.ipynb"], "lab05.ipynb"),  # the assignment's own name first
    (["LAB05.ipynb", "a.ipynb"], "LAB05.ipynb"),  # whatever its case
    (["work/lab05.ipynb", "scratch.ipynb"], "work/lab05.ipynb"),  # even deeper
    (["Untitled.ipynb", "draft/attempt.ipynb"], "Untitled.ipynb"),  # then the shallowest
    (["Zeta.ipynb", "alpha.ipynb"], "alpha.ipynb"),  # then by name, case-insensitively
])
def test_the_batch_and_the_package_grade_the_same_notebook(tmp_path: Path, names: list[str],
                                                           chosen: str):
    export = tmp_path / "export"
    submission = upload(export / "submission_1005", names)
    found = {f.submission_id: f.path for f in
             discover([export], tmp_path / "unpacked", assignment="lab05").submissions}
    assert found["submission_1005"] == submission / chosen
    assert found["submission_1005-2"] != submission / chosen
    package = choose_notebook(submission, tmp_path / "unpacked2", "lab05")
    assert package.notebook == submission / chosen
