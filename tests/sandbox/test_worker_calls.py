"""A `calls` request carries every call's tensors in one frame, each name prefixed by the
call it belongs to ("c3." + "args.0"); the worker hands each call its own, by prefix."""

from __future__ import annotations

import torch

from autograder.sandbox.worker import _by_prefix, _error_info


def test_each_call_gets_its_own_tensors_under_their_own_names() -> None:
    a, b, c = torch.zeros(1), torch.ones(2), torch.full((3,), 2.0)
    groups = _by_prefix({"c0.args.0": a, "c0.upstream": b, "c10.args.0": c})
    assert set(groups) == {"c0.", "c10."}
    assert groups["c0."] == {"args.0": a, "upstream": b}
    assert groups["c10."] == {"args.0": c}  # "c1." is not a prefix of "c10."
    assert groups.get("c1.", {}) == {}


def test_a_name_without_a_prefix_belongs_to_no_call() -> None:
    assert _by_prefix({"upstream": torch.zeros(1)}) == {}


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
    assert info["message"]


def test_an_error_outside_any_cell_has_no_place_and_a_long_message_is_cut() -> None:
    info = _error_info(ValueError("x" * 1000), limit=50)
    assert info == {"type": "ValueError", "message": "x" * 50, "where": ""}


def test_a_cell_that_does_not_compile_names_its_line() -> None:
    exc = _raised("x = 1\ny = (\n", "<cell 2>")
    assert isinstance(exc, SyntaxError)
    assert _error_info(exc)["where"] == "cell 2, line 2"
