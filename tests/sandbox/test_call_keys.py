"""A call answered from its plan is found by its key: two calls with the same key must be
the same request, bit for bit (`session.direct_call_key`, made from the arguments without
encoding them, and `session.call_key`, from the encoded request). A key that tells apart two
requests sent alike only costs a round trip; a key that mixes up two different requests
would hand a check another call's result. Checked on generated arguments and on the edge
cases each part of the key is there for."""

from __future__ import annotations

import json
from typing import Any

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.sandbox import protocol
from autograder.sandbox.session import (
    _plain_key,
    call_key,
    direct_call_key,
    direct_scenario_key,
)


def _sent(args: list[Any], kwargs: dict[str, Any], upstream: torch.Tensor | None = None,
          **options: Any) -> tuple[str, list[tuple[str, str, tuple[int, ...], bytes]]]:
    """The request `StudentSession.call` sends for these arguments: its header as JSON and
    each tensor's name, dtype, shape and bytes."""
    tensors = protocol.Tensors()
    header = {"op": "call", "name": options.get("name", "f"),
              "args": protocol.encode(list(args), tensors),
              "kwargs": protocol.encode(dict(kwargs), tensors),
              "grad_args": list(options.get("grad_args", ())),
              "gradcheck": options.get("gradcheck", False), "seed": options.get("seed", 0),
              "record": options.get("record", False)}
    if options.get("gpu", False):
        header["gpu"] = True
    items = dict(tensors.items)
    if upstream is not None:
        items["upstream"] = upstream.detach().contiguous()
    return (json.dumps(header, allow_nan=False),
            [(name, str(t.dtype), tuple(t.shape),
              t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
             for name, t in items.items()])


def _key(args: list[Any], kwargs: dict[str, Any], upstream: torch.Tensor | None = None,
         **options: Any) -> Any:
    return direct_call_key(options.get("name", "f"), tuple(args), kwargs,
                           tuple(options.get("grad_args", ())), options.get("gradcheck", False),
                           options.get("seed", 0), options.get("record", False), upstream,
                           gpu=options.get("gpu", False))


_FLOATS = st.sampled_from([0.0, -0.0, 1.0, -1.5, 1e-300, float("nan"), float("inf"),
                           float("-inf"), 2.0**63])
_INTS = st.sampled_from([0, 1, -1, 2, 2**63 - 1, 2**63, -(2**63), 2**70])
_SCALARS = st.one_of(st.none(), st.booleans(), _INTS, _FLOATS,
                     st.sampled_from(["", "a", "1", "1.0", "True", "None", "t0"]))


@st.composite
def _tensors(draw: Any) -> torch.Tensor:
    dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool,
                                  torch.bfloat16, torch.float16]))
    shape = draw(st.sampled_from([(), (0,), (2,), (1, 2), (2, 1), (2, 2)]))
    values = draw(st.lists(st.sampled_from([0.0, -0.0, 1.0, 2.0, float("nan")]),
                           min_size=4, max_size=4))
    base = torch.tensor(values[:max(1, int(torch.Size(shape).numel()))], dtype=torch.float64)
    tensor = base[:torch.Size(shape).numel()].reshape(shape).to(dtype)
    if draw(st.booleans()) and tensor.dim() == 2:
        tensor = tensor.t()  # not contiguous: sent contiguous
    if draw(st.booleans()) and tensor.is_floating_point():
        tensor = tensor.clone().requires_grad_(True)
    if draw(st.integers(0, 9)) == 0:
        tensor = torch.nn.Parameter(tensor.detach().clone(), requires_grad=False)
    return tensor


_VALUES = st.recursive(
    st.one_of(_SCALARS, _tensors()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.lists(inner, max_size=3).map(tuple),
                            st.dictionaries(st.sampled_from(["a", "b", "reduction"]), inner,
                                            max_size=2)),
    max_leaves=6)
