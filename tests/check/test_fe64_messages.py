"""Fresh eyes 64's misnamed Part E answers, held here in-process on the reference with the
answer replaced (see test_helper_blame): a numpy scalar and a formatted string were told to
run the experiment cell, and an answer rounded to one digit was told to compute what it had
computed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import failed, namespace, verdicts

from autograder.sandbox.protocol import NumpyArray


def _answer(**variables):
    return failed(verdicts(namespace(**variables), "always_negative_accuracy")).get(
        part_e.ALWAYS_NEGATIVE_ACC)


def _right() -> float:
    ns = namespace()
    return float(ns["always_negative_accuracy"])


@pytest.mark.parametrize(("value", "mistake", "words"), [
    # (a numpy scalar as the worker sends it: a 0-d array, `NumpyArray`)
    (lambda right: NumpyArray(torch.from_numpy(np.asarray(np.float32(right)))), "not-a-number",
     "convert it with float(...)"),
    (lambda right: f"{right:.2f}", "not-a-number", "format it only when you print it"),
    (lambda right: round(right, 1), "rounded", "the answer rounded"),
])
def test_an_answer_of_the_wrong_kind_is_told_what_it_is(value, mistake: str, words: str) -> None:
    right = _right()
    if mistake == "rounded":
        assert round(right, 1) != right  # (else nothing is rounded away)
    found = _answer(always_negative_accuracy=value(right))
    assert found is not None and found.mistake == mistake, found
    assert words in found.message, found.message
