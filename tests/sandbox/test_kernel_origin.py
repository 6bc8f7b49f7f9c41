"""Whose code a kernel given to the dispatcher is (`harness._notebook_code`): a worker refuses
a notebook's own (outside red team 75's kernel over `aten::stack` ran in the grader's
loaders), torch's own registrations go through — including the user's function held inside
torch's wrappers, which is the notebook's."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from autograder.sandbox import harness


def _mine(*args: object) -> object:
    return args


def test_torchs_own_functions_and_c_kernels_are_not_the_notebooks() -> None:
    assert not harness._notebook_code(F.relu)
    assert not harness._notebook_code(torch.add)
    assert not harness._notebook_code(None)


def test_a_function_written_elsewhere_is_the_notebooks_however_it_is_wrapped() -> None:
    assert harness._notebook_code(_mine)
    assert harness._notebook_code(lambda x: x)
    assert harness._notebook_code(functools.partial(_mine, 1))
    assert harness._notebook_code(functools.partial(torch.add, other=_mine))
    assert harness._notebook_code(torch._disable_dynamo(_mine))  # (torch's closure holds it)

    class Kernel:
        def __call__(self, *args: object) -> object:
            return args

    assert harness._notebook_code(Kernel())
    assert harness._notebook_code(Kernel().__call__)