_OPTIONS = st.fixed_dictionaries({
    "name": st.sampled_from(["f", "g"]), "grad_args": st.sampled_from([(), (0,), (True,)]),
    "gradcheck": st.sampled_from([False, True, 0, 1]), "seed": st.sampled_from([0, 1, True]),
    "record": st.sampled_from([False, True]), "gpu": st.sampled_from([False, True, 1])})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.lists(_VALUES, max_size=3), _VALUES, _OPTIONS), min_size=2,
                max_size=6))
def test_calls_with_one_key_are_one_request(calls: list[Any]) -> None:
    """Among generated calls, any two with the same key send the same request."""
    seen: dict[Any, Any] = {}
    for args, extra, options in calls:
        kwargs = {"x": extra}
        key = _key(args, kwargs, **options)
        if key is None:
            continue
        sent = _sent(args, kwargs, **options)
        assert seen.setdefault(key, sent) == sent


def test_each_part_of_a_request_is_in_its_key() -> None:
    """What the encoding tells apart, the key tells apart too (each pair below is sent as
    two different requests), and a copy of the same arguments has the same key."""
    x = torch.tensor([1.0, 2.0])
    pairs = [
        ([0.0], [-0.0]), ([1], [1.0]), ([1], [True]), ([0], [False]), ([None], ["None"]),
        ([(1, 2)], [[1, 2]]), ([{"a": 1}], [[["a", 1]]]), ([x], [x.double()]),
        ([x], [x.reshape(2, 1)]), ([x], [x.clone().requires_grad_(True)]),
        ([x], [torch.tensor([1.0, 2.000001])]), ([x, x], [x]),
        ([torch.tensor([0.0])], [torch.tensor([-0.0])]),
        ([torch.tensor(float("nan"))], [torch.tensor(-float("nan"))]),
        # the same bytes, another dtype
        ([torch.zeros(2)], [torch.zeros(2, dtype=torch.int32)]),
        ([torch.zeros(0)], [torch.zeros(0, dtype=torch.int64)]),
        ([torch.zeros(0)], [torch.zeros(0, 3)]),
    ]
    for a, b in pairs:
        assert _sent(a, {}) != _sent(b, {}), (a, b)  # (the premise: two requests)
        assert _key(a, {}) != _key(b, {}), (a, b)
        assert _key(a, {}) == _key([v.clone() if isinstance(v, torch.Tensor) else v
                                    for v in a], {})
    assert _key([x], {}) != _key([x], {}, upstream=torch.ones(2))
    assert _key([x], {}, upstream=torch.ones(2)) != _key([x], {}, upstream=torch.ones(2).double())
    assert _key([x], {}, record=True) != _key([x], {}) != _key([x], {}, name="g")
    assert _key([x], {}, gpu=True) != _key([x], {})


