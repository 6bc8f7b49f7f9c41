"""The judge's side of the wire holds against a hostile worker: one deadline per frame
(a reply trickled a byte at a time fails at the deadline, not after the last byte), caps
on header bytes, tensor bytes, tensor count and nesting, and a session that kills such a
worker and records why. No zygote here: a thread on the other end of a socketpair plays
the worker, so each case runs in about a second.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox import protocol
from autograder.sandbox.client import WorkerHandle
from autograder.sandbox.quoting import LIBRARY_WITHHELD, UNUSUAL_TYPE
from autograder.sandbox.session import (
    CallTimeout,
    OutOfTime,
    StudentError,
    StudentSession,
    WorkerLost,
)

PREFIX = struct.Struct("!IQ")


def frame(header: dict[str, Any], tensors: dict[str, torch.Tensor] | None = None) -> bytes:
    """The bytes `protocol.send` would write."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        protocol.send(ours, header, tensors)
        ours.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := theirs.recv(1 << 16):
            data += chunk
    return data


@contextlib.contextmanager
def peer(write: Callable[[socket.socket], None]) -> Iterator[socket.socket]:
    """The judge's end of a socketpair whose other end runs `write` in a thread."""
    judge, worker = socket.socketpair()

    def run() -> None:
        with contextlib.suppress(OSError):
            write(worker)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield judge
    finally:
        judge.close()
        thread.join(timeout=5)
        worker.close()


def trickle(data: bytes, every: float = 0.2) -> Callable[[socket.socket], None]:
    def write(sock: socket.socket) -> None:
        for byte in data:
            sock.sendall(bytes([byte]))
            time.sleep(every)
    return write


def at_once(data: bytes) -> Callable[[socket.socket], None]:
    return lambda sock: sock.sendall(data)


def assert_refused(data: bytes, error: type[protocol.ProtocolError],
                   caps: protocol.Caps = protocol.DEFAULT_CAPS) -> None:
    """Receiving `data` fails with `error` (quickly: nothing here trickles)."""
    with peer(at_once(data)) as judge, pytest.raises(error):
        protocol.recv(judge, deadline=time.monotonic() + 5, caps=caps)


# ---------------------------------------------------------------- deadline
def test_a_trickled_reply_fails_at_its_deadline() -> None:
    reply = frame({"ok": True, "value": "x" * 200})  # ~45 s at one byte every 0.2 s
    with peer(trickle(reply)) as judge:
        started = time.monotonic()
        with pytest.raises(protocol.FrameTimeout):
            protocol.recv(judge, deadline=started + 1.0)
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3.0, elapsed


def test_a_reply_that_never_comes_fails_at_its_deadline() -> None:
    with peer(lambda sock: time.sleep(3)) as judge:
        started = time.monotonic()
        with pytest.raises(protocol.FrameTimeout):
            protocol.recv(judge, deadline=started + 0.5)
        assert time.monotonic() - started < 2.5


def test_decoding_is_inside_the_deadline() -> None:
    data = list(range(50_000))
    with pytest.raises(protocol.FrameTimeout):
        protocol.decode(data, {}, deadline=time.monotonic() - 1)
    assert protocol.decode(data, {}, deadline=time.monotonic() + 60) == data


def test_a_prompt_reply_is_read_whole() -> None:
    tensors = protocol.Tensors()
    value = {"loss": torch.arange(6.0).reshape(2, 3), "history": [1.5, float("nan")],
             "pair": (torch.tensor([1, 2]), "ok")}
    header = {"ok": True, "value": protocol.encode(value, tensors)}
    with peer(at_once(frame(header, tensors.items))) as judge:
        reply, blob = protocol.recv(judge, deadline=time.monotonic() + 5)
    got = protocol.decode(reply["value"], blob, deadline=time.monotonic() + 5)
    assert torch.equal(got["loss"], value["loss"])
    assert got["history"][0] == 1.5 and got["history"][1] != got["history"][1]
    assert torch.equal(got["pair"][0], torch.tensor([1, 2])) and got["pair"][1] == "ok"


