"""Plain-data wire format between the judge and a worker.

A frame is a JSON header plus an optional safetensors blob. Values are JSON
with tensors replaced by references into the blob. Decoding never unpickles:
JSON and safetensors cannot execute code. Both sides import this module, so the
worker's copy may be tampered with; only the judge's reading and decoding matter
for integrity, and they are bounded in every dimension a hostile worker controls:

- time: `recv` and `send` take one absolute deadline (`time.monotonic()`) for the
  whole frame, re-arming the socket timeout with what is left before every read, so
  a worker that trickles its reply a byte at a time cannot hold the judge past it;
  `Decoder` checks the same deadline while it walks the value;
- size: the header's and the blob's byte counts, and the number of tensors, are
  capped (`Caps`, from the config) before anything is parsed;
- shape: nesting depth is capped (`MAX_DEPTH`), every tensor may be referenced once,
  and every string shown to a person is shortened and stripped of control characters
  (`clean_text`).

Every breach raises a `ProtocolError` subclass, so the judge can kill the worker and
say why.
"""

from __future__ import annotations

import _json
import _socket
import json
import math
import re
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy
import torch
from safetensors import TensorSpec
from safetensors import serialize as st_serialize

from autograder.load.text import INVISIBLE

# (numpy's, taken at import: `encode` looks up no module by name, `sys.modules["numpy"]`
# being a cell's to replace: red team 81)
_ASARRAY = numpy.asarray

# Defaults of `Caps` (the config's `limits` overrides them on the judge side); the worker
# reads the judge's requests with these, which an honest judge never comes near.
MAX_HEADER = 8 * 1024 * 1024
MAX_BLOB = 256 * 1024 * 1024
MAX_TENSORS = 4096
# Fixed sanity caps of the format itself, not tolerances a course would tune: `encode`
# stops at depth 20 (each container one level), so an honest frame is never deeper than
# 21; a deeper one is forged. Strings that reach feedback are cut far below any page size.
MAX_DEPTH = 25
MAX_LABEL = 200
# How many values the decoder visits between two looks at the clock (~1 ms of work).
_CLOCK_EVERY = 1024  # (a power of two: the decoder tests it with a bit mask)
_LEN = struct.Struct("!IQ")
_ST_LEN = struct.Struct("<Q")
_SAFE_DTYPES = {
    "torch.float16",
    "torch.bfloat16",
    "torch.float32",
    "torch.float64",
    "torch.int8",
    "torch.uint8",
    "torch.int16",
    "torch.int32",
    "torch.int64",
    "torch.bool",
}
# What a worker may send (`harness.plain_copy` describes a tensor or array of any other
# dtype instead of sending it: an eleventh outside red team's uint16, complex32 and float8
# returns each cost a killed worker, four of them every check after them).
WIRE_DTYPES = frozenset(_SAFE_DTYPES)
WIRE_NUMPY_DTYPES = frozenset({"float16", "float32", "float64", "int8", "uint8", "int16",
                               "int32", "int64", "bool"})
# The same allow-list in safetensors' own names, checked before the blob is parsed.
_ST_DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32,
              "F64": torch.float64, "I8": torch.int8, "U8": torch.uint8, "I16": torch.int16,
              "I32": torch.int32, "I64": torch.int64, "BOOL": torch.bool}
_SAFE_ST_DTYPES = set(_ST_DTYPES)
_ST_ITEMSIZE = {name: torch.empty(0, dtype=dtype).element_size() for name, dtype in _ST_DTYPES.items()}
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_INT = frozenset({int})
# C0/C1 controls but newline (ESC, BEL, NUL, ...), and the invisible format characters that
# reorder or hide text (bidi overrides, zero-width characters, line/paragraph separators).
# (lone surrogates too: text holding one cannot be written as UTF-8)
_CONTROL = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{INVISIBLE}]")


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame."""


class PeerClosed(ProtocolError):
    """The peer closed the connection (a worker that died or exited)."""


class FrameTimeout(ProtocolError):
    """The frame was not sent, received and decoded before its deadline."""


class FrameTooLarge(ProtocolError):
    """The frame's header or tensor blob is larger than its cap."""


