"""Words for a loss whose gradients are wrong or cannot be computed, shared by Parts A and B.

Why a module: the gradient checks of both parts end the same ways — `backward()` raised,
or it gave other gradients — and the student should read what to change, not only that it
is wrong. The advice is chosen by what the run showed (the error raised, whether the values
on the same input are right), never by the source text."""

from __future__ import annotations

from typing import Any, NoReturn

import torch

from autograder.check.compare import matches
from autograder.check.registry import fail
from autograder.config import Tolerance
from autograder.sandbox.quoting import quotable_problem
from autograder.sandbox.session import StudentError

# PyTorch's error for a tensor saved for backward and changed in place afterwards.
IN_PLACE = "modified by an inplace operation"


def cannot_backpropagate(function: str, where: str, problem: object) -> NoReturn:
    text = quotable_problem(problem)  # (raised on the hidden inputs: quoted as it may be)
    if IN_PLACE in text:
        fail(f"{function}'s result{where} cannot be backpropagated: an in-place operation "
             "(exp_(), div_(), +=, x[...] = …) changed a tensor backward() still needs — use "
             "the out-of-place form (x = x.exp(), x = x / s).", "in-place")
    fail(f"{function}'s result{where} cannot be backpropagated ({text}).", "no-grad")


def wrong_gradients(function: str, where: str, values_right: bool, on: str) -> NoReturn:
    """backward() gave other gradients than the reference's on the same input: a formula
    mistake when the values there are wrong too, else something cut from the graph."""
    if not values_right:
        fail(f"{function}: backward(){where} gives different gradients from the reference "
             "because the values on this input are wrong too: fix the formula first (see "
             "the values check); the gradients follow.", "wrong-gradient")
    fail(f"{function}: backward(){where} gives different gradients from the reference "
         f"although the values are right: make sure every step is a differentiable tensor "
         f"operation on {on} (no Python floats, no .detach() of a term that depends on it, "
         "no in-place edits of intermediate results).", "wrong-gradient")


def own_gradients_consistent(student: Any, function: str, args: tuple[Any, ...],
                             kwargs: dict[str, Any], gradcheck: Any) -> bool:
    """The student's backward agrees with their own forward on this input — gradcheck of
    their function, analytic against finite differences (`gradcheck`: the call's own result
    where it asked for one) —, so gradients that differ from the reference's are those of
    their formula, which the values check charges: one formula mistake, one cost (fresh eyes
    71 and 72: a sign or an axis cost the gradient check too, "fix the formula first"). A
    gradient cut from the graph (a .detach(), a Python float) fails gradcheck and stays the
    gradient check's."""
    if gradcheck is not None:
        return gradcheck is True
    try:
        again = student.call(function, *args, grad_args=(0,), gradcheck=True, **kwargs)
    except StudentError:
        return False
    return again.gradcheck is True


# Losses whose unreduced value at an element depends on that element alone: their gradient
# there is judged apart from the others.
ELEMENTWISE = frozenset({"mse_loss", "mae_loss", "huber_loss", "binary_cross_entropy",
                         "binary_cross_entropy_with_logits"})


def values_right(value: Any, reference_value: torch.Tensor,
                 tol: Tolerance) -> torch.Tensor | None:
    """Where an unreduced value is the reference's, element by element, within the gradient
    checks' tolerance (None: not a tensor of the reference's shape)."""
    if not isinstance(value, torch.Tensor) or value.shape != reference_value.shape:
        return None
    return torch.isclose(value.detach().to(reference_value.dtype), reference_value,
                         rtol=tol.rtol, atol=tol.atol)


def right_where_right(function: str, value: Any, reference_value: torch.Tensor, got: Any,
                      expected: torch.Tensor, tol: Tolerance) -> bool:
    """An elementwise loss (reduction 'none') right on some elements of the input and wrong
    on others has the reference's gradient wherever its value is right: the notebook's rule
    ("a function right on some inputs ... its other checks are then judged where it is
    right"; fresh eyes 11: a Huber branch chosen on the signed difference lost its gradient
    check as well as its values check)."""
    right = values_right(value, reference_value, tol) if function in ELEMENTWISE else None
    if right is None or not isinstance(got, torch.Tensor) or got.shape != expected.shape \
            or not bool(right.any()) or bool(right.all()):
        return False
    return matches(got[right], expected[right], tol.rtol, tol.atol)


#: autograd's error when a function edits, in place, an input that requires grad
LEAF_IN_PLACE = "leaf Variable that requires grad is being used in an in-place operation"


def gradcheck_failed_by_editing_its_input(student, function: str, result: Any,
                                          args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """gradcheck failed on a function that edits an input in place (the gradient call shows
    it, or the same call without gradients does): gradcheck's repeated calls see inputs that
    change under them, whatever the derivative. One mistake, which the values check charges
    (red team 31: an MSE that scaled `target` in place after computing the loss was also told
    its analytical and numerical gradients disagree)."""
    if getattr(result, "mutated", None):
        return True
    try:
        return bool(student.call(function, *args, **kwargs).mutated)
    except StudentError:
        return False


def raised_by_editing_its_input(student, function: str, error: StudentError,
                                args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """The gradient check's call raised autograd's in-place-on-a-leaf error, and the same
    call without gradients shows the function editing its input: one mistake, which the
    values check charges (fresh eyes 14: `logits.sub_(m)` cost log_softmax its values check
    and, through that error, its gradient check too)."""
    if not error.is_a("RuntimeError") or LEAF_IN_PLACE not in str(error.info.get("message")):
        return False
    try:
        return bool(student.call(function, *args, **kwargs).mutated)
    except StudentError:
        return False
