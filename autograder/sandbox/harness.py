"""In-worker instrumentation for the checks, and the registry of a lab's scenarios.

Why: some facts about a student function can only be seen while it runs (which
library ops it calls, whether gradients are tracked, the order of optimizer calls).
This code runs inside the untrusted worker, so a submission can tamper with it: the
worker therefore restores it (and the torch it relies on) from a snapshot before
every call and reports any change (`integrity`), and the judge scores on outcomes it
verifies itself (returned values, parameters, buffers, gradients, replays of the
training loop). What is recorded here counts for points only when it came from this
restored code and the recorders were still installed when the student's code
returned; otherwise it chooses the wording of feedback at most.
"""

from __future__ import annotations

import functools
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import itertools
import logging
import opcode
import operator
import os
import sys
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from types import (
    BuiltinFunctionType,
    CodeType,
    FunctionType,
    MappingProxyType,
    MethodType,
    ModuleType,
)
from typing import Any, NamedTuple

import numpy
import torch
import torch.utils._python_dispatch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.data import DataLoader, Sampler, TensorDataset

from autograder.sandbox import cuda_runtime, integrity, probes
from autograder.sandbox.protocol import WIRE_DTYPES, WIRE_NUMPY_DTYPES, Described, Frozen

# Captured at import, in the zygote: a notebook that replaces `torch.is_grad_enabled`
# (or these names, restored from the snapshot) does not change what the hooks see.
_grad_enabled = torch._C.is_grad_enabled
_function_stack_len = torch._C._len_torch_function_stack
_function_stack_at = torch._C._get_function_stack_at
_dispatch_stack_len = torch._C._len_torch_dispatch_stack
_dispatch_stack_at = torch._C._get_dispatch_stack_at

MAX_NAMES = 300

# Python's own hooks and torch's mode stacks, as the grader clears them (`quiet`): taken at
# import, in the zygote, before any notebook.
_SET_PROFILE, _SET_TRACE, _GET_TRACE = sys.setprofile, sys.settrace, sys.gettrace
_GET_PROFILE = sys.getprofile
# torch's compiler's hooks on every Python frame the thread evaluates (PEP 523): its frame
# callback and its bytecode debugger's, C functions taken before any notebook runs
_EVAL_FRAME = torch._C._dynamo.eval_frame
FRAME_HOOKS = ((_EVAL_FRAME.get_eval_frame_callback, _EVAL_FRAME.set_eval_frame),
               (_EVAL_FRAME.get_bytecode_debugger_callback,
                _EVAL_FRAME.set_bytecode_debugger_callback))
_GC_CALLBACKS, _GC_DISABLE = gc.callbacks, gc.disable
_SHOW_WARNING = warnings.showwarning
_UNRAISABLE = sys.__unraisablehook__
_THREAD_PROFILE, _THREAD_TRACE = threading.getprofile, threading.gettrace
_THREAD_SETPROFILE, _THREAD_SETTRACE = threading.setprofile, threading.settrace
_POP_FUNCTION_MODE = torch._C._pop_torch_function_stack
_PUSH_FUNCTION_MODE = torch._C._push_on_torch_function_stack
_POP_DISPATCH_MODE = torch.utils._python_dispatch._pop_mode
_PUSH_DISPATCH_MODE = torch.utils._python_dispatch._push_mode

# What the forward hook compares while student code runs: a notebook that swaps these
# for the duration of a call (and puts them back before returning, out of the reach
# of the worker's after-call check) is still caught in the act.
_GRAD_FUNCTIONS = tuple((owner, name, vars(owner)[name]) for owner, name in (
    (torch, "is_grad_enabled"), (torch._C, "is_grad_enabled"), (torch, "no_grad"),
    (torch, "enable_grad"), (torch, "set_grad_enabled"), (torch, "inference_mode"),
    (torch, "is_inference_mode_enabled"), (torch._C, "_set_grad_enabled"),
))


def _grad_functions_replaced() -> list[str]:
    return [f"{getattr(owner, '__name__', '?')}.{name} was replaced while the scenario ran"
            for owner, name, original in _GRAD_FUNCTIONS if vars(owner).get(name) is not original]


class CallRecorder(TorchFunctionMode):
    """Every torch function a student function calls by name, aliases and `torch._C._nn.*`
    included (`torch.ops.aten.x` too). The judge decides which names are forbidden."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        name = str(getattr(func, "__name__", ""))
        if name not in self.names and len(self.names) < MAX_NAMES:
            self.names.append(name)
        return func(*args, **(kwargs or {}))


class AtenRecorder(TorchDispatchMode):
    """Every ATen op that reaches the dispatcher below autograd, whatever the Python path
    to it (a renamed import, `torch._C`, a closure over the library function): after
    decomposition, so `F.cross_entropy` shows as `aten::nll_loss_forward`."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        name = "aten::" + str(getattr(func, "__name__", "")).split(".", 1)[0]
        if name not in self.names and len(self.names) < MAX_NAMES:
            self.names.append(name)
        return func(*args, **(kwargs or {}))


class _Unrecorded:
    """What a call that does not record reports it ran: nothing (`RecordedCall.names`)."""

    names: tuple[str, ...] = ()


_UNRECORDED: Any = _Unrecorded()


def _mode_positions(calls: CallRecorder, ops: AtenRecorder) -> tuple[int, int] | None:
    """How many modes up to and including the recorders (what lies above them the student's
    code entered during the call); None when a recorder is gone (the call's `intact` says so)."""
    functions = [_function_stack_at(i) for i in range(_function_stack_len())]
    dispatch = [_dispatch_stack_at(i) for i in range(_dispatch_stack_len())]
    try:
        return (max(i for i, m in enumerate(functions) if m is calls) + 1,
                max(i for i, m in enumerate(dispatch) if m is ops) + 1)
    except ValueError:
        return None


def recorders_installed(calls: CallRecorder, ops: AtenRecorder) -> bool:
    """Both recorders still on their mode stacks: the student's code did not pop them."""
    functions = [_function_stack_at(i) for i in range(_function_stack_len())]
    dispatch = [_dispatch_stack_at(i) for i in range(_dispatch_stack_len())]
    return any(m is calls for m in functions) and any(m is ops for m in dispatch)


# Ways to take a kernel out of the dispatcher, as a function object called without it.
KERNEL_HANDLES = ((torch._C, "_dispatch_get_computed_kernel_for_dispatch_key"),
                  (torch.library, "get_kernel"))


# TorchScript's executors that run ATen's kernels below the dispatcher (an outside red team,
# 22: Static Runtime's out variants computed `aten::_softmax` and `mse_loss` past the block,
# +4; the tensor-expression fuser, switched on for the CPU, lowered `torch.softmax` itself,
# +1), and the switches that turn fusers on: withheld, with every binding of them in a loaded
# module. The plain TorchScript interpreter stays: its operators go through the dispatcher.
NATIVE_EXECUTORS = ("StaticModule", "_jit_to_static_module", "_fuse_to_static_module", "_te",
                    "_jit_override_can_fuse_on_cpu", "_jit_override_can_fuse_on_cpu_legacy",
                    "_jit_override_can_fuse_on_gpu", "_jit_set_te_must_use_llvm_cpu",
                    "_jit_set_texpr_fuser_enabled", "_jit_set_texpr_reductions_enabled",
                    "_jit_set_texpr_dynamic_shape_enabled", "_jit_texpr_set_fallback_allowed",
                    "_jit_pass_fuse_tensorexprs", "_jit_set_llga_enabled",
                    "_jit_set_nvfuser_enabled")


_KEPT_ON_A_TYPE = frozenset({"__module__", "__doc__", "__dict__", "__weakref__", "__name__",
                             "__qualname__"})


def _neuter(value: Any) -> None:
    """A withheld module or class left with nothing to call: its objects outlive their
    bindings (a module or a pybind class is kept by cycles and by pybind's registry, found
    again through `gc.get_objects()` after `gc.unfreeze()`: red team 23 lowered softmax with
    NNC's `_te.lower` that way, and `CodeGen.call_raw` read and wrote memory). A module loses
    every binding (its classes first lose theirs); a class every method, its constructor
    included (pybind then refuses to build one)."""
    if isinstance(value, ModuleType):
        namespace = vars(value)
        for item in list(namespace.values()):
            if isinstance(item, type):
                _neuter(item)
        for key in [key for key in namespace if key not in ("__name__", "__doc__")]:
            del namespace[key]
    elif isinstance(value, type):
        for key in [key for key in vars(value) if key not in _KEPT_ON_A_TYPE]:
            try:
                delattr(value, key)
            except (AttributeError, TypeError):
                continue


# TorchScript's loaders of a graph made elsewhere: an archive (`torch.jit.load`, the lite and
# mobile interpreters' loaders) or IR text (`torch._C.parse_ir`). TorchScript's interpreter
# runs no Python frame, so a graph recorded outside the worker from torch's own softmax
# (`make_fx` over `torch._decomp`, traced, saved and shipped in the notebook as bytes: an
# outside red team 70, +2) ran in a no-library call past the block of torch's Python
# implementations. A graph scripted or traced in the worker from the notebook's own code
# still runs.
GRAPH_LOADERS = ("import_ir_module", "import_ir_module_from_buffer",
                 "_import_ir_module_from_package", "_load_for_lite_interpreter",
                 "_load_for_lite_interpreter_from_buffer", "_load_jit_module_from_bytes",
                 "_load_jit_module_from_file", "_load_mobile_module_from_bytes",
                 "_load_mobile_module_from_file", "parse_ir")


def _withhold_graph_loaders() -> None:
    """Every reference to each of `GRAPH_LOADERS` replaced by a stand-in raising
    `LibraryBlocked` ("torch's own …", which a no-library check names as the library's
    implementation): in the loaded modules' namespaces, and in whatever else holds one (the
    TorchScript compiler's table of builtins, `torch.jit._builtins._builtin_ops`, and the
    dict keyed by them). The loader is then referenced by nothing and freed: no cell finds it
    again through the collector. In the zygote before its rehearsal and baseline (`seal`), so
    no snapshot holds one either."""
    olds: list[Any] = []
    news: list[Any] = []
    for name in GRAPH_LOADERS:
        original = vars(torch._C).get(name)
        if original is None or isinstance(original, FunctionType):  # (withheld already)
            continue
        stand_in = FunctionType(_BLOCKED_CODE, {"__builtins__": {}}, name)
        stand_in.__kwdefaults__ = {"_blocked": (f"torch's own TorchScript loader ({name})",
                                                LibraryBlocked)}
        olds.append(original)
        news.append(stand_in)
    _replace_everywhere(olds, news)


def _replace_everywhere(olds: list[Any], news: list[Any]) -> None:
    """Each of `olds` replaced by the new object at its place in `news` in every dict (as a
    value or a key), list and tuple that holds it; a tuple holding one is itself replaced,
    where it is held, by its copy holding the new one. One scan of the collector's objects a
    level (~0.1 s in the zygote)."""
    while olds:
        index = {id(old): i for i, old in enumerate(olds)}

        def new(item: Any, index: dict[int, int] = index, olds: list[Any] = olds,
                news: list[Any] = news) -> Any:
            i = index.get(id(item))
            return news[i] if i is not None and olds[i] is item else item

        mine = {id(olds), id(news), id(index)}
        tuples_old: list[Any] = []
        tuples_new: list[Any] = []
        for holder in gc.get_referrers(*olds):
            if id(holder) in mine:
                continue
            if type(holder) is dict:
                for key, value in list(holder.items()):
                    if new(value) is not value:
                        holder[key] = new(value)
                    if new(key) is not key:
                        holder[new(key)] = holder.pop(key)
            elif type(holder) is list:
                holder[:] = [new(item) for item in holder]
            elif type(holder) is tuple:
                tuples_old.append(holder)
                tuples_new.append(tuple(new(item) for item in holder))
        olds, news = tuples_old, tuples_new


def withhold_kernel_handles() -> None:
    """Remove from torch, in a worker's baseline, the ways to take a kernel out of the
    dispatcher (`torch.library.get_kernel`): such a kernel is called around every
    registration, the library block's included, so a notebook that took cross_entropy's CPU
    kernel before the check could call it under the block; and the executors that call
    kernels without the dispatcher (`NATIVE_EXECUTORS`). Deny by default: nothing a lab asks
    of a student needs one. (The block keeps its own C entry points, taken at import.) Nor
    the loaders of TorchScript graphs made elsewhere (`GRAPH_LOADERS`)."""
    for owner, name in KERNEL_HANDLES:
        if name in vars(owner):
            delattr(owner, name)
    _withhold_graph_loaders()
    withheld = {id(vars(torch._C)[name]): name for name in NATIVE_EXECUTORS
                if name in vars(torch._C)}
    if not withheld:
        return
    for name in NATIVE_EXECUTORS:
        _neuter(vars(torch._C).get(name))
    for module_name, module in list(sys.modules.items()):
        if id(module) in withheld:
            del sys.modules[module_name]
            continue
        if not isinstance(module, ModuleType):
            continue
        namespace = vars(module)
        for key in [key for key, value in list(namespace.items()) if id(value) in withheld]:
            del namespace[key]


_TORCH_SET_NUM_THREADS = torch.set_num_threads


def _one_thread(count: int) -> None:
    """`torch.set_num_threads` / `set_num_interop_threads` in a worker: the count checked as
    torch checks it, and the worker kept on its one thread (a notebook's
    `torch.set_num_threads(2)` made torch start a thread the worker refuses, and the worker
    died: fresh eyes 22, 91 points)."""
    if operator.index(count) <= 0:
        raise RuntimeError("Number of threads must be positive")


def keep_one_thread() -> None:
    """A worker runs on one thread (`seccomp` refuses every new one): torch's setters of its
    thread counts, in `torch` and `torch._C`, accept a count and change nothing."""
    _TORCH_SET_NUM_THREADS(1)
    for owner in (torch, torch._C):
        for name in ("set_num_threads", "set_num_interop_threads"):
            if name in vars(owner):
                setattr(owner, name, _one_thread)


class LibraryBlocked(RuntimeError):
    """A library operator made unavailable for this call was reached (`LibraryBlock`)."""


MAX_BLOCKED = 64  # operator names a request may ask to block
_OP_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# an overload's name may hold capitals (`_ctc_loss.Tensor`: red team 23 found the worker
# dropping such entries of the judge's plan, their kernels left unblocked)
_OVERLOAD_NAME = _OP_NAME | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# The dispatcher's own C functions, taken when the harness is imported (in the zygote, before
# any notebook): what a notebook later rebinds in `torch._C` or `torch.library` is not what
# a block uses, and these bindings of ours are in the integrity snapshot.
_DISPATCH_LIBRARY = torch._C._dispatch_library
_SCHEMAS = torch._C._jit_get_schemas_for_operator
_HAS_KERNEL = torch._C._dispatch_has_kernel_for_dispatch_key
_DUMP = torch._C._dispatch_dump
_IMPL = torch._C._DispatchModule.impl  # (methods of a class a notebook could patch: taken now)
_RESET = torch._C._DispatchModule.reset
BLOCK_SOURCE = "<autograder: library blocked>"  # the registrations' debug name (see `holds`)


def refuse_kernel_registrations() -> None:
    """In a worker's baseline, the dispatcher's `impl` — what `torch.library.Library.impl` and
    every registration API over it (`torch.library.impl`, `register_kernel`, `custom_op`)
    end in — refuses a kernel whose code is the notebook's: a function written outside
    torch's own files, or one that calls such a function (a closure, `functools.partial`,
    a bound method, `__wrapped__`: torch's wrappers hold the user's function so), or a
    callable object of a class not torch's. Why: a kernel a notebook registers over one of
    torch's operators runs wherever the operator runs, the grader's own code included:
    outside red team 75 registered one over `aten::stack`, which the grader's loaders put
    every batch together with, and from it zeroed the gradients and set the mode the graded
    loop left out (+2 on four checks, +8 on a loop with four mistakes). Torch's own
    registrations (`torch.compile` loading its compiler) pass torch's functions and go
    through. Deny by default: nothing a lab asks of a student needs a kernel of its own. The
    grader's block keeps its own entry point (`_IMPL`, taken at import); the class holding
    this one is in the integrity snapshot."""
    def impl(self: Any, *args: Any, _register: Any = _IMPL, _notebook: Any = _notebook_code,
             _refused: type[Exception] = RuntimeError, **kwargs: Any) -> Any:
        kernel = args[2] if len(args) > 2 else kwargs.get("fn")
        if _notebook(kernel):
            raise _refused(REGISTRATION_HINT)
        return _register(self, *args, **kwargs)

    torch._C._DispatchModule.impl = impl  # type: ignore[method-assign]


REGISTRATION_HINT = ("the grader refuses kernels of a notebook's own registered with torch's "
                     "dispatcher (torch.library, py_impl): compute with the library as it is")
_TORCH_FILES = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep


def _notebook_code(kernel: Any, depth: int = 0) -> bool:
    """Is `kernel`, or anything it calls through what it holds, code outside torch's files?"""
    if depth > 8:
        return True
    if isinstance(kernel, functools.partial):
        return _notebook_code(kernel.func, depth + 1) or any(
            _notebook_code(a, depth + 1) for a in (*kernel.args, *kernel.keywords.values())
            if callable(a))
    if isinstance(kernel, MethodType):
        owner = kernel.__self__
        return _notebook_code(kernel.__func__, depth + 1) or (
            callable(owner) and _notebook_code(owner, depth + 1))
    if isinstance(kernel, FunctionType):
        if not os.path.abspath(kernel.__code__.co_filename).startswith(_TORCH_FILES):
            return True
        held = [cell.cell_contents for cell in kernel.__closure__ or ()
                if _filled(cell)]
        wrapped = vars(kernel).get("__wrapped__")
        return any(_notebook_code(value, depth + 1) for value in (*held, wrapped)
                   if callable(value))
    if isinstance(kernel, (BuiltinFunctionType, type)) or kernel is None:
        return False  # (C code, a class: torch's or Python's own; none: nothing to run)
    return not integrity.in_packages(getattr(type(kernel), "__module__", ""), ("torch",))


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


# Where a block registers: every dispatch key an operator may have a kernel at that computes
# values (Meta computes none). A tensor of another layout goes to its own key (a sparse
# softmax's kernel is at SparseCPU only, a softmax of an MKL-DNN or nested tensor at theirs),
# and a catch-all kernel (CompositeExplicitAutograd) serves any backend without one: each is
# blocked where the operator has it. CPU always. CUDA where the operator has a CUDA kernel, as
# any backend (the dispatcher's own table says, in C, in the judge: no torch.cuda query, no
# Python a notebook can reach): a build without CUDA has none, and its CUDA entry falls back to
# the catch-all kernels, blocked where they exist (registering at CUDA there cost a quarter of
# a block's registrations and blocked nothing).
_ALWAYS_KEYS = ("CPU",)
_KERNEL_KEYS = ("CUDA", "SparseCPU", "SparseCUDA", "SparseCsrCPU", "SparseCsrCUDA", "QuantizedCPU",
                "QuantizedCUDA", "NestedTensorCPU", "NestedTensorCUDA", "NestedTensorHPU",
                "MkldnnCPU", "XPU", "MPS",
                "CompositeExplicitAutograd", "CompositeExplicitAutogradNonFunctional")
_COMPOSITE = "CompositeImplicitAutograd"
# Under torch.func's transforms (`vmap`) an operator runs its batching rule, or a
# decomposition registered at one of these keys, never reaching its CPU or composite kernel
# (a tenth outside red team's `vmap(F.cross_entropy)` and `vmap(F.l1_loss)` under a block):
# every planned operator is blocked at the batching key, and at each other one it has a
# kernel at. functorch's Python decompositions are registered at import (below), before any
# block, so that a block sits over them.
_BATCHED = "FuncTorchBatched"
_FUNCTORCH_KEYS = ("FuncTorchDynamicLayerFrontMode", "FuncTorchDynamicLayerBackMode",
                   "FuncTorchVmapMode", "FuncTorchGradWrapper", "BatchedNestedTensor")
PYTHON = "python"  # a plan entry's keys for a library function written in Python
PACKAGE = "package"  # ... and for a whole library written in Python (`_PACKAGES`)
UFUNC = "ufunc"  # ... and for a compiled NumPy routine (`_UFUNCS`)
PYTHON_LEVEL = ((PYTHON,), (PACKAGE,), (UFUNC,))  # the keys of entries no kernel blocks
_PLAN_KEYS = frozenset({*_ALWAYS_KEYS, *_KERNEL_KEYS, _COMPOSITE, _BATCHED, *_FUNCTORCH_KEYS,
                        PYTHON, PACKAGE, UFUNC})
_ALONE = (PYTHON, PACKAGE, UFUNC)  # keys a plan entry holds on their own


def _load_functorch_decompositions() -> None:
    """functorch registers its Python decompositions for `vmap` at the first `vmap` call: were
    that inside a block, theirs would sit over the block's (`_BATCHED`)."""
    try:
        from torch._functorch.vmap import lazy_load_decompositions
    except ImportError:  # (another torch)
        return
    lazy_load_decompositions()


_load_functorch_decompositions()


def _spend_override_warning() -> None:
    """The dispatcher warns once per process when a kernel is overridden, through Python's
    warnings machinery (a notebook can hook it): spent here, at import, with nothing to hear
    it, so that no block ever runs that machinery."""
    library = _DISPATCH_LIBRARY("IMPL", "aten", "", BLOCK_SOURCE, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _IMPL(library, "hardshrink", "CPU", lambda *args, **kwargs: None)
    _RESET(library)


_spend_override_warning()


def _python_library() -> tuple[tuple[str, FunctionType], ...]:
    """The library's losses written in Python over elementary operators (no ATen operator of
    their own for the dispatcher to block: `F.gaussian_nll_loss`, `F.multilabel_soft_margin_
    loss`, ...), taken at import, before any notebook: a block stops them by their code."""
    import torch.nn.functional as F

    # (SciPy is not imported here: a library no worker has loaded can be taken from an
    # evidence worker whole, compiled code and all — `ForGood.refused`)
    return tuple((name, value) for name, value in sorted(vars(F).items())
                 if name.endswith("_loss") and isinstance(value, FunctionType)
                 and not _SCHEMAS(f"aten::{name}"))


def _python_blocked(*args: Any, _blocked: tuple[str, type[Exception]] = ("", RuntimeError),
                    **kwargs: Any) -> Any:
    """The code a blocked Python library function runs instead of its own (its keyword
    default names the function and the error: a code object swapped into the library's
    function resolves no name of ours)."""
    raise _blocked[1](f"{_blocked[0]} is not available here")


_PYTHON_LIBRARY = _python_library()
_BLOCKED_CODE = _python_blocked.__code__


def _package_folders() -> dict[str, tuple[str, ...]]:
    """Where the numeric libraries written in Python that have softmax routines of their own
    live (SciPy, scikit-learn), found at import (before any notebook, without importing
    them): a block may stop every function of one by the file its code comes from — an
    eleventh outside red team's softmax from `sklearn.utils.extmath.softmax` and SciPy's
    private `_logsumexp` passed a block that knew three public names. A module that is not
    a package is refused by its file; code compiled at run time, by its made-up file name
    (`_GENERATED`)."""
    found: dict[str, tuple[str, ...]] = {}
    for name, packages in _PACKAGE_NAMES.items():
        folders: set[str] = set(_GENERATED.get(name, ()))
        for package in packages:
            try:
                spec = importlib.util.find_spec(package)
            except (ImportError, ValueError):
                continue
            locations = list(spec.submodule_search_locations or ()) if spec is not None else []
            if len(locations) == 1:  # (its code's file names: as imported, or resolved)
                folders |= {os.path.join(os.path.abspath(locations[0]), ""),
                            os.path.join(os.path.realpath(locations[0]), "")}
            elif spec is not None and not locations and spec.origin and spec.has_location:
                folders |= {os.path.abspath(spec.origin), os.path.realpath(spec.origin)}
        if folders:
            found[name] = tuple(sorted(folders))
    return found


# A whole library refused by its folders, by name: SciPy, scikit-learn, and PyTorch's own
# reference implementations written in Python over elementary operators (`torch._refs`,
# `torch._decomp`: an eighteenth outside red team's softmax, log_softmax and losses, which
# dispatch no operator a block names) — and what runs a graph PyTorch traced from them
# (`torch.fx`'s GraphModule and Interpreter, and the code a GraphModule compiles: a twentieth
# outside red team's losses traced with `make_fx` and decompositions in a cell, replayed as
# generated code under the block, +11)
_PACKAGE_NAMES = {"scipy": ("scipy",), "sklearn": ("sklearn",),
                  "torch_refs": ("torch._refs", "torch._decomp", "torch.fx.graph_module",
                                 "torch.fx.interpreter",
                                 # tensor parallelism's log_softmax and nll_loss ("follows
                                 # torch._decomp._log_softmax": red team 34, +2), and the
                                 # losses PyTorch's own tests compare with (red team 36's
                                 # huber from `common_nn.huberloss_reference`)
                                 "torch.distributed.tensor.parallel.loss", "torch.testing._internal",
                                 # F.linear_cross_entropy's chunked cross-entropy, written in
                                 # Python as a custom operator (red team 23: softmax, log_softmax
                                 # and the cross-entropies from it, past the block, +3)
                                 "torch.nn.modules.linear_cross_entropy",
                                 # more of PyTorch's own softmax in Python: the distributions'
                                 # SoftmaxTransform, and the eager code of the compiler's
                                 # primitives (`prims::prepare_softmax_online`, a log-sum-exp
                                 # core): red team 38, +3
                                 "torch.distributions", "torch._prims", "torch._inductor")}
_GENERATED = {"torch_refs": ("<eval_with_key>",)}  # (torch.fx's `_exec_with_source`)
# The libraries no worker needs: never imported by the grader, so an evidence worker can be
# without them for good (`ForGood.refused`); a student's import in a main worker loads them
_UNLOADED = frozenset({"scipy", "sklearn"})


# (immutable: what a block reads a notebook cannot change — a dict's contents it could)
_PACKAGES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(sorted(_package_folders().items()))
# The lab's own worker code (`load_lab_modules`), refused like a library by a block that names
# it: its scenarios hold correct implementations of what the student writes (its softmax,
# log_softmax, a counted confusion matrix), and every worker has the module loaded (red team
# 36's softmax and log_softmax returned the scenarios' own, +15). Its files are known once the
# lab's modules load; its name is known to the judge, which loads none of them.
LAB_WORKER = "lab_worker"
_LAB_FILES: tuple[str, ...] = ()
_PACKAGE_OPS = frozenset([*(name for name, _ in _PACKAGES), LAB_WORKER])

# A library function's code, however its copy is labelled: its bytecode, the names and the
# variables it uses (`code.replace(co_filename="<cell>")` keeps them: red team 34 relabelled
# torch._decomp's softmax, log_softmax and losses and ran them under the block, +8). Small
# code (a one-line helper any notebook may write alike) is not one.
_SIGNATURE_MIN_BYTES = 48


def _code_signature(code: Any) -> tuple[Any, ...] | None:
    if type(code) is not CodeType or len(code.co_code) < _SIGNATURE_MIN_BYTES:
        return None
    return (code.co_code, code.co_names, code.co_varnames)


def _codes_within(code: Any) -> Iterator[Any]:
    yield code
    for constant in code.co_consts:
        if type(constant) is CodeType:
            yield from _codes_within(constant)


def library_signatures(only: Iterable[str] | None = None) -> frozenset[tuple[Any, ...]]:
    """The signatures of the code of the library modules loaded now (`_PACKAGES`' folders),
    of those named `only` where given: their functions, what those wrap, and the code nested
    in them."""
    folders = [folder for _, found in _PACKAGES for folder in found]
    signatures = set()
    modules = list(sys.modules.values()) if only is None else [
        sys.modules.get(name) for name in only]
    for module in modules:
        where = getattr(module, "__file__", None)
        if type(where) is not str or not any(where.startswith(folder) for folder in folders):
            continue
        try:
            values = list(vars(module).values())
        except TypeError:
            continue
        for value in values:
            for _ in range(8):  # (a decorated function's `__wrapped__` chain)
                if type(value) is not FunctionType:
                    break
                filename = value.__code__.co_filename
                if type(filename) is str and any(filename.startswith(f) for f in folders):
                    # (the library's own code: not what it imported from torch at large)
                    for inner in _codes_within(value.__code__):
                        signature = _code_signature(inner)
                        if signature is not None:
                            signatures.add(signature)
                value = getattr(value, "__wrapped__", None)
    return frozenset(signatures)


# The zygote's: torch's own reference code, read again as it seals (a module a cell imports
# later is read as a block starts)
_SIGNATURES = library_signatures()
_ZYGOTE_MODULES = frozenset(sys.modules)


# Modules a cell imported, each read once (`_signatures_now`), and the signatures known now:
# a cache only (what a notebook does to it makes a block refuse more, or its own copies of
# code it could paste)
_LATER: dict[str, Any] = {"modules": frozenset(), "signatures": frozenset(), "count": -1}
_CLEAR_FILES: frozenset[str] = frozenset()  # (`clear_files`, as the zygote seals)


def _signatures_now() -> frozenset[tuple[Any, ...]]:
    """`_SIGNATURES`, and those of library modules imported since the zygote sealed. Only a
    name never seen is read (reading every module again took ~30 ms a blocked call with
    scikit-learn loaded), and the names are compared only when their number changed since
    (the comparison itself, ~2,000 names, was ~90 µs of every blocked call: importing adds
    names; a notebook that removes as many as it imports hides no library file, which the
    block refuses by its folder, only the signatures of copies of its code)."""
    count = len(sys.modules)
    if count == _LATER["count"]:
        return _LATER["signatures"] or _SIGNATURES
    _LATER["count"] = count
    new = sys.modules.keys() - _ZYGOTE_MODULES - _LATER["modules"]
    if new:
        signatures = library_signatures(new)
        _LATER["modules"] = _LATER["modules"] | new
        if signatures:
            _LATER["signatures"] = (_LATER["signatures"] or _SIGNATURES) | signatures
    return _LATER["signatures"] or _SIGNATURES


# What an operator's name says beside the function it computes (`nll_loss_forward`,
# `_nll_loss_nd`, `nll_loss2d_backward` are all nll_loss): an implementation is known by its stem
_STEM_PARTS = ("_forward", "_backward", "_nd", "2d", "_out", "_data", "_handler")


def _stem(name: str) -> str:
    name = name.lstrip("_")
    cut = True
    while cut:
        cut = False
        for part in _STEM_PARTS:
            if name.endswith(part) and len(name) > len(part):
                name, cut = name[:-len(part)], True
    return name


Implementation = tuple[str, FunctionType, frozenset[str], str]


def _torch_implementations() -> tuple[Implementation, ...]:
    """torch's own Python implementations of operators (its reference code: `torch_refs`),
    by the operator name they carry (`_log_softmax` → log_softmax, `nll_loss_forward`): what
    an evidence worker disables for good where the operator is blocked (`block_for_good`).
    Each with what `_disable_implementations` matches an operator against, computed here
    once (in the zygote; matched in every evidence worker, it was a tenth of one's time):
    the name and each of its beginnings that ends before a `_` (`nll_loss_forward` is
    nll_loss's and nll's), and its stem (`_stem`)."""
    folders = [folder for name, found in _PACKAGES if name == "torch_refs" for folder in found]
    found: dict[int, Implementation] = {}
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None)
        if type(where) is not str or not any(where.startswith(f) for f in folders):
            continue
        for value in list(vars(module).values()):
            for _ in range(8):
                if type(value) is not FunctionType:
                    break
                if any(value.__code__.co_filename.startswith(f) for f in folders):
                    base = value.__name__.lstrip("_")
                    found[id(value)] = (base, value, frozenset(
                        [base, *(base[:i] for i, c in enumerate(base) if c == "_")]),
                        _stem(base))
                value = getattr(value, "__wrapped__", None)
    return tuple(found.values())


_IMPLEMENTATIONS = _torch_implementations()


def _bindings_of(value: Any, package: str = "") -> tuple[tuple[str, str], ...]:
    """Every (module, name) of the loaded modules (of `package` only, where one is named)
    whose namespace binds `value`."""
    found = []
    for module_name, module in sorted(sys.modules.items()):
        if package and module_name.split(".", 1)[0] != package:
            continue
        namespace = getattr(module, "__dict__", None) if isinstance(module, ModuleType) \
            else None
        if type(namespace) is dict:
            found += [(module_name, key) for key, bound in list(namespace.items())
                      if bound is value and type(key) is str]
    return tuple(found)


def _numpy_ufuncs() -> dict[str, tuple[Any, tuple[tuple[dict[str, Any], str], ...]]]:
    """NumPy's log-sum-exp routines (`numpy.logaddexp`, `logaddexp2`: folded over an axis by
    their `reduce`, a log-sum-exp), each with the bindings of it in NumPy's loaded modules,
    found at import (before any notebook): a seventeenth outside red team's softmax, finite at
    ±1e4 without the max shift, came from `np.logaddexp.reduce`. They are compiled (no Python
    frame for the block's trace function to refuse): a block refuses their methods (`reduce`,
    `accumulate`, ... whatever reference they are reached by: `_ufunc_profiler`) and replaces
    their bindings in NumPy's modules (a direct call of `np.logaddexp`). A reference taken
    before the call and called pairwise is out of reach (a ufunc's own call is invisible to
    Python's hooks before 3.12)."""
    try:
        import numpy
    except ImportError:
        return {}
    found = {}
    for name in ("logaddexp", "logaddexp2"):
        ufunc = getattr(numpy, name, None)
        if not isinstance(ufunc, numpy.ufunc):
            continue
        found[f"numpy_{name}"] = (ufunc, tuple((vars(sys.modules[module]), key)
                                               for module, key in _bindings_of(ufunc, "numpy")))
    return found


_UFUNCS = _numpy_ufuncs()


def _ufunc_blocked(*args: Any, _blocked: tuple[Any, ...] = ("", RuntimeError, None, None),
                   **kwargs: Any) -> Any:
    """What a NumPy routine's bindings are while a block holds (its keyword default names it,
    the error, and the block's count of its refusals, with `next`: `LibraryBlock.refusals`)."""
    _blocked[3](_blocked[2])
    raise _blocked[1](_blocked[0] + " is not available here")


_UFUNC_BLOCKED_CODE = _ufunc_blocked.__code__
_UFUNC_METHODS = ("reduce", "accumulate", "reduceat", "outer", "at")


def _refusing_profile(frame: Any, event: str, arg: Any, _state: tuple[Any, ...] = ()) -> None:
    """A profile function refusing a blocked NumPy routine's methods (`np.logaddexp.reduce`:
    a builtin method whose `__self__` is the routine, reported by Python as a C call, which
    an exception raised here stops before it runs). What it refused is counted by name
    (`refusals`, which nothing counts down): Python unsets a profile function that raises.
    Made for each block by `_ufunc_profiler`, its state in its defaults (see
    `_refusing_trace`)."""
    if event == "c_call":
        ufuncs, refusals, count, get, blocked = _state
        owner = get(arg, "__self__", None)
        for ufunc, name in ufuncs:
            if owner is ufunc:
                for known, counter in refusals:
                    if known == name:
                        count(counter)
                raise blocked(name + " is not available here")


def _ufunc_profiler(ufuncs: tuple[tuple[Any, str], ...],
                    refusals: tuple[tuple[str, Any], ...]) -> Callable[..., None]:
    return FunctionType(_refusing_profile.__code__, _refusing_profile.__globals__, "profile",
                        ((ufuncs, refusals, next, getattr, LibraryBlocked),))


PlanEntry = tuple[str, tuple[str, ...]]  # (operator[.overload] or function, its keys)


def block_plan(ops: Iterable[str]) -> list[PlanEntry]:
    """Every overload of the named ATen operators, each with the dispatch keys to block it at
    (its composite kernel where it decomposes; else CPU, CUDA and every other key it has a
    kernel at), and a library loss written in Python (`_PYTHON_LIBRARY`) by its name: what
    `LibraryBlock` registers. The judge computes it once per set of operators and sends it
    with the request. Unknown or malformed names skipped."""
    plan: list[PlanEntry] = []
    for op in ops:
        if not (isinstance(op, str) and 0 < len(op) <= 64 and set(op) <= _OP_NAME):
            continue
        if any(name == op for name, _ in _PYTHON_LIBRARY):
            plan.append((op, (PYTHON,)))
            continue
        if op in _PACKAGE_OPS:
            plan.append((op, (PACKAGE,)))
            continue
        if op in _UFUNCS:
            plan.append((op, (UFUNC,)))
            continue
        for schema in _SCHEMAS(f"aten::{op}"):
            name = f"{op}.{schema.overload_name}" if schema.overload_name else op
            transforms = (_BATCHED, *(key for key in _FUNCTORCH_KEYS
                                      if _HAS_KERNEL(f"aten::{name}", key)))
            if _HAS_KERNEL(f"aten::{name}", _COMPOSITE):
                plan.append((name, (_COMPOSITE, *transforms)))
            else:
                plan.append((name, (*_ALWAYS_KEYS, *transforms,
                                    *(key for key in _KERNEL_KEYS
                                      if _HAS_KERNEL(f"aten::{name}", key)))))
    return plan


def _plan_entries(plan: Any) -> list[PlanEntry]:
    """The well-formed entries of a plan received in a request: (operator[.overload], its
    keys), each key one a block may register at."""
    entries = []
    for entry in plan[:MAX_BLOCKED * 4] if isinstance(plan, (list, tuple)) else ():
        if not (isinstance(entry, (list, tuple)) and len(entry) == 2):
            continue
        name, keys = entry
        if isinstance(name, str) and 0 < len(name) <= 96 \
                and set(name.partition(".")[0]) <= _OP_NAME \
                and set(name.partition(".")[2]) <= _OVERLOAD_NAME \
                and isinstance(keys, (list, tuple)) and 0 < len(keys) <= len(_PLAN_KEYS) \
                and all(type(key) is str and key in _PLAN_KEYS for key in keys) \
                and all(key not in keys for key in _ALONE if len(keys) > 1):
            entries.append((name, tuple(keys)))
    return entries


BLOCKED_FOR_GOOD = "<autograder: library blocked for good>"  # (their debug name)


def block_for_good(plan: Any) -> int:
    """Block the plan's operators for the rest of this process's life, before any of the
    student's code runs in it (an evidence worker's, `zygote.spawn`); how many kernels.

    Why: a worker's cells run the student's code, which from then on can do anything the
    worker can — a red team's cell took over the request loop and answered the no-library
    calls with no block at all (+11). A block put in place by the worker's own code when a
    request asks for it holds only as long as that code runs. Registered here, with the
    dispatcher's handle dropped from every Python reference (it is no object the collector
    tracks, so nothing can find it and lift it), the library's kernels for these operators
    are gone from this process whatever answers the judge; a value it returns was computed
    without them. Python-level entries (a library written in Python, NumPy routines) are
    left to the per-call block. `plan`: a request's, or what `prepare_for_good` made of it
    in the zygote."""
    prepared = plan if type(plan) is ForGood else prepare_for_good(plan)
    entries = prepared.entries
    library = _DISPATCH_LIBRARY("IMPL", "aten", "", BLOCKED_FOR_GOOD, 0)
    count = _disable_implementations(prepared.implementations)
    for name, keys in entries:
        if keys in PYTHON_LEVEL:
            continue

        def blocked(*args: Any, _name: str = name, **kwargs: Any) -> Any:
            raise LibraryBlocked(f"aten::{_name} is not available here")

        for key in keys:
            _IMPL(library, name, key, blocked)
            count += 1
    if prepared.refused:
        sys.meta_path.insert(0, RefusedImports(frozenset(prepared.refused)))
    count += _ufuncs_for_good(prepared.ufuncs)
    import ctypes  # (before the worker serves: its audit hook refuses ctypes from then on)

    ctypes.pythonapi.Py_IncRef(ctypes.py_object(library))  # kept alive by no reference
    return count


class ForGood(NamedTuple):
    """What `block_for_good` does with a plan, worked out once in the zygote for each plan
    (`prepare_for_good`): matching the plan's operators against torch's ~1,000 Python
    implementations in every evidence worker read each of them, which copied ~1,100 pages of
    the zygote's memory (~4 ms a worker); the worker now touches only what it disables."""

    entries: tuple[PlanEntry, ...]
    implementations: tuple[tuple[str, FunctionType], ...]  # (its name, torch's function)
    # The plan's libraries that no worker has loaded (SciPy, scikit-learn: `_UNLOADED`): their
    # top-level names, refused at import (`RefusedImports`), and their folders, which the
    # worker's file system hides (`zygote.spawn`)
    refused: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    # The plan's NumPy routines (`_UFUNCS`), by name, with every binding of each in the
    # loaded modules' namespaces: (module, name) pairs, replaced for good in the worker
    ufuncs: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


def prepare_for_good(plan: Any) -> ForGood:
    entries = tuple(_plan_entries(plan))
    packages = {name for name, keys in entries if keys == (PACKAGE,)}
    unloaded = [(name, folders) for name, folders in _PACKAGES
                if name in packages and name in _UNLOADED and not _loaded(name)]
    hidden = sorted({folder.rstrip("/") for _, folders in unloaded for folder in folders
                     if os.path.isabs(folder)})
    return ForGood(entries, _implementations_of({name.split(".")[0].lstrip("_")
                                                 for name, keys in entries
                                                 if keys not in PYTHON_LEVEL}),
                   tuple(sorted(m for name, _ in unloaded for m in _PACKAGE_NAMES[name])),
                   tuple(hidden),
                   tuple((name, _bindings_of(_UFUNCS[name][0])) for name, keys in entries
                         if keys == (UFUNC,) and name in _UFUNCS))


def _loaded(package: str) -> bool:
    """Is a module of this library (`_PACKAGE_NAMES`) loaded in this process?"""
    names = _PACKAGE_NAMES.get(package, ())
    return any(module == name or module.startswith(name + ".")
               for module in list(sys.modules) for name in names)