class TooManyTensors(ProtocolError):
    """The frame carries more tensors than its cap."""


class NestedTooDeeply(ProtocolError):
    """The frame's value is nested deeper than any honest encoder produces."""


@dataclass(frozen=True)
class Caps:
    """What one received frame may hold; the judge builds these from the config's limits."""

    header_bytes: int = MAX_HEADER
    blob_bytes: int = MAX_BLOB
    tensors: int = MAX_TENSORS


DEFAULT_CAPS = Caps()


def clean_text(value: Any, limit: int = MAX_LABEL, keep_newlines: bool = False) -> str:
    """A peer's string as it may be shown to a person: control and invisible characters
    removed (newlines kept only when asked, tabs as spaces), at most `limit` characters.
    A value that is not a string (forged: honest peers send strings) reads as its type."""
    if value is None:
        return ""
    if type(value) is str and len(value) <= limit and value.isascii() and value.isprintable():
        return value  # (the common case: nothing to remove, replace or cut)
    if isinstance(value, (bool, int, float)):
        value = str(value)
    elif not isinstance(value, str):
        value = type(value).__name__
    text = value[:4 * limit + 64]  # bounded work, whatever the peer sent
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not keep_newlines:
        text = text.replace("\n", " ")
    text = _CONTROL.sub("", text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


class Frozen(tuple):  # type: ignore[type-arg]
    """A tensor as bytes, made while a library block held (`harness.plain_copy`): (dtype,
    shape, requires_grad, device, data). `encode` references it as it does a tensor and
    `serialize` writes its bytes as they are: nothing is rebuilt from it in the worker, so no
    code of the student's can run on a value between its block and the wire."""


class Described(tuple):  # type: ignore[type-arg]
    """A value sent by what it is only, as `harness.plain_copy` described it while the block
    held: (`"__module__"` or `"__object__"`, its type's name) — what `encode` writes for a
    module or another object, computed before the block was lifted (an object's own
    `__class__` or `__instancecheck__` would otherwise run as the reply is encoded)."""


_FLOATING = frozenset({"torch.float16", "torch.bfloat16", "torch.float32", "torch.float64",
                       "torch.complex64", "torch.complex128"})


class Tensors:
    """Collects tensors (and `Frozen` ones) while encoding a value into JSON-able data."""

    def __init__(self) -> None:
        self.items: dict[str, torch.Tensor | Frozen] = {}

    def since(self, count: int) -> list[str]:
        """The keys of the tensors added after the first `count` (keys are "t0", "t1", ... in
        the order added: no walk over the ones before)."""
        return [f"t{i}" for i in range(count, len(self.items))]

    def plain(self) -> dict[str, torch.Tensor]:
        """The tensors collected, none `Frozen` (what the judge encodes: its own tensors)."""
        plain = {key: item for key, item in self.items.items() if isinstance(item, torch.Tensor)}
        if len(plain) != len(self.items):
            raise TypeError("frozen tensors are the worker's")
        return plain

    def add(self, tensor: torch.Tensor | Frozen) -> str:
        key = f"t{len(self.items)}"
        if isinstance(tensor, Frozen) or (
                type(tensor) is torch.Tensor and not tensor.requires_grad  # the common case,
                and tensor.device.type == "cpu" and tensor.is_contiguous()  # as it is
                and not tensor.is_conj() and not tensor.is_neg()):
            self.items[key] = tensor
            return key
        plain = torch.Tensor.as_subclass(tensor, torch.Tensor).detach()
        # No copy here: `send` serialises the bytes at once, before anyone can change them.
        self.items[key] = plain.to("cpu").resolve_conj().resolve_neg().contiguous()
        return key


def nbytes(tensor: torch.Tensor | Frozen) -> int:
    """The bytes a collected tensor takes in a frame."""
    if type(tensor) is Frozen:
        return len(tensor[4])
    return tensor.numel() * tensor.element_size()  # type: ignore[union-attr]


def encode(value: Any, tensors: Tensors, depth: int = 0) -> Any:
    """Worker side: any Python value to JSON data, with tensors set aside."""
    if depth > 20:
        return {"__object__": "too deeply nested"}
    if type(value) is torch.Tensor:  # (the common value: first)
        return _tensor_reference(value, tensors)
    if type(value) is Frozen:
        return _frozen_reference(value, tensors)
    if type(value) is Described:
        return {value[0]: value[1]}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else _as_float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, torch.Tensor):
        return _tensor_reference(value, tensors)
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, torch.dtype):
        return {"__dtype__": str(value)}
    if isinstance(value, (list, tuple)):
        items = [encode(v, tensors, depth + 1) for v in list(value)[:10_000]]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, tensors, depth + 1), encode(v, tensors, depth + 1)]
                             for k, v in list(value.items())[:10_000]]}
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "dtype"):
        try:
            array = torch.from_numpy(_ASARRAY(value).copy())
            return {"__ndarray__": tensors.add(array)}
        except TypeError:
            pass
    return dict([describe(value)])


