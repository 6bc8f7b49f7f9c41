"""Returned values are described in words, never by the grader's own class names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.check.compare import RUN_TIME_CLASS, describe, is_placeholder
from autograder.sandbox.protocol import NumpyArray, Opaque
from autograder.sandbox.quoting import gave, new_check, quotable_shape, quoting_from

ELLIPSIS = Opaque("object", "builtins.ellipsis")


@pytest.mark.parametrize(("value", "words"), [
    (None, "None"),
    (True, "the boolean True"),
    (3.5, "a Python number"),
    ("0.5", "a string"),
    (NumpyArray(torch.from_numpy(np.zeros(3))), "a numpy array"),
    (NumpyArray(torch.from_numpy(np.array(0.5, dtype=np.float32))), "a numpy scalar (numpy.float32)"),
    (torch.zeros(2, 3), "a tensor of shape (…, …)"),  # (sizes no call of the check gave)
    (torch.zeros(1, 0), "a tensor of shape (1, 0)"),
    ([1.0], "a Python list"),
    (ELLIPSIS, "the `...` placeholder (not filled in yet)"),
    (Opaque("object", "torch.nn.modules.linear.Linear"), "a `Linear` object"),
    (Opaque("object", "collections.OrderedDict"), "a `OrderedDict` object"),
    (Opaque("module", "Sequential"), "a module (Sequential)"),
    (Opaque("object", "torch.Tensor of dtype torch.uint16"), "a tensor of dtype uint16"),
    (Opaque("object", "numpy.ndarray of dtype complex128"), "a ndarray of dtype complex128"),
    # names the notebook does not give, nor Python or a loaded library: not quoted (an
    # outside red team's class names spelt the hidden labels)
    (Opaque("object", "P1220012001201001102100122T1222"), f"an object of {RUN_TIME_CLASS}"),
    (Opaque("object", "torch.P1220012001201001102100122"), f"an object of {RUN_TIME_CLASS}"),
    (Opaque("object", "torch.float32"), f"an object of {RUN_TIME_CLASS}"),  # (not a class)
    (Opaque("object", "sklearn.linear_model.LogisticRegression"),
     f"an object of {RUN_TIME_CLASS}"),  # (the grader has not loaded scikit-learn)
    (Opaque("module", "Xp22128_p58377_m20986"), f"a module of {RUN_TIME_CLASS}"),
    (Opaque("object", "torch.Tensor of dtype torch.p1220"),
     "a tensor or array of a dtype no check reads"),
])
def test_describe(value: object, words: str) -> None:
    new_check()
    assert describe(value) == words
    assert "Opaque" not in describe(value)


def test_placeholders_are_work_not_done() -> None:
    assert is_placeholder(None) and is_placeholder(ELLIPSIS)
    assert not is_placeholder(0.0) and not is_placeholder(Opaque("object", "foo.Bar"))


def test_a_class_the_notebook_defines_is_named_and_a_shape_only_by_sizes_it_was_given() -> None:
    """The notebook's own classes are named; a returned shape keeps the sizes the grader gave
    in the running check, 0, 1 and the expected shape's, and cuts the rest (an
    outside red team's `torch.empty(0, 442, 1166, 419, 781)` spelt its call's inputs)."""
    quoting_from("class MyLoss(torch.nn.Module):\n    pass\n")
    try:
        assert describe(Opaque("object", "__main__.MyLoss")) == "a `MyLoss` object"
        assert describe(Opaque("module", "MyLoss")) == "a module (MyLoss)"
    finally:
        quoting_from("")
    new_check()
    gave([torch.zeros(25, 3), torch.zeros(25, dtype=torch.long)])
    gave({"num_classes": 7})
    assert quotable_shape((25, 3)) == "(25, 3)" and quotable_shape((25, 25)) == "(25, 25)"
    assert quotable_shape((6, 6)) == "(…, …)" and quotable_shape((0, 1)) == "(0, 1)"  # (no one-offs)
    assert quotable_shape((442, 25, 1166)) == "(…, 25, …)"
    assert quotable_shape((5,), expected=(5,)) == "(5,)"
    assert quotable_shape((0, 442, 1166, 419, 781)) == "(more than 4 dimensions)"
    assert describe(torch.zeros(0, 442)) == "a tensor of shape (0, …)"
    new_check()  # (a check's sizes are its own)
    assert quotable_shape((25, 3)) == "(…, …)"
