"""A value of a dtype the wire does not carry (uint16, complex32, float8, a complex numpy
array, ...) is a wrong type, not a reply the judge refuses: an eleventh outside red team's six
functions returning such tensors each cost a killed worker, and once the restarts ran out
every later check of the notebook scored 0 (1/135, against 82/135 for the same functions
returning plainly wrong values). The worker describes such a value (`harness.plain_copy`),
whatever path it takes: a call's value, a call on the (emulated) GPU, a variable read."""

from __future__ import annotations

from pathlib import Path

import torch

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox.protocol import Opaque
from autograder.sandbox.session import StudentSession

CELL = '''
import numpy as np
import torch

def as_uint16(x):
    return x.to(torch.uint16)

def as_complex32(x):
    return x.to(torch.complex32)

def as_float8(x):
    return x.to(torch.float8_e5m2)

def fine(x):
    return x * 2

ANSWER = np.zeros(3, dtype=np.complex64)
'''


def test_values_of_dtypes_the_wire_does_not_carry_are_described(zygote) -> None:
    connection = zygote.connect()
    session = StudentSession(connection, Submission("s", Path("s.ipynb"), (Cell(1, CELL),), "0"),
                             Limits(call_timeout_s=4, max_restarts=0))
    try:
        session.start()
        for name, dtype in (("as_uint16", "torch.uint16"), ("as_complex32", "torch.complex32"),
                            ("as_float8", "torch.float8_e5m2")):
            for gpu in (False, True):
                value = session.call(name, torch.ones(2), gpu=gpu).value
                assert isinstance(value, Opaque)
                assert value.description == f"torch.Tensor of dtype {dtype}"
        answer = session.get_var("ANSWER")
        assert isinstance(answer, Opaque) and answer.description.endswith("of dtype complex64")
        assert session.call("fine", torch.ones(2)).value.tolist() == [2.0, 2.0]
        assert session.restarts == 0  # (no worker was lost to any of them)
    finally:
        session.close()
        connection.close()
