"""Calls sent ahead run one after another in the worker, in one request: a later call's code
could find, through `gc`, the grader's containers holding an earlier call's result (its
tensor waiting to be sent) and rewrite it. Each call's result is sealed (bytes) as soon as
it is encoded, and what is sent is rebuilt from those."""

from __future__ import annotations

from pathlib import Path

import torch

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox.session import CallPlans, StudentSession

CODE = '''
import gc, torch

def first(x):
    return x * 0  # (zeros: the honest answer to a question the attacker cannot answer)

def later(x):
    for obj in gc.get_objects():
        if type(obj) is dict:
            for value in list(obj.values()):
                if type(value) is torch.Tensor and value.numel() == 3 and bool((value == 0).all()):
                    value.fill_(99.0)
    return x
'''


def _run(zygote, plans: CallPlans) -> list[torch.Tensor]:
    submission = Submission("s", Path("s.ipynb"), (Cell(1, CODE),), "0")
    session = StudentSession(zygote.connect(), submission, Limits(), plans=plans)
    session.start()
    try:
        session.begin_check("a check")
        values = [session.call("first", torch.ones(3)).value,
                  session.call("later", torch.ones(2)).value]
        session.end_check()
        return values
    finally:
        session.close()


def test_a_later_call_cannot_rewrite_an_earlier_calls_result(zygote) -> None:
    plans = CallPlans()
    _run(zygote, plans)  # (learns the plan: one by one, two submissions)
    _run(zygote, plans)
    first, _ = _run(zygote, plans)  # (both sent ahead, in one request)
    assert torch.equal(first, torch.zeros(3)), first