def _as_float(value: int) -> Any:
    """A large int as the float nearest it, or as ±inf beyond float's range (an int of 4,300
    digits made the reply fail to encode: a red team's row was `crashed`, its reason the
    harness broken)."""
    try:
        return float(value)
    except OverflowError:
        return {"__float__": "inf" if value > 0 else "-inf"}


def describe(value: Any) -> tuple[str, str]:
    """What `encode` sends for a value that is no plain data: a module's class name, or any
    other object's module and class."""
    if isinstance(value, torch.nn.Module):
        return "__module__", type(value).__name__
    return "__object__", f"{type(value).__module__}.{type(value).__name__}"[:200]


def _tensor_reference(value: torch.Tensor, tensors: Tensors) -> dict[str, Any]:
    device = value.device
    if device.type == "meta":
        return {"__meta__": list(value.shape), "dtype": str(value.dtype)}
    return {
        "__tensor__": tensors.add(value),
        "device": str(device),
        "requires_grad": bool(value.requires_grad),
        "subclass": type(value).__name__ if type(value) is not torch.Tensor else "",
    }


def _frozen_reference(value: Frozen, tensors: Tensors) -> Any:
    """A `Frozen` tensor referenced as `_tensor_reference` references the tensor it was
    (a frozen tensor is never a subclass: `plain_copy` took its values as a plain tensor)."""
    dtype, shape, requires_grad, device, _ = value
    if device == "meta":
        return {"__meta__": list(shape), "dtype": dtype}
    return {"__tensor__": tensors.add(value), "device": device,
            "requires_grad": bool(requires_grad) and dtype in _FLOATING, "subclass": ""}


class Opaque:
    """A value the worker could not send as plain data (shown by type name only)."""

    def __init__(self, kind: str, description: str) -> None:
        self.kind = kind
        self.description = description

    def __repr__(self) -> str:
        return f"<{self.kind} {self.description}>"


