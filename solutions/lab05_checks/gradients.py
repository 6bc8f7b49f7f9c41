"""Words for a loss whose result cannot be backpropagated, shared by Parts A and B.

Why a module: the gradient checks of both parts end the same way when `backward()` itself
raises, and the student should read what to change, not only PyTorch's error. The advice
is chosen by the error the run raised (never by the source text)."""

from __future__ import annotations

from typing import NoReturn

from autograder.check.registry import fail

# PyTorch's error for a tensor saved for backward and changed in place afterwards.
IN_PLACE = "modified by an inplace operation"


def cannot_backpropagate(function: str, where: str, problem: object) -> NoReturn:
    text = str(problem)
    if IN_PLACE in text:
        fail(f"{function}'s result{where} cannot be backpropagated: an in-place operation "
             "(exp_(), div_(), +=, x[...] = …) changed a tensor backward() still needs — use "
             "the out-of-place form (x = x.exp(), x = x / s).", "in-place")
    fail(f"{function}'s result{where} cannot be backpropagated ({text}).", "no-grad")
