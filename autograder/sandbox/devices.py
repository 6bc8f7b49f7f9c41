"""A GPU for calls of a student's function: the real one where the worker has it, else an
emulated one that holds real data.

Why: the spec asks every function to work on the input's device and to return its tensors
there. The classic mistake — a tensor made on the CPU inside the function (`torch.zeros(n)`,
a one-hot mask, a confusion matrix's counts) beside inputs on the GPU — shows only when the
inputs are on a GPU, and most grading machines have none. The bare `meta` device holds no
data: fine for following where a training loop's batches go, useless for a loss or a metric
whose value, indexing and `.item()` need data (Part D's scenarios once emulated the GPU so,
and read every value back as zeros: fe17's correct loops divided by them).

Here the emulated GPU is the `meta` device (the only device besides the CPU a CPU build of
torch can put autograd state on) with the data kept on the CPU: an `OnGPU` tensor reports
`device == meta`, computes on its CPU data, and refuses what a real GPU refuses — an
operation mixing it with a CPU tensor of one or more dimensions (a CPU scalar tensor is
allowed, as CUDA allows it), indexing a CPU tensor with it, `.numpy()` (but not
`.numpy(force=True)`, a copy to the host). New tensors made on
its device (`torch.zeros(n, device=x.device)`, `zeros_like`, `new_zeros`) are on the
emulated GPU too; `.cpu()`/`.to("cpu")` brings one back. What the call returns goes back to
the judge as plain CPU data with, for each tensor, whether it was on the GPU
(`to_host`). A model moved there while a call runs (`model.to("cuda")`) holds its
parameters and buffers there the same way: Part D's device scenarios train and evaluate on
it, so whatever a loop reads back on the host (`.item()`, `.tolist()`, `bool(loss)`) is the
value a GPU gives. Nothing here is evidence of anything but where the student's tensors
went: the judge compares the values itself.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

EMULATED = torch.device("meta")  # the emulated GPU tensor's device, as torch routes it
_CUDA = torch.device("cuda", 0)  # ... and as Python code reading `.device` sees it
# taken at import (in the zygote, before the harness wraps it and before any notebook)
_cuda_is_available = torch.cuda.is_available
_aten = torch.ops.aten
# Indexing: the indices may be on the CPU or on the indexed tensor's device (CUDA's rule).
_INDEXING = frozenset({_aten.index.Tensor, _aten.index_put.default, _aten.index_put_.default,
                       _aten._index_put_impl_.default})
# Copies between devices are what these are for.
_COPIES = frozenset({_aten.copy_.default, _aten._to_copy.default, _aten.lift_fresh.default,
                     _aten.lift_fresh_copy.default, _aten._local_scalar_dense.default})
# CUDA has no integer matrix products (cuBLAS has no integer GEMM): "addmm_cuda" not
# implemented for 'Long' (a NotImplementedError, as an H200 answered) — a confusion matrix
# as one_hot(t).T @ one_hot(p) in int64 fails there.
_MATMUL = frozenset({_aten.mm.default, _aten.bmm.default, _aten.addmm.default,
                     _aten.baddbmm.default, _aten.addbmm.default, _aten.mv.default,
                     _aten.addmv.default, _aten.dot.default, _aten.vdot.default})
# Operators with a CPU kernel and none CUDA can run (no CUDA kernel, no composite one):
# `dispatch:` entries of torch's native_functions.yaml (torchgen/packaged/ATen/native/;
# tests/sandbox/test_devices_cpu_only.py recomputes this from the installed torch). A CPU
# build registers no CUDA kernel to ask the dispatcher about. Red team 65's confusion matrix
# from `torch.histogram` passed the GPU check on the emulation and raises on a real GPU.
CPU_ONLY = frozenset(f"aten::{name}" for name in (
    "_add_relu.Scalar", "_add_relu.Tensor", "_add_relu.out", "_add_relu_.Scalar",
    "_add_relu_.Tensor", "_convert_weight_to_int4pack_for_cpu", "_dyn_quant_matmul_4bit",
    "_dyn_quant_pack_4bit_weight", "_empty_affine_quantized",
    "_empty_per_channel_affine_quantized", "_foobar", "_functional_assert_async.msg",
    "_histogramdd_bin_edges", "_histogramdd_from_bin_cts", "_histogramdd_from_bin_tensors",
    "_make_dep_token", "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_flash_attention_for_cpu_backward", "_spdiags",
    "_test_functorch_fallback", "_test_optional_filled_intlist", "_test_optional_floatlist",
    "_test_optional_intlist", "_upsample_lanczos2d_aa.out",
    "_upsample_lanczos2d_aa_backward.grad_input", "_weight_int4pack_mm_for_cpu", "from_file",
    "histogram.bin_ct", "histogram.bin_ct_out", "histogram.bins_tensor",
    "histogram.bins_tensor_out", "mkldnn_rnn_layer", "mkldnn_rnn_layer_backward",
    "narrow_copy.out", "quantize_per_tensor.tensors", "slow_conv3d_forward",
    "slow_conv3d_forward.output", "to_mkldnn"))
NO_CUDA_KERNEL = ("Could not run '{op}' with arguments from the 'CUDA' backend. This could be "
                  "because the operator doesn't exist for this backend")
MIXED = ("Expected all tensors to be on the same device, but found at least two devices, "
         "cuda:0 and cpu!")
CPU_INDEXED = ("indices should be either on cpu or on the same device as the indexed tensor "
               "(cpu)")
# `index_put_(..., accumulate=True)` (the `+=` of indexing) checks its values on its own, in
# other words (an H200's, torch 2.11)
CPU_VALUES = "expected device cuda:0 but got device cpu for value tensor"
NUMPY = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
         "tensor to host memory first.")


_CUDA_NAMES = {torch.int64: "Long", torch.int32: "Int", torch.int16: "Short",
               torch.int8: "Char", torch.uint8: "Byte", torch.bool: "Bool"}


class OnGPU(torch.Tensor):
    """A tensor on the emulated GPU: `meta` by its device, its values in `data_` on the CPU.
    Made by the emulation alone (`_on_gpu`)."""

    data_: torch.Tensor

    @staticmethod
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        # `type(x)(...)` of a CUDA tensor is `torch.Tensor(...)` on a real GPU, the legacy
        # constructor of a CPU tensor: so here (red team 42 wrapped CPU results as
        # `type(preds)(counts)` and passed the GPU check)
        return torch.Tensor(*args, **kwargs)

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return f"{self.data_!r} (on the GPU)"

    def __str__(self) -> str:
        return f"{self.data_} (on the GPU)"

    def __format__(self, spec: str) -> str:  # (as a CPU or CUDA tensor formats)
        return format(self.data_.item() if self.dim() == 0 else self.data_, spec)

    def __deepcopy__(self, memo: dict[int, Any]) -> OnGPU:
        copied = _on_gpu(self.data_.detach().clone())
        copied.requires_grad_(self.requires_grad)
        memo[id(self)] = copied
        return copied

    # What a CUDA tensor answers (its `device` must stay the emulated one: every operation
    # is routed by it): code choosing a device by hand sees a GPU.
    @property
    def is_cuda(self) -> bool:  # type: ignore[override]
        return True

    @property
    def device(self) -> torch.device:  # type: ignore[override]
        """What Python code reads (`x.device`, `x.device.type == "cuda"`); torch's own C++ still
        routes by the emulated device (a tensor made with `device=x.device` is made there)."""
        return _CUDA

    @property
    def is_meta(self) -> bool:  # type: ignore[override]
        return False

    def get_device(self) -> int:
        return 0

    def type(self, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
        if dtype is None and not kwargs:
            return self.data_.type().replace("torch.", "torch.cuda.", 1)
        if isinstance(dtype, str) and dtype.startswith("torch.cuda."):
            kind = getattr(torch, dtype.removeprefix("torch.cuda."), None)
            if isinstance(kind, type) and hasattr(kind, "dtype"):
                return self.to(kind.dtype)
        return super().type(dtype, non_blocking, **kwargs)

    def tolist(self) -> Any:  # (a GPU tensor's tolist copies it to the host)
        return self.data_.tolist()

    def numpy(self, *, force: bool = False) -> Any:  # type: ignore[override]
        """CUDA's answer: refused, unless `force=True`, which is
        `t.detach().cpu().resolve_conj().resolve_neg().numpy()` — a copy on the host."""
        if not force:
            raise TypeError(NUMPY)
        return self.data_.detach().clone().resolve_conj().resolve_neg().numpy()

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(NUMPY)

    @classmethod
    def __torch_dispatch__(cls, func: Any, types: Any, args: Any = (),  # type: ignore[override]
                           kwargs: Any = None) -> Any:
        return _dispatch_checked(func, args, kwargs or {})

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        """The answers above however they are read: torch's own getters of a tensor's
        device (`torch._C.TensorBase.__dict__["device"].__get__(x)`) route a subclass's
        tensor here, and answered `meta` (red team 65: a notebook told the emulated GPU from
        a real one so, and moved nothing to the device anywhere else)."""
        if func in _GETTERS and args and type(args[0]) is OnGPU:
            return _GETTERS[func]
        # (everything else as torch leaves a class with a `__torch_dispatch__`: no
        # function-level handling at all, the dispatch does the work)
        return _DISABLED(func, types, args, kwargs or {})


_DISABLED = torch._C._disabled_torch_function_impl
# torch's getters of what `OnGPU`'s properties answer, with those answers
_GETTERS: dict[Any, Any] = {torch._C.TensorBase.device.__get__: _CUDA,  # type: ignore[attr-defined]
                            torch._C.TensorBase.is_cuda.__get__: True,  # type: ignore[attr-defined]
                            torch._C.TensorBase.is_meta.__get__: False}  # type: ignore[attr-defined]


def _on_gpu(data: torch.Tensor) -> OnGPU:
    """`data` on the emulated GPU (the one way an `OnGPU` is made)."""
    wrapped = torch.Tensor._make_wrapper_subclass(  # type: ignore[attr-defined]
        OnGPU, data.size(), strides=data.stride(), storage_offset=data.storage_offset(),
        dtype=data.dtype, layout=data.layout, device=EMULATED, requires_grad=data.requires_grad)
    wrapped.data_ = data
    return wrapped


def _data(value: Any) -> Any:
    return value.data_ if isinstance(value, OnGPU) else value


def _scalar_operators() -> frozenset[str] | None:
    """The operators whose CUDA kernels take a 0-dim CPU tensor beside GPU ones as a scalar
    (TensorIterator's): those torch generates without a device check (`device_check: NoCheck`
    in the `native_functions.yaml` the installed torch ships with torchgen). Every other
    operator refuses any CPU tensor (outside red team 87: `clamp(p, min=torch.tensor(-100.))`
    passed here, where CUDA raises). None where the file is not found: then any 0-dim CPU
    tensor is taken as a scalar, as before."""
    spec = importlib.util.find_spec("torchgen")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "packaged", "ATen", "native",
                        "native_functions.yaml")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    found, name = set(), ""
    for line in text.splitlines():
        head = re.match(r"- func: ([\w.]+)\(", line)
        if head:
            name = head.group(1)
        elif name and re.match(r"\s+device_check: NoCheck", line):
            found.add("aten::" + name)
    return frozenset(found) or None


_SCALAR_OPERATORS = _scalar_operators()


def _plain_cpu(value: Any) -> bool:
    """A CPU tensor a GPU operation refuses beside a GPU tensor (a 0-dimensional one is a
    scalar to CUDA) — of any class but the emulation's own: outside red team 79's CPU weight
    made an `nn.Parameter` passed as a CPU tensor among GPU ones, where CUDA raises (+1).
    Its device and dimensions as torch's own C getters read them."""
    return (isinstance(value, torch.Tensor) and not isinstance(value, OnGPU)
            and _REAL_DEVICE(value).type == "cpu" and torch._C.TensorBase.dim(value) > 0)