class NumpyArray:
    """Marks a tensor that arrived as a numpy array, so checks can say so."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor


class MetaTensor:
    def __init__(self, shape: list[int], dtype: str) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype


class Decoder:
    """Judge side: JSON data back to values; only known shapes are accepted.

    One decoder serves every value of one frame, so that each tensor of the blob is
    handed out once (an honest encoder references each once; a forged frame that
    references a 256 MB tensor a million times would otherwise be cloned a million
    times). Depth is capped, and the deadline is checked every `_CLOCK_EVERY` values.
    """

    def __init__(self, tensors: dict[str, torch.Tensor], deadline: float | None = None) -> None:
        self.tensors = tensors
        self.deadline = deadline
        self.used: set[str] = set()
        self.visited = 0

    def decode(self, data: Any) -> Any:
        return self._decode(data, 0)

    def _tensor(self, key: Any) -> torch.Tensor:
        if not isinstance(key, str) or key not in self.tensors:
            raise ProtocolError("reference to a missing tensor")
        if key in self.used:
            raise ProtocolError("a tensor referenced twice")
        self.used.add(key)
        return self.tensors[key]

    def _decode(self, data: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise NestedTooDeeply(f"value nested deeper than {MAX_DEPTH} levels")
        self.visited += 1  # (the deadline looked at every `_CLOCK_EVERY` values)
        if not self.visited & (_CLOCK_EVERY - 1) and self.deadline is not None \
                and _MONOTONIC() > self.deadline:
            raise FrameTimeout("the reply could not be decoded before the deadline")
        kind = type(data)
        # (exact types first: what JSON gives, ~10 values a call; subclasses below)
        if kind is str or kind is int or kind is float or kind is bool or data is None:
            return data
        if kind is list:
            return [self._decode(v, depth + 1) for v in data]
        if kind is dict and "__tensor__" in data:
            # its own memory (a frame's tensors are views of one buffer), plain: where the
            # original was and what it was ("device", "subclass", "requires_grad") stays in
            # the frame's JSON for whoever asks
            return self._tensor(data["__tensor__"]).clone()
        if isinstance(data, (bool, int, float, str)):
            return data
        if isinstance(data, list):
            return [self._decode(v, depth + 1) for v in data]
        if not isinstance(data, dict) or len(data) == 0:
            raise ProtocolError("unexpected value in frame")
        if "__tensor__" in data:
            return self._tensor(data["__tensor__"]).clone()
        if "__ndarray__" in data:
            return NumpyArray(self._tensor(data["__ndarray__"]).clone())
        if "__float__" in data:
            text = data["__float__"]
            if not isinstance(text, str) or text not in _NON_FINITE:
                raise ProtocolError("malformed non-finite float")
            return _NON_FINITE[text]
        if "__tuple__" in data:
            items = data["__tuple__"]
            if not isinstance(items, list):
                raise ProtocolError("malformed tuple")
            return tuple(self._decode(v, depth + 1) for v in items)
        if "__dict__" in data:
            return self._dict(data["__dict__"], depth)
        if "__device__" in data:
            try:
                return torch.device(clean_text(data["__device__"], 64))
            except (RuntimeError, ValueError, TypeError) as exc:
                raise ProtocolError("malformed device") from exc
        if "__dtype__" in data:
            return Opaque("dtype", clean_text(data["__dtype__"], 64))
        if "__meta__" in data:
            shape = data["__meta__"]
            if not isinstance(shape, list) or len(shape) > 64 or not all(
                    isinstance(n, int) and not isinstance(n, bool) for n in shape):
                raise ProtocolError("malformed meta tensor")
            return MetaTensor(shape, clean_text(data.get("dtype", ""), 64))
        if "__module__" in data:
            return Opaque("module", clean_text(data["__module__"]))
        if "__object__" in data:
            return Opaque("object", clean_text(data["__object__"]))
        raise ProtocolError("unknown value tag")

    def _dict(self, pairs: Any, depth: int) -> dict[Any, Any]:
        if not isinstance(pairs, list):
            raise ProtocolError("malformed dict")
        out: dict[Any, Any] = {}
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ProtocolError("malformed dict entry")
            key = self._decode(pair[0], depth + 1)
            if type(key) is not str:  # (a name: the common key, hashable and plain)
                try:
                    hash(key)
                except TypeError:
                    key = clean_text(repr(key))
                if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                    key = clean_text(repr(key))
            out[key] = self._decode(pair[1], depth + 1)
        return out


def decode(data: Any, tensors: dict[str, torch.Tensor], deadline: float | None = None) -> Any:
    """One value of a frame (see `Decoder`, which decodes several values of one frame)."""
    return Decoder(tensors, deadline).decode(data)


_EMPTY = torch.zeros(1)


def _serialize(tensors: dict[str, torch.Tensor] | dict[str, torch.Tensor | Frozen]) -> bytes:
    """safetensors bytes, written by safetensors' own serializer straight from each tensor's
    memory (a `Frozen` one's: its bytes): `safetensors.torch.save` first looks for shared
    storage and goes through numpy's ctypes (~50 µs a frame), which made it a large share of
    a worker call."""
    specs = {}
    for key, tensor in tensors.items():  # (`tensors` keeps every buffer alive meanwhile)
        if type(tensor) is Frozen:
            dtype, shape, _, _, data = tensor
            # an empty tensor has no buffer: any valid address, no bytes
            specs[key] = TensorSpec(dtype=dtype.split(".")[-1], shape=shape,
                                    data_ptr=_address(data) if data else _EMPTY.data_ptr(),
                                    data_len=len(data))
            continue
        specs[key] = TensorSpec(dtype=str(tensor.dtype).split(".")[-1],  # type: ignore[union-attr]
                                shape=tensor.shape,  # type: ignore[union-attr]
                                data_ptr=(tensor.data_ptr()  # type: ignore[union-attr]
                                          if tensor.numel() else _EMPTY.data_ptr()),  # type: ignore[union-attr]
                                data_len=nbytes(tensor))
    return bytes(st_serialize(specs, metadata=None))


def _address(data: bytes) -> int:
    """Where a bytes object's contents are (read in place: numpy's view of bytes copies
    nothing). Not with ctypes: a worker refuses every ctypes call once it serves
    (`worker.refuse_native_code`)."""
    return int(_FROMBUFFER(data, dtype=_UINT8).__array_interface__["data"][0])


def _arm(sock: socket.socket, deadline: float | None) -> None:
    """Before each blocking step: what is left of the frame's deadline, as the socket timeout."""
    if deadline is None:
        return
    left = deadline - _MONOTONIC()
    if left <= 0:
        raise FrameTimeout("the deadline passed before the frame was complete")
    _SETTIMEOUT(sock, left)