def _ufuncs_for_good(ufuncs: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> int:
    """These NumPy routines (`ForGood.ufuncs`) gone from this process: every binding of each
    refuses from now on, before any cell, and the harness drops its own reference; nothing
    then holds the routine, which is freed. Why: a block that rebinds them for one call lets
    a reference taken in a cell through (red team of stop 50: `functools.partial(np.logaddexp
    .reduce)` called from C raises no profile event), and compiled code runs no Python frame
    for a trace function to refuse."""
    count = 0
    for name, bindings in ufuncs:
        refuse = FunctionType(_UFUNC_BLOCKED_CODE, {}, name, None, None)
        refuse.__kwdefaults__ = {"_blocked": (name, LibraryBlocked, itertools.count(), next)}
        for method in _UFUNC_METHODS:  # (`np.logaddexp.reduce(...)` refused too)
            setattr(refuse, method, refuse)
        for module_name, key in bindings:
            module = sys.modules.get(module_name)
            namespace = getattr(module, "__dict__", None) if module is not None else None
            if type(namespace) is dict and key in namespace:
                namespace[key] = refuse
                count += 1
        _UFUNCS.pop(name, None)
    return count


class RefusedImports:
    """An evidence worker's importer of the libraries it blocks for good that no worker has
    loaded (`ForGood.refused`: SciPy, scikit-learn), first on `sys.meta_path`: any module of
    theirs is a stand-in whose every routine raises `LibraryBlocked` when called (`Refused`).
    Why: a block that refuses a library's frames by their files (`_code_tracer`) sees no
    compiled code — a red team of stop 50 computed every loss from scikit-learn's Cython
    losses (`sklearn._loss._loss`), and Huber from SciPy's `special.huber` ufunc, under the
    block. Here the library is not in the process at all: its folders are hidden from the
    worker's file system too (`zygote.spawn`), so the stand-in is all an import can find,
    this importer removed or not. A stand-in rather than an ImportError: a notebook that
    imports the library at its top still defines its functions, and the call that needs the
    library is told so by name."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        top = fullname.partition(".")[0]
        if top not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, _RefusedLoader(top), is_package=True)


class _RefusedLoader(importlib.abc.Loader):
    def __init__(self, library: str) -> None:
        self.library = library

    def create_module(self, spec: Any) -> ModuleType:
        return RefusedModule(spec.name, self.library)

    def exec_module(self, module: ModuleType) -> None:
        return None


class RefusedModule(ModuleType):
    """A module of a library taken from an evidence worker (`RefusedImports`): its names are
    routines that refuse (`Refused`)."""

    def __init__(self, name: str, library: str) -> None:
        super().__init__(name)
        self.__library = library

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return Refused(self.__library)


class Refused:
    """A routine, class or submodule of a library taken from an evidence worker: calling it
    raises `LibraryBlocked` naming the library (what a no-library check reads); any attribute
    of it is another."""

    def __init__(self, library: str) -> None:
        self.__library = library

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise LibraryBlocked(f"{self.__library} is not available here")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return Refused(self.__library)


def _implementations_of(ops: set[str]) -> tuple[tuple[str, FunctionType], ...]:
    """torch's Python implementations of these operators (`_IMPLEMENTATIONS`), which an
    evidence worker disables for good (`_disable_implementations`). Known by name or by stem:
    torch._refs' `nll_loss` and `_nll_loss_nd` (for `nll_loss_forward`) stayed live, and a
    trace of them took the cross-entropy no-library point (red team 36)."""
    stems = {_stem(op) for op in ops}
    # (the operator is the name, or a beginning of it before a `_`; or the same stem; not a
    # closure's: its cells do not fit the blocked code)
    return tuple((base, function) for base, function, named, stem in _IMPLEMENTATIONS
                 if not (named.isdisjoint(ops) and stem not in stems)
                 and not function.__code__.co_freevars)


def _disable_implementations(implementations: tuple[tuple[str, FunctionType], ...]) -> int:
    """These implementations of torch's (`_implementations_of`) run the blocked code from now
    on, in this process (an evidence worker's, before its cells): a graph `torch.jit.trace`
    recorded from one in a cell ran in TorchScript's interpreter, where the block sees no
    frame (red team 34, +7). Their own code is then referenced by nothing, so no copy of it
    can be made."""
    for base, function in implementations:
        function.__code__, function.__defaults__ = _BLOCKED_CODE, None
        function.__kwdefaults__ = {"_blocked": (f"torch's own {base}", LibraryBlocked)}
    return len(implementations)


class LibraryBlock:
    """The planned library operators (`block_plan`) unavailable while the block holds: each
    raises `LibraryBlocked` instead of computing.

    Why: a no-library check asks whether the student's function computes its value without
    the function it implements. Recorders report what ran, but they live in the student's
    process: its code can switch Python's dispatch off around a library call
    (`torch._C._DisableTorchDispatch`) or empty a recorder's list. A kernel registered with
    the dispatcher is reached by every path to the operator — modes disabled, inference
    mode, `torch.ops.aten` directly — so with the library blocked a function either computes
    the value by itself (the judge compares it) or fails. An operator that decomposes is
    blocked at its composite kernel (for every backend); another at its CPU kernel (and
    CUDA's), which its autograd kernel reaches too. The block is lifted after the call (the
    library's kernels are back), and each request blocks only what its check forbids.
    Registered through the dispatcher's C API (`torch.library.Library` is Python a notebook
    could rebind); `holds` tells whether the registrations are still there after the
    student's code ran (the object that owns them is reachable from it)."""

    def __init__(self, plan: Any, allow: tuple[Any, ...] = ()) -> None:
        self.plan = tuple(_plan_entries(plan))
        # the lab's own code put in the student's place by the grader (a scenario running a
        # function on correct helpers): not refused as the lab's code (`LAB_WORKER`)
        self.allow = frozenset(code for code in allow if type(code) is CodeType)
        self.library: Any = None
        self.swapped: tuple[tuple[FunctionType, Any, Any, Any], ...] = ()
        self.tracer: Any = None
        self.profiler: Any = None
        self.rebound: tuple[tuple[dict[str, Any], str, Any], ...] = ()
        # How many times it refused each library written in Python it holds (what ran), an
        # `itertools.count` each: nothing counts one down, whatever the student's code does
        self.refusals = tuple((name, itertools.count()) for name, keys in self.plan
                              if keys in PYTHON_LEVEL)

    def __enter__(self) -> LibraryBlock:
        # No Python a notebook can reach runs from here to the last registration: the
        # dispatcher's C functions, taken at import; no device query, no warning.
        plan = self.plan
        if not plan:
            return self
        library = _DISPATCH_LIBRARY("IMPL", "aten", "", BLOCK_SOURCE, 0)
        swapped = []
        names = {}
        folders = []
        ufuncs = []
        rebound = []
        for name, keys in plan:
            if keys == (UFUNC,):  # its methods refused when called, its bindings replaced
                ufunc, homes = _UFUNCS.get(name, (None, ()))
                if ufunc is None:
                    continue
                ufuncs.append((ufunc, name))
                refuse = FunctionType(_UFUNC_BLOCKED_CODE, {}, name, None, None)
                refuse.__kwdefaults__ = {"_blocked": (name, LibraryBlocked,
                                                      self._counter(name), next)}
                for method in _UFUNC_METHODS:  # (`np.logaddexp.reduce(...)` refused too)
                    setattr(refuse, method, refuse)
                for namespace, key in homes:
                    if namespace.get(key) is ufunc:
                        rebound.append((namespace, key, ufunc))
                        namespace[key] = refuse
                continue
            if keys == (PACKAGE,):  # any of its functions refused when called, until __exit__
                folders += [(folder, name) for package, found in _PACKAGES if package == name
                            for folder in found]
                if name == LAB_WORKER:
                    folders += [(path, name) for path in _LAB_FILES]
                continue
            if keys == (PYTHON,):  # its code swapped for the blocked one's, until __exit__
                python = _python_function(name)
                if python is not None:
                    swapped.append((python, python.__code__, python.__defaults__,
                                    python.__kwdefaults__))
                    names[python.__code__] = name
                    python.__code__, python.__defaults__ = _BLOCKED_CODE, None
                    python.__kwdefaults__ = {"_blocked": (name, LibraryBlocked)}
                continue

            def blocked(*args: Any, _name: str = name, **kwargs: Any) -> Any:
                raise LibraryBlocked(f"aten::{_name} is not available here")

            for key in keys:
                _IMPL(library, name, key, blocked)
        self.library, self.swapped, self.rebound = library, tuple(swapped), tuple(rebound)
        if ufuncs:
            self.profiler = _ufunc_profiler(tuple(ufuncs), self.refusals)
            _SET_PROFILE(self.profiler)
        if swapped or folders:  # a copy of one made from its code runs that code: refused
            signatures = _signatures_now() if folders else _SIGNATURES
            self.tracer = _code_tracer(names, self.refusals, tuple(folders), signatures,
                                       self.allow, _CLEAR_FILES)
            _SET_TRACE(self.tracer)
        return self

    def watch(self) -> Watch:
        """What `_tracing` and `fired` read after the student's code: taken as the block
        starts, before that code runs (this object's attributes are within its reach)."""
        return (self.tracer, self.profiler, self.refusals, _trace_sets())

    def _counter(self, name: str) -> Any:
        return next(counter for known, counter in self.refusals if known == name)


    def holds(self, plan: tuple[PlanEntry, ...] | None = None) -> bool:
        """Every planned operator still has the block's registration and every planned Python
        function the blocked code (the student's code lifted none of them); true for an empty
        block. `plan`: the caller's own copy, taken before the student's code ran (the
        block's attribute is within its reach). Every operator, not one: a notebook that
        lifted the block could register one operator again under the block's name."""
        plan = self.plan if plan is None else plan
        if self.library is None:
            return not plan
        for name, keys in plan:
            if keys == (PYTHON,):
                python = _python_function(name)
                if python is not None and python.__code__ is not _BLOCKED_CODE:
                    return False
            elif keys == (PACKAGE,):
                continue  # (refused by the trace function: `tracing`)
            elif keys == (UFUNC,):
                for namespace, key in _UFUNCS.get(name, (None, ()))[1]:
                    bound = namespace.get(key)
                    if type(bound) is not FunctionType or bound.__code__ is not \
                            _UFUNC_BLOCKED_CODE:
                        return False
            elif BLOCK_SOURCE not in _DUMP(f"aten::{name}"):
                return False
        return True

    def __exit__(self, *exc: Any) -> None:
        if self.tracer is not None:
            self.tracer = None
            _SET_TRACE(None)
        if self.profiler is not None:
            self.profiler = None
            _SET_PROFILE(None)
        rebound, self.rebound = self.rebound, ()
        for namespace, key, ufunc in rebound:
            namespace[key] = ufunc
        if self.library is not None:
            library, self.library = self.library, None
            _RESET(library)
        swapped, self.swapped = self.swapped, ()
        for function, code, defaults, kwdefaults in swapped:
            function.__code__, function.__defaults__ = code, defaults
            function.__kwdefaults__ = kwdefaults


def _refusing_trace(frame: Any, event: str, arg: Any, _state: tuple[Any, ...] = ()) -> None:
    """A trace function refusing, at its first line, any call running the code of a library
    function the block stopped: a copy made beforehand from its code object
    (`types.FunctionType(F.gaussian_nll_loss.__code__, ...)`, a tenth outside red team's)
    swaps nothing the block swapped. (Equal code objects: a copy's `replace()` too.) What it
    refused is counted, by name (`refusals`: an `itertools.count` each, which nothing counts
    down; reported as what ran): Python unsets a trace function that raises, so a later call
    of the copy would run — the library was reached all the same.

    Made for each block (`_code_tracer`) with its state in its defaults: a tuple of frozen
    things (and the counts it adds to), with the builtins it uses, so that
    neither a closure's cells (which a call could empty: this stop's own review ran
    scikit-learn's softmax past the block so), nor a name of this module, nor its code or
    defaults (the worker's audit hook refuses those for the grader's functions) can change
    what it refuses. `clear`: files in none of the folders (`clear_files`), not searched for
    one."""
    if event == "call":
        (codes, names, folders, signatures, allow, clear, refusals, count, kind,
         blocked) = _state
        code = frame.f_code
        if allow and code in allow:
            return
        name = None
        if codes and code in codes:
            name = next(n for c, n in names if c == code)
        if name is None and folders:  # a whole library, by where its code comes from
            filename = code.co_filename
            if not (kind(filename) is str and filename in clear):
                name = next((package for folder, package in folders
                             if kind(filename) is str and filename.startswith(folder)), None)
            if name is None and (code.co_code, code.co_names, code.co_varnames) in signatures:
                # ... or by the code itself, wherever its copy says it comes from (torch's
                # reference code, the library the signatures are mostly taken from)
                name = next((p for _, p in folders if p == "torch_refs"), folders[0][1])
        if name is not None:
            for known, counter in refusals:
                if known == name:
                    count(counter)
            raise blocked(name + " is not available here")


def _code_tracer(codes: dict[Any, str], refusals: tuple[tuple[str, Any], ...],
                 folders: tuple[tuple[str, str], ...] = (),
                 signatures: frozenset[tuple[Any, ...]] = frozenset(),
                 allow: frozenset[Any] = frozenset(),
                 clear: frozenset[str] = frozenset()) -> Callable[..., None]:
    """`_refusing_trace` for one block: `codes` the library functions' own code (the block
    swapped it out), by the name reported; `refusals` the block's counts, by name."""
    state = (frozenset(codes), tuple(codes.items()), tuple(folders), frozenset(signatures),
             frozenset(allow), frozenset(clear), refusals, next, type, LibraryBlocked)
    return FunctionType(_refusing_trace.__code__, _refusing_trace.__globals__, "trace",
                        (state,))


# (tracer, profiler, refusals by name, trace functions set so far): `LibraryBlock.watch`
Watch = tuple[Any, Any, tuple[tuple[str, Any], ...], str]

# Every trace or profile function set in a worker, counted by its audit hook (the events
# `sys.settrace` and `sys.setprofile`, whoever sets one: `worker._refuse_native`): a call
# that unset the block's trace function, ran the library untraced and set the very same
# function again left the block looking in place (this stop's own review). Nothing counts
# it down; where no hook counts (the judge's own tests), it stays at 0.
TRACE_SETS = itertools.count()


def _trace_sets(_sets: Any = TRACE_SETS, _text: Any = repr) -> str:
    return _text(_sets)


def _tracing(watch: Watch, _get_trace: Any = sys.gettrace, _get_profile: Any = sys.getprofile,
             _text: Any = repr, _sets: Any = TRACE_SETS) -> bool:
    """The block's refusal of the library's Python code is still in place, or it refused a
    call (Python then unsets a trace function): read right after the student's code returns,
    from what `LibraryBlock.watch` took before it ran; removing it otherwise, or setting any
    trace function meanwhile, is lifting the block. No name looked up that a cell could
    rebind (see `_refusing_trace`)."""
    tracer, profiler, refusals, sets = watch
    for _, counter in refusals:
        if _text(counter) != "count(0)":  # (it refused a call: the library was reached)
            return True
    if (tracer is not None or profiler is not None) and _text(_sets) != sets:
        return False  # (a trace or profile function was set during the call)
    return ((tracer is None or _get_trace() is tracer)
            and (profiler is None or _get_profile() is profiler))


def fired(watch: Watch, _text: Any = repr) -> list[str]:
    """What the block refused (reported as what ran), by its counts (as `_tracing`, no name
    looked up that a cell could rebind)."""
    return [name for name, counter in watch[2] if _text(counter) != "count(0)"]


def _python_function(name: str) -> FunctionType | None:
    return next((function for known, function in _PYTHON_LIBRARY if known == name), None)


# Everything of the notebook's the grader takes away while it works — a hook, a collector
# callback, a table's entry, a mode, a scenario's outcome once copied, an exception — held
# here and never freed inside the grader's own code: freeing the last reference to an
# object runs its `__del__` (or a `weakref.finalize` on it) right there, in the grader's
# frames (outside red team 73: a value in a table the grader emptied re-armed the global
# hooks from its `__del__`, another set a profile function after the hooks were silenced,
# and a collector callback cleared after a scenario rewrote its outcome before the copy).
# Freed between requests (`release_kept`), each followed by the clean-up again.
_KEPT: list[Any] = []
_KEEP = _KEPT.append


def keep(value: Any) -> None:
    """Hold `value` until the request ends (`release_kept`)."""
    _KEEP(value)


def release_kept() -> None:
    """Free what the request kept — the `__del__`s this runs are the student's code, between
    two requests — then take away whatever they set (hooks, modes, tables: kept in turn, for
    the next request's end). A `__del__` that keeps more alive is bounded by its rounds."""
    for _ in range(8):
        if not _KEPT:
            break
        held = _KEPT[:]
        _KEPT.clear()
        del held
    silence_hooks()
    strip_modes()
    reset_thread_state()


def silence_hooks() -> None:
    """No profile or trace function of the student's runs while the grader works (one set in
    a cell or a graded function would run the student's code after the library block is
    lifted, in the grader's own frames, and could change what is sent back); nor a garbage
    collector's callback, nor a weakref callback run by a collection (the collector stays off
    in a worker once grading calls start: a worker lives for one submission)."""
    # (each taken away is kept, not freed here: see `_KEPT`; nothing kept where each is the
    # grader's own, as nearly always: a tuple kept at every call cost ~1,100 page faults a
    # submission, side by side)
    hooks = (_GET_PROFILE(), _GET_TRACE(), _THREAD_PROFILE(), _THREAD_TRACE(),
             warnings.showwarning, sys.unraisablehook)
    if not (hooks[0] is None and hooks[1] is None and hooks[2] is None and hooks[3] is None
            and hooks[4] is _SHOW_WARNING and hooks[5] is _UNRAISABLE):
        _KEEP(hooks)
    _SET_PROFILE(None)
    _SET_TRACE(None)
    quiet_frame_hooks()
    _THREAD_SETPROFILE(None)
    _THREAD_SETTRACE(None)
    if _GC_CALLBACKS:
        _KEEP(_GC_CALLBACKS[:])
        _GC_CALLBACKS.clear()  # (the collector's own list, whatever `gc.callbacks` names now)
    _GC_DISABLE()  # (no collection of the student's garbage: no weakref callback runs from one)
    # nor a warnings hook, nor an unraisable-exception hook (a `__del__` that raises)
    filters = warnings.filters
    if not (type(filters) is list and len(filters) == 1 and _IGNORED  # (as we left them:
            and filters[0] is _IGNORED[0]):  # our own entry, by identity; ~3 µs a call saved)
        _KEEP((filters, filters[:] if type(filters) is list else None))
        warnings.resetwarnings()
        warnings.simplefilter("ignore")
        _IGNORED[:] = warnings.filters[:1]
    warnings.showwarning = _SHOW_WARNING
    sys.unraisablehook = sys.__unraisablehook__


def tensor_changed(now: Any, before: torch.Tensor, _tensor: type = torch.Tensor,
                   _plain: Any = torch._C.DisableTorchFunctionSubclass) -> bool:
    """A tensor argument the student's function was given (`now`) no longer holds what it
    held (`before`, the grader's copy): other values, shape or dtype (a nan still in its
    place is no change) — or another class: outside red team 77's `accuracy` edited its
    input in place, then set the input's `__class__` to a subclass whose `detach` answered
    with a copy of the original values, and the comparison saw nothing. An argument is the
    grader's plain tensor; anything else it became is an edit. Compared with no subclass's
    `__torch_function__` (none can be there now, but the comparison asks no class's code)."""
    if type(now) is not _tensor:
        return True
    with _plain():
        now = torch.Tensor.detach(now)  # type: ignore[arg-type]
        if torch.equal(now, before):
            return False
        if now.shape != before.shape or now.dtype != before.dtype:
            return True
        if not (now.is_floating_point() or now.is_complex()):
            return True
        return not bool(((now == before) | (now.isnan() & before.isnan())).all())


def quiet_frame_hooks(_hooks: Any = FRAME_HOOKS, _keep: Any = _KEEP) -> None:
    """No frame callback of torch's compiler (`torch._C._dynamo.eval_frame.set_eval_frame`)
    or bytecode debugger callback set: outside red team 77's cell set a frame callback, which
    then ran at every Python call the grader made — in the scenarios it set the mode and
    zeroed the gradients before each forward pass the loops made (+8), and it turned the nan
    of a gradient into 0 before the worker froze it (+2); `sys.settrace` and `setprofile` are
    not the only hooks on the interpreter's frames. `torch.compile` sets its callback around
    the compiled call and puts it back: none is left between the grader's steps. (The worker
    makes these same C calls first thing after every piece of the student's code returns,
    before it enters any function of its own: `worker._run_limited`.)"""
    for get, put in _hooks:
        if get() is not None:
            _keep(put(None))


# The one warnings filter `silence_hooks` leaves (`simplefilter("ignore")`'s entry, a tuple):
# while `warnings.filters` holds exactly it, there is nothing to reset
_IGNORED: list[Any] = []


Modes = list[tuple[bool, Any]]  # (a function mode?, the mode), innermost last


def strip_modes(keep: int = 0, keep_dispatch: int = 0) -> Modes:
    """Pop every torch function and dispatch mode above the first `keep` (`keep_dispatch`)
    of their stacks: a mode a notebook entered and never left sees every torch call the
    grader makes (it kept the copy of a returned value and filled it with the library's
    answer after the block was lifted). Returned in order, for `restore_modes`. With no
    mode of the grader's kept, the thread's dispatch keys are put back too
    (`restore_dispatch_keys`)."""
    popped: Modes = []
    while _function_stack_len() > keep:
        popped.append((True, _POP_FUNCTION_MODE()))
    while _dispatch_stack_len() > keep_dispatch:
        popped.append((False, _POP_DISPATCH_MODE()))
    if popped:
        _KEEP(popped[:])  # (freed between requests: `_KEPT`)
    if not keep and not keep_dispatch:
        restore_dispatch_keys()
    return popped


_PYTHON_DISPATCHER = torch._C.DispatchKey.PythonDispatcher
_KEY_INCLUDED = torch._C._dispatch_tls_is_dispatch_key_included
_INCLUDE_SET, _EXCLUDE_SET = (torch._C._dispatch_tls_local_include_set,
                              torch._C._dispatch_tls_local_exclude_set)
_RAW_KEYS = torch.DispatchKeySet.raw_repr
_NO_PYTHON_DISPATCHER = torch._C._DisablePythonDispatcher
_FORCE_KEYS = torch._C._ForceDispatchKeyGuard
_PY_IMPL = torch._ops.OperatorBase.py_impl
# Guards that put the thread's dispatch keys back for good (`restore_dispatch_keys`): kept,
# never ended (ending one would put back what the notebook had set)
_KEYS_BACK: list[Any] = []


def dispatch_keys() -> tuple[Any, Any, int, int]:
    """The thread's own dispatch keys: those it adds to every call's, those it takes away
    (and each as one number, to compare)."""
    include, exclude = _INCLUDE_SET(), _EXCLUDE_SET()
    return include, exclude, _RAW_KEYS(include), _RAW_KEYS(exclude)


_BASE_KEYS = dispatch_keys()  # (at import: the zygote's, before any notebook)


def restore_dispatch_keys(keys: tuple[Any, Any, int, int] = _BASE_KEYS) -> None:
    """PyTorch's Python dispatcher off, and the thread's dispatch keys as they were (`keys`,
    by default as torch starts): outside red team 76 gave operators Python kernels
    (`OpOverload.py_impl`), which run only where the Python dispatcher is on, and left it on
    from a cell; the kernels then ran inside the grader's own work — the loader's batches
    zeroed the gradients and set the modes the graded loop left out (+8), `aten::equal`
    answered the in-place edit check "unchanged" (+2). A key set a cell left on (autocast,
    pre-dispatch) routes the grader's operators elsewhere likewise. Inference mode, which
    keeps its keys with a flag of its own, is put back first where it is (`reset_thread_state`)
    and its keys left alone here."""
    include, exclude, include_raw, exclude_raw = keys
    if _RAW_KEYS(_INCLUDE_SET()) == include_raw and _RAW_KEYS(_EXCLUDE_SET()) == exclude_raw:
        return  # (the common case: two reads)
    python_dispatcher_off()
    if not _INFERENCE_ENABLED() and (_RAW_KEYS(_INCLUDE_SET()) != include_raw
                                     or _RAW_KEYS(_EXCLUDE_SET()) != exclude_raw):
        _KEYS_BACK.append(_FORCE_KEYS(include, exclude))
        _KEYS_BACK[-1].__enter__()


def python_dispatcher_off(_on: Any = _KEY_INCLUDED, _key: Any = _PYTHON_DISPATCHER,
                          _off: Any = _NO_PYTHON_DISPATCHER, _keep: Any = _KEYS_BACK) -> None:
    """The Python dispatcher off, where the student's code left it on (one C read when it did
    not): what a recorded call does right after the student's function returns, inside the
    grader's recorders — the rest of the thread's keys are put back after the call, by the
    worker (`strip_modes`)."""
    if _on(_key):
        _keep.append(_off())
        _keep[-1].__enter__()


def without_python_dispatcher(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, a piece of the grader's that runs inside the student's code (a loader's batch, an
    instrument's hook), run with the Python dispatcher off: a kernel a notebook gave an
    operator in Python never runs in it, whatever the student's code switched on."""
    @functools.wraps(fn)
    def run(*args: Any, _guard: Any = _NO_PYTHON_DISPATCHER, **kwargs: Any) -> Any:
        with _guard():
            return fn(*args, **kwargs)
    return run


def refuse_python_kernels() -> None:
    """In a worker's baseline, `py_impl` — how a Python kernel is given to an operator (or
    to an operator under a given mode) — refuses a kernel whose code is the notebook's, as
    the dispatcher's `impl` does (`refuse_kernel_registrations`): outside red team 76's
    kernels on `aten::stack`, `aten::index_select` and `aten::equal`. Torch's own
    (`torch.compile`'s) go through."""
    def py_impl(self: Any, key: Any, _register: Any = _PY_IMPL, _notebook: Any = _notebook_code,
                _refused: type[Exception] = RuntimeError) -> Any:
        inner = _register(self, key)

        def take(fn: Any) -> Any:
            if _notebook(fn):
                raise _refused(REGISTRATION_HINT)
            return inner(fn)
        return take

    torch._ops.OperatorBase.py_impl = py_impl  # type: ignore[method-assign,assignment]


_SET_GRAD_ENABLED = torch._C._set_grad_enabled
_SET_DEFAULT_DTYPE = torch._C._set_default_dtype
_GET_DEFAULT_DTYPE = torch.get_default_dtype  # (a C function, taken at import)
_ANOMALY_ENABLED, _SET_ANOMALY = torch.is_anomaly_enabled, torch.set_anomaly_enabled
_INFERENCE_ENABLED, _INFERENCE_MODE = torch.is_inference_mode_enabled, torch._C._InferenceMode
_FLOAT32 = torch.float32
# Guards that switched inference mode off for good (`reset_thread_state`): kept, never
# ended, so that none puts back the mode a cell left on
_INFERENCE_OFF: list[Any] = []


def reset_thread_state() -> None:
    """Gradients on and float32 the default dtype, as every request expects them: a cell that
    switched grad mode off and never back made an `evaluate` without `no_grad` look right
    (a tenth outside red team's: the student's other functions wrapped in `enable_grad`).
    Inference mode off (a cell that entered `torch.inference_mode()` and never left it had
    every grading call run in it: outside red team 72). And torch's process-wide tables on
    the grader's path as torch made them (`restore_tables`)."""
    if _INFERENCE_ENABLED():  # (before grad mode: the guard sets the whole autograd state)
        _INFERENCE_OFF.append(_INFERENCE_MODE(False))
    _SET_GRAD_ENABLED(True)
    if _GET_DEFAULT_DTYPE() is not _FLOAT32:  # (setting it is ~1 µs, reading it far less)
        _SET_DEFAULT_DTYPE(_FLOAT32)
    if _ANOMALY_ENABLED():  # (anomaly mode makes a backward through nan raise: red team 46's
        _SET_ANOMALY(False)  # edge gradient, unassessable, was then not charged)
    restore_dispatch_keys()
    restore_tables()
    restore_loggers()


# The modules every scenario runs through (a model's layers, the optimizer, the loaders), whose
# process-wide tables — every dict, list and set they hold — the grader's runs consult:
# torch's hook registries (every module's forward, backward and registration hooks, every
# optimizer's step hooks) and the loaders' `default_collate_fn_map` (the handler each batch's
# elements are put together with)
_PATH_MODULES = tuple(importlib.import_module(name) for name in (
    "torch.nn.modules.module", "torch.optim.optimizer", "torch.utils.data.dataloader",
    "torch.utils.data.dataset", "torch.utils.data.sampler", "torch.utils.data._utils.fetch",
    "torch.utils.data._utils.collate"))
_MODULE_OWNER, _OPTIMIZER_OWNER = _PATH_MODULES[:2]
_TABLE_KINDS: dict[type, tuple[Callable[..., None], Callable[..., None]]] = {
    dict: (dict.clear, dict.update), OrderedDict: (OrderedDict.clear, OrderedDict.update),
    list: (list.clear, list.extend), set: (set.clear, set.update)}
# Each: the namespace that holds it, its name, the table, its C methods (to empty and fill it:
# a subclass's overrides never run, nor does any key's __eq__) and what torch put in it — a
# tuple (of items, for a dict), which no cell can edit in place: outside red team 74 found this
# copy through `sys.modules` and added its global hook to it, and the grader then put the
# hook back itself before every request (+2 to +6)
_TABLES: tuple[tuple[dict[str, Any], str, Any, Callable[..., None], Callable[..., None], Any],
               ...] = tuple(
    (vars(owner), name, value, *_TABLE_KINDS[type(value)],
     tuple(value.items()) if isinstance(value, dict) else tuple(value))
    for owner in _PATH_MODULES for name, value in list(vars(owner).items())
    if type(value) in _TABLE_KINDS and not (name.startswith("__") and name.endswith("__")))
_MODULE_NAMES = vars(_MODULE_OWNER)
_TOP_SAVED_HOOKS = torch._C._autograd._top_saved_tensors_default_hooks
_POP_SAVED_HOOKS = torch._C._autograd._pop_saved_tensors_default_hooks


# The loggers torch's code consults on a training run (`Logger.getEffectiveLevel` at every
# backward: red team 83 set `torch.autograd.graph`'s logger's level to an object whose
# `__bool__` ran the cell's code, in the student's loop and in the grader's own gradients),
# their ancestors and their manager: each with the dict its state is in, that state as the
# zygote left it, and the lists among it with their items (`restore_loggers`)
_LOGGERS: list[tuple[Any, dict[str, Any], tuple[tuple[str, Any], ...],
                     tuple[tuple[Any, tuple[Any, ...]], ...], Any]] = []


def _keep_loggers(seen: Iterable[logging.Logger]) -> None:
    found: dict[int, Any] = {}
    for logger in seen:
        while isinstance(logger, logging.Logger) and id(logger) not in found:
            found[id(logger)] = logger
            logger = logger.parent  # type: ignore[assignment]
    for held in (*found.values(), logging.Logger.manager):
        store = vars(held)
        cache = store.get("_cache")
        _LOGGERS.append((held, store, tuple(store.items()),
                         tuple((v, tuple(v)) for v in store.values() if type(v) is list),
                         cache if type(cache) is dict else None))


def restore_loggers(_vars: Any = vars, _set: Any = object.__setattr__, _clear: Any = dict.clear,
                    _update: Any = dict.update, _empty: Any = list.clear,
                    _extend: Any = list.extend) -> None:
    """The loggers on torch's path as the zygote left them — level, parent, handlers, the
    manager's `disable` — and their caches of levels emptied, before the grader's runs: put
    back, not a finding (a notebook may set a level, `logging.basicConfig` or a quieter torch;
    its own code sees it, the grader's runs do not)."""
    for held, store, state, lists, cache in _LOGGERS:
        if _vars(held) is not store:
            _set(held, "__dict__", store)
        _clear(store)
        _update(store, state)
        for items, kept in lists:
            _empty(items)
            _extend(items, kept)
        if cache is not None:
            _clear(cache)


def restore_tables() -> None:
    """Put torch's process-wide tables on the grader's path back as torch made them, before
    each request: a cell's global module hook (grad switched off around every module in eval
    mode), global optimizer step hook (gradients zeroed after every step) or saved-tensor hooks
    left on the thread (a p of 0 replaced inside the grader's own backward) ran the student's
    code inside every run the checks watch, without replacing any function the integrity check
    compares (red team 45: an evaluate without no_grad, a loop without zero_grad, a BCE with a
    nan gradient, each kept its points); so did a handler of its own put in the loaders'
    `default_collate_fn_map` for tensors (outside red team 72: at every batch it walked up to
    the loop's frame, moved the batch to its device, zeroed the gradients and set the mode the
    graded loop left out). Every table is refilled whatever it holds (comparing it would run
    the `__eq__` of whatever the notebook put in it). What a graded function registers while it
    runs is its own behaviour."""
    for names, name, table, empty, fill, made in _TABLES:
        if names.get(name) is not table:  # (rebound: torch's own put back)
            _KEEP(names.get(name))  # (what it was, and what a table held: kept, `_KEPT`)
            names[name] = table
        if made:
            if _holds_exactly(table, made):
                continue  # (torch's own entries, by identity: nothing to take away)
            _KEEP(table.copy())
            empty(table)
            fill(table, made)
        elif table:  # (torch's hook registries: empty as torch made them, most requests)
            _KEEP(table.copy())
            empty(table)
    if _MODULE_NAMES.get("_global_is_full_backward_hook") is not None:
        _KEEP(_MODULE_NAMES["_global_is_full_backward_hook"])
        _MODULE_NAMES["_global_is_full_backward_hook"] = None
    while _TOP_SAVED_HOOKS(False) is not None:  # (each `saved_tensors_hooks` a cell entered
        _KEEP(_TOP_SAVED_HOOKS(False))          # and never left, however many)
        _POP_SAVED_HOOKS()


def _holds_exactly(table: Any, made: tuple[Any, ...]) -> bool:
    """The table holds exactly what torch put in it, in order, compared by identity (no
    `__eq__` of anything a notebook put there runs); a set is always refilled."""
    kind = type(table)
    if kind is dict or kind is OrderedDict:
        items = dict.items(table)
        return len(items) == len(made) and all(
            key is key_made and value is value_made
            for (key, value), (key_made, value_made) in zip(items, made, strict=False))
    if kind is list:
        return len(table) == len(made) and all(
            value is value_made for value, value_made in zip(table, made, strict=False))
    return False


def restore_modes(popped: Modes) -> None:
    for function, mode in reversed(popped):
        (_PUSH_FUNCTION_MODE if function else _PUSH_DISPATCH_MODE)(mode)


# The wire's dtypes numpy also has (`plain_copy`'s short path), by dtype: their names
_NUMPY_WIRE_DTYPES = {dtype: str(dtype) for dtype in (
    getattr(torch, name) for name in WIRE_NUMPY_DTYPES) if str(dtype) in WIRE_DTYPES}

_PLAIN_DEPTH, _PLAIN_ITEMS = 20, 10_000  # (as protocol.encode: deeper or longer is cut there)

# NumPy's types and the C functions `plain_copy` copies with, taken at import: the freeze looks
# up no module by name (an outside red team's cell put its own module in `sys.modules["numpy"]`
# whose `generic` ran the cell's code inside the freeze, after the checks on the records,
# and rewrote them: red team 81, +2)
_NUMPY_GENERIC, _NUMPY_NDARRAY = numpy.generic, numpy.ndarray
_NUMPY_ARRAY, _NDARRAY_VIEW, _NDARRAY_COPY = numpy.array, numpy.ndarray.view, numpy.ndarray.copy


def plain_copy(value: Any, depth: int = 0) -> Any:
    """What the student's function returned, as plain data of exact types (a tensor: a
    detached copy of its values, its gradient flag kept; lists, tuples and dicts of exact
    type; numpy values as exact arrays; anything else described by its type's name), made
    without running any of the student's code: kinds are read with `type()` (a value's
    `__class__` can lie to `isinstance`), containers read with the base type's own C methods
    (`dict.items`, `list.__iter__`: a subclass's overrides never run), numbers converted the
    same way. A direct call freezes its value under the library block (`RecordedCall`); a
    scenario freezes its outcome before anything reads it (`Worker._scenario`: a tenth
    outside red team's dict subclass edited the records from its `items()` as the reply was
    encoded). Encoding the result then runs none of the student's code either."""
    kind = type(value)
    if kind is torch.Tensor:  # the common case, a CPU tensor numpy can read: a few µs less
        name = _NUMPY_WIRE_DTYPES.get(value.dtype)
        if name is not None and value.is_cpu and not value.is_neg() and not value.is_conj():
            try:  # (numpy writes the bytes in C order, whatever the strides)
                data = value.detach().numpy().tobytes()
            except Exception:  # (anything numpy refuses goes the long way)
                pass
            else:
                return Frozen((name, tuple(value.shape), bool(value.requires_grad), "cpu",
                               data))
    if kind is torch.Tensor or issubclass(kind, torch.Tensor):
        try:
            base = value if kind is torch.Tensor else torch.Tensor.as_subclass(value, torch.Tensor)
            if str(base.dtype) not in WIRE_DTYPES:  # (described: a wrong type, not a crash)
                return Described(("__object__", f"torch.Tensor of dtype {base.dtype}"[:200]))
            if base.device.type == "meta":  # (the emulated device's: no data)
                return Frozen((str(base.dtype), tuple(base.shape), bool(base.requires_grad),
                               "meta", b""))
            copy = base.detach().contiguous().cpu()
            # frozen: its bytes, which nothing the student's code does later can change (a
            # tensor object is reachable through `gc`); sent as they are (`protocol.Frozen`)
            return Frozen((str(copy.dtype), tuple(copy.shape), bool(base.requires_grad),
                           str(base.device), copy.reshape(-1).view(torch.uint8).numpy().tobytes()))
        except Exception:
            return f"<{_type_name(kind)}>"[:200]  # (sent as a string: what it was)
    if value is None or kind in (bool, int, float, str, torch.device, torch.dtype):
        return value
    if depth >= _PLAIN_DEPTH:
        return Described(("__object__", "too deeply nested"))
    if issubclass(kind, tuple):
        return tuple(plain_copy(item, depth + 1)
                     for item in list(tuple.__iter__(value))[:_PLAIN_ITEMS])
    if issubclass(kind, list):
        return [plain_copy(item, depth + 1) for item in list(list.__iter__(value))[:_PLAIN_ITEMS]]
    if issubclass(kind, dict):
        return {plain_copy(k, depth + 1): plain_copy(v, depth + 1)
                for k, v in list(dict.items(value))[:_PLAIN_ITEMS]}
    if issubclass(kind, int):  # (bool is never subclassed)
        return int.__index__(value)
    if issubclass(kind, float):
        return float.__float__(value)
    if issubclass(kind, str):
        return str.__str__(value)
    if issubclass(kind, _NUMPY_GENERIC) or kind is _NUMPY_NDARRAY:
        try:
            return _wire_array(_NUMPY_ARRAY(value, copy=True), kind)
        except Exception:
            return f"<{_type_name(kind)}>"[:200]
    if issubclass(kind, _NUMPY_NDARRAY):  # (a subclass: its data only)
        return _wire_array(_NDARRAY_COPY(_NDARRAY_VIEW(value, _NUMPY_NDARRAY)), kind)
    # Anything else is sent by what it is (as `protocol.describe` would), decided now.
    if issubclass(kind, nn.Module):
        return Described(("__module__", _type_name(kind)))
    return Described(("__object__", f"{_type_name(kind, '__module__')}.{_type_name(kind)}"[:200]))


def _wire_array(array: Any, kind: type) -> Any:
    """A numpy copy as it is when the wire carries its dtype, else described (its dtype
    named): a complex or uint16 array is a wrong type, not a reply the judge refuses."""
    name = str(array.dtype)
    if name in WIRE_NUMPY_DTYPES:
        return array
    return Described(("__object__", f"{_type_name(kind, '__module__')}.{_type_name(kind)} "
                                    f"of dtype {name}"[:200]))


def _type_name(kind: type, part: str = "__name__") -> str:
    """A class's name (or module) as `type` stores it (a metaclass's property never runs)."""
    try:
        return str.__str__(type.__dict__[part].__get__(kind, type))
    except Exception:
        return "object"


_DTYPES = {str(d): d for d in (torch.float16, torch.bfloat16, torch.float32, torch.float64,
                                torch.complex64, torch.complex128, torch.uint8, torch.int8,
                                torch.int16, torch.int32, torch.int64, torch.bool)}


def thaw(value: Any, depth: int = 0) -> Any:
    """`plain_copy`'s result with its frozen tensors rebuilt (exact types throughout), for
    a lab's own scenario that works on the value (a reply can carry `Frozen` ones as they are)."""
    kind = type(value)
    if kind is Frozen:
        dtype, shape, requires_grad, device, data = value
        kind_of = _DTYPES.get(dtype) or getattr(torch, dtype.removeprefix("torch."), None)
        if not isinstance(kind_of, torch.dtype):
            return f"<tensor of {dtype}>"
        if device == "meta":
            tensor = torch.empty(shape, dtype=kind_of, device="meta")
        else:
            raw = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else \
                torch.empty(0, dtype=torch.uint8)
            tensor = raw.view(kind_of).reshape(shape).clone()
            if device.startswith("cuda"):
                tensor = tensor.to(device)
        if requires_grad and (tensor.is_floating_point() or tensor.is_complex()):
            tensor.requires_grad_(True)
        return tensor
    if depth >= _PLAIN_DEPTH:
        return value
    if kind is list:
        return [thaw(item, depth + 1) for item in value]
    if kind is tuple:
        return tuple(thaw(item, depth + 1) for item in value)
    if kind is dict:
        return {thaw(k, depth + 1): thaw(v, depth + 1) for k, v in value.items()}
    return value


class RecordedCall:
    """A student function called under a library block and, when `record`, the call
    recorders: what a no-library check's evidence rests on, the same for a direct call in the
    worker and for a lab's scenario. After the call, `intact` is False when the student's
    code popped a recorder or lifted the block (the caller reports it); the function's own
    exception propagates, and a recorder's exit error after a return (the mode it popped)
    does not."""

    def __init__(self, block: Any, record: bool, plain: bool = True,
                 allow: tuple[Any, ...] = ()) -> None:
        # (made only where they record: a torch mode is a few µs to make, ~500 calls a
        # submission, and a call that does not record never enters them)
        self.calls: Any = CallRecorder() if record else _UNRECORDED
        self.ops: Any = AtenRecorder() if record else _UNRECORDED
        self.block = LibraryBlock(block, allow)
        self.record = record
        self.intact = True
        self.plain_wanted = plain
        self.plain: Any = None  # the value as plain data, made under the block (`plain_copy`)
        self.fired: list[str] = []  # what the block refused, once the student's code is done

    @property
    def names(self) -> list[str]:
        """What ran: the torch functions by name, then the ATen operators (and a library
        function written in Python that the block refused: `_refusing_trace`)."""
        return [*self.calls.names, *self.ops.names, *self.fired]

    def __call__(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if not self.record:  # values only: nothing here is evidence the judge takes on trust
            entry = (_function_stack_len(), _dispatch_stack_len())
            plan = self.block.plan
            with self.block:
                watch = self.block.watch()  # (before the student's code: see `watch`)
                try:
                    result = fn(*args, **kwargs)
                finally:
                    python_dispatcher_off()
                    traced = _tracing(watch)  # (before hooks are silenced below)
                    self.fired = fired(watch)
                if plan:  # ... but a block lifted is a finding all the same (the value of a
                    # call asked in both workers is compared: `lab05_checks.answers_alike`)
                    self.intact = self.block.holds(plan) and traced and self.block.plan is plan
                if self.plain_wanted:  # (the student's modes left by the call, and hooks, gone)
                    silence_hooks()
                    strip_modes(*entry)
                    self.plain = plain_copy(result)
                return result
        value: Any = None
        returned, raised = False, []
        # What the student's code could reach and change during the call, kept here first:
        # the block's plan and the recorders' lists (each must still be the one it was).
        plan, calls, ops = self.block.plan, self.calls, self.ops
        names = (calls.names, ops.names)
        try:
            with self.block, calls, ops:
                watch = self.block.watch()  # (before the student's code: see `watch`)
                try:
                    try:
                        value = fn(*args, **kwargs)
                    finally:
                        python_dispatcher_off()
                        traced = _tracing(watch)  # (before hooks are silenced below)
                        self.fired = fired(watch)
                    if self.plain_wanted:  # (recorded and blocked too; see above)
                        silence_hooks()
                        ours = _mode_positions(calls, ops)
                        if ours is not None:
                            strip_modes(*ours)
                        self.plain = plain_copy(value)
                    returned = True
                except BaseException as exc:
                    raised.append(exc)
                    raise
                finally:  # (returned or raised: a recorder popped is a finding either way)
                    self.intact = (recorders_installed(calls, ops) and self.block.holds(plan)
                                   and traced and self.block.plan is plan
                                   and calls.names is names[0] and ops.names is names[1])
        except BaseException:
            if raised:
                raise raised[0] from None
            if not returned or self.intact:
                raise
        return value


def _base_tensor(value: Any) -> Any:
    """A tensor subclass's value as a plain tensor (the same data and autograd graph:
    `as_subclass` runs none of the subclass's code), anything else as it is: the grader's
    `autograd.grad` on a subclass ran the student's `__torch_function__`, which answered it
    itself (red team 46: a loss of detached tensors passed the gradient checks)."""
    kind = type(value)
    if kind is not torch.Tensor and isinstance(value, torch.Tensor):
        return torch.Tensor.as_subclass(value, torch.Tensor)
    return value


def gradients(value: Any, inputs: list[torch.Tensor], upstream: torch.Tensor | None) -> Any:
    restore_loggers()  # (the student's call is done: the backward below is the grader's)
    value = _base_tensor(value)
    if not isinstance(value, torch.Tensor):
        return {"problem": "not a tensor"}
    if not value.requires_grad:
        return {"problem": "detached"}
    grad_out = upstream if upstream is not None else torch.ones_like(value)
    try:
        grads = torch.autograd.grad(value, inputs, grad_outputs=grad_out.to(value.dtype)
                                    .reshape(value.shape), allow_unused=True)
    except Exception as exc:
        return {"problem": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        silence_hooks()  # (its backward is the student's code: none of it runs in ours)
    return list(grads)


def run_gradcheck(fn: Any, args: list[Any], kwargs: dict[str, Any], grad_args: list[int]) -> Any:
    restore_loggers()
    inputs = tuple(args[i].detach().clone().requires_grad_(True) for i in grad_args)

    def wrapped(*xs: torch.Tensor) -> Any:
        call_args = list(args)
        for i, x in zip(grad_args, xs, strict=False):
            call_args[i] = x
        return _base_tensor(fn(*call_args, **kwargs))

    try:  # fast mode: a random projection of the Jacobian, as PyTorch's own tests use
        return bool(torch.autograd.gradcheck(wrapped, inputs, eps=1e-6, atol=1e-5,
                                             raise_exception=False, fast_mode=True))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    finally:
        silence_hooks()  # (it ran the student's function: none of its hooks runs in ours)


# ---------------------------------------------------------------- instruments for scenarios
class Log:
    """What a scenario's instruments saw, as the scenario reports it; each record is also
    noted, frozen, in a ledger the log does not hold (`note`, `edited`), so that records
    edited in place (an outside red team's: grad flags set back to False inside `evaluate`)
    are found after the call (`Unchanged`)."""

    def __init__(self) -> None:
        self.findings: list[str] = []
        self.events: list[str] = []
        self.loss_calls: list[dict[str, Any]] = []
        self.forward: list[dict[str, Any]] = []
        self.backward_calls: list[dict[str, Any]] = []
        self.inner_grad = False  # a layer inside the model ran with gradients on
        # layers that saw their input on another device than their parameters (the first
        # few): `model.forward(x)` skips the model's own hook, never its layers'
        self.layer_inputs: list[dict[str, Any]] = []
        # the first few layers that ran (their kinds): the model ran, by whatever path —
        # `model.forward(x)` included — where a loss called on zeros never runs one
        self.layer_calls: list[str] = []
        # the model's last few outputs (detached: no graph kept), which the instrumented
        # loss compares with what it is handed (`InstrumentedLoss._transformed`)
        self.outputs: list[torch.Tensor] = []
        # a count a scenario's instrument takes at each loss call (lab 5's: the graphs of
        # earlier batches still alive), kept here to be in the ledger (an outside red team's
        # loop zeroed the list its loss kept: red team 81, +2)
        self.counts: list[int] = []
        # the loss tensors the instrumented loss returned (weak references to the last few:
        # an id can be a freed tensor's, reused by the next): a backward on another tensor
        # backpropagates something else (a loss scaled by the batch size: fresh eyes 64),
        # said in the words of a failure the run shows
        self.returned: list[weakref.ref[Any]] = []
        self.note, self.edited = _ledger(self)

    def event(self, name: str) -> None:
        self.events.append(name)
        self.note("events", name)

    def __copy__(self) -> Log:
        # One log per scenario: a student's copy of the loss (or of the model, whose hooks
        # hold the log) records into it, and its ledger stays whole.
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Log:
        return self


def _ledger(log: Log) -> tuple[Callable[[str, Any], None], Callable[[], bool]]:
    """(note(kind, record): keep a frozen copy; edited(): whether the log's records differ
    from their copies, or a layer's grad flag was set back)."""
    kept: dict[str, list[Any]] = {"forward": [], "loss_calls": [], "events": [],
                                  "layer_inputs": [], "layer_calls": [], "counts": []}
    layers = [False]

    def note(kind: str, record: Any) -> None:
        if kind == "inner_grad":
            layers[0] = True
        else:
            kept[kind].append(tuple(sorted(record.items())) if isinstance(record, dict)
                              else record)

    def edited() -> bool:
        now = {"forward": log.forward, "loss_calls": log.loss_calls, "events": log.events,
               "layer_inputs": log.layer_inputs, "layer_calls": log.layer_calls,
               "counts": log.counts}
        for kind, copies in kept.items():
            records = now[kind]
            if not isinstance(records, list) or len(records) != len(copies):
                return True
            for record, copy in zip(records, copies, strict=True):
                frozen = (tuple(sorted(record.items())) if isinstance(record, dict)
                          else record)
                if frozen != copy:
                    return True
        return layers[0] and log.inner_grad is not True

    return note, edited


def swapped(first: Any, second: Any) -> bool:
    """The loss was called as loss_fn(targets, outputs): integer class labels first, then
    float scores with one more dimension (the classes) over the same batch."""
    if not (isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor)):
        return False
    if first.is_floating_point() or first.is_complex() or first.dtype == torch.bool:
        return False
    return (second.is_floating_point() and second.ndim == first.ndim + 1
            and (first.ndim == 0 or first.shape[0] == second.shape[0]))


# (the tensor's own flag: a subclass's property cannot hide it)
_REQUIRES_GRAD: Callable[[torch.Tensor], bool] = vars(torch._C.TensorBase)["requires_grad"].__get__


def _plain_repr(value: Any) -> str:
    """A value's repr where it is plain (no code of the student's runs), else its kind."""
    if value is None or type(value) in (bool, int, float, str):
        return repr(value)[:40]
    return "a " + _type_name(type(value))


def _same_loss(inner: nn.Module, handed: torch.Tensor, output: torch.Tensor,
               targets: torch.Tensor, _get_limit: Any = sys.getrecursionlimit,
               _set_limit: Any = sys.setrecursionlimit) -> bool | None:
    """Does the loss of what the loop handed over equal that of the model's output (None:
    they cannot be compared — another size, a device without data)? Compared in the layout
    the loop handed over (the output laid out as it), else in the output's: a loop handing
    `(N, C, 1)` scores with `(N, 1)` targets, which the loss takes, was compared only in the
    output's layout, which refused the targets — and a refusal is no verdict (red team 85).
    Run with room on the stack whatever the student's code set (red team 85's loop lowered
    the recursion limit to just above its loss call, so that this comparison alone raised)."""
    if handed.numel() != output.numel() or "meta" in (handed.device.type, output.device.type):
        return None
    limit = _get_limit()
    _set_limit(max(limit, 1000) + 1000)
    try:
        for theirs_in, mine_in in ((handed.detach(), output.reshape(handed.shape)),
                                   (handed.detach().reshape(output.shape), output)):
            try:
                with torch.no_grad():
                    mine = inner(mine_in, targets)
                    theirs = inner(theirs_in.to(output.dtype), targets)
                return bool(torch.allclose(theirs, mine, rtol=1e-5, atol=1e-7))
            except Exception:  # (a shape or dtype the loss refuses: the student's call says)
                continue
        return None
    finally:
        _set_limit(limit)


class InstrumentedLoss(nn.Module):
    """The loss a scenario hands the student's function: what it is called with is logged.

    `reveal`: added to the loss of logits that carry a graph (their forward ran with
    gradients on). The function's own return value then shows the judge, who computes the
    reference with and without it, whether it evaluated with gradients on: behaviour the
    judge reads in a figure it checks itself, where a log kept in the student's process could
    be edited before it is sent."""

    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log = log
        self.inner = nn.CrossEntropyLoss()
        self.reveal = 0.0

    def _transformed(self, logits: Any, targets: Any) -> bool:
        """The loss was handed something that is none of the model's last outputs and whose
        loss differs from theirs: a softmax, a scaled softmax, a sigmoid before the loss (a
        red team of stop 50's `2 * softmax(logits)` matched no replay and no probabilities
        test). A reshape, a dtype change or a log_softmax (whose loss is the logits' own) is
        not. Unknown (False) where no output of the model was seen."""
        outputs = list(self.log.outputs)  # (the last few: every call of a batch is judged)
        if not (isinstance(logits, torch.Tensor) and isinstance(targets, torch.Tensor)
                and outputs):
            return False
        handed = logits.detach()
        for output in reversed(outputs):  # (the common case first: the output itself)
            if handed.shape == output.shape and handed.dtype == output.dtype \
                    and handed.device == output.device and output.device.type != "meta" \
                    and torch.equal(handed, output):
                return False
        verdicts = [_same_loss(self.inner, logits, output, targets)
                    for output in reversed(outputs)]
        return False in verdicts and True not in verdicts

    @without_python_dispatcher
    def forward(self, input: torch.Tensor, target: torch.Tensor, *more: Any,
                **options: Any) -> torch.Tensor:
        # (PyTorch's parameter names: a student may call loss_fn(input=..., target=...))
        if more or options:  # (in the student's words, not this class's: fresh eyes 17)
            given = [*(f"a third argument {_plain_repr(m)}" for m in more[:1]),
                     *(f"{k}={_plain_repr(v)}" for k, v in list(options.items())[:2])]
            raise TypeError(f"call loss_fn(logits, y) with nothing else, not "
                            f"{', '.join(given)}: it is the loss the function is given "
                            "(here an nn.CrossEntropyLoss())")
        logits, targets = input, target
        info: dict[str, Any] = {
            "logits_device": str(getattr(logits, "device", "?")),
            "targets_device": str(getattr(targets, "device", "?")),
            "probs": False,
            # Grad mode seen behaviourally: logits built from the model's parameters carry
            # a graph exactly when the forward ran with gradients on, wherever no_grad was
            # (or was not) applied: in the graded function, a helper, a decorator.
            "requires_grad": bool(getattr(logits, "requires_grad", False)),
            "grad_enabled": bool(_grad_enabled()),
            "swapped": swapped(logits, targets),
            # (a loop that squeezes the logits hands a batch of one sample over as 1-D)
            "logits_ndim": int(logits.ndim) if isinstance(logits, torch.Tensor) else -1,
            # (the samples it was handed: one call over a whole loader's outputs is every batch)
            "rows": (int(targets.shape[0]) if targets.ndim else 1)
            if isinstance(targets, torch.Tensor) else 0,
        }
        if isinstance(logits, torch.Tensor) and logits.device.type != "meta" and logits.ndim == 2:
            detached = logits.detach()
            info["probs"] = bool(
                (detached >= 0).all() and torch.allclose(
                    detached.sum(1), torch.ones(1, dtype=detached.dtype, device=detached.device),
                    atol=1e-4)  # (made beside the logits: a GPU refuses a CPU tensor there)
            )
        info["transformed"] = self._transformed(logits, targets)
        self.log.event("loss")
        self.log.loss_calls.append(info)
        self.log.note("loss_calls", info)
        loss = self.inner(logits, targets)
        if self.reveal and isinstance(logits, torch.Tensor) and _REQUIRES_GRAD(logits):
            loss = loss + self.reveal
        return self.returning(loss)

    def returning(self, loss: Any) -> Any:
        """`loss`, noted as a tensor this loss returned (`Log.returned`)."""
        if isinstance(loss, torch.Tensor):
            self.log.returned[:] = [*self.log.returned[-7:], weakref.ref(loss)]
        return loss


class Unchanged:
    """The attributes of the instruments a scenario hands the student's function (the loss,
    its log, their counters), as they were before the call: `findings()` after it names any
    rebound, so a notebook that zeroes the loss's offset or clears the log's records (an
    outside red team's) voids the scenario as tampering instead of passing its check.
    (Held by the scenario, outside what it hands over; code that reads the harness can still
    put everything back before it returns: see docs/sandbox.md.)"""

    def __init__(self, **objects: Any) -> None:
        # (a module's own machinery is not the instrument's state: an honest `loss_fn.eval()`
        # sets `training`, a hook of the student's own fills a hooks dict)
        self.seen = [(label, obj, {name: value for name, value in vars(obj).items()
                                   if not (isinstance(obj, nn.Module) and name in _MACHINERY)})
                     for label, obj in objects.items()]

    def findings(self, grown: tuple[str, ...] = ()) -> list[str]:
        """What was rebound, and a watched log's records edited (`Log.edited`); `grown`:
        attributes the instruments themselves update (a flag that may turn on, a count that
        may rise), checked only to have not gone back."""
        found = [f"the scenario's {label}'s records were edited" for label, obj, _ in self.seen
                 if isinstance(obj, Log) and obj.edited()]
        for label, obj, before in self.seen:
            now = vars(obj)
            for name, value in before.items():
                current = now.get(name, Log)  # (a sentinel no attribute holds)
                if name in grown:
                    if current is Log or not _not_below(current, value):
                        found.append(f"the scenario's {label}.{name} was set back")
                elif current is not value:
                    found.append(f"the scenario's {label}.{name} was replaced")
        return found


_MACHINERY = frozenset(vars(nn.Module()))


def _not_below(current: Any, before: Any) -> bool:
    return type(current) is type(before) and (current >= before)


_LAYER_RECORDS = 4  # layers' device records kept per scenario: the first show the mistake


def output_layer(model: nn.Module) -> nn.Module:
    """The layer whose output is the model's: its last leaf module (the scenarios' models
    are the grader's, each a stack of layers ending with the one that makes the logits)."""
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    return leaves[-1] if leaves else model


def instrument(model: nn.Module, optimizer: torch.optim.Optimizer, log: Log) -> list[Any]:
    handles: list[Any] = []
    moded = [layer for layer in model.modules() if layer is not model and isinstance(
        layer, (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd))]

    pending = [0]  # the model's own forward passes whose output layer has not run yet

    @without_python_dispatcher
    def pre_forward(module: nn.Module, inputs: tuple[Any, ...]) -> None:
        pending[0] += 1
        forward_record(module, inputs[0] if inputs else None)

    @without_python_dispatcher
    def forward_record(module: nn.Module, x: Any) -> None:
        log.event("forward")
        for finding in _grad_functions_replaced():
            if finding not in log.findings:
                log.findings.append(finding)
        record = {
            "input_device": str(getattr(x, "device", "?")),
            "param_device": str(next(module.parameters()).device),
            "grad_enabled": bool(_grad_enabled()),
            "training": module.training,
            # a layer whose work depends on the mode (BatchNorm, Dropout) in another mode than
            # the model's (a red team of stop 50's BatchNorm layers set to eval by a loop that
            # left the model itself in train mode)
            "mixed": any(layer.training != module.training for layer in moded),
        }
        log.forward.append(record)
        log.note("forward", record)

    handles.append(model.register_forward_pre_hook(pre_forward))

    @without_python_dispatcher
    def post_forward(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        if pending[0] > 0:
            pending[0] -= 1
        else:  # (`model.forward(x)`, or the layers called one by one: a forward pass all
            # the same, recorded as the model's own hook would have — the input's device
            # read from the output layer's)
            forward_record(model, inputs[0] if inputs else None)
        if isinstance(output, torch.Tensor):
            log.outputs.append(output.detach())
            del log.outputs[:-4]

    # (on the layer that makes the model's output: `model.forward(x)` and a loop over the
    # layers skip the model's own hooks, never its layers' — a fourth red team of stop 50)
    handles.append(output_layer(model).register_forward_hook(post_forward))

    @without_python_dispatcher
    def inner_forward(module: nn.Module, inputs: tuple[Any, ...]) -> None:
        if _grad_enabled():
            log.inner_grad = True
            log.note("inner_grad", True)
        x = inputs[0] if inputs else None
        if len(log.layer_calls) < _LAYER_RECORDS:
            log.layer_calls.append(type(module).__name__)
            log.note("layer_calls", log.layer_calls[-1])
        if isinstance(x, torch.Tensor) and len(log.layer_inputs) < _LAYER_RECORDS:
            weight = next(module.parameters(recurse=False))
            if x.device != weight.device:
                record = {"input_device": str(x.device), "param_device": str(weight.device)}
                log.layer_inputs.append(record)
                log.note("layer_inputs", record)

    # Grad mode and devices as each layer saw them too: `model.forward(x)` skips the model's
    # own hooks, not its layers' (an evaluate calling model.forward(x) before moving x to the
    # device showed nothing wrong on the emulated GPU, whose C++ meta kernels do not all
    # refuse a CPU tensor beside a meta one).
    handles += [layer.register_forward_pre_hook(inner_forward) for layer in model.modules()
                if layer is not model and next(layer.children(), None) is None
                and next(layer.parameters(recurse=False), None) is not None]
    first = next(model.parameters())
    handles.append(first.register_post_accumulate_grad_hook(
        without_python_dispatcher(lambda p: log.event("backward"))))
    original_zero, original_step = optimizer.zero_grad, optimizer.step

    @without_python_dispatcher
    def zero_grad(*args: Any, **kwargs: Any) -> Any:
        log.event("zero_grad")
        return original_zero(*args, **kwargs)

    @without_python_dispatcher
    def step(*args: Any, **kwargs: Any) -> Any:
        log.event("step")
        return original_step(*args, **kwargs)

    optimizer.zero_grad = zero_grad  # type: ignore[method-assign]
    optimizer.step = step  # type: ignore[method-assign]
    model_zero = model.zero_grad

    @without_python_dispatcher
    def model_zero_grad(*args: Any, **kwargs: Any) -> Any:
        log.event("zero_grad")
        return model_zero(*args, **kwargs)

    model.zero_grad = model_zero_grad  # type: ignore[method-assign]
    return handles


MAX_GRAPH_NODES = 10_000


def reaches(tensor: Any, targets: set[int]) -> bool:
    """Whether `tensor`'s autograd graph leads to a leaf whose id is in `targets` (the
    model's parameters). A graph too large to walk counts as reaching them (no claim)."""
    stack = [getattr(tensor, "grad_fn", None)]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        if len(seen) >= MAX_GRAPH_NODES:
            return True
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None and id(variable) in targets:
            return True
        stack.extend(child for child, _ in getattr(node, "next_functions", ()))
    return False


class Switches:
    """What the wrappers `install` puts into torch do in the scenario running now.

    Why switches and not patches: setting an attribute of `torch.Tensor` or `nn.Module` for
    a scenario (and putting it back after) invalidates Python's attribute cache of that
    class and of every subclass (all of torch's modules), and gives the class's dict a new
    version, so the integrity check after the scenario read every binding of `torch.Tensor`,
    `nn.Module`, `torch.autograd` and `torch.cuda` again: ~0.5 ms and dozens of page copies
    a scenario in a fresh worker. The wrappers are installed once, in the zygote before its
    integrity snapshot (so they are part of what "untouched" means, and replacing one is
    tampering like replacing torch's own); a scenario only sets these plain attributes, and
    each context below puts back what it found. Off, a wrapper calls torch's own function
    with the same arguments.
    """

    __slots__ = ("backward", "changed", "cuda_as_cpu", "fake_cuda", "meta_copies")

    def __init__(self) -> None:
        self.cuda_as_cpu = False        # a hard-coded "cuda" runs on the CPU (`CudaAsCpu`)
        self.meta_copies = False        # a meta tensor copied out holds zeros (`MetaCopies`)
        self.fake_cuda: bool | None = None  # what `torch.cuda.is_available()` says (`FakeCuda`)
        self.backward: tuple[set[int], Log] | None = None  # `BackwardRecorder`'s parameters, log
        self.changed = False  # a switch found, as its context ended, not as the context set it


def switches_changed() -> bool:
    """Whether the student's code set a switch (outside every context, each is off: this is
    asked after the student's code, once every context has ended), or changed one while a
    context held it; every switch is put back off. An outside red team's: `fake_cuda` and
    `cuda_as_cpu` set in a cell made a hard-coded "cuda" pass the device checks."""
    s = SWITCHES
    changed = (s.changed or s.cuda_as_cpu is not False or s.meta_copies is not False
               or s.fake_cuda is not None or s.backward is not None)
    if changed:
        s.cuda_as_cpu = s.meta_copies = s.changed = False
        s.fake_cuda = s.backward = None
    return changed


SWITCHES = Switches()
_INSTALLED: list[bool] = []
# What reads a tensor's data on the host: on the emulated device, a meta tensor answers as a
# CPU tensor of zeros of its shape and dtype would (`MetaCopies`).
META_READ_NAMES = ("item", "__float__", "__int__", "__index__", "__bool__", "tolist")


def _as_cpu(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("cuda"):
        return "cpu"
    if isinstance(value, torch.device) and value.type == "cuda":
        return torch.device("cpu")
    return value


def _on_cpu(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...],
                                                                      dict[str, Any]]:
    """A `.to(...)`'s arguments with every "cuda" device made the CPU."""
    if "device" in kwargs:
        kwargs["device"] = _as_cpu(kwargs["device"])
    return tuple(_as_cpu(a) for a in args), kwargs


def _asks_for_cpu(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a `.to(...)` moves a tensor to the CPU (a device, a device's name or a tensor
    on it, as `Tensor.to` takes them)."""
    target = kwargs["device"] if "device" in kwargs else (args[0] if args else None)
    if isinstance(target, torch.Tensor):
        return target.device.type == "cpu"
    if isinstance(target, torch.device):
        return target.type == "cpu"
    return isinstance(target, str) and target.split(":", 1)[0] == "cpu"


def _host_zeros(t: torch.Tensor) -> torch.Tensor:
    """What copying a meta tensor to the host gives on the emulated device: zeros of its
    shape and dtype (a meta tensor has no data; where tensors go is what is observed)."""
    return torch.zeros(t.shape, dtype=t.dtype)


def install() -> None:
    """Put the switchable wrappers into torch, once per process: by the zygote before its
    integrity snapshot (`worker.prepare`), anywhere else (the benchmark's floor, tests) on
    first use."""
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    s = SWITCHES
    backward = torch.autograd.backward

    def recorded_backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
        state = s.backward
        if state is not None and len(state[1].backward_calls) < MAX_NAMES:
            items = tensors if isinstance(tensors, (list, tuple)) else [tensors]
            state[1].backward_calls.append({
                "graph": any(reaches(t, state[0]) for t in items),
                # (the loss's own output, or another tensor: the words only)
                "loss_output": any(ref() is t for ref in state[1].returned for t in items)})
        return backward(tensors, *args, **kwargs)

    is_available = torch.cuda.is_available

    def cuda_is_available() -> bool:
        fake = s.fake_cuda
        return is_available() if fake is None else fake

    tensor_to, module_to = torch.Tensor.to, nn.Module.to
    tensor_cuda, module_cuda = torch.Tensor.cuda, nn.Module.cuda

    tensor_cpu, device_count = torch.Tensor.cpu, torch.cuda.device_count

    def cuda_device_count() -> int:
        fake = s.fake_cuda
        return device_count() if fake is None else int(fake)

    def to_tensor(t: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if s.cuda_as_cpu:
            args, kwargs = _on_cpu(args, kwargs)
        elif s.meta_copies and t.device.type == "meta" and _asks_for_cpu(args, kwargs):
            t = _host_zeros(t)
        return tensor_to(t, *args, **kwargs)

    def cpu_tensor(t: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if s.meta_copies and t.device.type == "meta":
            return _host_zeros(t)
        return tensor_cpu(t, *args, **kwargs)

    def to_module(m: nn.Module, *args: Any, **kwargs: Any) -> Any:
        if s.cuda_as_cpu:
            args, kwargs = _on_cpu(args, kwargs)
        return module_to(m, *args, **kwargs)

    def cuda_tensor(t: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        return t if s.cuda_as_cpu else tensor_cuda(t, *args, **kwargs)

    def cuda_module(m: nn.Module, *args: Any, **kwargs: Any) -> Any:
        return m if s.cuda_as_cpu else module_cuda(m, *args, **kwargs)

    for owner, name, wrapper in (
            (torch.autograd, "backward", recorded_backward),
            (torch.cuda, "is_available", cuda_is_available),
            (torch.cuda, "device_count", cuda_device_count),
            (torch.Tensor, "to", to_tensor), (torch.Tensor, "cuda", cuda_tensor),
            (torch.Tensor, "cpu", cpu_tensor),
            (nn.Module, "to", to_module), (nn.Module, "cuda", cuda_module),
            *cuda_runtime.wrappers(lambda: s.fake_cuda is True)):
        setattr(owner, name, wrapper)
    for name in META_READ_NAMES:
        original = getattr(torch.Tensor, name)

        def meta_read(t: torch.Tensor, *args: Any, _orig: Any = original) -> Any:
            if s.meta_copies and t.device.type == "meta":
                t = _host_zeros(t)
            return _orig(t, *args)

        meta_read.__name__ = meta_read.__qualname__ = name
        setattr(torch.Tensor, name, meta_read)


class _Switch:
    """Sets one switch for the duration of a `with`, and puts back what it found."""

    name = ""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __enter__(self) -> None:
        install()
        self.saved = getattr(SWITCHES, self.name)
        setattr(SWITCHES, self.name, self.value)

    def __exit__(self, *exc: Any) -> None:
        if getattr(SWITCHES, self.name) is not self.value:
            SWITCHES.changed = True
        setattr(SWITCHES, self.name, self.saved)


class BackwardRecorder(_Switch):
    """Records every `torch.autograd.backward` (so every `Tensor.backward`) while the
    student's code runs: whether the tensor's graph reaches the model's parameters. A
    backward on `loss.detach().requires_grad_()` or on a new tensor does not. (A notebook
    that replaces `torch.autograd.backward` is left to the integrity check to report.)"""

    name = "backward"

    def __init__(self, model: nn.Module, log: Log) -> None:
        super().__init__(({id(p) for p in model.parameters()}, log))


def prefer_native_meta_kernels() -> int:
    """On the emulated device, run PyTorch's C++ meta kernels where they exist.

    At import, torch registers a Python meta function over every operator it has a Python
    decomposition for (`torch._meta_registrations.activate_meta`), the C++ structured meta
    kernels included: a linear layer's training step on `meta` then costs ~3.4 ms of Python
    instead of ~0.1 ms. The C++ kernels are the shape and dtype logic of the real CPU and
    CUDA kernels; they do not all refuse a CPU tensor beside a meta one (the Python ones
    raised at the first such operation), which no verdict depends on: a device check judges
    where its hooks saw the inputs, labels and parameters go. This takes torch's Python meta
    registrations back and registers again the Python function of every operator left with
    no meta kernel of its own (nothing that worked stops working).
    Called by the zygote before its first fork (and by the benchmark's floor); returns how
    many operators now use their C++ kernel.
    """
    from torch import _meta_registrations as registrations
    from torch._decomp import global_decomposition_table
    from torch._ops import OpOverload

    library = registrations._meta_lib_dont_use_me_use_register_meta
    if getattr(library, "m", None) is None or not hasattr(library, "_op_impls"):
        return 0  # (another torch: left as it is)
    chosen: dict[Any, Any] = {}  # as activate_meta chose: meta, then post-, then pre-autograd
    for kind in ("meta", "post_autograd", "pre_autograd"):
        for op, fn in global_decomposition_table[kind].items():
            chosen.setdefault(op, fn)
    registered = {op: fn for op, fn in chosen.items() if isinstance(op, OpOverload)
                  and f"aten/{op.name().split('::')[-1]}/Meta" in library._op_impls}
    library._destroy()
    kept = torch.library.Library("aten", "IMPL", "Meta")
    native = 0
    for op, fn in registered.items():
        if torch._C._dispatch_has_kernel_for_dispatch_key(op.name(), "Meta"):
            native += 1
        else:
            kept.impl(op, fn)
    registrations._meta_lib_dont_use_me_use_register_meta = kept
    return native


class MetaCopies(_Switch):
    """On the emulated device, a meta tensor read on the host (`.item()`, `float()`,
    `.tolist()`, `.cpu()`, `.to("cpu")` …) answers as a CPU tensor of zeros of its shape and
    dtype would.

    Meta tensors carry shapes and devices but no data, so `loss.item()`, `int(correct)` or
    `preds.cpu().numpy()` would fail although the student's code is right on a real GPU (a
    copy to the host is where the CUDA tensor's values are read). What does fail on a real
    GPU still fails: `.numpy()` of the device tensor itself.
    """

    name = "meta_copies"

    def __init__(self) -> None:
        super().__init__(True)


class FakeCuda(_Switch):
    """What `torch.cuda.is_available()` answers, and `torch.cuda.device_count()` with it (1 or
    0; None: the truth); while it says True on a CPU build, `torch.version.cuda` names a CUDA
    version too, as on a CUDA build (a test of it beside `is_available()` is no mistake)."""

    name = "fake_cuda"

    def __enter__(self) -> None:
        super().__enter__()
        self.version = torch.version.cuda
        if self.value is True and self.version is None:
            torch.version.cuda = EMULATED_CUDA_VERSION  # type: ignore[misc]

    def __exit__(self, *exc: Any) -> None:
        torch.version.cuda = self.version  # type: ignore[misc]
        super().__exit__(*exc)


EMULATED_CUDA_VERSION = "12.1"


class CudaAsCpu(_Switch):
    """Outside the device checks, a hard-coded "cuda" runs on the CPU.

    So that hard-coding the device costs the device check only, instead of
    crashing every training check on a machine without a GPU.
    """

    name = "cuda_as_cpu"

    def __init__(self) -> None:
        super().__init__(True)


def hooks_findings(model: nn.Module, handles: list[Any]) -> list[str]:
    """Every hook `instrument` put on the scenario's model, its layers and its first
    parameter must have survived (an outside red team's: the layers' hooks, which see grad
    mode where the model's own does not, were cleared inside `evaluate`)."""
    for handle in handles:
        hooks = handle.hooks_dict_ref()
        if hooks is None or handle.id not in hooks:
            return ["the grader's hooks on the scenario's model were removed"]
    return []


_RAISE = bytes([opcode.opmap["RAISE_VARARGS"]])


# Modules that start processes: their refusal in a worker (seccomp) is said in a student's
# words, not as a bare "Operation not permitted".
_SPAWNERS = ("/subprocess.py", "/multiprocessing/", "/torch/utils/data/", "/concurrent/futures/")
NO_PROCESS_HINT = ("a new process cannot be started here: the grader runs your notebook in "
                   "one process (use DataLoader(..., num_workers=0), no subprocess or "
                   "multiprocessing)")
# A thread refused (seccomp: no `clone` at all), as `_thread` reports it
_NO_THREAD = "can't start new thread"
NO_THREAD_HINT = ("a thread cannot be started here: the grader runs your notebook on one "
                  "thread (no threading, concurrent.futures or background workers)")


def _library_file(filename: str) -> bool:
    """A frame of a library's (a module file, or one frozen into the interpreter), as opposed
    to code the student compiled (a cell's, or `exec`'s "<string>")."""
    return filename.startswith(("/", "<frozen "))


def error_info(exc: BaseException, limit: int = 300) -> dict[str, Any]:
    """The student's exception, as a short excerpt pointing at their own cell (a call's, a
    cell's or a scenario's: one report, which the judge cleans with `student_error_info`)."""
    where = ""
    own = False  # raised by a `raise` statement of the student's own code (a stub's)
    # The frames themselves, not `traceback.extract_tb`: that reads every frame's source line
    # (the worker's own files are not in its root: a failed open per frame) and computes
    # column positions, for a few dozen expected errors a submission.
    tb = exc.__traceback__
    spawning = False  # through the library's ways to start a process (refused in a worker)
    function = ""  # the student's function whose line raised (a helper of the one called)
    while tb is not None:
        code = tb.tb_frame.f_code
        spawning = spawning or any(part in code.co_filename for part in _SPAWNERS)
        own = code.co_filename.startswith("<cell")
        if own:
            where = f"{code.co_filename.strip('<>')}, line {tb.tb_lineno}"
            function = code.co_name
        if own or not _library_file(code.co_filename):
            # A C function (torch's `.cpu()`) raising adds no frame: the cell's instruction
            # there is the call, not a `raise`. Code that is no library's file (`exec` of a
            # string: "<string>") is the student's as a cell is (red team 61's raise there
            # passed for a library's message).
            own = code.co_code[tb.tb_lasti:tb.tb_lasti + 1] == _RAISE
        tb = tb.tb_next
    # A cell that does not compile has no frame of its own: the error names the line.
    if isinstance(exc, SyntaxError) and str(exc.filename or "").startswith("<cell") \
            and exc.lineno:
        where = f"{str(exc.filename).strip('<>')}, line {exc.lineno}"
    message = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    if spawning and isinstance(exc, PermissionError):
        message = NO_PROCESS_HINT
    elif isinstance(exc, RuntimeError) and message == _NO_THREAD:
        message = NO_THREAD_HINT
    # The built-in classes it is an instance of: a `class ShapeError(ValueError)` is a
    # ValueError to any `except ValueError:`, and so to the checks.
    kinds = [c.__name__ for c in type(exc).__mro__
             if c.__module__ == "builtins" and issubclass(c, BaseException)][:8]
    return {"type": type(exc).__name__, "message": message[:limit], "where": where, "own": own,
            "kinds": kinds, "function": function}


def setup(params: dict[str, Any]) -> tuple[nn.Module, torch.device, Log]:
    model = probes.build(params["arch"])
    model.load_state_dict(params["state"])
    device = torch.device(params.get("device", "cpu"))
    model.to(device)
    model.train(bool(params.get("start_train", True)))
    return model, device, Log()


class Reshuffled(Sampler[int]):
    """A shuffling loader's order that the judge knows: its k-th pass is
    `probes.shuffled_order(n, seed, k)`, another each pass, as a loader with `shuffle=True`
    goes. A loop that takes a batch's inputs and its labels from two passes (mistakes review
    25) pairs them wrongly here, as on a training loader, where an unshuffled one hid it."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed, self.passes = n, seed, 0

    def __len__(self) -> int:
        return self.n

    @without_python_dispatcher
    def __iter__(self) -> Iterator[int]:
        order = probes.shuffled_order(self.n, self.seed, self.passes)
        self.passes += 1
        return iter(order.tolist())


class Columns(list):  # type: ignore[type-arg]
    """A batch's columns, already put together (`Rows.__getitems__`), for the grader's
    `collate`; to any other code — torch's `default_collate`, a notebook's own `collate_fn` —
    the list of its samples, as a dataset's `__getitems__` returns (fresh eyes 59: a notebook's
    `DataLoader(loader.dataset)` over the grader's dataset raised, every batch read as two
    samples of unequal size)."""

    __slots__ = ("columns",)

    def __init__(self, columns: tuple[torch.Tensor, ...]) -> None:
        super().__init__()
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def __getitem__(self, index: Any) -> Any:  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return tuple(column[index] for column in self.columns)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        return (self[i] for i in range(len(self)))


class Rows(TensorDataset):
    """The grader's loaders' dataset: a `TensorDataset` (its `tensors`, its length, one
    sample at a time as torch's) whose batches are fetched with one `index_select` a column
    (`__getitems__`, which the loader's fetcher asks for first) instead of a sample at a time
    and a stack: the same values, dtypes and shapes as `default_collate` makes of the samples
    (a batch of 64 rows: two tensor operations, not 130 plus a generator's per row)."""

    @without_python_dispatcher
    def __getitems__(self, indices: list[int], _index: Any = torch.as_tensor,
                     _select: Any = torch.Tensor.index_select, _int64: Any = torch.int64,
                     _columns: Any = Columns, _tuple: Any = tuple) -> Columns:
        index = _index(indices, dtype=_int64)
        return _columns(_tuple(_select(column, 0, index) for column in self.tensors))


@without_python_dispatcher
def collate(batch: Any, _stack: Any = torch.stack, _zip: Any = zip, _type: Any = type,
            _list: Any = list, _columns: Any = Columns,
            _held: Any = Columns.columns.__get__) -> list[torch.Tensor]:  # type: ignore[misc, attr-defined]
    """A batch of a `TensorDataset`'s samples put together as `default_collate` does (a list
    of the stacked columns), by the grader's own code: `default_collate` looks each
    element's handler up in a table any cell can change (`default_collate_fn_map`: outside
    red team 72's handler for tensors did, at every batch, the steps the graded loop left
    out). The grader's loaders consult no table of the notebook's reach. A batch `Rows`
    fetched as columns is that list already."""
    if _type(batch) is _columns:
        return _list(_held(batch))
    return [_stack(column, 0) for column in _zip(*batch)]


def loader(x: torch.Tensor, y: torch.Tensor, batch_size: int,
           shuffle_seed: Any = None) -> DataLoader:
    """The scenario's loader: in order, or shuffled as `Reshuffled` (an int seed); its
    batches put together by `collate`."""
    if type(shuffle_seed) is int:
        return DataLoader(Rows(x, y), batch_size=batch_size,
                          sampler=Reshuffled(len(x), shuffle_seed), collate_fn=collate)
    return DataLoader(Rows(x, y), batch_size=batch_size, shuffle=False, collate_fn=collate)


def _named_modules(module: nn.Module, prefix: str = "",
                   seen: set[int] | None = None) -> Iterator[tuple[str, nn.Module]]:
    """`named_modules` as torch walks it, through the modules' own dicts (no method of the
    module's is called: an instance's own `named_modules` is the notebook's to set)."""
    seen = set() if seen is None else seen
    if id(module) in seen:
        return
    seen.add(id(module))
    yield prefix, module
    for name, child in list(dict.items(vars(module)["_modules"])):
        if child is not None:
            yield from _named_modules(child, prefix + "." + name if prefix else name, seen)


def grads_present(model: nn.Module, _modules: Any = _named_modules,
                  _plain: Any = torch._C.DisableTorchFunctionSubclass) -> bool:
    """Whether a parameter of the model holds a gradient, read as `state_of` reads the
    state (through the modules' own dicts: an instance's `parameters` is the notebook's)."""
    with _plain():
        return any(value is not None and value.grad is not None for _, module in _modules(model)
                   for value in list(dict.values(vars(module)["_parameters"])))


def state_of(model: nn.Module, _modules: Any = _named_modules,
             _plain: Any = torch._C.DisableTorchFunctionSubclass) -> dict[str, torch.Tensor] | None:
    """The model's parameters and persistent buffers under their `state_dict` names, in its
    order, read running none of the notebook's code: `state_dict()` runs every state-dict
    hook on the model, and one an `evaluate` registered rewrote the scenario's records and
    its returned figures after they were checked (outside red team 86, +2)."""
    state: dict[str, torch.Tensor] = {}
    with _plain():
        for prefix, module in _modules(model):
            lead = prefix + "." if prefix else ""
            held = vars(module)
            for name, value in dict.items(held["_parameters"]):
                if value is not None:
                    if value.device.type == "meta":
                        return None
                    state[lead + name] = value.detach().cpu().clone()
            for name, value in dict.items(held["_buffers"]):
                if value is not None and name not in held["_non_persistent_buffers_set"]:
                    state[lead + name] = value.detach().cpu().clone()
    return state


def device_context(params: dict[str, Any]) -> ExitStack:
    stack = ExitStack()
    stack.enter_context(FakeCuda(params.get("fake_cuda")))
    if params.get("device") == "meta":
        stack.enter_context(MetaCopies())
    elif params.get("device", "cpu") == "cpu" and params.get("cuda_as_cpu", True):
        # Off only on a real GPU's "device says cpu" probe: there a hard-coded "cuda" must
        # really reach the GPU, so the run shows it.
        stack.enter_context(CudaAsCpu())
    return stack


# ---------------------------------------------------------------- the lab's scenarios
Scenario = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]

_registered: dict[str, tuple[str, Scenario]] = {}
_sealed: list[bool] = []
# Read-only views, rebound when a lab registers a scenario and bound for good by `seal`
# (the zygote's, before the first fork): the worker's integrity snapshot holds them.
SCENARIOS: Mapping[str, Scenario] = MappingProxyType({})
FUNCTIONS: Mapping[str, str] = MappingProxyType({})
# What a worker runs a scenario from: (name, the student function it needs, run), a tuple of
# tuples. Not the views above: a view's dict is anyone's to edit in place (outside red team
# 79 found it with `gc.get_referents` and wrapped every scenario, rewriting each outcome
# before the worker froze it: +4, unflagged); a tuple bound in this module is in the
# integrity snapshot and cannot be edited.
_TABLE: tuple[tuple[str, str, Scenario], ...] = ()
LAB_MODULES: tuple[ModuleType, ...] = ()


def scenario(name: str, function: str | None = None) -> Callable[[Scenario], Scenario]:
    """Register a worker-side scenario of a lab: `run(namespace, params) -> outcome`.

    `function` is the student function it needs (default: `name`); a notebook without it
    gets `{"missing": function}` instead of a run."""

    def register(run: Scenario) -> Scenario:
        global SCENARIOS, FUNCTIONS, _TABLE
        if _sealed:
            raise RuntimeError("scenarios are registered before the first fork only")
        _registered[name] = (function or name, run)
        SCENARIOS = MappingProxyType({k: v[1] for k, v in _registered.items()})
        FUNCTIONS = MappingProxyType({k: v[0] for k, v in _registered.items()})
        _TABLE = tuple((k, v[0], v[1]) for k, v in _registered.items())
        return run

    return register


def load_lab_modules(paths: Iterable[str | Path]) -> tuple[ModuleType, ...]:
    """Import a lab's worker-side modules (by path: a worker's root has no lab folder), which
    register their scenarios; the same path twice is imported once."""
    global LAB_MODULES, _LAB_FILES
    loaded = {getattr(m, "__file__", ""): m for m in LAB_MODULES}
    for raw in paths:
        path = str(Path(raw).resolve())
        if path in loaded:
            continue
        name = f"lab_worker_{len(loaded)}_{Path(path).stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import the lab's worker module {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        loaded[path] = module
    LAB_MODULES = tuple(loaded.values())
    _LAB_FILES = tuple(sorted({form for path in loaded
                               for form in (os.path.abspath(path), os.path.realpath(path))}))
    return LAB_MODULES


def seal() -> None:
    """No scenario may be registered any more (called by the zygote before forking); the
    library code loaded by now is read once, for every worker (`library_signatures`)."""
    global _SIGNATURES, _ZYGOTE_MODULES, _IMPLEMENTATIONS, _CLEAR_FILES
    _sealed.append(True)
    _withhold_graph_loaders()  # (before any snapshot: `withhold_kernel_handles`)
    _SIGNATURES = library_signatures()
    _ZYGOTE_MODULES = frozenset(sys.modules)
    # (as `_signatures_now` leaves it for the modules loaded now: a worker that imports none
    # never reads their ~2,400 names, which copied their pages of the zygote's memory)
    _LATER.update(modules=frozenset(), signatures=frozenset(), count=len(sys.modules))
    _IMPLEMENTATIONS = _torch_implementations()
    _CLEAR_FILES = clear_files()


def clear_files() -> frozenset[str]:
    """The files of the modules loaded now that lie in no folder a block may refuse (every
    library's, the lab's own): a block's trace function skips its search of the folders for
    code from one of them (~1.3 µs a Python call, ~50 calls of the grader's own recorders and
    torch's dispatch in a recorded call of a small loss). Its search of the signatures stays:
    a copy of library code may carry any file name."""
    folders = tuple(folder for _, found in _PACKAGES for folder in found) + _LAB_FILES
    files = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
    return frozenset(f for f in files if type(f) is str and not f.startswith(folders))


def scenario_entry(name: str) -> tuple[str, Scenario] | None:
    """The registered scenario `name`: (the student function it needs, its run), from the
    immutable table (`_TABLE`); None where the lab registers none."""
    for registered, function, run in _TABLE:
        if registered == name:
            return function, run
    return None


def run_scenario(name: str, ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    entry = scenario_entry(name)
    if entry is None:
        raise LookupError(f"the lab registers no worker scenario {name!r}")
    function, run = entry
    if not callable(ns.get(function)):
        return {"missing": function}
    return run(ns, params)


# ---------------------------------------------------------------- the path a scenario runs
def training_path() -> tuple[tuple[ModuleType, ...], tuple[type, ...]]:
    """The torch modules and the classes whose Python code a training epoch and an
    evaluation run (every architecture of `probes`, a loader of `loader`, SGD, the
    cross-entropy loss, gradients on and off), found by running them once under a profile
    function — for the integrity snapshot to watch (`integrity.take`), whatever a lab's
    scenarios do with them. Why derived, not listed: outside red team 73 found a class on that
    path no list named (`Dataset`, the base of `TensorDataset`: a `__getitems__` a cell gave
    it ran at every batch, +12), and torch's profiler's `record_function`, entered by every
    loader step and every optimizer step (+8). Computed once (the zygote, before its
    snapshot); torch's random state is put back."""
    if _TRAINING_PATH:
        return _TRAINING_PATH[0]
    modules: dict[str, ModuleType] = {}
    classes: dict[int, type] = {}
    loggers: dict[int, logging.Logger] = {}

    def seen(frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        name = frame.f_globals.get("__name__")
        module = sys.modules.get(name) if isinstance(name, str) and not integrity.in_packages(
            name, _NOT_ON_THE_PATH) else None
        if module is None:
            return
        # every module whose code runs, torch's and the standard library's it calls (red team
        # 83: `typing._SpecialForm.__getitem__`, run by every loader and optimizer step,
        # was on no list: +8)
        modules.setdefault(name, module)
        held = frame.f_locals.get("self") if name == "logging" else None
        if isinstance(held, logging.Logger):  # (a logger torch consults: `restore_loggers`)
            loggers.setdefault(id(held), held)
        owner: Any = module
        for part in frame.f_code.co_qualname.split(".")[:-1]:
            owner = vars(owner).get(part) if isinstance(owner, (ModuleType, type)) else None
            if owner is None:
                return
        if isinstance(owner, type):
            classes.setdefault(id(owner), owner)

    state = torch.random.get_rng_state()
    try:
        _run_training_path()  # (once unwatched: what torch imports on a first use is not a path)
        _SET_PROFILE(seen)
        try:
            _run_training_path()
        finally:
            _SET_PROFILE(None)
    finally:
        torch.random.set_rng_state(state)
    # (a class whose method is reached through a wrapper — typing's `_tp_cache` — is seen as
    # the wrapper's: every class of a module of the standard library on the path is watched)
    found = [*classes.values(), *(value for name, module in modules.items()
                                  if not integrity.in_packages(name, ("torch",))
                                  for value in list(vars(module).values())
                                  if isinstance(value, type) and value.__module__ == name)]
    bases = {id(c): c for cls in found for c in cls.__mro__
             if c is not object and not integrity.in_packages(getattr(c, "__module__", None),
                                                              _NOT_ON_THE_PATH)}
    _TRAINING_PATH.append((tuple(modules.values()), tuple(bases.values())))
    _keep_loggers(loggers.values())
    return _TRAINING_PATH[0]


_TRAINING_PATH: list[tuple[tuple[ModuleType, ...], tuple[type, ...]]] = []
# What is not torch's or its callees' on a training run: this harness (watched whole), the
# interpreter's own and what rebinds itself (`integrity._NOT_READ`)
_NOT_ON_THE_PATH = ("autograder", "worker", *sorted(integrity._NOT_READ))


def _run_training_path() -> None:
    """An epoch and an evaluation as a notebook writes them, for `training_path`."""
    x = torch.randn(10, probes.IN_FEATURES)
    y = torch.arange(10) % probes.NUM_CLASSES
    for arch in probes.ARCHS:
        model = probes.build(arch)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = nn.CrossEntropyLoss()
        for shuffle in (None, 1):
            model.train()
            for xb, yb in loader(x, y, 4, shuffle):
                xb, yb = xb.to("cpu"), yb.to(torch.device("cpu"))
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                float(loss.item())
            model.eval()
            with torch.no_grad():
                for xb, yb in loader(x, y, 4, shuffle):
                    logits = model(xb)
                    float(torch.nn.functional.cross_entropy(logits, yb).item())
                    int((logits.argmax(dim=1) == yb).sum())
            with torch.inference_mode():
                model(x)
            model.zero_grad()
