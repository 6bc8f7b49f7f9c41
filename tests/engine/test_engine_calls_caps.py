"""A `calls` request (a submission's calls sent ahead) stops before its reply outgrows the
caps the judge set, and says so; what came back is each call's own result, in order."""

from __future__ import annotations

import torch

from autograder.sandbox import protocol
from autograder.sandbox.session import StudentSession
from tests.engine.conftest import one_cell_session

CELL = "def twice(x):\n    return [2 * x, 'a fairly long label for the reply ' * 4]\n"


def _calls(count: int) -> tuple[list[dict[str, object]], dict[str, torch.Tensor]]:
    calls, items = [], {}
    for k in range(count):
        tensors = protocol.Tensors()
        args = protocol.encode([torch.full((2,), float(k))], tensors)
        items.update({f"c{k}.{name}": t for name, t in tensors.items.items()})
        calls.append({"op": "call", "name": "twice", "args": args, "kwargs": {"__dict__": []},
                      "grad_args": [], "gradcheck": False, "seed": 0, "record": False,
                      "tensors": {name: f"c{k}.{name}" for name in tensors.items}})
    return calls, items


def _ask(session: StudentSession, max_header: int) -> tuple[dict, list[dict]]:
    calls, items = _calls(6)
    reply = session._ask({"op": "calls", "calls": calls, "limit": 2, "budget": 4,
                          "max_tensors": 64, "max_bytes": 1 << 20, "max_header": max_header},
                         items, 10, each=("value",))
    return reply.header, reply.values["results"]


def test_a_calls_reply_stops_at_the_header_cap_and_says_so(zygote) -> None:
    with one_cell_session(zygote, CELL) as session:
        header, values = _ask(session, 1 << 20)
        assert header["stopped"] == "" and len(values) == 6
        for k, result in enumerate(values):
            assert torch.equal(result["value"][0], torch.full((2,), 2.0 * k))
        one = len(protocol.encoded(header["results"][0]))
        header, values = _ask(session, 3 * one + one // 2)  # room for three and a half
        assert header["stopped"] == "caps" and len(values) == 3
        assert [float(r["value"][0][0]) for r in values] == [0.0, 2.0, 4.0]
