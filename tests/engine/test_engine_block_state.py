"""The no-library block's refusal of libraries written in Python holds whatever a graded
function does to the block's own trace function (this stop's own review: +1 each)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from lab05_checks.test_part_b_classification import SOFTMAX_NO_LIB

from tests.fixtures.make_fixtures import REFERENCE, answers, notebook

OWN = """    shifted = logits - logits.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)
"""

SKLEARN = """    from sklearn.utils.extmath import softmax as library
    moved = logits.movedim(dim, -1)
    rows = moved.reshape(-1, moved.shape[-1]).detach().double().numpy().copy()
    return torch.from_numpy(library(rows)).to(logits.dtype).reshape(moved.shape).movedim(-1, dim)
"""

EMPTIED = """    import sys
    trace = sys.gettrace()
    for cell in (trace.__closure__ or ()) if trace is not None else ():
        value = cell.cell_contents
        cell.cell_contents = type(value)() if isinstance(value, (tuple, frozenset, dict)) \\
            else value
""" + SKLEARN

UNSET_AND_SET = """    import sys
    trace = sys.gettrace()
    sys.settrace(None)
    try:
""" + "".join("    " + line + "\n" for line in SKLEARN.replace("return", "value =").splitlines()) \
    + """    finally:
        sys.settrace(trace)
    return value
"""


@pytest.mark.parametrize(("name", "body"), [("closure_emptied", EMPTIED),
                                            ("trace_unset_and_set_again", UNSET_AND_SET)])
def test_scikit_learns_softmax_is_refused_whatever_the_function_does_to_the_trace(
        grader, tmp_path: Path, name: str, body: str) -> None:
    assert OWN in REFERENCE
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook(REFERENCE.replace(OWN, body, 1), answers()), path)
    result = grader.grade(path, name)
    verdict = {t.name: t for t in result.tests}[SOFTMAX_NO_LIB]
    assert not verdict.passed, verdict.output
