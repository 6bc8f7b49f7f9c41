"""Parts of a frame encoded once and sent many times (`protocol.Encoded`, used for the
calls a judge sends ahead, `CallPlans.encoded`) reach the peer as the same frame would."""

from __future__ import annotations

import json
import socket

import pytest
import torch

from autograder.sandbox import protocol
from autograder.sandbox.session import MAX_FRAMES, CallPlans, PlannedCall


def _through(header: dict, tensors: dict | None = None,
             ready: protocol.Encoded | None = None) -> tuple[dict, dict]:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        protocol.send(ours, header, tensors, ready=ready)
        return protocol.recv(theirs)


def test_encoded_fields_and_tensors_arrive_as_if_sent_whole() -> None:
    calls = [{"name": "f", "args": [1.5, -0.0, "x\u00e9", None, True], "prefix": "c0."}]
    tensors = {"c0.t0": torch.arange(3.0), "c0.t1": torch.tensor([[1, 2]], dtype=torch.int64)}
    whole = _through({"op": "calls", "limit": 2.0, "calls": calls}, tensors)
    ready = protocol.Encoded({"calls": protocol.encoded(calls)}, protocol.serialize(tensors))
    parts = _through({"op": "calls", "limit": 2.0}, None, ready)
    assert parts[0] == whole[0]
    assert set(parts[1]) == set(whole[1])
    assert all(torch.equal(parts[1][k], whole[1][k]) for k in whole[1])
    assert _through({}, None, protocol.Encoded({"x": protocol.encoded(1)}, b""))[0] == {"x": 1}


def test_a_field_or_the_tensors_twice_is_refused() -> None:
    for header, tensors in (({"calls": []}, None), ({"op": "x"}, {"t": torch.zeros(1)})):
        ours, theirs = socket.socketpair()
        with ours, theirs, pytest.raises(ValueError):
            protocol.send(ours, header, tensors, ready=protocol.Encoded({"calls": b"[]"}, b""))


def _call(name: str, value: float) -> PlannedCall:
    return PlannedCall(name, {"op": "call", "name": name, "args": [{"__tensor__": "t0"}]},
                       {"t0": torch.full((2,), value)})


def test_a_plan_is_encoded_once_and_a_call_made_twice_sends_its_tensors_once() -> None:
    plans = CallPlans()
    a, b = _call("f", 1.0), _call("g", 2.0)
    first = plans.encoded([a, b, a])
    assert plans.encoded([a, b, a]) is first  # the next submission: nothing encoded again
    header, tensors = _through({"op": "calls"}, None, first)
    assert [c["tensors"] for c in header["calls"]] == [{"t0": "u0"}, {"t0": "u1"}, {"t0": "u0"}]
    assert set(tensors) == {"u0", "u1"} and torch.equal(tensors["u1"], b.tensors["t0"])
    assert plans.encoded([b, a]) is not first  # other calls, another request


def test_the_judge_keeps_a_few_encoded_requests_the_least_recently_used_go() -> None:
    plans = CallPlans()
    calls = [_call(f"f{i}", float(i)) for i in range(MAX_FRAMES + 1)]
    kept = plans.encoded([calls[0]])
    second = plans.encoded([calls[1]])
    for call in calls[2:MAX_FRAMES]:
        plans.encoded([call])
    assert plans.encoded([calls[0]]) is kept  # used again: now the most recent
    plans.encoded([calls[MAX_FRAMES]])  # one too many: calls[1]'s goes
    assert len(plans._frames) == MAX_FRAMES
    assert plans.encoded([calls[0]]) is kept
    assert plans.encoded([calls[1]]) is not second  # encoded again


