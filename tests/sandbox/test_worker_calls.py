"""A `calls` request carries each distinct tensor once in one frame, and each call names the
frame's tensors it takes ("args.0" → "u3"); the worker hands each call its own, by name."""

from __future__ import annotations

import torch

from autograder.sandbox.harness import error_info as _error_info
from autograder.sandbox.worker import _taken


def test_each_call_gets_its_own_tensors_under_their_own_names() -> None:
    a, b, c = torch.zeros(1), torch.ones(2), torch.full((3,), 2.0)
    frame = {"u0": a, "u1": b, "u2": c}
    assert _taken({"tensors": {"args.0": "u0", "upstream": "u1"}}, frame) == \
        {"args.0": a, "upstream": b}
    assert _taken({"tensors": {"args.0": "u2", "args.1": "u2"}}, frame) == \
        {"args.0": c, "args.1": c}  # the same input twice: the frame's one tensor
    assert _taken({"tensors": {}}, frame) == {}


def test_a_name_the_frame_does_not_hold_gives_the_call_nothing() -> None:
    frame = {"u0": torch.zeros(1)}
    assert _taken({"tensors": {"args.0": "u9", "args.1": 0}}, frame) == {}
    assert _taken({}, frame) == {} and _taken({"tensors": ["u0"]}, frame) == {}


def _raised(source: str, name: str = "<cell 4>") -> BaseException:
    namespace: dict[str, object] = {}
    try:
        exec(compile(source, name, "exec"), namespace)
    except BaseException as exc:  # the student's error, whatever it is
        return exc
    raise AssertionError("the source did not raise")


def test_an_error_is_placed_at_the_last_line_of_the_students_own_cells() -> None:
    # raised inside torch, called from a function of cell 4 called from cell 4's last line
    exc = _raised("import torch\ndef f(x):\n    return torch.cat([x, 1])\n\nf(torch.zeros(2))\n")
    info = _error_info(exc)
    assert info["type"] == "TypeError"
    assert info["where"] == "cell 4, line 3"  # the deepest frame that is a cell's
    assert info["message"] and info["own"] is False  # torch raised it, not a `raise` of the cell


def test_an_error_raised_by_the_students_own_line_is_theirs() -> None:
    exc = _raised("def f():\n    raise NotImplementedError\n\nf()\n")
    assert _error_info(exc) == {"type": "NotImplementedError", "message": "",
                                "where": "cell 4, line 2", "own": True,
                                "kinds": ["NotImplementedError", "RuntimeError", "Exception",
                                          "BaseException"],
                                "function": "f"}  # (the student's function whose line raised)


def test_an_error_outside_any_cell_has_no_place_and_a_long_message_is_cut() -> None:
    info = _error_info(ValueError("x" * 1000), limit=50)
    assert info == {"type": "ValueError", "message": "x" * 50, "where": "", "own": False,
                    "kinds": ["ValueError", "Exception", "BaseException"], "function": ""}


def test_a_cell_that_does_not_compile_names_its_line() -> None:
    exc = _raised("x = 1\ny = (\n", "<cell 2>")
    assert isinstance(exc, SyntaxError)
    assert _error_info(exc)["where"] == "cell 2, line 2"