def _unencodable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Frames are read and written by C objects of the interpreter's own, made here, at import
# (in the zygote, before any notebook): `json.dumps`, `json.loads` and a socket's methods
# look up functions at every call — `json.encoder.c_make_encoder`, `JSONEncoder.iterencode`,
# `socket.socket`'s class attributes — which a cell can replace: outside red team 78's cell
# replaced `json.encoder.c_make_encoder` and rewrote every reply its worker sent (the
# in-place edits, where the tensors were, every tampering marker: +2, +4, +26, unflagged).
# The C encoder and scanner hold what they use; `_socket.socket`'s methods live in a C type
# no code can change. (The same JSON as `json.dumps(separators=(",", ":"))` and `json.loads`
# of it; made once, ~1 µs less a header than a fresh encoder each time.)
_ENCODER = _json.make_encoder(None, _unencodable, _json.encode_basestring_ascii, None, ":",
                              ",", False, False, True)
_SCANNER = _json.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_SENDALL, _RECV, _SETTIMEOUT = (_socket.socket.sendall, _socket.socket.recv,
                                _socket.socket.settimeout)
_MONOTONIC, _PROD = time.monotonic, math.prod
_FROMBUFFER, _UINT8 = numpy.frombuffer, numpy.uint8


def _TO_JSON(value: Any, _encode: Any = _ENCODER, _join: Any = "".join) -> str:
    return _join(_encode(value, 0))


def _from_json(text: str, _scan: Any = _SCANNER, _length: Any = len,
               _strip: Any = str.strip) -> Any:
    """One JSON document, the whole of `text` but JSON's whitespace around it (a safetensors
    index is padded with spaces), as `json.loads` reads it."""
    text = _strip(text, " \t\n\r")
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != _length(text):
        raise ValueError("extra data after the JSON document")
    return value


def encoded(value: Any) -> bytes:
    """A header field's value as the JSON `send` writes it (for `Encoded`)."""
    return _TO_JSON(value).encode("utf-8")


@dataclass(frozen=True)
class Encoded:
    """Parts of a frame encoded once and sent many times: header fields already in JSON
    (`encoded`), and the tensors already serialised (`serialize`). The bytes on the wire
    are those `send` would write for the same header and tensors."""

    fields: dict[str, bytes]
    blob: bytes


def serialize(tensors: dict[str, torch.Tensor] | dict[str, torch.Tensor | Frozen]) -> bytes:
    """Tensors as a frame carries them (for `Encoded`)."""
    return _serialize(tensors) if tensors else b""


