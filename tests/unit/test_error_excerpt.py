"""What feedback shows of a student's exception: never the values it was called with (red
team 33's functions raised their arguments; feedback never shows a hidden input)."""

from __future__ import annotations

import pytest

from autograder.sandbox.session import StudentError


def shown(message: str) -> str:
    return StudentError("f", {"type": "ValueError", "message": message}).excerpt()


@pytest.mark.parametrize("message", [
    "tensor([0.1234, -0.5000, 2.0000e-03, 7.0000])",
    "[[1, 2], [3, 4]]",
    "tensor([[ 1.2, nan], [inf, -3.0]])",
    "got 0.1 0.2 0.3 0.4 0.5",
])
def test_runs_of_numbers_are_cut(message: str) -> None:
    assert not any(c.isdigit() for c in shown(message).split(":", 1)[1]), shown(message)


@pytest.mark.parametrize("message", [
    "shapes differ: (4, 3) vs (4,)",
    "index 7 is out of bounds for dimension 0 with size 5",
    "The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 1",
])
def test_what_explains_an_error_stays(message: str) -> None:
    assert shown(message) == f"ValueError: {message}"
