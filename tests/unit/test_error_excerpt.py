"""What feedback shows of a student's exception: never the values it was called with (red
team 33's functions raised their arguments; feedback never shows a hidden input)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from autograder.sandbox.harness import error_info
from autograder.sandbox.quoting import (
    LIBRARY_WITHHELD,
    MAX_CLASSES,
    MAX_LITERALS,
    MAX_NAMES,
    MAX_WHERE_LINES,
    SOME_CHANGE,
    UNVOUCHED,
    WITHHELD,
    gave,
    new_check,
    quotable_finding,
    quotable_message,
    quotable_problem,
    quoting_from,
    real_where,
)
from autograder.sandbox.session import StudentError, describe_exit


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
    "index 3 is out of bounds for dimension 0 with size 5",
    "The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 1",
    "mat1 and mat2 shapes cannot be multiplied (5x4 and 3x2)",
    "Boolean value of Tensor with more than one value is ambiguous",
    "expected scalar type Float but found Double",
])
def test_a_library_message_a_student_meets_stays(message: str) -> None:
    new_check()
    gave([torch.zeros(5, 4), torch.zeros(3, 2)])
    assert shown(message) == f"ValueError: {message}"


def test_a_library_messages_slots_keep_only_what_the_check_gave() -> None:
    """Sizes the running check did not give are cut, and what follows the known words: an
    outside red team's `torch.zeros(0, d1, d2)` sizes, and a message continued after them."""
    new_check()
    gave([torch.zeros(5, 4)])
    assert shown("shape '[5, 442, 3]' is invalid for input of size 20") \
        == "ValueError: shape '[5, …, …]' is invalid for input of size …"
    assert shown("expected scalar type Float but found Double in float32 of shape (3, 4)") \
        == "ValueError: expected scalar type Float but found Double …"
    assert shown("Expected all tensors to be on the same device, but found at least two "
                 "devices, cuda:7 and cpu!") == ("ValueError: Expected all tensors to be on the "
                                                 "same device, but found at least two devices, "
                                                 "cuda:N and cpu!")


@pytest.mark.parametrize("message", [
    "bayay bejse azgpu beuzj bcbwa",  # torch._check(False, lambda: words): red team 60
    "shapes differ: (4, 3) vs (4,)",  # (a message no library of the lab words so)
    "value 0.7686 is not allowed",
])
def test_a_library_message_of_no_known_wording_is_withheld(message: str) -> None:
    assert shown(message) == f"ValueError: {LIBRARY_WITHHELD}"


# ------------------------------------------------------- quoted only what cannot carry inputs
NOTEBOOK = '''
class ShapeError(ValueError):
    pass

def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ShapeError("pred and target must have the same shape")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction}")
    return torch.nn.functional.mse_loss(pred, target, reduction=reduction)
'''


@pytest.fixture
def notebook() -> Iterator[None]:
    quoting_from(NOTEBOOK)
    yield
    quoting_from("")


def raised(message: str, own: bool, kind: str = "ValueError",
           kinds: tuple[str, ...] = ("ValueError",)) -> str:
    return StudentError("mse_loss", {"type": kind, "message": message, "own": own,
                                     "kinds": list(kinds), "where": "cell 2, line 7"}).excerpt()


@pytest.mark.parametrize("message", [
    # an outside red team's: the hidden inputs joined by "|", then their float64 bytes
    "PIPE -2.3645|-2.4223|-0.8871|-0.4385|1.0923 B64 AAAAMITqAsAAAAAo5WADwAAAAHDmYuy/AAAAcCAR3L8",
    "first input -2.3645099401474",
    "unknown reduction sum2",  # (an f-string of the call's own values: not in the code)
])
def test_a_message_the_code_made_from_its_values_is_withheld(notebook, message: str) -> None:
    shown = raised(message, own=True)
    assert shown == f"ValueError: {WITHHELD} (cell 2, line 7)", shown


def test_a_message_written_in_the_code_is_quoted(notebook) -> None:
    shown = raised("pred and target must have the same shape", own=True, kind="ShapeError")
    assert shown == "ShapeError: pred and target must have the same shape (cell 2, line 7)"


@pytest.mark.parametrize(("message", "kept", "cut"), [
    # int() of a string the code built: the string is the call's, not the code's
    ("invalid literal for int() with base 10: 'PIPE-2.3645|-2.4223'", "invalid literal for int()",
     "2.3645"),
    ("Trying to create tensor with negative dimension -236450: [-236450]",
     "negative dimension", "236450"),
    ("'Tensor' object has no attribute 'QUFBQU1JVHFBc0FBQUFBbzVXQUR3'",
     "object has no attribute", "QUFBQU1"),
])
def test_a_library_message_keeps_its_words_not_the_values(notebook, message: str, kept: str,
                                                           cut: str) -> None:
    shown = raised(message, own=False)
    assert kept in shown and cut not in shown, shown