def send(sock: socket.socket, header: dict[str, Any],
         tensors: dict[str, torch.Tensor] | dict[str, torch.Tensor | Frozen] | None = None,
         deadline: float | None = None, ready: Encoded | None = None) -> None:
    """One frame; with a deadline, the whole frame is sent by then or `FrameTimeout`.
    `ready`: fields and tensors encoded already, sent after the header's own fields."""
    body = _TO_JSON(header).encode("utf-8")
    if ready is not None:
        if set(ready.fields) & set(header) or tensors:
            raise ValueError("a field or the tensors twice in one frame")
        extra = b",".join(encoded(name) + b":" + value for name, value in ready.fields.items())
        body = body[:-1] + (b"," if header and extra else b"") + extra + b"}"
    blob = ready.blob if ready is not None else _serialize(tensors) if tensors else b""
    _arm(sock, deadline)
    try:  # sendall's timeout bounds the whole call, not each chunk (Python >= 3.5)
        _SENDALL(sock, _LEN.pack(len(body), len(blob)) + body + blob)
    except TimeoutError as exc:
        raise FrameTimeout("the peer did not take the frame before the deadline") from exc


def send_value(sock: socket.socket, header: dict[str, Any], **values: Any) -> None:
    """Encode `values` into the header (worker side) and send one frame."""
    tensors = Tensors()
    for name, value in values.items():
        header[name] = encode(value, tensors)
    send(sock, header, tensors.items)


def recv(sock: socket.socket, deadline: float | None = None,
         caps: Caps = DEFAULT_CAPS) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """One frame, whole by `deadline` (a `time.monotonic()` instant; None waits forever,
    as the worker does for its judge), within `caps`. Decode its values with `Decoder`."""
    prefix = _recv_exact(sock, _LEN.size, deadline)
    header_len, blob_len = _LEN.unpack(prefix)
    if header_len > caps.header_bytes:
        raise FrameTooLarge(f"a reply header of {header_len} bytes (the cap is "
                            f"{caps.header_bytes})")
    if blob_len > caps.blob_bytes:
        raise FrameTooLarge(f"{blob_len} bytes of tensors (the cap is {caps.blob_bytes})")
    raw = _recv_exact(sock, header_len, deadline)
    try:
        header = _from_json(raw.decode("utf-8"))
    except RecursionError as exc:
        raise NestedTooDeeply("the reply header is nested too deeply to parse") from exc
    except ValueError as exc:  # also bad UTF-8, and integers of over 4300 digits
        raise ProtocolError("frame header is not JSON") from exc
    if not isinstance(header, dict):
        raise ProtocolError("frame header is not an object")
    tensors: dict[str, torch.Tensor] = {}
    if blob_len:
        blob = _recv_exact(sock, blob_len, deadline)
        tensors = _load(blob, _check_blob(blob, caps))
        if any(str(t.dtype) not in _SAFE_DTYPES for t in tensors.values()):
            raise ProtocolError("tensor of an unsupported dtype")
    return header, tensors


