"""`python -m autograder new-lab DIR --name NAME`: a minimal lab folder that works at once.

Why: a lab is a folder found by convention (`autograder.lab`), and the quickest way to
learn the convention is a folder that already follows it. The scaffold holds one graded
function with its hidden check, a mutant the check catches, an alternative it must not
penalise, a worker-side scenario module, and a master notebook in otter-assign format;
`assign`, `grade`, `selftest` and `export gradescope` accept it as written. The instructor
then replaces the example with the lab's own functions.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from autograder.config import ConfigError
from autograder.lab import CONFIG

CONFIG_TEXT = '''\
# {name}'s grading configuration. Test names must match the hidden checks
# (solutions/{name}_checks) exactly: the two are checked against each other before any
# grading. Visibility follows Gradescope: visible, hidden, after_due_date, after_published.
# Limits and tolerances not written here take the engine's defaults.
assignment: {name}
default_visibility: visible

limits:
  submission_timeout_s: 60    # whole notebook plus every check
  cell_timeout_s: 10          # one notebook cell
  call_timeout_s: 8           # one call of a student function

tests:
  "scale: multiplies every element by factor (float32 and float64)": {{points: 2}}
'''

CHECKS_INIT = '''\
"""{name}'s hidden checks (test_*.py), the contract `assign` builds from (spec.py) and the
selftest library (mutants.py, alternatives.py). Never shipped; a worker never sees it."""
'''

SPEC = '''\
"""{name}'s contract for `python -m autograder assign`: the graded functions the master's
solution cells define (in notebook order), helpers students get in full, answer variables."""

from __future__ import annotations

from collections.abc import Mapping

TITLE = "{name}"

#: Graded functions, in the order the notebook (and reference.py) defines them.
GRADED_FUNCTIONS: tuple[str, ...] = ("scale",)

#: Provided helpers that reference.py also defines.
HELPERS: tuple[str, ...] = ()

#: Multiple-choice answer variables (one letter each) and their allowed letters.
MC_CHOICES: Mapping[str, str] = {{}}

#: Numeric answers, computed in the master with the reference functions.
NUMERIC_ANSWERS: tuple[str, ...] = ()
'''

CHECKS = '''\
"""{name}'s hidden checks. Each check name is a constant written once, here:
grading_config.yaml gives it points, mutants.py imports it."""

from __future__ import annotations

import torch

from autograder.check.compare import expect_tensor
from autograder.check.registry import check

SCALE_VALUES = "scale: multiplies every element by factor (float32 and float64)"


@check(SCALE_VALUES, "scale should return x * factor, a new tensor of x's shape and dtype.")
def test_scale_values(student, ref, tol):
    gen = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        x = torch.randn(4, 3, generator=gen).to(dtype)
        for factor in (2.0, -0.5):
            result = student.call("scale", x, factor)
            expect_tensor(result.value, ref.scale(x, factor), tol, "scale",
                          f"for a {{dtype}} input and factor={{factor}}")
'''

MUTANTS = '''\
"""Realistic mistakes: the reference with ONE function changed, each naming the check that
must catch it (by its constant) and a word of that check's message."""

from __future__ import annotations

from autograder.selftest.library import Mutant
from autograder.selftest.source import edit
from {name}_checks.test_{name} import SCALE_VALUES

MUTANTS: list[Mutant] = [
    Mutant("mutant_scale_adds", "scale", edit("scale", "x * factor", "x + factor"),
           SCALE_VALUES, "wrong value"),
]
'''

ALTERNATIVES = '''\
"""Correct implementations unlike the reference: each must score full marks."""

from __future__ import annotations

from autograder.selftest.library import Alternative
from autograder.selftest.source import edit

ALTERNATIVES: list[Alternative] = [
    Alternative("alt_scale_mul", ("scale",), edit("scale", "x * factor", "torch.mul(x, factor)")),
]
'''

WORKER = '''\
"""{name}'s worker-side scenarios: code that must run inside the worker, beside the student's
functions (a training step on a model built there, a device emulated there). The zygote
imports this module before its first fork; nothing here is secret (student code shares the
process). A check runs one with `student.scenario("scale_twice", params)` and should judge
what it returns against its own recomputation, not trust it.
"""

from __future__ import annotations

from typing import Any

from autograder.sandbox import harness
from autograder.sandbox.harness import scenario


@scenario("scale_twice", function="scale")
def scale_twice(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """An example: the student's scale applied to its own result."""
    try:
        once = ns["scale"](params["x"], float(params["factor"]))
        return {{"error": None, "value": ns["scale"](once, float(params["factor"]))}}
    except Exception as exc:
        return {{"error": harness.error_info(exc)}}
'''

ASSIGNMENT_CONFIG = """# ASSIGNMENT CONFIG
name: {name}
init_cell: true
check_all_cell: true
export_cell: false
run_tests: false
generate: false
runs_on: default
tests:
    files: true
    ok_format: false"""

SOLUTION = '''def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """``x`` with every element multiplied by ``factor`` (a new tensor)."""
    # BEGIN SOLUTION NO PROMPT
    return x * factor
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("scale: multiply x by factor")
    """ # END PROMPT'''

PUBLIC_TEST = '''def test_scale_doubles(scale):
    import torch

    assert torch.equal(scale(torch.tensor([1.0, -2.0]), 2.0), torch.tensor([2.0, -4.0])), (
        "scale: scale([1, -2], 2) should be [2, -4]"
    )


test_scale_doubles(scale)'''


def master_notebook(name: str) -> nbformat.NotebookNode:
    """The master in otter-assign format: config, text, the solution with its prompt, a
    public test (the student notebook's `grader.check`)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"}, "language_info": {"name": "python"}}
    raw, markdown, code = (nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell,
                           nbformat.v4.new_code_cell)
    nb.cells = [
        raw(ASSIGNMENT_CONFIG.format(name=name)),
        markdown(f"# {name}\n\nReplace each `raise NotImplementedError(...)` line with your code "
                 "and run the `grader.check(...)` cell after it."),
        code("import torch"),
        raw("# BEGIN QUESTION\nname: scale"),
        markdown("### 1. `scale`\n\nReturn `x` with every element multiplied by `factor`."),
        raw("# BEGIN SOLUTION"), code(SOLUTION), raw("# END SOLUTION"),
        raw("# BEGIN TESTS"), code(PUBLIC_TEST), raw("# END TESTS"),
        raw("# END QUESTION"),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name}-{i:03d}"
    return nb


def new_lab(folder: Path, name: str) -> list[Path]:
    """Write the lab's sources into `folder` (new or empty); return the files written.
    `python -m autograder assign --lab folder` then generates the rest."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ConfigError(f"lab name {name!r} must be a Python identifier (it names the "
                          "notebook and the checks package)")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(f"{folder} already exists and is not an empty folder")
    checks = folder / "solutions" / f"{name}_checks"
    files = {
        folder / CONFIG: CONFIG_TEXT,
        checks / "__init__.py": CHECKS_INIT,
        checks / "spec.py": SPEC,
        checks / f"test_{name}.py": CHECKS,
        checks / "mutants.py": MUTANTS,
        checks / "alternatives.py": ALTERNATIVES,
        folder / "worker" / "scenarios.py": WORKER,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(name=name), encoding="utf-8")
    master = folder / "solutions" / f"{name}.ipynb"
    master.write_text(nbformat.writes(master_notebook(name), version=4) + "\n", encoding="utf-8")
    return [*files, master]