def _cpu_tensor(value: Any) -> bool:
    """A CPU tensor of any class but the emulation's own, of any size."""
    return (isinstance(value, torch.Tensor) and not isinstance(value, OnGPU)
            and _REAL_DEVICE(value).type == "cpu")


def _refused_beside_gpu(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                        flat: list[Any]) -> bool:
    """What CUDA refuses beside a GPU tensor: a CPU tensor of one dimension or more; a 0-dim
    one where the operator is no TensorIterator's (`_SCALAR_OPERATORS`) or where it is written
    to — an in-place operation's `self`, an `out=` (red team 87: `total = torch.tensor(0.)`
    then `total += loss` on the GPU, which CUDA refuses, passed)."""
    if any(_plain_cpu(value) for value in flat):
        return True
    if _SCALAR_OPERATORS is not None and func.name() not in _SCALAR_OPERATORS and any(
            _cpu_tensor(value) for value in flat):
        return True
    positions, names = _written(func)
    if not positions and not names:
        return False
    written = [args[i] for i in positions if i < len(args)]
    written += [kwargs[name] for name in names if name in kwargs]
    return any(_cpu_tensor(value) for value in _leaves(written, []))


_WRITTEN: dict[Any, tuple[tuple[int, ...], tuple[str, ...]]] = {}


def _written(func: Any) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The positions and names of the arguments an operator writes to (its schema's `a!`)."""
    found = _WRITTEN.get(func)
    if found is None:
        arguments = func._schema.arguments
        writes = [i for i, a in enumerate(arguments)
                  if a.alias_info is not None and a.alias_info.is_write]
        found = _WRITTEN[func] = (tuple(writes), tuple(arguments[i].name for i in writes))
    return found


def _on_emulated(device: Any) -> bool:
    try:
        return device is not None and torch.device(device) == EMULATED
    except (RuntimeError, TypeError):
        return False


def _leaves(value: Any, out: list[Any]) -> list[Any]:
    """The values inside an operator's arguments (torch's pytree does the same, ~10× slower:
    an operator's arguments are tensors, numbers and lists or tuples of them)."""
    kind = type(value)
    if kind is list or kind is tuple:
        for item in value:
            _leaves(item, out)
    elif kind is dict:
        for item in value.values():
            _leaves(item, out)
    else:
        out.append(value)
    return out


def _map(fn: Callable[[Any], Any], value: Any) -> Any:
    """`value` with `fn` applied to each of its `_leaves` (its lists, tuples, dicts rebuilt)."""
    kind = type(value)
    if kind is list:
        return [_map(fn, item) for item in value]
    if kind is tuple:
        return tuple(_map(fn, item) for item in value)
    if kind is dict:
        return {key: _map(fn, item) for key, item in value.items()}
    return fn(value)


def _dispatch(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
              flat: list[Any]) -> Any:
    gpu = [value for value in flat if isinstance(value, OnGPU)]
    device = kwargs.get("device")
    made_here = _on_emulated(device)
    if device is not None and not made_here and gpu:
        # to the CPU (`.cpu()`, `new_zeros(..., device="cpu")`, `zeros_like(x, device="cpu")`):
        # a plain CPU result, as on a GPU
        return func(*_map(_data, args), **kwargs)
    if not gpu and not made_here:
        return func(*args, **kwargs)
    if func.name() in CPU_ONLY:  # (a GPU tensor here, or one made on the GPU)
        raise NotImplementedError(NO_CUDA_KERNEL.format(op=func.name()))
    if gpu and func not in _COPIES:
        if func in _INDEXING:
            if not isinstance(args[0], OnGPU):
                raise RuntimeError(CPU_INDEXED)
            if len(args) > 2 and _plain_cpu(args[2]):  # index_put's values
                accumulate = args[3] if len(args) > 3 else kwargs.get("accumulate", False)
                raise RuntimeError(CPU_VALUES if accumulate else MIXED)
        elif _refused_beside_gpu(func, args, kwargs, flat):
            raise RuntimeError(MIXED)
        if func in _MATMUL and not (gpu[0].is_floating_point() or gpu[0].is_complex()):
            raise NotImplementedError(
                f'"{func.__name__.split(".")[0]}_cuda" not implemented for '
                f"'{_CUDA_NAMES.get(gpu[0].dtype, str(gpu[0].dtype))}'")
    if made_here:
        kwargs = {**kwargs, "device": torch.device("cpu")}
    result = func(*_map(_data, args), **_map(_data, kwargs))
    if func is _aten._local_scalar_dense.default:
        return result
    inputs = {id(value.data_): value for value in gpu}  # in place: the same tensor back

    def wrap(value: Any) -> Any:
        if type(value) is not torch.Tensor:
            return value
        same = inputs.get(id(value))
        return _on_gpu(value) if same is None else same

    return _map(wrap, result)


class EmulationGap(RuntimeError):
    """The emulated GPU met a tensor it holds no data for: torch made it below the level the
    emulation sees. Not the student's mistake: the call is not assessed."""


def _dispatch_checked(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    flat = _leaves(kwargs, _leaves(args, []))
    if any(type(value) is torch.Tensor and value.device == EMULATED for value in flat):
        raise EmulationGap(f"{func}: a tensor on the emulated GPU without its data")
    return _dispatch(func, args, kwargs, flat)


# torch's constructors from data build their tensor in C++ and move it to the device below
# what a dispatch mode sees (a tensor on `meta` with no data): made on the CPU here and moved.
_FROM_DATA = frozenset({torch.tensor, torch.as_tensor, torch.asarray, torch.scalar_tensor})
_INDEXERS = frozenset({torch.Tensor.__getitem__, torch.Tensor.__setitem__})


def _index(index: Any) -> Any:
    """An index with its Python sequences (`range`, lists of ints or bools) as CPU tensors:
    torch turns them into tensors on the indexed tensor's device the same hidden way."""
    if isinstance(index, tuple):
        return tuple(_index(part) for part in index)
    if isinstance(index, range) or (type(index) is list and index and all(
            type(item) in (int, bool) for item in index)):
        return torch.tensor(list(index))
    return index


def _cuda_like(device: Any, index: bool = True) -> bool:
    """A device naming CUDA: "cuda", "cuda:0", torch.device("cuda"), or (`index`) a device
    index as `get_device()` gives it."""
    if index and type(device) is int:
        return device >= 0
    if isinstance(device, str):
        return device == "cuda" or device.startswith("cuda:")
    return isinstance(device, torch.device) and device.type == "cuda"


# Made from a GPU tensor with no other device asked: on CUDA, on its GPU (`as_tensor` and
# `asarray` the tensor itself where nothing changes, `tensor` a copy there)
_SAME_DEVICE = frozenset({torch.tensor, torch.as_tensor, torch.asarray})


def _kept_on_gpu(func: Any, source: OnGPU, kwargs: dict[str, Any]) -> Any:
    """`torch.as_tensor(x)` / `torch.asarray(x)` / `torch.tensor(x)` of a GPU tensor, as CUDA
    makes it: on the GPU (red team 19: the emulation gave a CPU tensor, so a correct function
    starting with `pred = torch.as_tensor(pred)` lost its GPU check, and one then mixing it
    with a CPU tensor passed)."""
    dtype = kwargs.get("dtype")
    if func is not torch.tensor and not kwargs.get("copy"):
        return source if dtype is None or dtype == source.dtype else source.to(dtype)
    data = source.data_.detach()
    made = (data if dtype is None else data.to(dtype)).clone()
    wanted = kwargs.get("requires_grad")
    keep = source.requires_grad if func is not torch.tensor and wanted is None else bool(wanted)
    return _on_gpu(made).requires_grad_(keep and (made.is_floating_point() or made.is_complex()))


def _host_values(value: Any) -> Any:
    """`value` with each GPU tensor inside it as CUDA's constructors read one: a 0-dim one as
    its number, another as its values."""
    return tree_map(lambda v: (v.data_.item() if v.dim() == 0 else v.data_)
                    if isinstance(v, OnGPU) else v, value)


class _PlacedOnGPU(TorchFunctionMode):
    """While a call runs on the emulated GPU: a tensor built from data for its device is
    built there, and an index holding Python sequences keeps its data."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        # "cuda" named by hand (`"cuda" if x.is_cuda else "cpu"`, `x.get_device()`, `.cuda()`)
        # is this GPU: the emulated one
        if _cuda_like(kwargs.get("device")):
            kwargs = {**kwargs, "device": EMULATED}
        if func is torch.Tensor.cuda and args:
            return args[0].to(EMULATED)
        if func is torch.Tensor.to:
            args = tuple(EMULATED if i and _cuda_like(a, index=False) else a
                         for i, a in enumerate(args))
        if func in _SAME_DEVICE and args and isinstance(args[0], OnGPU) \
                and (kwargs.get("device") is None or _on_emulated(kwargs["device"])):
            return _kept_on_gpu(func, args[0], kwargs)
        if func in _FROM_DATA or func is torch.Tensor.new_tensor:
            # (data holding GPU tensors is read as CUDA reads it: their values)
            args = (args[0], *_host_values(args[1:])) if func is torch.Tensor.new_tensor \
                else _host_values(args)
        if func in _FROM_DATA and _on_emulated(kwargs.get("device")):
            made = func(*args, **{**kwargs, "device": "cpu"})
            return _on_gpu(made.detach()).requires_grad_(made.requires_grad)
        if func is torch.Tensor.new_tensor and args and isinstance(args[0], OnGPU) \
                and ("device" not in kwargs or _on_emulated(kwargs["device"])):
            made = args[0].data_.new_tensor(*args[1:], **{**kwargs, "device": "cpu"})
            return _on_gpu(made.detach()).requires_grad_(made.requires_grad)
        if func is torch.Tensor.type and len(args) >= 2 and isinstance(args[1], str) \
                and args[1].startswith("torch.cuda."):  # (a GPU tensor's own type string)
            kind = getattr(torch, args[1].removeprefix("torch.cuda."), None)
            if isinstance(kind, type) and hasattr(kind, "dtype"):
                return args[0].to(kind.dtype)
        if func in _INDEXERS and len(args) >= 2:
            args = (args[0], _index(args[1]), *args[2:])
        return func(*args, **kwargs)


class _MadeOnGPU(TorchDispatchMode):
    """While a call runs on the emulated GPU: a tensor made on its device is made there."""

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        return _dispatch_checked(func, args, kwargs or {})


def real_gpu() -> bool:
    """Whether this process has a GPU (torch's own answer, taken before any notebook ran)."""
    try:
        return bool(_cuda_is_available())
    except Exception:  # (a broken driver is no GPU)
        return False


def to_gpu(value: Any, real: bool) -> Any:
    """`value` with every tensor in it moved to the GPU (`real`) or the emulated one."""
    def move(item: Any) -> Any:
        if type(item) is not torch.Tensor:
            return item
        moved = item.detach().to("cuda") if real else _on_gpu(item.detach())
        return moved.requires_grad_(item.requires_grad)
    return tree_map(move, value)


@contextlib.contextmanager
def running(real: bool) -> Iterator[None]:
    """The context a call on the GPU runs in (nothing to add on a real GPU)."""
    if real:
        yield
        return
    with _MadeOnGPU(), _PlacedOnGPU():
        yield


# Where a tensor's storage really is: the C getter, taken at import (a subclass's own `device`
# property says what it likes — red team 41's CPU results dressed as CUDA ones)
_REAL_DEVICE = torch._C.TensorBase.__dict__["device"].__get__


def to_host(value: Any, depth: int = 0) -> tuple[Any, list[str]]:
    """`value` with its tensors as plain CPU tensors, and each tensor's device as the call
    left it: "gpu" or "cpu", in the order a depth-first walk meets them. On the GPU means an
    emulated GPU tensor (this module's own class, exactly) or storage on a real GPU."""
    devices: list[str] = []

    def bring(item: Any) -> Any:
        if type(item) is OnGPU:
            devices.append("gpu")
            return item.data_.detach()
        if isinstance(item, torch.Tensor):
            on_gpu = not isinstance(item, OnGPU) and _REAL_DEVICE(item).type == "cuda"
            devices.append("gpu" if on_gpu else "cpu")
            return item.detach().cpu() if on_gpu else item
        return item

    return tree_map(bring, value), devices


def call_on_gpu(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any],
                real: bool) -> Any:
    """`fn` called with its tensor arguments on the GPU (real or emulated)."""
    args, kwargs = to_gpu(args, real), to_gpu(kwargs, real)
    with running(real):
        return fn(*args, **kwargs)
