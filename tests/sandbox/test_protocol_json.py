"""The protocol reads and writes frames with C objects made at import (`protocol._ENCODER`,
`_SCANNER`, `_socket.socket`'s methods): the same JSON as the `json` module's, and nothing
a cell replaces in `json` or on `socket.socket` reaches a frame (outside red team 78
replaced `json.encoder.c_make_encoder` and rewrote every reply its worker sent)."""

from __future__ import annotations

import json
import json.encoder
import socket

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.sandbox import protocol

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_the_same_json_as_the_json_modules(value) -> None:
    text = protocol._TO_JSON(value)
    assert text == json.dumps(value, separators=(",", ":"))
    assert repr(protocol._from_json(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["", "{", "[1,]", "1x", "{} {}", '{"a":1}]'])
def test_what_is_not_one_json_document_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        protocol._from_json(text)


def test_json_padded_with_whitespace_is_read_as_json_reads_it() -> None:
    assert protocol._from_json(' {"a": [1, 2]}   ') == {"a": [1, 2]}


def test_a_frame_goes_through_nothing_a_cell_can_replace(monkeypatch) -> None:
    def refused(*args, **kwargs):
        raise AssertionError("a replaced function was reached")

    monkeypatch.setattr(json.encoder, "c_make_encoder", refused)
    monkeypatch.setattr(json, "loads", refused)
    monkeypatch.setattr(json.JSONEncoder, "iterencode", refused)
    monkeypatch.setattr(socket.socket, "sendall", refused, raising=False)
    monkeypatch.setattr(socket.socket, "recv", refused, raising=False)
    left, right = socket.socketpair()
    with left, right:
        protocol.send(left, {"ok": True, "mutated": [0]}, {"t": torch.arange(3.0)})
        header, tensors = protocol.recv(right)
    assert header == {"ok": True, "mutated": [0]}
    assert tensors["t"].equal(torch.arange(3.0))
