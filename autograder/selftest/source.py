"""Build selftest notebooks: the reference module with one function changed.

A *transform* takes the reference module's source text (the lab's `solutions/reference.py`) and
returns the changed source. Transforms check that what they change is still there, so
after an edit of the lab a stale mutant is reported by name instead of silently grading
an unchanged reference.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from typing import Any

import nbformat

from autograder.lab import Lab

Transform = Callable[[str], str]


class StaleTransform(Exception):
    """A transform no longer applies to the reference (it was edited): update the library."""


def reference_source(lab: Lab | None = None) -> str:
    """The lab's reference module (the lab in the current directory by default)."""
    return (lab or Lab.load()).reference.read_text(encoding="utf-8")


def reference_answers(lab: Lab | None = None) -> dict[str, Any]:
    path = (lab or Lab.load()).answers
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def init_cell(notebook_name: str) -> str:
    """The otter header cell of a student notebook."""
    return f"import otter\ngrader = otter.Notebook({notebook_name!r})"


def _definitions(source: str) -> dict[str, ast.FunctionDef | ast.ClassDef]:
    return {node.name: node for node in ast.parse(source).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def function_names(source: str) -> list[str]:
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]


def _span(source: str, name: str) -> tuple[int, int]:
    """Character offsets of the top-level definition `name` (decorators included)."""
    node = _definitions(source).get(name)
    if node is None:
        raise StaleTransform(f"the reference has no function {name!r}")
    lines = source.splitlines(keepends=True)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    assert node.end_lineno is not None
    start = sum(len(line) for line in lines[:first])
    end = sum(len(line) for line in lines[:node.end_lineno])
    return start, end


def function_source(source: str, name: str) -> str:
    start, end = _span(source, name)
    return source[start:end]


def _put(source: str, name: str, text: str) -> str:
    start, end = _span(source, name)
    return source[:start] + text.strip("\n") + "\n" + source[end:]


def edit(function: str, *pairs: str) -> Transform:
    """Inside `function`, replace each `old` snippet by its `new` (given as old, new, ...)."""
    if len(pairs) % 2:
        raise ValueError("edit() takes (old, new) pairs")

    def transform(source: str) -> str:
        body = function_source(source, function)
        for old, new in zip(pairs[::2], pairs[1::2], strict=True):
            if old not in body:
                raise StaleTransform(f"{function} no longer contains {old!r}")
            body = body.replace(old, new)
        return _put(source, function, body)

    return transform


def replace(function: str, text: str) -> Transform:
    """Put `text` (a new definition of `function`, with any helpers it needs) in its place."""

    def transform(source: str) -> str:
        return _put(source, function, text)

    return transform


def rewrite(*definitions: str) -> Transform:
    """Each given definition replaces the reference function of the same name."""
    names = []
    for definition in definitions:
        functions = [n for n in ast.parse(definition.strip("\n")).body
                     if isinstance(n, ast.FunctionDef)]
        if len(functions) != 1:
            raise ValueError("rewrite() takes one function definition per argument")
        names.append(functions[0].name)

    def transform(source: str) -> str:
        for name, definition in zip(names, definitions, strict=True):
            source = _put(source, name, definition)
        return source

    return transform


def chain(*transforms: Transform) -> Transform:
    def transform(source: str) -> str:
        for step in transforms:
            source = step(source)
        return source

    return transform


def unchanged(source: str) -> str:
    return source


def answers_cell(answers: Mapping[str, Any]) -> str:
    return "\n".join(f"{key} = {value!r}" for key, value in answers.items())


def notebook(name: str, code: str, answers: Mapping[str, Any],
             notebook_name: str = "notebook.ipynb") -> nbformat.NotebookNode:
    """The otter header cell, the module as one code cell, then the answers."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["selftest"] = {"name": name}  # distinct bytes: never graded as a duplicate
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (init_cell(notebook_name), code,
                                                            answers_cell(answers))]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb
