"""Plain-data wire format between the judge and a worker.

A frame is a JSON header plus an optional safetensors blob. Values are JSON
with tensors replaced by references into the blob. Decoding never unpickles:
JSON and safetensors cannot execute code, and every size is capped so that a
hostile worker cannot exhaust the judge's memory. Both sides import this
module, so the worker's copy may be tampered with; only the judge's decoding
matters for integrity.
"""

from __future__ import annotations

import json
import math
import socket
import struct
from typing import Any

import torch
from safetensors import TensorSpec
from safetensors import serialize as st_serialize
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

MAX_HEADER = 8 * 1024 * 1024
MAX_BLOB = 256 * 1024 * 1024
_LEN = struct.Struct("!IQ")
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


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame."""


class PeerClosed(ProtocolError):
    """The peer closed the connection (a worker that died or exited)."""


class Tensors:
    """Collects tensors while encoding a value into JSON-able data."""

    def __init__(self) -> None:
        self.items: dict[str, torch.Tensor] = {}

    def add(self, tensor: torch.Tensor) -> str:
        key = f"t{len(self.items)}"
        plain = torch.Tensor.as_subclass(tensor, torch.Tensor).detach()
        # No copy here: `send` serialises the bytes at once, before anyone can change them.
        self.items[key] = plain.to("cpu").resolve_conj().resolve_neg().contiguous()
        return key


def encode(value: Any, tensors: Tensors, depth: int = 0) -> Any:
    """Worker side: any Python value to JSON data, with tensors set aside."""
    if depth > 20:
        return {"__object__": "too deeply nested"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, torch.Tensor):
        device = str(value.device)
        if value.device.type == "meta":
            return {"__meta__": list(value.shape), "dtype": str(value.dtype)}
        return {
            "__tensor__": tensors.add(value),
            "device": device,
            "requires_grad": bool(value.requires_grad),
            "subclass": type(value).__name__ if type(value) is not torch.Tensor else "",
        }
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
            array = torch.from_numpy(__import__("numpy").asarray(value).copy())
            return {"__ndarray__": tensors.add(array)}
        except TypeError:
            pass
    if isinstance(value, torch.nn.Module):
        return {"__module__": type(value).__name__}
    return {"__object__": f"{module}.{type(value).__name__}"[:200]}


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


def decode(data: Any, tensors: dict[str, torch.Tensor], depth: int = 0) -> Any:
    """Judge side: JSON data back to values; only known shapes are accepted."""
    if depth > 25:
        raise ProtocolError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, tensors, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise ProtocolError("unexpected value in frame")
    if "__tensor__" in data:
        key = data["__tensor__"]
        if key not in tensors:
            raise ProtocolError("reference to a missing tensor")
        tensor = tensors[key]
        return _received(tensor, str(data.get("device", "cpu")), str(data.get("subclass", "")),
                         bool(data.get("requires_grad", False)))
    if "__ndarray__" in data:
        key = data["__ndarray__"]
        if key not in tensors:
            raise ProtocolError("reference to a missing tensor")
        return NumpyArray(tensors[key])
    if "__float__" in data:
        return float(str(data["__float__"]))
    if "__tuple__" in data:
        return tuple(decode(v, tensors, depth + 1) for v in data["__tuple__"])
    if "__dict__" in data:
        pairs = data["__dict__"]
        if not isinstance(pairs, list):
            raise ProtocolError("malformed dict")
        out: dict[Any, Any] = {}
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ProtocolError("malformed dict entry")
            key = decode(pair[0], tensors, depth + 1)
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                key = repr(key)
            out[key] = decode(pair[1], tensors, depth + 1)
        return out
    if "__device__" in data:
        return torch.device(str(data["__device__"]))
    if "__dtype__" in data:
        return Opaque("dtype", str(data["__dtype__"]))
    if "__meta__" in data:
        return MetaTensor(list(data["__meta__"]), str(data.get("dtype", "")))
    if "__module__" in data:
        return Opaque("module", str(data["__module__"]))
    if "__object__" in data:
        return Opaque("object", str(data["__object__"]))
    raise ProtocolError("unknown value tag")


def _received(tensor: torch.Tensor, device: str, subclass: str, requires_grad: bool) -> torch.Tensor:
    """A plain tensor, annotated with what the worker said about the original.

    The judge compares values with its own torch only; the annotations serve
    feedback ("your loss was detached from the graph").
    """
    plain = tensor.clone()
    plain.sent_device = device  # type: ignore[attr-defined]
    plain.sent_subclass = subclass  # type: ignore[attr-defined]
    plain.sent_requires_grad = requires_grad  # type: ignore[attr-defined]
    return plain


def _serialize(tensors: dict[str, torch.Tensor]) -> bytes:
    """safetensors bytes, written by safetensors' own serializer straight from each tensor's
    memory: `safetensors.torch.save` first looks for shared storage and goes through numpy's
    ctypes (~50 µs a frame), which made it a large share of a worker call."""
    if any(t.numel() == 0 for t in tensors.values()):
        return st_save(tensors)  # no buffer to point at: the library's own path
    specs = {k: TensorSpec(dtype=str(t.dtype).split(".")[-1], shape=t.shape,
                           data_ptr=t.data_ptr(), data_len=t.numel() * t.element_size())
             for k, t in tensors.items()}  # `tensors` keeps every buffer alive meanwhile
    return bytes(st_serialize(specs, metadata=None))


def send(sock: socket.socket, header: dict[str, Any], tensors: dict[str, torch.Tensor] | None = None) -> None:
    body = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob = _serialize(tensors) if tensors else b""
    sock.sendall(_LEN.pack(len(body), len(blob)) + body + blob)


def send_value(sock: socket.socket, header: dict[str, Any], **values: Any) -> None:
    """Encode `values` into the header (worker side) and send one frame."""
    tensors = Tensors()
    for name, value in values.items():
        header[name] = encode(value, tensors)
    send(sock, header, tensors.items)


def recv(sock: socket.socket) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    prefix = _recv_exact(sock, _LEN.size)
    header_len, blob_len = _LEN.unpack(prefix)
    if header_len > MAX_HEADER or blob_len > MAX_BLOB:
        raise ProtocolError("frame too large")
    try:
        header = json.loads(_recv_exact(sock, header_len).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError("frame header is not JSON") from exc
    if not isinstance(header, dict):
        raise ProtocolError("frame header is not an object")
    tensors: dict[str, torch.Tensor] = {}
    if blob_len:
        try:
            tensors = st_load(_recv_exact(sock, blob_len))
        except Exception as exc:
            raise ProtocolError("tensor blob is not valid safetensors") from exc
        if any(str(t.dtype) not in _SAFE_DTYPES for t in tensors.values()):
            raise ProtocolError("tensor of an unsupported dtype")
    return header, tensors


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise PeerClosed("connection closed")
        chunks += chunk
    return bytes(chunks)
