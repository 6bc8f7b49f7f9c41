"""Each check starts from seeds of its own (`plugin.seed_check`, both runners): a check that
draws its inputs from the judge's generators draws the same ones for every submission, so a
notebook's inputs — and its grade — do not depend on what the judge graded before it (the
batch's order, its number of judges, a resume), and its calls are the same requests each
time (answered from those sent ahead)."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import numpy
import pytest
import torch
import yaml

from autograder.check import runner
from autograder.check.plugin import seed_check
from autograder.config import GradingConfig
from autograder.grader import Grader
from tests.engine.conftest import FIXTURES, LAB, fast_config_text


def _draws() -> tuple[list[float], float, float]:
    return torch.randn(3).tolist(), random.random(), float(numpy.random.rand())


def test_a_check_name_gives_the_same_draws_whatever_came_before() -> None:
    seed_check("mse_loss: values")
    first = _draws()
    _draws()  # what other work leaves in the generators
    seed_check("mse_loss: values")
    assert _draws() == first
    seed_check("mae_loss: values")
    assert _draws() != first


SUITE = '''
import random

import numpy
import torch

from autograder.check.registry import check, fail


@check({first!r}, "feedback")
def test_draws(student):
    fail(repr((torch.randn(2).tolist(), random.random(), float(numpy.random.rand()))))


@check({second!r}, "feedback")
def test_calls_with_drawn_inputs(student):  # (a pass: its calls are learnt for the next one)
    student.call("mse_loss", torch.randn(3), torch.randn(3))
'''


@pytest.mark.parametrize("kind", ["direct", "pytest"])
def test_every_submission_gets_the_same_inputs_and_calls(zygote, tmp_path: Path,
                                                         kind: str) -> None:
    first, second = runner.suite_names(LAB.checks)[:2]
    suite = tmp_path / f"seeded_{kind}_checks"
    suite.mkdir()
    (suite / "__init__.py").write_text("")
    (suite / "test_draws.py").write_text(textwrap.dedent(SUITE.format(first=first,
                                                                      second=second)))
    text = fast_config_text()
    config = GradingConfig.model_validate(yaml.safe_load(text))
    notebook = FIXTURES / "reference_code.ipynb"
    with Grader(config, text, zygote.connect(), LAB, suite=suite) as grader:
        if kind == "pytest":
            grader._runner = runner.SuiteRunner(suite)
        else:
            assert isinstance(grader._checks(), runner.DirectRunner)
        grader.rehearse()  # (the plan: learned from the lab's solution, its calls seeded too)
        results, keys = [], []
        for name in ("a", "b", "c"):
            results.append(grader.grade(notebook, name))
            keys.append([call.key for call in grader.plans.get(second)])
            _draws()  # the judge's generators moved on, as other work moves them
    outputs = [[t.output for t in result.tests if t.name == first] for result in results]
    assert outputs[0] == outputs[1] == outputs[2] and "[" in outputs[0][0]
    # the same request in both rehearsals (two gradings: a request drawn afresh each time is
    # not planned), and the plan the same whatever was graded after
    assert len(keys[0]) == 1 and keys[0] == keys[1] == keys[2]
