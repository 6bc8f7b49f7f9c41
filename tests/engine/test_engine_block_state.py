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


GRADER_CLASSES = r"""
import sys
refused = {}
for module, owner, name in [("autograder.sandbox.worker", "Worker", "_call"),
                            ("autograder.sandbox.harness", "CallRecorder", "__torch_function__"),
                            ("autograder.sandbox.harness", "LibraryBlock", "holds")]:
    cls = getattr(sys.modules[module], owner)
    try:
        setattr(cls, name, lambda *args, **kwargs: None)
        refused[owner] = False
    except TypeError:
        refused[owner] = True
"""


def test_a_cell_cannot_replace_a_method_of_the_graders(zygote) -> None:
    """A class attribute set raises no audit event in Python 3.11, and the integrity check
    finds it only when it next runs: a method of the grader's replaced from a cell (the
    worker's own `_call`, a recorder's), used, and put back before that would go unseen. The
    grader's classes are immutable in every worker (`worker.freeze_grader_classes`)."""
    from tests.engine.conftest import one_cell_session

    with one_cell_session(zygote, GRADER_CLASSES) as session:
        assert session.get_var("refused") == {"Worker": True, "CallRecorder": True,
                                              "LibraryBlock": True}