def test_empty_tensors_and_one_tensor_under_two_keys_go_in_one_frame() -> None:
    """A request sent ahead may hold the same call twice and an empty tensor (a batch of
    none): both must cross as they are (safetensors' own `save` refuses shared memory)."""
    shared, empty = torch.arange(4.0), torch.zeros(0, 3)
    tensors = {"c0.t0": shared, "c1.t0": shared, "c2.t0": empty}
    with peer(at_once(frame({"ok": True}, tensors))) as judge:
        _, blob = protocol.recv(judge, deadline=time.monotonic() + 5)
    assert torch.equal(blob["c0.t0"], shared) and torch.equal(blob["c1.t0"], shared)
    assert blob["c2.t0"].shape == (0, 3)



def test_every_dtype_shape_and_alignment_crosses_as_it_is() -> None:
    """Tensors are read as views of one buffer: a float64 after a bool starts off its own
    boundary (copied then), a scalar has shape (), an empty one no bytes at all."""
    tensors = {"a": torch.tensor([True, False, True]), "b": torch.randn(2, 3, dtype=torch.float64),
               "c": torch.tensor(7, dtype=torch.int64), "d": torch.zeros(0, 2),
               "e": torch.randn(5).to(torch.bfloat16), "f": torch.tensor([1, 2], dtype=torch.int8)}
    with peer(at_once(frame({"ok": True}, tensors))) as judge:
        _, blob = protocol.recv(judge, deadline=time.monotonic() + 5)
    assert set(blob) == set(tensors)
    for key, tensor in tensors.items():
        assert blob[key].dtype == tensor.dtype and blob[key].shape == tensor.shape, key
        assert torch.equal(blob[key], tensor), key


def test_a_run_of_one_dtype_off_its_boundary_is_read_from_a_copy() -> None:
    """Another sender may lay tensors out in any order: two float64 tensors after three
    bytes of bool start off their boundary (the run is copied), a scalar and a 2-D one among
    them keep their shapes."""
    flags, scalar, grid = (torch.tensor([True, False, True]), torch.tensor(2.5, dtype=torch.float64),
                           torch.arange(6, dtype=torch.float64).reshape(2, 3))
    index = {"a": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]},
             "b": {"dtype": "F64", "shape": [], "data_offsets": [3, 11]},
             "c": {"dtype": "F64", "shape": [2, 3], "data_offsets": [11, 59]}}
    data = flags.numpy().tobytes() + scalar.numpy().tobytes() + grid.numpy().tobytes()
    with peer(at_once(_forged_blob(index, data))) as judge:
        _, blob = protocol.recv(judge, deadline=time.monotonic() + 5)
    for key, tensor in {"a": flags, "b": scalar, "c": grid}.items():
        assert blob[key].dtype == tensor.dtype and blob[key].shape == tensor.shape, key
        assert torch.equal(blob[key], tensor), key


def _forged_blob(index: dict[str, Any], data: bytes) -> bytes:
    header = json.dumps(index).encode()
    blob = struct.pack("<Q", len(header)) + header + data
    body = b"{}"
    return PREFIX.pack(len(body), len(blob)) + body + blob


@pytest.mark.parametrize("index, data", [
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),   # too short
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8),   # bytes left over
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),   # a gap
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "u": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),   # overlapping
    ({"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8),  # past the end
    ({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),  # bad shape
    ({"t": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}}, b"\0" * 4),
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": ["0", 4]}}, b"\0" * 4),
    ({"t": {"dtype": "F32", "shape": [1]}}, b"\0" * 4),                          # no offsets
    ({"t": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}, b"\0" * 4),
    ({"t": {"dtype": "F32", "shape": [2**63, 0], "data_offsets": [0, 0]}}, b""),  # int64 overflow
])
def test_a_malformed_tensor_blob_is_refused(index: dict[str, Any], data: bytes) -> None:
    assert_refused(_forged_blob(index, data), protocol.ProtocolError)

# ---------------------------------------------------------------- caps
def test_an_oversized_header_is_refused_before_it_is_read() -> None:
    assert_refused(PREFIX.pack(10 * 1024 * 1024, 0), protocol.FrameTooLarge,
                   protocol.Caps(header_bytes=1024))


def test_an_oversized_tensor_blob_is_refused_before_it_is_read() -> None:
    assert_refused(PREFIX.pack(2, 1 << 30) + b"{}", protocol.FrameTooLarge,
                   protocol.Caps(blob_bytes=1024))


def test_a_padded_tensor_index_is_refused_before_it_is_parsed() -> None:
    # The index of a few tensors padded with `[],[],…`: its size alone refuses it (parsed,
    # 64 MB of it made gigabytes of lists in the judge).
    index = {"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
             "pad": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4],
                     "x": [[] for _ in range(20_000)]}}
    assert_refused(_forged_blob(index, b"\0" * 4), protocol.FrameTooLarge,
                   protocol.Caps(tensors=16))


