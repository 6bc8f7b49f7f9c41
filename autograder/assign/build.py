"""Build the student lab from the otter-assign master notebook.

A lab's master notebook (``solutions/NAME.ipynb``) is the single source of the lab: teaching text, reference
solutions, public tests and Part E answers. This module turns it into

* ``assignment/`` — the student notebook and its public tests, exactly as otter assign
  writes the student version, normalised so that a rebuild gives identical bytes;
* ``solutions/reference.py`` — the reference implementation, extracted from the solution
  cells (otter markers and docstrings stripped);
* ``solutions/answers.json`` — the correct value of every Part E answer variable.

Run ``python -m autograder.assign.build`` (``--check`` only reports staleness).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import io
import json
import re
import shutil
import subprocess
import symtable
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.assign import handin
from autograder.config import Limits, load_config
from autograder.lab import Lab

STALE_HINT = "run `make assignment` (python -m autograder assign) and commit the result"


@dataclass(frozen=True)
class Spec:
    """What a lab's master notebook must define (from the lab's `<name>_checks/spec.py`)."""

    notebook: str  # NAME.ipynb
    title: str
    graded_functions: tuple[str, ...]  # in the order the notebook defines them
    helpers: tuple[str, ...] = ()  # provided in full to students; reference.py defines them
    sections: Mapping[str, str] = field(default_factory=dict)  # comment before a function
    mc_choices: Mapping[str, str] = field(default_factory=dict)  # answer -> allowed letters
    numeric_answers: tuple[str, ...] = ()
    # The grader's tolerances (grading_config.yaml), written into the public tests at build
    # time so a self-check is never stricter or looser than the grade: kind -> (rtol, atol).
    tolerances: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # Graded function -> the contract clauses its checks enforce (see `check_clauses`).
    clauses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The grader's limits, told to students in the generated "Handing in" cell.
    limits: Limits = field(default_factory=Limits)

    @property
    def answer_variables(self) -> tuple[str, ...]:
        return self.numeric_answers + tuple(self.mc_choices)

    @classmethod
    def for_lab(cls, lab: Lab | None = None) -> Spec:
        lab = lab or Lab.load()
        module = lab.import_checks("spec")
        config = load_config(lab.config)
        tolerances = config.tolerances
        return cls(lab.notebook_name, str(getattr(module, "TITLE", lab.name)),
                   tuple(module.GRADED_FUNCTIONS), tuple(getattr(module, "HELPERS", ())),
                   dict(getattr(module, "SECTIONS", {})), dict(getattr(module, "MC_CHOICES", {})),
                   tuple(getattr(module, "NUMERIC_ANSWERS", ())),
                   {kind: (tol.rtol, tol.atol) for kind, tol in tolerances},
                   check_clauses(lab), config.limits)

#: Master-notebook cells carrying this tag are executed (after the reference code) to
#: compute the numeric answers.
ANSWER_SETUP_TAG = "answer-setup"
#: Tags of ours that are removed from the student notebook.
PRIVATE_TAGS = frozenset({ANSWER_SETUP_TAG})

_DEFAULT_IMPORTS = ("import torch", "import torch.nn as nn", "import torch.nn.functional as F")


def reference_header(spec: Spec, imports: tuple[str, ...] = ()) -> str:
    """The module's docstring and imports: torch's three, then the master notebook's own
    (`master_imports`), so a solution using `math` runs as the notebook did."""
    extra = "".join(f"{line}\n" for line in imports if line not in _DEFAULT_IMPORTS)
    return f'''\
"""Reference solutions for {spec.title}.

Hidden: never shipped to students and never readable by a grading worker. The
judge imports it to compute expected values and reference training runs.