def test_a_library_message_keeps_the_names_the_code_holds(notebook) -> None:
    shown = raised("name 'reduction' is not defined", own=False, kind="NameError",
                   kinds=("NameError",))
    assert shown == "NameError: name 'reduction' is not defined (cell 2, line 7)"
    for attribute, said in (("shape", "shape"), ("backward", "…")):  # (the code names shape)
        shown = raised(f"'float' object has no attribute '{attribute}'", own=False,
                       kind="AttributeError", kinds=("AttributeError",))
        assert shown == f"AttributeError: 'float' object has no attribute '{said}' (cell 2, " \
                        "line 7)", shown


def test_a_type_name_made_at_run_time_is_not_quoted(notebook) -> None:
    shown = raised("pred and target must have the same shape", own=True,
                   kind="ShapeErrorAAAAMITqAsAAAAAo5WADw", kinds=("ValueError",))
    assert shown.startswith("ValueError of another class: pred and target"), shown
    assert raised("x", own=False, kind="torch.OutOfMemoryError", kinds=("RuntimeError",)) \
        .startswith("RuntimeError of another class"), "torch's own type, the code never names"


def test_a_gradient_problem_raised_in_the_students_backward_is_cut(notebook) -> None:
    """A backward of the student's own raised on the hidden inputs: the worker's "<Type>:
    <message>" of it is quoted as a library's message is (`quotable_problem`)."""
    said = quotable_problem("RuntimeError: PIPE -2.3645|-2.4223 AAAAMITqAsAAAAAo5WADwAAAAHDmYuy")
    assert said == f"RuntimeError: {LIBRARY_WITHHELD}", said
    assert quotable_problem("not a tensor") == "not a tensor"  # (the harness's own words)
    assert quotable_problem("ErrAAAAMITqAsAAAAAo5WADwAAAAHDmYuy: x") \
        == f"an exception with an unusual type name: {LIBRARY_WITHHELD}"


def test_a_where_names_a_real_line_of_the_notebook() -> None:
    """An outside red team compiled its code under `<cell DIGITS>`: "cell 0164711484…, line 1"
    carried the hidden inputs. A "where" is quoted only when it names a line of one of the
    notebook's code cells."""
    quoting_from("x = 1\ny = 2\n", {1: 3, 2: 10})
    try:
        def where(text: str) -> str:
            return StudentError("f", {"type": "ValueError", "message": "", "where": text}) \
                .info["where"]

        assert where("cell 2, line 7") == "cell 2, line 7"
        assert where("cell 016471148401526016331280501408100210, line 1") == ""
        assert where("cell 2, line 1647") == "" and where("cell 3, line 1") == ""
    finally:
        quoting_from("")


@pytest.mark.parametrize("message", [
    "p1647 n1484 p1526 p1633 n2805 p1408",  # (torch._assert(False, msg): a library's raise)
    "a 1647 b 1484 c 152 d 163 e 280 f 140 g 100 h 210 i 170",
])
def test_a_library_message_keeps_few_numbers_and_no_glued_ones(notebook, message: str) -> None:
    shown = raised(message, own=False)
    assert "1647" not in shown and "1484" not in shown and LIBRARY_WITHHELD in shown, shown


def test_only_a_string_constant_of_the_code_is_quoted_whole() -> None:
    """Quoted whole only as a string constant of the notebook's code (at most
    `MAX_LITERALS`), never as any substring of it: an outside red team's comment held every
    5-digit string."""
    quoting_from("# 01647 01648 01649\nraise ValueError('bad reduction')\n")
    try:
        assert raised("bad reduction", own=True).startswith("ValueError: bad reduction")
        assert WITHHELD in raised("01647", own=True)
        table = "\n".join(f"E{k:04d} = 'v{k:04d}'" for k in range(MAX_LITERALS + 1))
        quoting_from(table)
        assert WITHHELD in raised("v0021", own=True)  # (a table: nothing quoted whole)
    finally:
        quoting_from("")


@pytest.mark.parametrize(("reported", "said"), [
    # an outside red team's setattr(torch.Tensor, "v=2.2129,5.8378,...", 0): its name is not said
    ("torch.Tensor.v=2.2129,5.8378,-2.0986 was added", SOME_CHANGE),
    ("torch.Tensor.P1220012001 was added", "an attribute was added to torch.Tensor"),
    ("torch.allclose was replaced", "torch.allclose was replaced"),
    ("torch.P1220012001 was replaced", f"{UNVOUCHED} was replaced"),
    ("a kernel was registered over torch's aten::p1220012 (torch.library)",
     "a kernel was registered over one of torch's operators (torch.library)"),
    ("the grader's integrity check was replaced", "the grader's integrity check was replaced"),
    ("bayay bejse azgpu", SOME_CHANGE),
])
def test_an_integrity_finding_is_said_in_the_checks_own_words(reported: str, said: str) -> None:
    assert quotable_finding(reported) == said