def test_a_plan_built_from_its_calls_parts_is_the_plan_encoded_whole() -> None:
    """Each call's part of the request (its header's JSON, its tensors' contents) is
    computed once (`PlannedCall.parts`); the request built from them is, byte for byte, the
    calls encoded whole, each naming the frame's tensors it takes."""
    a = PlannedCall("a", {"op": "call", "name": "f", "args": [{"__tensor__": "t0"}, -0.0, "\u00e9"],
                          "kwargs": {"__dict__": [["k", {"__tensor__": "t1"}]]}, "seed": 3},
                    {"t0": torch.arange(3.0), "t1": torch.tensor([-0.0, 1.0])})
    b = PlannedCall("b", {"op": "scenario", "name": "s", "params": {"__dict__": []},
                          "record": True}, {})
    # a's "t1" but for the sign of its zero: another tensor of the frame
    c = PlannedCall("c", {"op": "call", "name": "g", "args": [{"__tensor__": "t0"}]},
                    {"t0": torch.tensor([0.0, 1.0])})
    frame = CallPlans().encoded([a, b, c, a])
    whole = [{**a.header, "tensors": {"t0": "u0", "t1": "u1"}}, {**b.header, "tensors": {}},
             {**c.header, "tensors": {"t0": "u2"}}, {**a.header, "tensors": {"t0": "u0", "t1": "u1"}}]
    assert frame.fields["calls"] == protocol.encoded(whole)
    assert frame.blob == protocol.serialize({"u0": a.tensors["t0"], "u1": a.tensors["t1"],
                                             "u2": c.tensors["t0"]})


def test_the_tensors_added_since_a_count_are_the_last_ones() -> None:
    """What a `calls` reply measures against its caps after each result (and takes back when
    one would pass them): the tensors that result added, found without a walk over the rest."""
    collected = protocol.Tensors()
    protocol.encode([torch.ones(2), (torch.zeros(3), {"k": torch.ones(1)})], collected)
    count = len(collected.items)
    protocol.encode({"a": torch.ones(4), "b": [1.0, torch.ones(5)]}, collected)
    assert collected.since(count) == list(collected.items)[count:] == ["t3", "t4"]
    assert collected.since(len(collected.items)) == []


_VALUES = [torch.tensor(1.5), torch.arange(6.0).reshape(2, 3), torch.zeros(0, 4),
           torch.tensor([[1, 2]], dtype=torch.int64), torch.tensor([True, False]),
           torch.arange(4.0, dtype=torch.float64).requires_grad_(True),
           torch.arange(8.0)[::2],  # not contiguous
           torch.empty(2, 3, device="meta")]


@pytest.mark.parametrize("value", _VALUES, ids=lambda v: f"{v.dtype}-{tuple(v.shape)}")
def test_a_frozen_value_is_sent_as_the_tensor_it_froze_byte_for_byte(value: torch.Tensor) -> None:
    """The worker sends a call's value as `plain_copy` froze it under the block (no tensor
    rebuilt from it): the frame is the one the value itself, inside a list, would make."""
    from autograder.sandbox.harness import plain_copy, thaw

    frozen = plain_copy([value, 2])
    assert type(frozen[0]) is protocol.Frozen
    sent_frozen, sent_tensor = protocol.Tensors(), protocol.Tensors()
    header = {"value": protocol.encode(frozen, sent_frozen)}
    assert header == {"value": protocol.encode(thaw(frozen), sent_tensor)}
    assert [protocol.nbytes(t) for t in sent_frozen.items.values()] == \
        [protocol.nbytes(t) for t in sent_tensor.items.values()]
    assert protocol.serialize(sent_frozen.items) == protocol.serialize(sent_tensor.items)
    got, tensors = _through(header, sent_frozen.items)
    decoded = protocol.decode(got["value"], tensors)
    if value.device.type == "meta":
        assert isinstance(decoded[0], protocol.MetaTensor)
    else:
        assert torch.equal(decoded[0], value.detach())
        assert got["value"][0]["requires_grad"] == value.requires_grad  # (a header field)
    assert decoded[1] == 2


class _Watched:
    """An object whose class answers `isinstance` through code of its own (a property)."""

    looked = 0

    @property  # type: ignore[misc]
    def __class__(self):
        _Watched.looked += 1
        return dict


@pytest.mark.parametrize("value", [
    *_VALUES[:-1], torch.arange(12.0).reshape(3, 4).t(),  # (transposed: strided)
    torch.randn(3, 4).to(torch.float16)[:, 1], torch.randn(2, 3).to(torch.bfloat16),
    torch.tensor([1 + 2j, 3 - 1j]).conj(), torch.tensor(7, dtype=torch.int16),
    torch.nn.Parameter(torch.ones(2))], ids=lambda v: f"{type(v).__name__}-{v.dtype}")
