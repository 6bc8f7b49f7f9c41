"""No message a student or TA reads names how the project found a mistake.

Fresh eyes 51 read "(…; fresh eyes 50's where(p > 0, log(p), -100) was told only of a clamp)"
on a feedback page: the history of a check belongs in its comments and docstrings. Every
string the grading code could put in a message (each string constant of the engine, the
lab's checks and its worker modules that is no docstring) is read here for the project's
review vocabulary.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The selftest library's notebooks (mutants, alternatives) are the instructor's, never shown
SOURCES = [*sorted((ROOT / "autograder").rglob("*.py")),
           *sorted(p for p in (ROOT / "solutions" / "lab05_checks").glob("*.py")
                   if p.name not in ("mutants.py", "alternatives.py", "generated.py")),
           *sorted((ROOT / "worker").rglob("*.py"))]
PROVENANCE = re.compile(r"fresh eyes|red team|mistakes review|ops review|\bstop \d+\b", re.I)


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def test_no_message_string_names_a_review() -> None:
    assert len(SOURCES) > 50
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:80]}"
                  for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and id(node) not in docs and PROVENANCE.search(node.value)]
    assert not found, found