def test_a_workers_exit_is_said_without_its_number() -> None:
    """Red team 60: `os._exit(round(v * 10) + 128)` put a hidden value in "exited with code
    150" (gradebook reason, page and results.json)."""
    said = describe_exit({"exited": True, "exitcode": 150})
    assert "150" not in said and "non-zero" in said
    assert "37" not in describe_exit({"exited": True, "signal": 37})


def test_a_library_messages_name_slot_is_a_name_of_the_codes_whole() -> None:
    """Red team 61: a dotted name whose last part was known passed (`'v7_n23645….Tensor'`:
    every mse_loss input), and a comment of 10,000 names made each name slot a table."""
    quoting_from("x = torch.zeros(1)\ny = x.shape\n# " + " ".join(f"d{k:04d}" for k in range(2000)))
    try:
        said = quotable_message("'Tensor' object has no attribute 'v7_n23645n24223.Tensor'", False)
        assert said == "'Tensor' object has no attribute '…'", said
        assert quotable_message("'Tensor' object has no attribute 'shape'", False) \
            == "'Tensor' object has no attribute 'shape'"
        assert quotable_message("'d3818' object has no attribute 'd3789'", False) \
            == "'…' object has no attribute '…'"  # (comments hold no names)
        assert quotable_message("unsupported operand type(s) for @&>: 'PermissionError' and "
                                "'ImportWarning'", False).startswith(
            "unsupported operand type(s) for …:")
    finally:
        quoting_from("")
    table = "\n".join(f"d{k:04d} = {k}" for k in range(MAX_NAMES + 1))  # (names in code)
    quoting_from(table)
    try:
        assert quotable_message("name 'd0001' is not defined", False) == "name '…' is not defined"
    finally:
        quoting_from("")


def test_a_where_names_a_line_of_code_in_a_cell_of_reasonable_length() -> None:
    """Red team 61 compiled code under a cell's own name, at a line of its choosing among
    20,000 comment lines."""
    long = "\n".join("x = 1" for _ in range(MAX_WHERE_LINES + 1))
    cells = {1: "x = 1\n\n# a note\ny = 2", 2: long}
    quoting_from("", {i: s.count("\n") + 1 for i, s in cells.items()}, cells)
    try:
        assert [real_where(f"cell 1, line {n}") for n in (1, 2, 3, 4)] == [
            "cell 1, line 1", "", "", "cell 1, line 4"]
        assert real_where("cell 2, line 7") == ""
    finally:
        quoting_from("")


def test_a_raise_in_code_the_student_compiled_is_their_own() -> None:
    """Red team 61: `exec` of a raise ran in "<string>", which passed for a library's frame,
    so its message went through the library's wordings."""
    try:
        exec(compile("raise ValueError('spelt')", "<string>", "exec"))
    except ValueError as exc:
        assert error_info(exc)["own"] is True
    try:
        int("spelt")
    except ValueError as exc:
        assert error_info(exc)["own"] is False  # (raised inside the interpreter: a library's)


def test_a_missing_key_is_said_when_the_notebook_wrote_it() -> None:
    """A KeyError's message is its key: said where it is a string the code holds (a typo in
    `history['val_accuracy']` is the student's own words), else cut (a key built at run time
    can spell what a call saw)."""
    quoting_from("history = {'val_acc': []}\nhistory['val_accuracy'].append(1)\n")
    try:
        assert quotable_message("'val_accuracy'", False) == "'val_accuracy'"
        assert quotable_message("'p1647n1484'", False) == "'…'"
    finally:
        quoting_from("")


def test_a_helper_is_named_only_when_the_notebook_defines_it() -> None:
    """Red team 62: a function made at run time, named `H_c002ea84…` after its call's inputs,
    was named in "mse_loss calls H_…, which is not implemented yet"."""
    from autograder.check.plugin import verdict_for  # (the verdict a check's error ends in)
    from autograder.check.registry import CheckSpec

    spec = CheckSpec("cross_entropy: matches", "")
    quoting_from("def log_softmax(x, dim=-1):\n    raise NotImplementedError\n")
    try:
        def told(helper: str) -> str:
            error = StudentError("cross_entropy", {"type": "NotImplementedError", "message": "",
                                                   "own": True, "function": helper})
            return verdict_for(spec, error).message

        assert "calls log_softmax, which is not implemented" in told("log_softmax")
        said = told("H_c002ea8430000000c00360e528000000")
        assert "H_c002" not in said and "cross_entropy is not implemented yet" in said, said
    finally:
        quoting_from("")


def test_a_notebook_with_a_table_of_classes_has_none_named() -> None:
    quoting_from("\n".join(f"class Q{k:03d}(ValueError): pass" for k in range(MAX_CLASSES + 1)))
    try:
        said = StudentError("f", {"type": "Q192", "message": "", "own": True,
                                  "kinds": ["ValueError"]}).excerpt()
        assert "Q192" not in said and said.startswith("ValueError of another class"), said
    finally:
        quoting_from("")
