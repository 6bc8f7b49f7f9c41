"""A graded function that cannot be interrupted (a loop inside C, which checks no signal) costs a
worker each time it is called: red team 7 saw the restarts run out on its first three calls,
and every later check of the student's other functions said "could not be restarted"
(16 points instead of 126). Such a function is not called again: its later calls time out at
once, and the rest of the notebook is graded."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox.session import CallTimeout, StudentSession

CELL = '''
import torch

def stuck(x):  # (a builtin's loop in C: the worker's limit, a signal, waits for its end;
    return sum(range(10**15))  # a cell can no longer ignore that signal: seccomp)

def fine(x):
    return x * 2
'''


def test_a_function_that_could_not_be_interrupted_is_not_called_again(zygote) -> None:
    connection = zygote.connect()
    session = StudentSession(connection, Submission("s", Path("s.ipynb"), (Cell(1, CELL),), "0"),
                             Limits(call_timeout_s=1, max_restarts=1))
    try:
        session.start()
        with pytest.raises(CallTimeout):
            session.call("stuck", torch.ones(2))
        with pytest.raises(CallTimeout, match="not run again"):
            session.call("stuck", torch.ones(2))  # (no worker spent on it)
        assert session.call("fine", torch.ones(2)).value.tolist() == [2.0, 2.0]
        assert session.restarts <= 1
    finally:
        session.close()
        connection.close()
