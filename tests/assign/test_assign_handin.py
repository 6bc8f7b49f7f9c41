"""The student notebook says how to hand in, with the grader's own limits, and its
self-checks say once, in words, when their tests/ folder is missing (e.g. on Colab)."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import nbformat
import yaml

from autograder.assign.handin import self_check_init
from autograder.config import GradingConfig

ROOT = Path(__file__).resolve().parents[2]


def _student_notebook() -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "assignment" / "lab05.ipynb", as_version=4)


def test_handing_in_cell_follows_the_title_and_states_the_configs_limits():
    config = GradingConfig.model_validate(yaml.safe_load((ROOT / "grading_config.yaml").read_text()))
    cells = _student_notebook().cells
    titles = [i for i, c in enumerate(cells) if c.cell_type == "markdown"]
    handing_in = cells[titles[0] + 1]
    assert handing_in.get("id") == "lab05-handing-in"
    text = handing_in.source
    limits = config.limits
    for fact in (f"{limits.cell_timeout_s:g} s", f"{limits.submission_timeout_s:g} s",
                 f"{limits.memory_mb} MB", f"{limits.max_file_mb} MB", "`lab05.ipynb`",
                 "tests/", "no network"):
        assert fact in text, fact
    # every tolerance the checks compare with, as the config sets it
    for kind, tolerance in config.tolerances:
        assert f"rtol {tolerance.rtol:g}, atol {tolerance.atol:g}" in text, kind


def test_the_self_check_cell_is_the_generated_one():
    sources = [c.source for c in _student_notebook().cells if c.cell_type == "code"]
    assert self_check_init("lab05.ipynb") in sources
    assert not any(s.startswith("# Initialize Otter") for s in sources)


def test_without_tests_the_self_checks_say_so_once(tmp_path: Path):
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    here = os.getcwd()
    os.chdir(tmp_path)  # no tests/ folder here
    try:
        with contextlib.redirect_stdout(printed):
            exec(self_check_init("lab05.ipynb"), namespace)
            grader = namespace["grader"]
            grader.check("mse_loss")  # type: ignore[attr-defined]
            grader.check("mae_loss")  # type: ignore[attr-defined]
            grader.check_all()  # type: ignore[attr-defined]
    finally:
        os.chdir(here)
    lines = [line for line in printed.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1 and "tests/ folder" in lines[0]


def test_with_tests_the_self_checks_are_otters(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "lab05.ipynb").write_bytes((ROOT / "assignment" / "lab05.ipynb").read_bytes())
    namespace: dict[str, object] = {}
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(self_check_init("lab05.ipynb"), namespace)
    finally:
        os.chdir(here)
    assert type(namespace["grader"]).__module__.startswith("otter")
