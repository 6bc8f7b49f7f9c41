"""Execute the lab notebooks end to end: the reference version and the student version."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbconvert.preprocessors import ExecutePreprocessor

from autograder.assign import build as assign
from autograder.lab import Lab

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("assign-notebooks")]

REPO = Path(__file__).resolve().parents[2]
LAB = Lab.load(REPO)
SPEC = assign.Spec.for_lab(LAB)
TIME_LIMIT_S = 60
#: A private kernelspec running *this* interpreter (the venv's), so that no user-level or
#: system-wide ``python3`` kernelspec can send the notebooks to another Python.
KERNEL = "lab05-assign-tests"


@pytest.fixture(scope="module", autouse=True)
def venv_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    data_dir = tmp_path_factory.mktemp("jupyter")
    spec_dir = data_dir / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (lab05 tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(data_dir))
        yield


def _execute(path: Path, *, allow_errors: bool) -> tuple[nbformat.NotebookNode, float]:
    nb = nbformat.read(path, as_version=4)
    client = ExecutePreprocessor(
        timeout=TIME_LIMIT_S * 2, kernel_name=KERNEL, allow_errors=allow_errors
    )
    start = time.perf_counter()
    client.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    return nb, time.perf_counter() - start


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return output.get("data", {}).get("text/plain", "")


def _check_cells(nb) -> list[tuple[str, list]]:
    return [
        (c.source, c.outputs)
        for c in nb.cells
        if c.cell_type == "code" and c.source.startswith("grader.check(")
    ]


@pytest.fixture(scope="module")
def otter_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assign.run_otter_assign(LAB.master, tmp_path_factory.mktemp("otter"))


def test_reference_notebook_runs_and_passes_every_check(otter_out: Path) -> None:
    """The autograder (solutions) version: top to bottom, no error, every check passes."""
    path = otter_out / "autograder" / SPEC.notebook
    nb = nbformat.read(path, as_version=4)
    names = ", ".join(f'"{v}": {v}' for v in SPEC.answer_variables)
    nb.cells.append(nbformat.v4.new_code_cell(f"import json\nprint(json.dumps({{{names}}}))"))
    nbformat.write(nb, path)

    executed, elapsed = _execute(path, allow_errors=False)

    assert elapsed < TIME_LIMIT_S, f"reference notebook took {elapsed:.1f} s"
    print(f"reference notebook executed in {elapsed:.1f} s")
    checks = _check_cells(executed)
    assert len(checks) == len(SPEC.graded_functions) + 4
    for source, outputs in checks:
        text = "".join(_text(o) for o in outputs)
        assert "All test cases passed!" in text, f"{source}:\n{text}"
    check_all = executed.cells[-2]
    assert check_all.source == "grader.check_all()"
    summary = "".join(_text(o) for o in check_all.outputs)
    assert "failed" not in summary.lower() and summary.count("All test cases passed!") == len(
        checks
    )
    printed = json.loads(executed.cells[-1].outputs[0].text)
    expected = json.loads((REPO / "solutions" / "answers.json").read_text())
    assert printed == expected
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) == 3, "each Part E experiment draws one figure"


def test_student_notebook_runs_with_stubs(tmp_path: Path) -> None:
    """The committed student notebook runs; only stubs fail, and checks fail politely."""
    work = tmp_path / "assignment"
    shutil.copytree(REPO / "assignment", work)

    executed, elapsed = _execute(work / SPEC.notebook, allow_errors=True)

    assert elapsed < TIME_LIMIT_S
    errors = [
        (c.source.splitlines()[0], o.ename)
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert all(ename == "NotImplementedError" for _, ename in errors), errors

    checks = _check_cells(executed)
    assert len(checks) == len(SPEC.graded_functions) + 4
    for source, outputs in checks:
        assert [o.output_type for o in outputs] == ["execute_result"], source
        text = _text(outputs[0])
        assert "Test case failed" in text, f"{source}:\n{text}"
        assert "Traceback" not in text and "otter/" not in text, f"{source}:\n{text}"
        assert len(text) < 3000, f"{source}: feedback too long"
    for name in SPEC.graded_functions:
        feedback = next(_text(o[0]) for s, o in checks if s == f'grader.check("{name}")')
        assert f"NotImplementedError: {name}: " in feedback, feedback

    streams = "".join(
        o.text for c in executed.cells if c.cell_type == "code"
        for o in c.outputs if o.output_type == "stream"
    )
    assert streams.count("first, then re-run this cell.") >= 4, streams