def test_what_the_key_does_not_cover_is_keyed_by_the_encoded_request() -> None:
    """Not plain (a subclass, a dtype numpy lacks, another device, an int past 64 bits,
    options of another type): no direct key, and the encoded one differs from any direct key."""
    for args in ([torch.nn.Parameter(torch.ones(2))], [torch.ones(2, dtype=torch.bfloat16)],
                 [torch.ones(2, device="meta")], [2**64], [object()]):
        assert _key(args, {}) is None
    assert _key([1], {}, seed=True) is None and _key([1], {}, gradcheck=1) is None
    assert _key([1], {}, grad_args=(True,)) is None
    tensors = protocol.Tensors()
    encoded = call_key({"op": "call", "args": protocol.encode([1], tensors)}, {})
    assert encoded is not None and encoded != _key([1], {})
    assert _plain_key([[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]) is None  # (past encode's depth)


def _neighbour(value: Any, draw: Any) -> Any:
    """`value` with some leaves swapped for what is easiest to mix up with them: a signed
    zero, an int for a float or a bool, a tuple for a list, a tensor's dtype, gradient flag,
    layout or class."""
    if isinstance(value, list | tuple):
        items = [_neighbour(v, draw) for v in value]
        flip = draw(st.booleans())
        return (list(items) if isinstance(value, tuple) else tuple(items)) if flip else \
            type(value)(items)
    if isinstance(value, dict):
        return {k: _neighbour(v, draw) for k, v in value.items()}
    if not draw(st.booleans()):
        return value
    if isinstance(value, torch.Tensor):
        change = draw(st.sampled_from(["dtype", "grad", "layout", "class", "negate"]))
        plain = value.detach().clone()
        if change == "dtype":
            return plain.to(torch.float64 if plain.dtype != torch.float64 else torch.float32)
        if change == "grad" and plain.is_floating_point():
            return plain if value.requires_grad else plain.requires_grad_(True)
        if change == "layout" and plain.dim() == 2:
            return plain.t().contiguous().t()  # the same values, other strides
        if change == "class":
            return torch.nn.Parameter(plain, requires_grad=False)
        if change == "negate" and plain.dtype != torch.bool:
            return -plain  # (-0.0 for 0.0)
        return plain
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return draw(st.sampled_from([float(value), bool(value), str(value)]))
    if isinstance(value, float):
        return draw(st.sampled_from([-value, int(value) if value == value and abs(value) < 2**70
                                     else value, repr(value)]))
    return value


_LEAVES = st.one_of(_SCALARS, _FLOATS, _tensors())  # (floats twice: signed zeros, nan)
_NEAR = st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=2),
                                                      st.lists(inner, min_size=1,
                                                               max_size=2).map(tuple)),
                     max_leaves=3)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_NEAR, min_size=1, max_size=2), st.data())
def test_a_call_and_its_easily_mixed_up_neighbour(args: list[Any], data: Any) -> None:
    """Same key, same request — for a call and one that differs from it only where a key
    would most easily fail to tell them apart."""
    other = _neighbour(args, data.draw)
    first, second = _key(args, {}), _key(other, {})
    if first is not None and first == second:
        assert _sent(args, {}) == _sent(other, {})


def _sent_scenario(params: dict[str, Any], record: bool) -> tuple[str, list[Any]]:
    """The request `StudentSession.scenario` sends (as `_sent`)."""
    tensors = protocol.Tensors()
    header = {"op": "scenario", "name": "s", "params": protocol.encode(params, tensors),
              "record": record}
    return (json.dumps(header, allow_nan=False),
            [(name, str(t.dtype), tuple(t.shape),
              t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
             for name, t in tensors.items.items()])


@settings(max_examples=500, deadline=None)
@given(st.lists(_NEAR, min_size=1, max_size=2), st.booleans(), st.data())
def test_a_scenario_and_its_easily_mixed_up_neighbour(values: list[Any], record: bool,
                                                      data: Any) -> None:
    """The same for a scenario's parameters (`direct_scenario_key`)."""
    params = {"a": values, "b": values[0]}
    other = {"a": _neighbour(values, data.draw), "b": _neighbour(values[0], data.draw)}
    first, second = direct_scenario_key("s", params, record), \
        direct_scenario_key("s", other, record)
    if first is not None and first == second:
        assert _sent_scenario(params, record) == _sent_scenario(other, record)


def test_scenario_keys_are_their_own() -> None:
    params = {"x": torch.ones(2), "epochs": 3}
    assert direct_scenario_key("s", params, True) == direct_scenario_key(
        "s", {"x": torch.ones(2), "epochs": 3}, True)
    assert direct_scenario_key("s", params, True) != direct_scenario_key("s", params, False)
    assert direct_scenario_key("s", params, True) != direct_scenario_key("t", params, True)
    assert direct_scenario_key("f", {}, False) != direct_call_key("f", (), {}, (), False, 0,
                                                                  False, None)
    assert direct_scenario_key("s", {"m": torch.nn.Linear(1, 1)}, True) is None