def test_the_short_path_for_plain_cpu_tensors_freezes_what_the_long_path_does(
        value: torch.Tensor, monkeypatch: pytest.MonkeyPatch) -> None:
    """`plain_copy`'s short path (an exact CPU tensor of a dtype numpy has: its bytes read by
    numpy) gives the very `Frozen` the general path gives, whatever the strides; what it does
    not take (bfloat16, a conjugate view, a subclass) goes the general way."""
    from autograder.sandbox import harness

    short = harness.plain_copy(value)
    monkeypatch.setattr(harness, "_NUMPY_WIRE_DTYPES", {})
    assert short == harness.plain_copy(value)


def test_a_value_that_is_no_plain_data_is_described_under_the_block_not_after() -> None:
    """`plain_copy` (run while the library block holds) decides what such a value is sent
    as; encoding the reply afterwards runs none of its class's code (red team 9: the
    object's own `__class__` ran as the reply was encoded)."""
    from torch import nn

    from autograder.sandbox.harness import plain_copy

    for value in (nn.Linear(2, 2), object(), 1 + 2j, [nn.ReLU(), {"k": object()}]):
        assert protocol.encode(plain_copy(value), protocol.Tensors()) == \
            protocol.encode(value, protocol.Tensors())
    watched = _Watched()
    frozen = plain_copy(watched)
    looked = _Watched.looked
    assert protocol.encode(frozen, protocol.Tensors()) == {"__object__": f"{__name__}._Watched"}
    assert _Watched.looked == looked
    deep: list = []
    for _ in range(30):
        deep = [deep]
    assert "too deeply nested" in json.dumps(protocol.encode(plain_copy(deep), protocol.Tensors()))


def test_containers_and_numbers_are_read_with_their_base_types_own_methods() -> None:
    """A dict subclass whose `items()` edits what is around it, a list whose `__iter__` lies,
    a float whose `__float__` does: `plain_copy` reads what they hold with the base type's C
    methods and runs none of their code (red team 10: a scenario's returned dict rewrote the
    records from `items()` while the reply was encoded)."""
    from collections import OrderedDict, defaultdict

    from autograder.sandbox.harness import plain_copy

    ran: list[str] = []

    class Sneaky(dict):
        def items(self):  # type: ignore[override]
            ran.append("items")
            return super().items()

        def __iter__(self):
            ran.append("iter")
            return super().__iter__()

    class Liar(list):
        def __iter__(self):
            ran.append("list")
            return iter([99])

    class Odd(float):
        def __float__(self) -> float:
            ran.append("float")
            return 99.0

    value = Sneaky(loss=Odd(0.25), seen=Liar([1, 2]), history=defaultdict(list, a=[1.5]),
                   order=OrderedDict(b=2))
    copy = plain_copy(value)
    assert ran == []
    assert copy == {"loss": 0.25, "seen": [1, 2], "history": {"a": [1.5]}, "order": {"b": 2}}
    assert type(copy) is dict and type(copy["loss"]) is float and type(copy["seen"]) is list
    assert protocol.encode(copy, protocol.Tensors()) == protocol.encode(
        {"loss": 0.25, "seen": [1, 2], "history": {"a": [1.5]}, "order": {"b": 2}},
        protocol.Tensors())


def test_empty_tensors_arrive_whatever_their_names_sort_as() -> None:
    """An empty tensor starts where the next one does: a frame whose empty int64 tensor
    (`u99`, last of its dtype) sat where the float64 ones began (`u0`) was refused, and the
    rest of a submission's planned calls went one by one."""
    for empty_name, first_name in (("u99", "u0"), ("u0", "u99"), ("z", "a"), ("a", "z")):
        for empty_dtype in (torch.int64, torch.float64, torch.float32, torch.bool):
            tensors = {"m": torch.tensor([7, 8], dtype=torch.int64),
                       empty_name: torch.zeros(0, dtype=empty_dtype),
                       first_name: torch.arange(6.0, dtype=torch.float64).reshape(2, 3),
                       "n": torch.zeros((2, 0), dtype=torch.float32),
                       "o": torch.ones(3, dtype=torch.float32)}
            _, got = _through({"op": "calls"}, tensors)
            assert set(got) == set(tensors)
            assert all(torch.equal(got[k], v) and got[k].dtype == v.dtype
                       for k, v in tensors.items())
