"""The student lab build: staleness, determinism, and what the student version may contain."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.assign import build as assign
from autograder.assign.handin import self_check_init
from autograder.lab import Lab

pytestmark = pytest.mark.xdist_group("assign-build")

REPO = Path(__file__).resolve().parents[2]
LAB = Lab.load(REPO)
SPEC = assign.Spec.for_lab(LAB)
MASTER = LAB.master
QUESTIONS = (*SPEC.graded_functions, "always_negative", "mse_vs_ce", "outliers", "concept_checks")
STALE = "generated lab files are stale: {} — run `make assignment` and commit the result"

#: Lines of the reference bodies that the lesson itself teaches (the lecture's training
#: loop) or that are too generic to identify a solution.
TAUGHT_LINES = {
    "optimizer.zero_grad()",
    "loss.backward()",
    "optimizer.step()",
    "with torch.no_grad():",
    "raise ValueError(",
}


@pytest.fixture(scope="session")
def fresh() -> dict[str, bytes]:
    """Every generated file, rendered from the master right now."""
    return assign.render(MASTER)


@pytest.fixture(scope="module")
def student_nb(fresh: dict[str, bytes]):
    return nbformat.reads(fresh["assignment/lab05.ipynb"].decode(), as_version=4)


@pytest.fixture(scope="module")
def master_nb():
    return nbformat.read(MASTER, as_version=4)


@pytest.fixture(scope="module")
def reference_tree(fresh: dict[str, bytes]) -> ast.Module:
    return ast.parse(fresh["solutions/reference.py"].decode())


def _code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _functions(sources: list[str]) -> dict[str, list[ast.FunctionDef]]:
    found: dict[str, list[ast.FunctionDef]] = {}
    for src in sources:
        for node in ast.parse(src).body:
            if isinstance(node, ast.FunctionDef):
                found.setdefault(node.name, []).append(node)
    return found


def _body_without_docstring(node: ast.FunctionDef) -> list[ast.stmt]:
    body = node.body
    if ast.get_docstring(node, clean=False) is not None:
        body = body[1:]
    return body


# ------------------------------------------------------------------------- staleness
def test_committed_outputs_are_up_to_date(fresh: dict[str, bytes]) -> None:
    stale = []
    for key, data in fresh.items():
        path = REPO / key
        if not path.is_file() or path.read_bytes() != data:
            stale.append(key)
    committed = {
        f"assignment/{p.relative_to(REPO / 'assignment').as_posix()}"
        for p in (REPO / "assignment").rglob("*")
        if p.is_file()
    }
    stale += sorted(committed - set(fresh))
    assert not stale, STALE.format(", ".join(stale))


def test_build_writes_identical_bytes_on_rerun(fresh: dict[str, bytes], tmp_path: Path) -> None:
    assignment_dir, solutions_dir = tmp_path / "assignment", tmp_path / "solutions"
    (assignment_dir / "leftover").mkdir(parents=True)
    (assignment_dir / "leftover" / "old.txt").write_text("must be cleared")
    assign.build(MASTER, assignment_dir, solutions_dir)
    written = {
        f"assignment/{p.relative_to(assignment_dir).as_posix()}": p.read_bytes()
        for p in assignment_dir.rglob("*")
        if p.is_file()
    }
    written.update({f"solutions/{p.name}": p.read_bytes() for p in solutions_dir.iterdir()})
    assert written == fresh


def test_check_flag_reports_stale_outputs(
    fresh: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(assign, "render", lambda master=MASTER, spec=None: fresh)
    assignment_dir, solutions_dir = tmp_path / "assignment", tmp_path / "solutions"
    assign._write(fresh, assignment_dir, solutions_dir)
    args = ["--assignment-dir", str(assignment_dir), "--solutions-dir", str(solutions_dir)]
    assert assign.main(["--check", *args]) == 0

    (assignment_dir / "tests" / "mse_loss.py").write_text("# edited by hand\n")
    assert assign.main(["--check", *args]) == 1
    err = capsys.readouterr().err
    assert "assignment/tests/mse_loss.py" in err and "make assignment" in err


# ------------------------------------------------------------------------- master notebook
def test_master_has_no_outputs_and_stable_ids(master_nb) -> None:
    ids = [c.get("id") for c in master_nb.cells]
    assert all(ids) and len(set(ids)) == len(ids)
    for cell in master_nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"master cell {cell.id} has outputs; clear them before committing"
            )


def test_master_config(master_nb) -> None:
    first = master_nb.cells[0]
    assert first.cell_type == "raw" and first.source.startswith("# ASSIGNMENT CONFIG")
    config = yaml.safe_load(first.source)
    assert config["name"] == "lab05"
    assert config["tests"] == {"files": True, "ok_format": False}
    assert config["init_cell"] and config["check_all_cell"]
    assert config["export_cell"] is False and config["generate"] is False


def test_master_has_no_hidden_tests(master_nb) -> None:
    # otter treats a test cell whose first line is a comment mentioning "hidden", or whose
    # TEST CONFIG says `hidden: true`, as hidden; the real grading lives in autograder/.
    for cell in master_nb.cells:
        if cell.cell_type != "code" or not cell.source:
            continue
        first = cell.source.splitlines()[0].lstrip()
        assert not (first.startswith("#") and re.search(r"\bhidden\b", first, re.I)), cell.id
        assert not re.search(r"hidden:\s*true", cell.source, flags=re.IGNORECASE), cell.id


# ------------------------------------------------------------------------- reference.py
def test_reference_defines_every_graded_function(reference_tree: ast.Module) -> None:
    names = [n.name for n in reference_tree.body if isinstance(n, ast.FunctionDef)]
    assert names == [
        "_check_reduction",
        "_check_same_shape",
        "_reduce",
        *SPEC.graded_functions[:10],
        "_safe_ratio",
        *SPEC.graded_functions[10:],
    ]
    for node in reference_tree.body:
        if isinstance(node, ast.FunctionDef):
            assert ast.get_docstring(node) is None, f"{node.name}: docstring left in reference.py"
            assert "SOLUTION" not in ast.unparse(node) and "PROMPT" not in ast.unparse(node)


def test_reference_is_importable_and_correct(fresh: dict[str, bytes]) -> None:
    import torch
    import torch.nn.functional as F

    namespace: dict = {"__name__": "generated_reference"}
    exec(compile(fresh["solutions/reference.py"], "reference.py", "exec"), namespace)
    logits = torch.tensor([[3.2, 5.1, -1.7], [0.5, 0.2, 2.0]], dtype=torch.float64)
    targets = torch.tensor([0, 2])
    expected = F.cross_entropy(logits, targets)
    assert torch.allclose(namespace["cross_entropy"](logits, targets), expected)


# ------------------------------------------------------------------------- answers.json
def test_answers(fresh: dict[str, bytes]) -> None:
    answers = json.loads(fresh["solutions/answers.json"])
    assert set(answers) == set(SPEC.answer_variables)
    assert answers["always_negative_accuracy"] == pytest.approx(0.95)
    assert answers["always_negative_f1"] == 0.0
    letters = [answers[v] for v in SPEC.mc_choices]
    assert all(isinstance(x, str) and len(x) == 1 and x.islower() for x in letters)
    assert len(set(letters)) >= 3, "vary which letter is correct"


# ------------------------------------------------------------------------- student notebook
def test_student_stubs_keep_signature_and_docstring(student_nb, reference_tree) -> None:
    stubs = _functions(_code_cells(student_nb))
    reference = {n.name: n for n in reference_tree.body if isinstance(n, ast.FunctionDef)}
    for name in SPEC.graded_functions:
        assert len(stubs.get(name, [])) == 1, f"{name}: expected exactly one definition"
        stub = stubs[name][0]
        assert ast.get_docstring(stub), f"{name}: the student stub lost its docstring"
        assert ast.dump(stub.args) == ast.dump(reference[name].args), f"{name}: signature"
        assert ast.dump(stub.returns) == ast.dump(reference[name].returns), f"{name}: return type"
        body = _body_without_docstring(stub)
        assert len(body) == 1 and isinstance(body[0], ast.Raise), f"{name}: stub is not a raise"
        call = body[0].exc
        assert isinstance(call, ast.Call) and ast.unparse(call.func) == "NotImplementedError"
        hint = call.args[0]
        assert isinstance(hint, ast.Constant) and hint.value.startswith(f"{name}: "), name
        assert "..." not in hint.value and len(hint.value) < 100


def test_student_helpers_are_provided_in_full(student_nb, reference_tree) -> None:
    stubs = _functions(_code_cells(student_nb))
    reference = {n.name: n for n in reference_tree.body if isinstance(n, ast.FunctionDef)}
    for name in ("_check_reduction", "_check_same_shape", "_reduce", "_safe_ratio"):
        assert ast.dump(stubs[name][0]) == ast.dump(reference[name]), name


def test_student_notebook_has_no_solution_code(student_nb, fresh) -> None:
    ref_src = fresh["solutions/reference.py"].decode()
    ref_lines = ref_src.splitlines()
    solution_lines = set()
    for node in ast.parse(ref_src).body:
        if isinstance(node, ast.FunctionDef) and node.name in SPEC.graded_functions:
            assert node.end_lineno is not None
            for i in range(node.body[0].lineno - 1, node.end_lineno):
                line = ref_lines[i].strip()
                if len(line) >= 12 and line not in TAUGHT_LINES:
                    solution_lines.add(line)
    leaked = [
        (cell.id, line.strip())
        for cell in student_nb.cells
        for line in cell.source.splitlines()
        if line.strip() in solution_lines
    ]
    assert not leaked, f"solution code in the student notebook: {leaked}"


def test_student_notebook_has_no_answers_or_markers(student_nb, fresh) -> None:
    answers = json.loads(fresh["solutions/answers.json"])
    assigned: dict[str, list[str]] = {}
    for src in _code_cells(student_nb):
        for node in ast.parse(src).body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(ast.unparse(node.value))
    for name in answers:
        assert assigned.get(name) == ["..."], f"{name} should be a `...` placeholder"
    text = "\n".join(c.source for c in student_nb.cells)
    for marker in ("SOLUTION", "BEGIN PROMPT", "END PROMPT", "BEGIN TESTS", "BEGIN QUESTION",
                   "ASSIGNMENT CONFIG", "TEST CONFIG", "# HIDDEN", "# IGNORE"):
        assert marker not in text, marker
    assert all(c.cell_type != "raw" for c in student_nb.cells)
    for cell in student_nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
        assert "answer-setup" not in cell.metadata.get("tags", [])
    assert "tests" not in student_nb.metadata.get("otter", {}), "tests must not be in metadata"


def test_student_notebook_structure(student_nb) -> None:
    sources = _code_cells(student_nb)
    assert sources[0] == self_check_init("lab05.ipynb")  # otter's, or one message without tests/
    checks = [s for s in sources if s.startswith("grader.check(")]
    assert checks == [f'grader.check("{q}")' for q in QUESTIONS]
    assert sources[-1] == "grader.check_all()"
    assert "grader.export" not in "\n".join(sources)
    assert student_nb.metadata["kernelspec"]["name"] == "python3"


# ------------------------------------------------------------------------- public tests
def test_public_tests_are_exception_based_and_public(fresh: dict[str, bytes]) -> None:
    tests = {k: v.decode() for k, v in fresh.items() if k.startswith("assignment/tests/")}
    assert sorted(tests) == sorted(f"assignment/tests/{q}.py" for q in QUESTIONS)
    for key, src in tests.items():
        assert "OK_FORMAT = False" in src, key
        assert ">>>" not in src, f"{key}: doctest-style test"
        assert "hidden=True" not in src, f"{key}: hidden test in the student version"
        assert src.count("@test_case(") >= 1, key
        ast.parse(src)


def test_public_tests_do_not_reveal_answers(fresh: dict[str, bytes]) -> None:
    answers = json.loads(fresh["solutions/answers.json"])
    for name, allowed in SPEC.mc_choices.items():
        key = next(k for k, v in fresh.items() if k.startswith("assignment/tests/")
                   and f"def test_{name}_" in v.decode())
        src = fresh[key].decode()
        # (as grading reads it: `test_part_e_experiments.letter`)
        assert f"answer = {name} if isinstance({name}, str)" in src and (
            f"answer.strip().strip('().').strip().lower() in {tuple(allowed)!r}" in src), (
            f"{name}: test must accept every letter, in either case or brackets, as grading "
            "does")
        assert f"== {answers[name]!r}" not in src and f'== "{answers[name]}"' not in src
    always_negative = fresh["assignment/tests/always_negative.py"].decode()
    assert "0.95" not in always_negative and "950" not in always_negative


def _with_solution_of_mse(master_nb, body: str, imports: str = ""):
    """The master notebook with mse_loss's solution replaced by `body` (and `imports` in a
    code cell of its own before it)."""
    nb = nbformat.from_dict(json.loads(json.dumps(master_nb)))
    cell = next(c for c in nb.cells if c.cell_type == "code" and "def mse_loss(" in c.source)
    cell.source = (f"def mse_loss(pred, target, reduction='mean'):\n"
                   f"    {body}  # SOLUTION\n")
    if imports:
        nb.cells.insert(nb.cells.index(cell), nbformat.v4.new_code_cell(imports))
    return nb


def test_the_reference_keeps_the_master_imports_it_uses(master_nb) -> None:
    """A solution using a module the master imports (math) is built with that import, and
    only the imports it uses come along (no matplotlib in the judge)."""
    nb = _with_solution_of_mse(master_nb, "return (pred - target).pow(2).mean() * math.prod([1])",
                               "import math\nimport json as unused_here")
    source = assign.reference_source(nb, SPEC)
    assert "\nimport math\n" in source and "unused_here" not in source
    assert "matplotlib" not in source
    compile(source, "reference.py", "exec")


def test_a_reference_using_a_name_it_never_binds_is_refused(master_nb) -> None:
    nb = _with_solution_of_mse(master_nb, "return numpy_helper(pred - target)")
    with pytest.raises(assign.BuildError, match="numpy_helper, which it neither imports"):
        assign.reference_source(nb, SPEC)
