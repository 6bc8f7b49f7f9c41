"""Returned values are described in words, never by the grader's own class names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.check.compare import describe, is_placeholder
from autograder.sandbox.protocol import NumpyArray, Opaque

ELLIPSIS = Opaque("object", "builtins.ellipsis")


@pytest.mark.parametrize(("value", "words"), [
    (None, "None"),
    (True, "the boolean True"),
    (3.5, "a Python number"),
    ("0.5", "a string"),
    (NumpyArray(torch.from_numpy(np.zeros(3))), "a numpy array"),
    (NumpyArray(torch.from_numpy(np.array(0.5, dtype=np.float32))), "a numpy scalar (numpy.float32)"),
    (torch.zeros(2, 3), "a tensor of shape (2, 3)"),
    ([1.0], "a Python list"),
    (ELLIPSIS, "the `...` placeholder (not filled in yet)"),
    (Opaque("object", "sklearn.linear_model.LogisticRegression"), "a `LogisticRegression` object"),
    (Opaque("module", "numpy"), "a module (numpy)"),
    (Opaque("object", "torch.Tensor of dtype torch.uint16"),
     "a torch.Tensor of dtype torch.uint16"),
])
def test_describe(value: object, words: str) -> None:
    assert describe(value) == words
    assert "Opaque" not in describe(value)


def test_placeholders_are_work_not_done() -> None:
    assert is_placeholder(None) and is_placeholder(ELLIPSIS)
    assert not is_placeholder(0.0) and not is_placeholder(Opaque("object", "foo.Bar"))