Generated from solutions/{spec.notebook} by `python -m autograder assign`: edit the
notebook, not this file.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
{extra}'''

SECTION_RULE = "# " + "-" * 64 + " "

_SOLUTION_SUFFIX = re.compile(r"\s*# ?SOLUTION( NO PROMPT)?\s*$")
_BLOCK_MARKERS = ("# BEGIN SOLUTION", "# BEGIN SOLUTION NO PROMPT", "# END SOLUTION")
_ANSWER_LINE = re.compile(r"^(?P<name>\w+)\s*=\s*(?P<expr>.+?)\s*# ?SOLUTION\s*$")


class BuildError(RuntimeError):
    """The master notebook does not have the structure the build relies on."""


# --------------------------------------------------------------------------- otter assign
def run_otter_assign(master: Path, out_dir: Path) -> Path:
    """Run ``otter assign`` on ``master`` into ``out_dir`` (``autograder/`` + ``student/``).

    Tests are not run (the grading lives in ``autograder/check``); the master's config
    turns off the Gradescope zip, PDFs and the export cell.
    """
    master = Path(master).resolve()
    out_dir = Path(out_dir).resolve()
    cmd = [sys.executable, "-m", "otter", "assign", "--no-run-tests", "--no-pdfs"]
    proc = subprocess.run(
        [*cmd, str(master), str(out_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(
            f"otter assign failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    for sub in ("student", "autograder"):
        if not (out_dir / sub / master.name).is_file():
            raise BuildError(f"otter assign wrote no {sub}/{master.name} under {out_dir}")
    return out_dir


# --------------------------------------------------------------------------- student files
#: A public test's tolerance lines: a bare string naming the config's tolerance kind (a
#: comment would not survive otter, which re-prints the tests), then ``rtol, atol = ...``.
#: The build writes the config's numbers there, so a self-check uses the grade's tolerance.
_TOLERANCE_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<note>(?P<q>['\"])tolerances\.(?P<kind>\w+):[^\n]*(?P=q))\n"
    r"(?P=indent)rtol, atol = [^\n]*$", re.MULTILINE)


def apply_tolerances(text: str, tolerances: Mapping[str, tuple[float, float]]) -> str:
    """Write the grader's tolerances into a public test file's tolerance lines."""

    def substitute(match: re.Match[str]) -> str:
        kind = match["kind"]
        if kind not in tolerances:
            raise BuildError(f"public test uses tolerances.{kind}, which grading_config.yaml "
                             f"does not define (known: {sorted(tolerances)})")
        rtol, atol = tolerances[kind]
        return f"{match['indent']}{match['note']}\n{match['indent']}rtol, atol = {rtol!r}, {atol!r}"

    return _TOLERANCE_LINE.sub(substitute, text)


def _normalise_student_notebook(nb: Any, master_ids: Iterable[str], stem: str) -> Any:
    """Strip outputs, execution counts and private tags; give every cell a stable id."""
    known = set(master_ids)
    used: set[str] = set()
    anchor, generated = f"{stem}-start", 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        tags = [t for t in cell.metadata.get("tags", []) if t not in PRIVATE_TAGS]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        cell_id = cell.get("id")
        if cell_id in known and cell_id not in used:
            anchor, generated = cell_id, 0
        else:  # a cell otter created (init, check, check-all): name it after its predecessor
            generated += 1
            cell_id = f"{anchor}-otter{generated}"
        cell["id"] = cell_id
        used.add(cell_id)
    nb.metadata.pop("widgets", None)
    return nb


def _notebook_bytes(nb: Any) -> bytes:
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def student_files(otter_out: Path, master_nb: Any, spec: Spec) -> dict[str, bytes]:
    """The student-facing files of an otter assign run, keyed by path relative to assignment/."""
    student_dir = Path(otter_out) / "student"
    name = spec.notebook
    nb = nbformat.read(student_dir / name, as_version=4)
    master_ids = [c.get("id") for c in master_nb.cells if c.get("id")]
    stem = Path(name).stem
    nb = handin.apply(_normalise_student_notebook(nb, master_ids, stem), name, spec.limits, stem,
                       spec.tolerances)
    files = {name: _notebook_bytes(nb)}
    for path in sorted((student_dir / "tests").glob("*.py")):
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
        text = apply_tolerances(text, spec.tolerances)
        files[f"tests/{path.name}"] = text.encode("utf-8")
    unexpected = sorted(
        str(p.relative_to(student_dir))
        for p in student_dir.rglob("*")
        if p.is_file() and p.name != name and p.parent.name != "tests"
    )
    if unexpected:
        raise BuildError(f"otter assign wrote unexpected student files: {unexpected}")
    return files


# --------------------------------------------------------------------------- reference.py
def strip_otter_markers(source: str) -> str:
    """Solution view of a master cell: drop BEGIN/END SOLUTION lines and PROMPT blocks."""
    out: list[str] = []
    in_prompt = False
    for line in source.splitlines():
        stripped = line.rstrip()
        if in_prompt:
            in_prompt = not stripped.endswith("# END PROMPT")
            continue
        if stripped.endswith("# BEGIN PROMPT"):
            in_prompt = not stripped.endswith("# END PROMPT")
            continue
        if stripped.endswith(_BLOCK_MARKERS):
            continue
        out.append(_SOLUTION_SUFFIX.sub("", line))
    if in_prompt:
        raise BuildError(f"BEGIN PROMPT without END PROMPT in cell:\n{source}")
    return "\n".join(out)


def _definition_blocks(source: str, spec: Spec) -> list[tuple[str, str]]:
    """Top-level definitions of reference names in ``source``, docstrings removed."""
    wanted = set(spec.graded_functions) | set(spec.helpers)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise BuildError(f"cannot parse master cell: {exc}\n{source}") from exc
    lines = source.splitlines()
    blocks = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            name = node.name
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name = node.targets[0].id
        else:
            continue
        if name not in wanted:
            continue
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        assert node.end_lineno is not None
        keep = list(range(start - 1, node.end_lineno))
        if isinstance(node, ast.FunctionDef) and ast.get_docstring(node, clean=False) is not None:
            doc = node.body[0]
            assert doc.end_lineno is not None
            keep = [i for i in keep if not doc.lineno - 1 <= i < doc.end_lineno]
            if len(node.body) == 1:
                raise BuildError(f"{name}: the master defines only a docstring, no body")
        blocks.append((name, "\n".join(lines[i] for i in keep).rstrip()))
    return blocks


def reference_source(master_nb: Any, spec: Spec | None = None) -> str:
    """The text of solutions/reference.py, extracted from the master notebook."""
    spec = spec or Spec.for_lab()
    blocks: list[tuple[str, str]] = []
    for cell in master_nb.cells:
        if cell.cell_type == "code":
            blocks.extend(_definition_blocks(strip_otter_markers(cell.source), spec))
    names = [name for name, _ in blocks]
    expected = set(spec.graded_functions) | set(spec.helpers)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    missing = sorted(expected - set(names))
    if duplicated or missing:
        raise BuildError(f"master notebook: duplicated {duplicated}, missing {missing}")
    body = []
    for name, block in blocks:
        if name in spec.sections:
            block = f"{SECTION_RULE}{spec.sections[name]}\n{block}"
        body.append(block)
    text = body[0] + "".join(f"\n\n\n{p}" for p in body[1:]) + "\n"
    used = set(undefined_globals(text))
    imports = tuple(line for line in master_imports(master_nb) if _binds(line) & used)
    source = reference_header(spec, imports) + "\n" + text
    undefined = undefined_globals(source)
    if undefined:
        raise BuildError(f"the reference uses {', '.join(undefined)}, which it neither imports "
                         "nor defines: import it in the master notebook (a top-level import is "
                         "copied) or list the helper that defines it in the lab's spec")
    return source


def master_imports(master_nb: Any) -> tuple[str, ...]:
    """The master notebook's top-level imports, in order, once each (otter's and
    `__future__` left out: the header has its own)."""
    found: dict[str, None] = {}
    for cell in master_nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(strip_otter_markers(cell.source))
        except SyntaxError:
            continue  # (IPython syntax: a cell of magics imports nothing the reference uses)
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            if any(m.split(".")[0] in ("otter", "__future__") for m in modules):
                continue
            found.setdefault(ast.unparse(node))
    return tuple(found)


def _binds(import_line: str) -> set[str]:
    """The names an import statement binds (`import a.b` binds `a`)."""
    node = ast.parse(import_line).body[0]
    assert isinstance(node, (ast.Import, ast.ImportFrom))
    return {(alias.asname or alias.name).split(".")[0] for alias in node.names}


def undefined_globals(source: str) -> list[str]:
    """Global names the module's functions read that it neither binds nor has as builtins
    (what would raise NameError only when the judge first calls the function)."""
    table = symtable.symtable(source, "reference.py", "exec")
    bound = {s.get_name() for s in table.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    bound |= set(dir(builtins)) | {"__name__", "__file__", "__doc__"}
    missing: set[str] = set()
    todo = list(table.get_children())
    while todo:
        scope = todo.pop()
        todo.extend(scope.get_children())
        missing |= {s.get_name() for s in scope.get_symbols()
                    if s.is_global() and s.is_referenced() and s.get_name() not in bound}
    return sorted(missing)


# --------------------------------------------------------------------------- contract
_STOPWORDS = frozenset({"the", "and", "for", "with", "when", "any", "its", "than", "from", "into",
                        "not", "are", "was", "one", "each", "every"})


def clause_terms(clause: str) -> list[str]:
    """The words of a clause a notebook must state (5-letter stems, so "mismatched" is
    found in "mismatched" and "shapes" in "shape"); short and filler words are free."""
    words = re.findall(r"[A-Za-z][A-Za-z_]+", clause)
    return [w.lower()[:5] for w in words if len(w) >= 3 and w.lower() not in _STOPWORDS]


def clause_stated(clause: str, text: str) -> bool:
    stems = {w.lower()[:5] for w in re.findall(r"[A-Za-z][A-Za-z_]+", text)}
    return all(term in stems for term in clause_terms(clause))


def check_clauses(lab: Lab) -> dict[str, tuple[str, ...]]:
    """Graded function -> the contract clauses its hidden checks declare (`@check(...,
    clauses=...)`), read from the lab's check modules."""
    found: dict[str, list[str]] = {}
    for path in sorted(lab.checks.glob("test_*.py")):
        module = lab.import_checks(path.stem)
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", []):
                spec = mark.kwargs.get("spec") if getattr(mark, "name", "") == "grading" else None
                if spec is None:
                    continue
                for clause in spec.clauses:
                    found.setdefault(spec.name.split(":", 1)[0], []).append(clause)
    return {name: tuple(dict.fromkeys(clauses)) for name, clauses in found.items()}


def stated_text(master_nb: Any, spec: Spec) -> dict[str, str]:
    """Graded function -> what the notebook tells the student about it: its stub's
    docstring and the markdown of its question (the cells since the previous code cell)."""
    texts: dict[str, str] = {}
    markdown: list[str] = []
    for cell in master_nb.cells:
        if cell.cell_type == "markdown":
            markdown.append(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(strip_otter_markers(cell.source))
        except SyntaxError:
            tree = ast.Module(body=[], type_ignores=[])
        defined = [n for n in tree.body if isinstance(n, ast.FunctionDef)
                   and n.name in spec.graded_functions]
        for node in defined:
            texts[node.name] = "\n".join([*markdown, ast.get_docstring(node) or ""])
        if defined:
            markdown = []
    return texts


def contract_gaps(master_nb: Any, spec: Spec, clauses: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Clauses a check enforces that the notebook never states, one line each."""
    texts = stated_text(master_nb, spec)
    return [f"{function}: the docstring or its Part's text does not state {clause!r} "
            f"(needs the words {clause_terms(clause)})"
            for function, wanted in sorted(clauses.items()) for clause in wanted
            if not clause_stated(clause, texts.get(function, ""))]


# --------------------------------------------------------------------------- answers.json
def compute_answers(master_nb: Any, reference_src: str, spec: Spec | None = None) -> dict[str, Any]:
    """Correct values of the Part E answer variables.

    Every ``name = expr  # SOLUTION`` line of the master that assigns an answer variable is
    evaluated in a namespace holding the reference functions and the cells tagged
    ``answer-setup`` (the Part E data).
    """
    spec = spec or Spec.for_lab()
    expressions: dict[str, str] = {}
    setup: list[str] = []
    for cell in master_nb.cells:
        if cell.cell_type != "code":
            continue
        if ANSWER_SETUP_TAG in cell.metadata.get("tags", []):
            setup.append(cell.source)
        for line in cell.source.splitlines():
            match = _ANSWER_LINE.match(line)
            if match and match["name"] in spec.answer_variables:
                if match["name"] in expressions:
                    raise BuildError(f"{match['name']} is assigned twice in the master")
                expressions[match["name"]] = match["expr"]
    missing = sorted(set(spec.answer_variables) - set(expressions))
    if missing:
        raise BuildError(f"master notebook has no `# SOLUTION` line for {missing}")

    namespace: dict[str, Any] = {"__name__": "lab_answers"}
    with contextlib.redirect_stdout(io.StringIO()):  # the setup cells may print
        exec(compile(reference_src, "reference.py", "exec"), namespace)
        for i, src in enumerate(setup):
            exec(compile(src, f"answer-setup-{i}", "exec"), namespace)

    answers: dict[str, Any] = {}
    for name in spec.answer_variables:
        value = eval(expressions[name], namespace)
        if name in spec.mc_choices:
            choices = spec.mc_choices[name]
            if not (isinstance(value, str) and len(value) == 1 and value in choices):
                raise BuildError(f"{name}: answer {value!r} is not one of {choices!r}")
        else:
            value = float(value)
        answers[name] = value
    return answers


def answers_json(answers: Mapping[str, Any]) -> str:
    return json.dumps(dict(answers), indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------- build
def render(master: Path | None = None, spec: Spec | None = None) -> dict[str, bytes]:
    """Every generated file, keyed ``assignment/<path>`` or ``solutions/<name>``."""
    spec = spec or Spec.for_lab()
    master = Path(master) if master is not None else Lab.load().master
    master_nb = nbformat.read(master, as_version=4)
    gaps = contract_gaps(master_nb, spec, spec.clauses)
    if gaps:
        raise BuildError("the notebook does not state every graded behaviour:\n  "
                         + "\n  ".join(gaps))
    with tempfile.TemporaryDirectory(prefix="autograder-assign-") as tmp:
        out = run_otter_assign(master, Path(tmp) / "out")
        files = {f"assignment/{k}": v for k, v in student_files(out, master_nb, spec).items()}
    ref_src = reference_source(master_nb, spec)
    files["solutions/reference.py"] = ref_src.encode("utf-8")
    files["solutions/answers.json"] = answers_json(compute_answers(master_nb, ref_src, spec)).encode()
    return files


def _write(files: Mapping[str, bytes], assignment_dir: Path, solutions_dir: Path) -> None:
    if assignment_dir.exists():
        shutil.rmtree(assignment_dir)
    assignment_dir.mkdir(parents=True)
    solutions_dir.mkdir(parents=True, exist_ok=True)
    for key, data in files.items():
        top, rel = key.split("/", 1)
        path = (assignment_dir if top == "assignment" else solutions_dir) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def build(master: Path, assignment_dir: Path, solutions_dir: Path, spec: Spec | None = None) -> None:
    """Regenerate ``assignment_dir`` (cleared first) and solutions/{reference.py,answers.json}.

    ``solutions_dir`` may be the master's own directory: only ``reference.py`` and
    ``answers.json`` are written there.
    """
    files = render(Path(master), spec)
    _write(files, Path(assignment_dir), Path(solutions_dir))


def stale_files(
    master: Path | None = None,
    assignment_dir: Path | None = None,
    solutions_dir: Path | None = None,
    spec: Spec | None = None,
) -> list[str]:
    """Generated paths whose committed content differs from a fresh build (or is missing/extra)."""
    lab = Lab.load() if None in (master, assignment_dir, solutions_dir) else None
    master = master or lab.master  # type: ignore[union-attr]
    assignment_dir = assignment_dir or lab.assignment  # type: ignore[union-attr]
    solutions_dir = solutions_dir or lab.solutions  # type: ignore[union-attr]
    fresh = render(Path(master), spec)
    stale = []
    for key, data in fresh.items():
        top, rel = key.split("/", 1)
        path = (Path(assignment_dir) if top == "assignment" else Path(solutions_dir)) / rel
        if not path.is_file() or path.read_bytes() != data:
            stale.append(key)
    if Path(assignment_dir).is_dir():
        for path in sorted(Path(assignment_dir).rglob("*")):
            key = f"assignment/{path.relative_to(assignment_dir).as_posix()}"
            if path.is_file() and key not in fresh:
                stale.append(key)
    return sorted(stale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.assign.build",
        description="Build assignment/, solutions/reference.py and solutions/answers.json "
        "from the otter-assign master notebook.",
    )
    parser.add_argument("--lab", type=Path, default=Path("."), help="the lab folder (default: .)")
    parser.add_argument("--master", type=Path, default=None)
    parser.add_argument("--assignment-dir", type=Path, default=None)
    parser.add_argument("--solutions-dir", type=Path, default=None)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the outputs are stale"
    )
    args = parser.parse_args(argv)
    lab = Lab.load(args.lab)
    spec = Spec.for_lab(lab)
    args.master = args.master or lab.master
    args.assignment_dir = args.assignment_dir or lab.assignment
    args.solutions_dir = args.solutions_dir or lab.solutions
    try:
        if args.check:
            stale = stale_files(args.master, args.assignment_dir, args.solutions_dir, spec)
            if stale:
                print("stale generated files: " + ", ".join(stale), file=sys.stderr)
                print(STALE_HINT, file=sys.stderr)
                return 1
            print("assignment is up to date")
            return 0
        build(args.master, args.assignment_dir, args.solutions_dir, spec)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.assignment_dir}, {args.solutions_dir / 'reference.py'}, "
          f"{args.solutions_dir / 'answers.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