def test_too_many_tensors_are_refused() -> None:
    tensors = {f"t{i}": torch.tensor([float(i)]) for i in range(40)}
    data = frame({"ok": True}, tensors)
    assert_refused(data, protocol.TooManyTensors, protocol.Caps(tensors=16))
    with peer(at_once(data)) as judge:  # within the cap: read as usual
        _, blob = protocol.recv(judge, deadline=time.monotonic() + 5,
                                caps=protocol.Caps(tensors=40))
    assert len(blob) == 40


def test_a_deeply_nested_value_is_refused() -> None:
    value: Any = 1
    for _ in range(protocol.MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(protocol.NestedTooDeeply):
        protocol.decode(value, {})
    shallow: Any = 1
    for _ in range(protocol.MAX_DEPTH - 1):
        shallow = [shallow]
    assert protocol.decode(shallow, {}) == shallow


def test_a_header_too_deep_for_the_json_parser_is_refused() -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    assert_refused(PREFIX.pack(len(body), 0) + body, protocol.NestedTooDeeply)


@pytest.mark.parametrize("value", [
    {"__float__": "1" * 5000},  # not one of nan, inf, -inf
    {"__device__": "no such device"},
    {"__meta__": ["a"]},
    [{"__tensor__": "t0"}, {"__tensor__": "t0"}],  # one tensor cloned many times
    {"__tensor__": "t9"},
    {"__dict__": [[{"__tuple__": [[1]]}, 2]]},  # an unhashable key: kept as text
])
def test_forged_values_are_refused_or_neutralised(value: Any) -> None:
    tensors = {"t0": torch.zeros(3)}
    if "__dict__" in value:
        decoded = protocol.decode(value, tensors)
        assert list(decoded.values()) == [2] and all(isinstance(k, str) for k in decoded)
        return
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(value, tensors)


def test_labels_from_the_worker_are_short_and_printable() -> None:
    decoded = protocol.decode({"__object__": "\x1b[2J\x07evil" + "x" * 100_000}, {})
    assert isinstance(decoded, protocol.Opaque)
    assert len(decoded.description) <= protocol.MAX_LABEL
    assert "\x1b" not in decoded.description and "\x07" not in decoded.description


# ---------------------------------------------------------------- the student's exceptions
def test_student_exception_info_is_capped_and_cleaned() -> None:
    error = StudentError("mse_loss", {"type": "def secret():\n    return 42  # " + "x" * 200_000,
                                      "message": "bad\x1b[31m thing\x07\n" + "y" * 100_000,
                                      "where": "cell 3, line 2"})
    assert error.kind == UNUSUAL_TYPE
    assert "secret" not in error.excerpt()
    assert len(error.info["message"]) <= 300
    assert "\x1b" not in error.excerpt() and "\x07" not in error.excerpt()
    assert error.excerpt().startswith(f"{UNUSUAL_TYPE}: {LIBRARY_WITHHELD}")  # (no known words)
    plain = StudentError("f", {"type": "ValueError", "message": "division by zero",
                               "where": "x" * 9})
    assert plain.kind == "ValueError" and plain.excerpt() == "ValueError: division by zero"
    assert StudentError("f", "not a dict").kind == ""


# ---------------------------------------------------------------- a session against a fake worker
class FakeConnection:
    """A zygote stand-in: each spawn starts a thread that answers like a worker, running
    `reply` for every call request."""

    def __init__(self, reply: Callable[[socket.socket, dict[str, Any]], None]) -> None:
        self.reply = reply
        self.killed: list[int] = []
        self.sockets: list[socket.socket] = []
        self.pids = 1000

    def spawn(self, limits: Limits, extra_hidden: list[str]) -> WorkerHandle:
        judge, worker = socket.socketpair()
        self.sockets.append(worker)
        self.pids += 1

        def serve() -> None:
            with contextlib.suppress(OSError, protocol.ProtocolError):
                while True:
                    request, _ = protocol.recv(worker)
                    if request["op"] == "exec_cells":  # ready, each cell ends in order, done
                        protocol.send(worker, {"event": "ready", "cuda": False})
                        for cell in request["cells"]:
                            protocol.send(worker, {"event": "cell_end", "index": cell["index"],
                                                   "error": None, "seconds": 0.0})
                        protocol.send(worker, {"event": "cells_done"})
                    elif request["op"] == "ping":
                        protocol.send(worker, {"ok": True, "cuda": False})
                    elif request["op"] == "shutdown":
                        return
                    else:
                        self.reply(worker, request)

        threading.Thread(target=serve, daemon=True).start()
        return WorkerHandle(self.pids, judge)

    def kill(self, pid: int) -> dict[str, Any]:
        self.killed.append(pid)
        return {"exited": True, "signal": 9}

    def end(self, pid: int) -> None:
        self.killed.append(pid)

    def wait(self, pid: int, timeout: float) -> dict[str, Any]:
        return {"exited": True, "exitcode": 1}

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


def session_with(reply: Callable[[socket.socket, dict[str, Any]], None],
                 **limits: Any) -> tuple[StudentSession, FakeConnection]:
    conn = FakeConnection(reply)
    submission = Submission("s1", Path("s1.ipynb"), (Cell(1, "x = 1"),), "0" * 64)
    settings = {"call_timeout_s": 1, "max_restarts": 3, **limits}
    session = StudentSession(conn, submission, Limits(**settings))  # type: ignore[arg-type]
    session.start()
    return session, conn


def test_session_kills_a_worker_that_trickles_its_reply() -> None:
    body = json.dumps({"ok": True, "value": "z" * 500}).encode()

    def slow(sock: socket.socket, request: dict[str, Any]) -> None:
        trickle(PREFIX.pack(len(body), 0) + body, every=0.2)(sock)

    session, conn = session_with(slow)
    try:
        started = time.monotonic()
        with pytest.raises(CallTimeout):
            session.call("mse_loss", torch.zeros(2))
        # the call's limit (1 s) plus the grace for the worker's own report (2 s)
        assert time.monotonic() - started < 6
        assert conn.killed and session.worker is None
        assert any("mse_loss ran past" in t for t in session.incidents.timeouts)
    finally:
        session.close()
        conn.close()


def test_session_kills_a_worker_whose_reply_breaks_a_cap() -> None:
    def many(sock: socket.socket, request: dict[str, Any]) -> None:
        items = {f"t{i}": torch.zeros(1) for i in range(64)}
        protocol.send(sock, {"ok": True, "value": [{"__tensor__": k} for k in items]}, items)

    session, conn = session_with(many, max_reply_tensors=16)
    try:
        with pytest.raises(WorkerLost, match="64 tensors"):
            session.call("accuracy", torch.zeros(2), torch.zeros(2))
        assert conn.killed and session.worker is None
        assert any("refuses" in c for c in session.incidents.crashes)
    finally:
        session.close()
        conn.close()


def test_a_session_out_of_time_raises_records_and_closes_its_worker() -> None:
    def sleepy(sock: socket.socket, request: dict[str, Any]) -> None:
        time.sleep(float(request["timeout"]))  # the worker interrupts itself at its limit
        protocol.send(sock, {"ok": False, "timeout": True})

    session, conn = session_with(sleepy, call_timeout_s=5, submission_timeout_s=1.5)
    try:
        with pytest.raises(OutOfTime):
            session.call("macro_f1", torch.zeros(2), torch.zeros(2), 2)
        assert session.out_of_time and session.worker is None and conn.killed
        with pytest.raises(OutOfTime):  # every later call: no new worker
            session.call("macro_f1", torch.zeros(2), torch.zeros(2), 2)
        assert len(conn.sockets) == 1
        assert len(session.incidents.timeouts) == 1
        assert "total time limit" in session.incidents.timeouts[0]
    finally:
        session.close()
        conn.close()


def test_an_int_beyond_float_range_is_sent_as_an_infinity() -> None:
    """An answer of 10 ** 5000 (a twelfth outside red team's) encodes, as ±inf (it once made
    the reply fail to encode and its row `crashed`, the reason a harness broken)."""
    tensors = protocol.Tensors()
    assert protocol.encode(10 ** 5000, tensors) == {"__float__": "inf"}
    assert protocol.encode(-(10 ** 5000), tensors) == {"__float__": "-inf"}
    assert protocol.encode(2 ** 70, tensors) == float(2 ** 70)
    decoded = protocol.Decoder({}).decode({"__float__": "-inf"})
    assert decoded == float("-inf")