def _load(blob: bytes, index: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The blob's tensors, as views of one copy of its data (safetensors' own loader built
    each tensor from a copy of its bytes in Python: half a worker's receiving time). Every
    tensor's bytes must follow the previous one's, be its shape's size and end where the data
    ends, as safetensors requires; anything else is a `ProtocolError`."""
    (size,) = _ST_LEN.unpack_from(blob)
    data = bytearray(memoryview(blob)[_ST_LEN.size + size:])
    base = torch.frombuffer(data, dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
    try:
        # by where each starts and then ends: an empty tensor starts where the next one does,
        # and ordered by name after it, the frame was refused (a plan's second request, its
        # empty int64 `u99` where the float64 `u0` began, failed, and every call of the rest
        # of the submission went alone: 2.5x its cost)
        entries = sorted(((spec["data_offsets"][0], spec["data_offsets"][1]), key, spec)
                         for key, spec in index.items() if key != "__metadata__")
    except (TypeError, KeyError, IndexError) as exc:
        raise ProtocolError("tensor blob is not valid safetensors") from exc
    sizes: list[int] = []
    end = 0
    for _, _, spec in entries:
        offsets, shape = spec.get("data_offsets"), spec.get("shape")
        if (not isinstance(offsets, list) or len(offsets) != 2 or offsets[0] != end
                or not isinstance(shape, list) or len(shape) > 64):
            raise ProtocolError("tensor blob is not valid safetensors")
        counts = [*offsets, *shape]  # each an int (not a bool), none negative
        if not _INT.issuperset(map(type, counts)) or min(counts) < 0:
            raise ProtocolError("tensor blob is not valid safetensors")
        if offsets[1] - offsets[0] != _PROD(shape) * _ST_ITEMSIZE[spec["dtype"]] \
                or offsets[1] > len(data):
            raise ProtocolError("tensor blob is not valid safetensors")
        sizes.append(offsets[1] - offsets[0])
        end = offsets[1]
    if end != len(data):
        raise ProtocolError("tensor blob is not valid safetensors")
    # safetensors lays tensors out by dtype: each run of one dtype is viewed as that dtype
    # once and cut in one call, so that a tensor costs one view (none for a 1-D one)
    tensors: dict[str, torch.Tensor] = {}
    first = 0
    while first < len(entries):
        dtype = entries[first][2]["dtype"]
        last = first
        while last + 1 < len(entries) and entries[last + 1][2]["dtype"] == dtype:
            last += 1
        start, itemsize = entries[first][0][0], _ST_ITEMSIZE[dtype]
        run = base[start:start + sum(sizes[first:last + 1])]
        if start % itemsize:  # (a view of another dtype must start on its own boundary)
            run = run.clone()
        pieces = run.view(_ST_DTYPES[dtype]).split_with_sizes(
            [n // itemsize for n in sizes[first:last + 1]])
        for (_, key, spec), piece in zip(entries[first:last + 1], pieces, strict=True):
            shape = spec["shape"]
            try:  # (a dimension beyond int64 with another of 0 has the right size: no bytes)
                tensors[key] = piece if len(shape) == 1 else piece.view(shape)
            except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
                raise ProtocolError("tensor blob is not valid safetensors") from exc
        first = last + 1
    return tensors


INDEX_BYTES_PER_TENSOR = 512  # a safetensors entry: name, dtype, shape, two offsets


def _index_cap(caps: Caps) -> int:
    return 4096 + INDEX_BYTES_PER_TENSOR * caps.tensors


def _check_blob(blob: bytes, caps: Caps) -> dict[str, Any]:
    """Count the tensors and check their dtypes from the safetensors header alone, before
    a tensor is built for any (300k tiny tensors took 45 s to load with safetensors')."""
    if len(blob) < _ST_LEN.size:
        raise ProtocolError("tensor blob is not valid safetensors")
    (size,) = _ST_LEN.unpack_from(blob)
    if size > len(blob) - _ST_LEN.size:
        raise ProtocolError("tensor blob is not valid safetensors")
    if size > _index_cap(caps):
        # Its size before its parse: 64 MB of `[],[],…` decodes to gigabytes of lists.
        raise FrameTooLarge(f"a tensor index of {size} bytes for at most {caps.tensors} "
                            f"tensors (the cap is {_index_cap(caps)})")
    try:
        index = _from_json(blob[_ST_LEN.size:_ST_LEN.size + size].decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("tensor blob is not valid safetensors") from exc
    if not isinstance(index, dict):
        raise ProtocolError("tensor blob is not valid safetensors")
    count = len(index) - ("__metadata__" in index)
    if count > caps.tensors:
        raise TooManyTensors(f"{count} tensors in one reply (the cap is {caps.tensors})")
    for key, spec in index.items():
        if key != "__metadata__" and (not isinstance(spec, dict)
                                      or spec.get("dtype") not in _SAFE_ST_DTYPES):
            raise ProtocolError("tensor of an unsupported dtype")
    return index


def _recv_exact(sock: socket.socket, size: int, deadline: float | None = None) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        _arm(sock, deadline)
        try:
            chunk = _RECV(sock, min(size - len(chunks), 1 << 20))
        except TimeoutError as exc:
            raise FrameTimeout("the peer did not send the whole frame before the deadline") \
                from exc
        if not chunk:
            raise PeerClosed("connection closed")
        chunks += chunk
    return bytes(chunks)
