"""A snapshot of the worker-side grader and the torch it relies on, restored before every call.

Why: student code runs in the worker's own process, so it can replace anything the
worker-side harness uses to observe it (a scenario runner, the call recorder,
`torch.is_grad_enabled`, a builtin). Whatever the harness reports is only evidence
if it was produced by code the notebook could not replace. So the worker takes a
snapshot before the first cell runs — the objects bound in our modules and classes
and in the torch namespaces the harness uses, and the code of every Python function
among them — and, at the dispatch level, before and after every call of student
code, compares the live objects with it, puts the originals back, and reports what
it found. The judge turns a finding into a visible tamper flag and scores the checks
whose evidence it touched at 0 (see `autograder.check.tamper`).

The comparison itself must not depend on anything the notebook can reach by name:
`verify` looks up no global or builtin name (every tool it needs is handed in by the
caller, which captured them before any cell ran), and the worker's serve loop checks
`verify`'s own code inline before calling it.
"""

from __future__ import annotations

import builtins
import copyreg
import gc
import operator
import sys
import types
import warnings
from collections.abc import Iterable
from typing import Any, NamedTuple

# What a finding invalidates: evidence recorded around a direct call of a student
# function (the library calls it made), or the outcome of a Part D scenario.
CALLS = "calls"
SCENARIOS = "scenarios"
BOTH = (CALLS, SCENARIOS)

MAX_FINDINGS = 20


class Owner(NamedTuple):
    """One module or class: the bindings to compare, in two parallel tuples."""

    owner: Any
    kind: Any               # type(owner)
    label: str
    scopes: tuple[str, ...]
    names: tuple[str, ...]
    values: tuple[Any, ...]
    closed: frozenset[str] | None   # every name it had, when it must not gain any
    getter: Any             # operator.itemgetter(*names, "__name__"...): one C call reads all
    store: Any              # the dict holding its bindings (a class's own, not a proxy)
    version: int | None     # that dict's version then (PEP 509), None where unreadable


class Codes(NamedTuple):
    """Python functions among the bindings, with what made them behave as they did."""

    functions: tuple[types.FunctionType, ...]
    codes: tuple[types.CodeType, ...]
    defaults: tuple[Any, ...]
    kwdefaults: tuple[Any, ...]
    labels: tuple[str, ...]
    scopes: tuple[tuple[str, ...], ...]
    # ... and the cells of their closures, with what each held: a wrapper calls the function
    # its cell holds (torch's `SGD.step` is `_use_grad_for_differentiable`'s `_use_grad`, the
    # real step in a cell), and a cell is written without a trace (`cell_contents`, no audit
    # event): outside red team 74 put a step that zeroed the gradients in that cell (+2).
    # Every function a cell holds is watched in turn, its code and its own cells.
    cells: tuple[Any, ...] = ()
    contents: tuple[Any, ...] = ()
    cell_labels: tuple[str, ...] = ()
    cell_scopes: tuple[tuple[str, ...], ...] = ()


class Tools(NamedTuple):
    """Builtins `verify` needs, captured before any student code ran."""

    type: Any
    setattr: Any
    delattr: Any
    len: Any
    tuple: Any
    sorted: Any
    all: Any
    map: Any
    is_: Any
    range: Any
    zip: Any
    code_of: Any
    defaults_of: Any
    kwdefaults_of: Any
    contents_of: Any


class Unchanged(NamedTuple):
    """`verify`'s first look: every word the comparison reads (each owner's type, each
    namespace dict's version, each function's code, defaults and keyword defaults), read
    straight from the objects' memory in one C call, against the same words at the snapshot.

    Why: reading them through Python writes each object's reference count, and in a fresh
    fork of the zygote every such write copies a page: the first verify of a worker copied
    ~1,000 pages (~3 ms) for the ~900 functions and ~100 namespaces alone, and each later one
    took ~0.1 ms. This reads the same words (~10 µs) and writes nothing they live in. Equal
    words are exactly what the comparison would find equal; where words differ, the
    comparison runs for the owners and functions they belong to, finding and putting back
    what changed. (Torch itself writes one namespace on every dispatch mode a recorded call
    enters, `torch.utils._python_dispatch`'s flags: that namespace alone is read again.)

    Every part is a C-level object of numpy's, whose type a notebook cannot change: `verify`
    calls them as they were captured here."""

    take: Any       # `take` of a read-only uint64 view of the memory the words lie in, bound
    where: Any      # the words' indexes in that view (a read-only array)
    as_bytes: Any   # `numpy.ndarray.tobytes`
    expected: bytes  # the words at the snapshot
    differ: Any     # `__ne__` of the snapshot's words (a read-only array), bound
    nonzero: Any    # `numpy.ndarray.nonzero`
    as_list: Any    # `numpy.ndarray.tolist`


class Kernels(NamedTuple):
    """What the dispatcher runs for the operators the worker's own evidence is computed with
    (`KERNEL_OPS`), as `torch._C._dispatch_dump` (captured here) printed it at the snapshot:
    a kernel a notebook registers over one (`torch.library`: an outside red team replaced
    `aten::equal`, and the in-place edit check compared nothing) shows there, under the
    operator, whatever the dispatch key. It cannot be put back (the registration lives as
    long as the notebook's handle): it is a finding on every evidence. Read where the whole
    snapshot is verified (`subset` leaves it out)."""

    names: tuple[str, ...]
    dumps: tuple[str, ...]
    dump: Any
    scopes: tuple[str, ...]
    pairs: Any  # `zip`, captured here (`verify` looks up no name)


# The operators the worker runs on the student's results and arguments after their code
# (copies, views, comparisons, `.item()`): their kernels must stay torch's.
KERNEL_OPS = ("aten::equal", "aten::clone", "aten::detach", "aten::_to_copy", "aten::copy_",
              "aten::view", "aten::_reshape_alias", "aten::_unsafe_view", "aten::reshape",
              "aten::contiguous", "aten::alias", "aten::eq.Tensor", "aten::eq.Scalar",
              "aten::ne.Tensor", "aten::ne.Scalar", "aten::isnan", "aten::all", "aten::any",
              "aten::_local_scalar_dense", "aten::lift_fresh")


def kernels() -> Kernels | None:
    try:
        import torch

        dump = torch._C._dispatch_dump
        return Kernels(KERNEL_OPS, tuple(dump(name) for name in KERNEL_OPS), dump, BOTH, zip)
    except (ImportError, AttributeError, RuntimeError):  # (another torch: nothing to compare)
        return None


class Snapshot(NamedTuple):
    owners: tuple[Owner, ...]
    codes: Codes
    unchanged: Unchanged | None = None  # None: no such reader here (`_unchanged`)
    kernels: Kernels | None = None

    @property
    def size(self) -> int:
        return (sum(len(o.names) for o in self.owners) + len(self.codes.functions)
                + len(self.codes.cells))


_MA_VERSION_TAG = 24  # PyDictObject.ma_version_tag in CPython 3.11 (x86-64, arm64)


def _dict_version_reader() -> Any:
    """A reader of a dict's version (PEP 509), where it behaves: every change of a dict made
    through Python (a binding set to another object, added, removed) gives the dict a new
    version; a dict whose version is the snapshot's holds the snapshot's bindings. Read from
    the dict's memory (CPython 3.11's layout) when a snapshot is taken, before any cell runs;
    `verify` reads the same words through `Unchanged`, and calls no reader. None where the
    layout is another interpreter's or does not behave so: then every namespace is compared.

    Not `_testcapi.dict_get_version`: a module once loaded in the zygote is every worker's to
    load again from the interpreter's cache (`_imp.create_dynamic`), and `_testcapi` starts
    an interpreter that no audit hook of the worker's reaches (red team 32)."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        return None
    try:
        import ctypes
    except ImportError:
        return None

    def read(store: dict[Any, Any]) -> int:
        return int(ctypes.c_uint64.from_address(id(store) + _MA_VERSION_TAG).value)

    probe: dict[str, Any] = {}
    seen = [read(probe)]
    for change in (lambda: probe.__setitem__("a", probe), lambda: probe.__setitem__("a", seen),
                   lambda: probe.pop("a"), lambda: probe.update(b=1), probe.clear):
        change()
        seen.append(read(probe))
    return read if len(set(seen)) == len(seen) else None


# Why it matters: comparing a namespace's bindings reads every one of them, and reading an
# object writes its reference count: the first check in a fresh worker copied ~1,360 pages of
# the zygote's memory for that alone (and each check after it spent ~0.5 ms on ~3,900
# bindings). A namespace whose dict still has its version is skipped.
DICT_VERSION = _dict_version_reader()


def _store(owner: Any) -> Any:
    """The dict that holds `owner`'s bindings: a module's own; for a class, the dict behind
    the read-only proxy `vars` returns (the one `setattr` on the class writes; a ctypes
    structure's is a dict subclass of ctypes', with a dict's versions)."""
    namespace = vars(owner)
    if isinstance(namespace, dict):
        return namespace
    held = [d for d in gc.get_referents(namespace) if isinstance(d, dict)]
    return held[0] if len(held) == 1 else None


# Bindings a module or class of torch's holds that torch itself changes as it runs (a counter,
# a flag, a name): every other binding is compared — a callable, a class, a module, a
# descriptor, and an object of any other kind (outside red team 74 replaced torch's autograd
# engine, `Variable._execution_engine`, an object nothing calls, with one that zeroed the
# gradients before every backward: +2)
_PLAIN_KINDS = (type(None), bool, int, float, complex, str, bytes)


def _interesting(value: Any) -> bool:
    """Bindings whose replacement changes behaviour: anything but a plain scalar."""
    return type(value) not in _PLAIN_KINDS


def _data(value: Any) -> bool:
    """What a class holds that its code does not define: an object, not a function, a class, a
    module or a descriptor (the engine a backward runs through, not a method)."""
    return _interesting(value) and not (
        callable(value)
        or isinstance(value, (types.ModuleType, property, staticmethod, classmethod))
        or type(value).__name__ in ("getset_descriptor", "member_descriptor"))


def _dunder(name: str) -> bool:
    """Python's own class data (`__annotations__`, `__slots__`, …), not an object the class
    holds for its users."""
    return name.startswith("__") and name.endswith("__")


def _label(owner: Any) -> str:
    if isinstance(owner, types.ModuleType):
        return owner.__name__
    return f"{getattr(owner, '__module__', '?')}.{getattr(owner, '__qualname__', '?')}"


class _Builder:
    def __init__(self) -> None:
        self.owners: list[Owner] = []
        self.functions: list[tuple[types.FunctionType, str, tuple[str, ...]]] = []
        self.cells: list[tuple[Any, Any, str, tuple[str, ...]]] = []
        self.seen_owners: set[int] = set()
        self.seen_functions: set[int] = set()

    def owner(self, owner: Any, scopes: tuple[str, ...], *, closed: bool = False,
              everything: bool = False, only: Iterable[str] | None = None,
              rebound_by_owner: frozenset[str] = frozenset(), data_only: bool = False) -> None:
        if id(owner) in self.seen_owners:
            return
        self.seen_owners.add(id(owner))
        if closed and isinstance(owner, type):
            # Python caches a class's slot names on the class the first time one of its
            # objects is copied or pickled (`copyreg._slotnames`): made now, so that a
            # notebook's `torch.save(...)` or `copy.copy(tensor)` adds no name to a closed
            # class (fresh eyes 17: flagged as tampering, 38 points). (The zygote takes the
            # snapshot once, before its first fork: no worker writes it.)
            copyreg._slotnames(owner)  # type: ignore[attr-defined]
        label = _label(owner)
        namespace = vars(owner)
        names = tuple(n for n, v in namespace.items()
                      if (everything or (_data(v) and not _dunder(n) if data_only
                                         else _interesting(v)))
                      and (only is None or n in only)
                      and n not in rebound_by_owner)
        if data_only and not names:
            return  # (no object to compare: its dict's version, which torch's own counters
            # move — `RemovableHandle.next_id` at every hook registered —, tells nothing)
        values = tuple(namespace[n] for n in names)
        # two names at least, so that the getter always returns a tuple
        getter = operator.itemgetter(*names, *names[:1], *names[:1]) if names else None
        values_read = (*values, *values[:1], *values[:1])
        store = _store(owner)
        version = DICT_VERSION(store) if DICT_VERSION is not None and store is not None \
            else None
        self.owners.append(Owner(owner, type(owner), label, scopes, names, values_read,
                                 frozenset(namespace) if closed else None, getter, store,
                                 version))
        for name, value in zip(names, values, strict=True):
            self.function(value, f"{label}.{name}", scopes)

    def function(self, value: Any, label: str, scopes: tuple[str, ...]) -> None:
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            for part in (value.fget, value.fset, value.fdel):
                if part is not None:
                    self.function(part, label, scopes)
            return
        if isinstance(value, types.FunctionType) and id(value) not in self.seen_functions:
            self.seen_functions.add(id(value))
            self.functions.append((value, label, scopes))
            for name, cell in zip(value.__code__.co_freevars, value.__closure__ or (),
                                  strict=False):
                try:
                    held = cell.cell_contents
                except ValueError:  # (an empty cell: nothing bound yet)
                    continue
                self.cells.append((cell, held, f"{label}'s {name}", scopes))
                self.function(held, f"{label}'s {name}", scopes)

    def snapshot(self) -> Snapshot:
        functions = tuple(f for f, _, _ in self.functions)
        codes = Codes(functions, tuple(f.__code__ for f in functions),
                      tuple(f.__defaults__ for f in functions),
                      tuple(f.__kwdefaults__ for f in functions),
                      tuple(label for _, label, _ in self.functions),
                      tuple(scopes for _, _, scopes in self.functions))
        codes = codes._replace(cells=tuple(c for c, _, _, _ in self.cells),
                               contents=tuple(v for _, v, _, _ in self.cells),
                               cell_labels=tuple(label for _, _, label, _ in self.cells),
                               cell_scopes=tuple(scopes for _, _, _, scopes in self.cells))
        owners = tuple(self.owners)
        return Snapshot(owners, codes, _unchanged(owners, codes), kernels())


# Where CPython 3.11 (a release build) keeps the words `Unchanged` reads, in bytes from the
# object's start; `_unchanged` checks every word against what Python reads before using any.
_OB_TYPE = 8
_FUNC_CODE, _FUNC_DEFAULTS, _FUNC_KWDEFAULTS = 48, 56, 64
_CELL_REF = 16


def _unchanged(owners: tuple[Owner, ...], codes: Codes) -> Unchanged | None:
    """The raw-read first look for this snapshot, or None where it cannot vouch for all of
    it (a namespace without a version, another interpreter's object layout, no numpy)."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11) \
            or any(o.version is None or o.store is None for o in owners):
        return None
    try:
        import ctypes

        import numpy
    except ImportError:
        return None
    words: list[tuple[int, int]] = []  # (address, the word Python says is there)
    for o in owners:
        assert o.version is not None  # (above)
        words += [(id(o.owner) + _OB_TYPE, id(o.kind)), (id(o.store) + _MA_VERSION_TAG, o.version)]
    for function, code, default, kwdefault in zip(codes.functions, codes.codes, codes.defaults,
                                                  codes.kwdefaults, strict=True):
        # (a function with no defaults holds NULL: Python shows it as None)
        words += [(id(function) + _FUNC_CODE, id(code)),
                  (id(function) + _FUNC_DEFAULTS, 0 if default is None else id(default)),
                  (id(function) + _FUNC_KWDEFAULTS, 0 if kwdefault is None else id(kwdefault))]
    words += [(id(cell) + _CELL_REF, id(held))
              for cell, held in zip(codes.cells, codes.contents, strict=True)]
    if not words or any(address % 8 for address, _ in words):
        return None
    low = min(address for address, _ in words)
    high = max(address for address, _ in words) + 8
    # A read-only view of [low, high): only the words indexed are ever read. (The notebook
    # can read its own process's memory anyway, with ctypes: this gives it nothing new.)
    memory = memoryview((ctypes.c_char * (high - low)).from_address(low)).toreadonly()
    view = numpy.frombuffer(memory, dtype=numpy.uint64)
    where = numpy.frombuffer(numpy.array([(a - low) // 8 for a, _ in words],
                                         dtype=numpy.intp).tobytes(), dtype=numpy.intp)
    expected = numpy.array([w for _, w in words], dtype=numpy.uint64).tobytes()
    if view.take(where).tobytes() != expected:
        return None  # not the layout assumed above: the comparison alone
    then = numpy.frombuffer(expected, dtype=numpy.uint64)  # (read-only: its base is bytes)
    return Unchanged(view.take, where, numpy.ndarray.tobytes, expected, then.__ne__,
                     numpy.ndarray.nonzero, numpy.ndarray.tolist)


TORCH_C_NAMES = frozenset({
    "is_grad_enabled", "_set_grad_enabled", "is_inference_mode_enabled",
    "_len_torch_function_stack", "_get_function_stack_at", "_pop_torch_function_stack",
    "_push_on_torch_function_stack", "_len_torch_dispatch_stack", "_get_dispatch_stack_at",
    "_pop_torch_dispatch_stack", "_push_on_torch_dispatch_stack", "_set_torch_function_mode",
    "DisableTorchFunction", "DisableTorchFunctionSubclass", "_DisableTorchDispatch",
    "_EnableTorchFunction", "_ExcludeDispatchKeyGuard", "_IncludeDispatchKeyGuard",
    "_is_torch_function_mode_enabled", "_get_tracing_state", "TensorBase", "_TensorMeta",
    "Generator", "default_generator", "device", "dtype", "_nn", "_VariableFunctions",
})


# Torch namespaces and classes the harness and the call recorder use. Every callable
# bound in them is compared; functions written in Python also by their code.
# Bindings torch itself rewrites when a public setting changes: `torch.Storage` follows the
# default dtype (`torch.set_default_dtype(torch.float64)` makes it `DoubleStorage`). A cell
# that sets float64 as the default was flagged as tampering (fresh eyes 22: 28 points);
# nothing the grader reads goes through it.
TORCH_REBINDS = frozenset({"Storage"})


def _torch_owners() -> list[tuple[Any, tuple[str, ...], bool]]:
    import torch
    import torch.nn.functional as F
    import torch.overrides
    import torch.utils._python_dispatch as python_dispatch
    from torch import nn
    from torch.autograd import grad_mode
    from torch.nn.modules import activation, batchnorm, dropout, linear, loss, module
    from torch.utils import data
    from torch.utils.data import dataloader as loader_module
    from torch.utils.data import sampler
    from torch.utils.data._utils import collate, fetch

    owners: list[tuple[Any, tuple[str, ...], bool]] = [
        # (owner, scopes, closed: must not gain names that would shadow a base class)
        (torch, (SCENARIOS,), False),
        (torch._C._nn, BOTH, False),
        (torch.overrides, BOTH, False),
        (python_dispatch, BOTH, False),
        (torch.overrides.TorchFunctionMode, BOTH, True),
        (python_dispatch.TorchDispatchMode, BOTH, True),
        (F, (SCENARIOS,), False),
        (torch.autograd, BOTH, False),  # (a call's gradients: `torch.autograd.grad`)
        (grad_mode, (SCENARIOS,), False),
        (torch.cuda, (SCENARIOS,), False),
        (module, (SCENARIOS,), False),
        (torch.Tensor, BOTH, True),
        (torch._C.TensorBase, BOTH, True),
        # (its `impl` the worker's, refusing a notebook's kernels: `harness.
        # refuse_kernel_registrations`)
        (torch._C._DispatchModule, BOTH, True),
        # (its `py_impl` the worker's, refusing a notebook's Python kernels: `harness.
        # refuse_python_kernels`)
        (torch._ops.OperatorBase, BOTH, True),
        (torch.optim.SGD, (SCENARIOS,), True),
        (torch.optim.Optimizer, (SCENARIOS,), True),
        (data.DataLoader, (SCENARIOS,), True),
        (data.TensorDataset, (SCENARIOS,), True),
        # ... and what a loader runs for every batch (red team 46 rebound the iterator's
        # `__next__` and the batch fetcher from a cell: at every batch of every training run,
        # code that zeroed the gradients and set the modes the graded loop left out)
        (loader_module, (SCENARIOS,), False),
        (fetch, (SCENARIOS,), False),
        (collate, (SCENARIOS,), False),
        (sampler, (SCENARIOS,), False),
    ]
    classes: tuple[type, ...] = (
        nn.Module, nn.Sequential, linear.Linear, activation.ReLU, batchnorm.BatchNorm1d,
        batchnorm._BatchNorm, batchnorm._NormBase, dropout.Dropout, dropout._DropoutNd,
        loss.CrossEntropyLoss, loss._WeightedLoss, loss._Loss, grad_mode.no_grad,
        grad_mode.enable_grad, grad_mode.set_grad_enabled, grad_mode.inference_mode,
        loader_module._BaseDataLoaderIter, loader_module._SingleProcessDataLoaderIter,
        fetch._BaseDatasetFetcher, fetch._MapDatasetFetcher, fetch._IterableDatasetFetcher,
        sampler.Sampler, sampler.SequentialSampler, sampler.RandomSampler, sampler.BatchSampler)
    for cls in classes:
        owners.append((cls, (SCENARIOS,), True))
    return owners


def take(extra_modules: Iterable[types.ModuleType] = (),
         path: tuple[tuple[types.ModuleType, ...], tuple[type, ...]] = ((), ())) -> Snapshot:
    """The snapshot: call it in the worker before the first cell runs.

    Torch patches a few of its own functions on first use (an optimizer class's `step`,
    `torch.manual_seed` wrapped when the first optimizer is built): the zygote's warm-up
    has already used them, so a worker's snapshot sees them in their final state.
    """
    with warnings.catch_warnings():  # (reading a deprecated binding warns: torch.distributed's
        warnings.simplefilter("ignore")  # `reduce_op`, once per zygote, on every test's log)
        return _take(extra_modules, path)


_NOT_READ = frozenset({"sys", "builtins", "__future__", "__main__",
                       "warnings",  # (`catch_warnings` rebinds its filters: `silence_hooks`)
                       # (rebinds its locks in every forked worker: its dict then never has
                       # the snapshot's version, and every verify would read it; what the
                       # harness calls of it is taken at import)
                       "threading"})


def _namespaces_read(ours: list[types.ModuleType],
                     extra: Iterable[types.ModuleType]) -> list[types.ModuleType]:
    """The modules of the standard library bound in `ours` and `extra`'s globals, with a
    standard package's loaded submodules. (Not NumPy: an evidence worker replaces its
    log-sum-exp routines itself, `harness.block_for_good`; what the protocol uses of it is
    taken at import.)"""
    found: dict[str, types.ModuleType] = {}
    for module_ in [*ours, *extra]:
        for value in list(vars(module_).values()):
            if not isinstance(value, types.ModuleType):
                continue
            name = value.__name__
            top = name.partition(".")[0]
            if name in _NOT_READ or top not in sys.stdlib_module_names:
                continue
            found.setdefault(name, value)
    for name, module_ in sorted(sys.modules.items()):
        if isinstance(module_, types.ModuleType) and name.partition(".")[0] in found \
                and name.partition(".")[0] in sys.stdlib_module_names and name not in _NOT_READ:
            found.setdefault(name, module_)
    return [found[name] for name in sorted(found)]


def _take(extra_modules: Iterable[types.ModuleType],
          path: tuple[tuple[types.ModuleType, ...], tuple[type, ...]]) -> Snapshot:
    builder = _Builder()
    ours = [m for name, m in sorted(sys.modules.items())
            if isinstance(m, types.ModuleType)
            and (name == "autograder" or name.startswith("autograder."))]
    recorder_names = {"CallRecorder", "AtenRecorder", "WATCHED_CALLS"}
    for module_ in [*ours, *extra_modules]:
        # our own modules: every binding, no additions (a new global could shadow a builtin).
        # Python itself adds `__warningregistry__` to the module a warning is attributed to
        # (filtered or not): a torch warning raised by a student's tensor op while one of
        # our recorders is on the stack lands here, and is not tampering.
        vars(module_).setdefault("__warningregistry__", {})
        scopes: tuple[str, ...] = BOTH
        # (a package gains an attribute whenever one of its submodules is first imported)
        builder.owner(module_, scopes, closed=not hasattr(module_, "__path__"),
                      everything=True)
        for name, value in vars(module_).items():
            if isinstance(value, type) and value.__module__ == module_.__name__:
                cls_scopes: tuple[str, ...] = (CALLS,) if name in recorder_names else scopes
                builder.owner(value, cls_scopes, closed=True, everything=True)
    # ... and the standard library's namespaces they read (outside red team 78 replaced
    # `json.encoder.c_make_encoder`, which every reply was encoded with): every module bound
    # in our modules' globals, with the submodules of a standard package (json's encoder,
    # decoder and scanner); not `sys` (a cell may rebind its streams), `warnings` (put back
    # by `harness.silence_hooks`: `catch_warnings` rebinds its filters), `threading` (see
    # `_NOT_READ`) nor `builtins`
    # (`_builtins_owner`), and none of torch's (below). Rebinding one of their functions or
    # classes is a finding; a name added is not (a package gains its submodules so).
    for module_ in _namespaces_read(ours, extra_modules):  # (its functions and classes: not
        # its state — locks remade after a fork, caches, counters — which it rebinds itself)
        builder.owner(module_, BOTH, closed=False, only=[
            name for name, value in list(vars(module_).items())
            if callable(value) and not isinstance(value, types.ModuleType)])
    import torch

    # torch._C is large: its functions the harness and the recorders call; closed, as torch
    # never adds to it after import (a name added there is a hook: torch.cuda looks for
    # `_cuda_getDeviceCount`, absent from a CPU build, before it calls it)
    builder.owner(torch._C, BOTH, closed=True, only=TORCH_C_NAMES)
    listed = _torch_owners()
    for owner, scopes, closed in listed:
        builder.owner(owner, scopes, closed=closed,
                      rebound_by_owner=TORCH_REBINDS if owner is torch else frozenset())
    # ... and what a training run was seen to execute (`harness.training_path`: the modules
    # and classes of its Python code), each class with the classes it inherits from: a name
    # given to a base class shows through every class built on it (outside red team 73's
    # `Dataset.__getitems__`, found by the loader through `TensorDataset`)
    modules, classes = path
    for module_ in modules:
        if in_packages(module_.__name__, ("torch",)):
            builder.owner(module_, (SCENARIOS,),
                          rebound_by_owner=TORCH_REBINDS if module_ is torch else frozenset())
        else:  # (the standard library's torch calls into: its functions and classes, not its
            # state, which it rebinds itself — as `_namespaces_read`'s)
            builder.owner(module_, (SCENARIOS,), only=[
                name for name, value in list(vars(module_).items())
                if callable(value) and not isinstance(value, types.ModuleType)])
    for cls in classes:  # (every class of theirs on the path: red team 83's
        # `typing._SpecialForm.__getitem__`, +8)
        if cls is not object:
            builder.owner(cls, (SCENARIOS,), closed=_from_torch(cls))
    for cls in (c for owner, _, _ in listed if isinstance(owner, type)
                for c in owner.__mro__[1:]):
        if cls is not object and _from_torch(cls):
            builder.owner(cls, (SCENARIOS,), closed=True)
    # ... and the objects held by every class of torch's a watched torch module names, with
    # that module's scopes: code on the path reads what such a class holds without running
    # any of the class's own (`_engine_run_backward` reads `Variable._execution_engine`, named
    # by `torch.autograd`). Only its data: its code does not run on the path, and torch
    # itself gives such classes methods as subsystems load (`make_fx` registers properties
    # on `torch.compiler`'s `CacheInfo`: flagged, when these were compared too)
    for o in tuple(builder.owners):
        if isinstance(o.owner, types.ModuleType) and in_packages(o.owner.__name__,
                                                                  ("torch",)):
            for value in tuple(vars(o.owner).values()):
                if isinstance(value, type) and _from_torch(value):
                    builder.owner(value, o.scopes, data_only=True)
    builder.owner(builtins, BOTH)
    return builder.snapshot()


# Where torch's code is, and the code of the standard library torch's own calls into on a
# training run's path (`harness.training_path`)
TORCH_AND_CALLEES = ("torch", "abc", "logging")


def in_packages(name: Any, packages: tuple[str, ...]) -> bool:
    """Is the module name `name` one of `packages` or inside one?"""
    return isinstance(name, str) and any(name == p or name.startswith(p + ".") for p in packages)


def _from_torch(cls: type) -> bool:
    """A class of torch's own (or of `abc` and `logging`, whose code torch's runs)."""
    return in_packages(getattr(cls, "__module__", None), TORCH_AND_CALLEES)


def tools() -> Tools:
    return Tools(type, setattr, delattr, len, tuple, sorted, all, map, operator.is_,
                 range, zip, operator.attrgetter("__code__"),
                 operator.attrgetter("__defaults__"), operator.attrgetter("__kwdefaults__"),
                 operator.attrgetter("cell_contents"))


def verify(snapshot: Snapshot, t: Tools, findings: list[tuple[str, tuple[str, ...]]]) -> int:
    """Put back every binding and code object that differs from the snapshot.

    Appends (what changed, scopes) to `findings` and returns how many it fixed. Looks
    up no global or builtin name, and reads its arguments by tuple unpacking only (a
    named tuple's field accessors live in a class the notebook could patch). The common
    case, nothing changed, is one read of the words the comparison rests on (`Unchanged`);
    without it, one C-level comparison per module or class and one for all the code.
    """
    owners, codes, unchanged, kernels = snapshot
    if kernels is not None:  # (a kernel registered over torch's: reported, never put back)
        names, dumps, dump, kernel_scopes, both = kernels
        for name, text in both(names, dumps):
            if dump(name) != text:
                findings.append(("a kernel was registered over torch's " + name
                                 + " (torch.library)", kernel_scopes))
    if unchanged is not None:
        take, where, as_bytes, expected, differ, nonzero, as_list = unchanged
        now = take(where)
        if as_bytes(now) == expected:
            return 0
    (kind_of, set_attr, del_attr, length, as_tuple, in_order, every, each, same, span,
     pairs, code_of, defaults_of, kwdefaults_of, contents_of) = t
    (functions, code_objects, defaults, kwdefaults, labels, scopes_of,
     cells, contents, cell_labels, cell_scopes) = codes
    if unchanged is None:  # every owner; the functions, if the comparison below finds any
        owner_ids: Any = span(length(owners))
        function_ids: Any = None
        cell_ids: Any = None
        moved: Any = None  # (no versions read: every owner's bindings are compared)
    else:
        # the owners, functions and cells whose words differ (two words an owner, three a
        # function, one a cell)
        changed = as_list(nonzero(differ(now))[0])
        split = 2 * length(owners)
        split_cells = split + 3 * length(functions)
        owner_ids = in_order({i // 2 for i in changed if i < split})
        function_ids = in_order({(i - split) // 3 for i in changed
                                 if split <= i < split_cells})
        cell_ids = in_order({i - split_cells for i in changed if i >= split_cells})
        moved = {i // 2 for i in changed if i < split and i % 2}  # (its dict's version word)
    missing = findings  # a sentinel no namespace holds
    fixed = 0
    for k in owner_ids:
        owner, kind, label, scopes, names, values, closed, getter, _store, _version = owners[k]
        if kind_of(owner) is not kind:
            owner.__class__ = kind
            findings.append((label + " had its type replaced", scopes))
            fixed += 1
        if moved is not None and k not in moved:
            continue  # its dict is as the snapshot saw it: no binding to read (see DICT_VERSION)
        namespace = owner.__dict__
        try:
            current = getter(namespace) if names else values
        except:  # noqa: E722 - a name was deleted (naming an exception class is a lookup)
            current = ()
        if not every(each(same, current, values)) or length(current) != length(values):
            for name, value in pairs(names, values):  # (values has names' two extra copies)
                if namespace.get(name, missing) is not value:
                    set_attr(owner, name, value)
                    findings.append((label + "." + name + " was replaced", scopes))
                    fixed += 1
        if closed is not None and length(namespace) != length(closed):
            for name in in_order(as_tuple(namespace)):
                if name not in closed:
                    del_attr(owner, name)
                    findings.append((label + "." + name + " was added", scopes))
                    fixed += 1
    if function_ids is None:
        same_code = (every(each(same, each(code_of, functions), code_objects))
                     and every(each(same, each(defaults_of, functions), defaults))
                     and every(each(same, each(kwdefaults_of, functions), kwdefaults)))
        function_ids = () if same_code else span(length(functions))
    for k in function_ids:
        function, code, default, kwdefault = functions[k], code_objects[k], defaults[k], \
            kwdefaults[k]
        if (function.__code__ is not code or function.__defaults__ is not default
                or function.__kwdefaults__ is not kwdefault):
            function.__code__ = code
            function.__defaults__ = default
            function.__kwdefaults__ = kwdefault
            findings.append((labels[k] + " had its code replaced", scopes_of[k]))
            fixed += 1
    if cell_ids is None:
        try:
            same_cells = every(each(same, each(contents_of, cells), contents))
        except:  # noqa: E722 - a cell emptied (naming an exception class is a lookup)
            same_cells = False
        cell_ids = () if same_cells else span(length(cells))
    for k in cell_ids:
        cell, held = cells[k], contents[k]
        try:
            now_held = contents_of(cell)
        except:  # noqa: E722 - emptied (`del cell.cell_contents`)
            now_held = missing
        if now_held is not held:
            set_attr(cell, "cell_contents", held)
            findings.append((cell_labels[k] + " was replaced", cell_scopes[k]))
            fixed += 1
    return fixed


MARKER = "tamper|"


def encode(findings: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Findings as strings for a reply ("tamper|calls,scenarios|what"), first ones first."""
    seen: dict[str, None] = {}
    for what, scopes in findings:
        seen.setdefault(f"{MARKER}{','.join(scopes)}|{what[:200]}")
        if len(seen) >= MAX_FINDINGS:
            break
    return list(seen)


def is_marker(name: str) -> bool:
    return name.startswith(MARKER)


# The namespace torch rebinds its own flags in whenever a dispatch mode is entered or left
# (`_is_in_torch_dispatch_mode`, ...): after the first recorded call its dict never again has
# the snapshot's version
MOVES_ON_ITS_OWN = ("torch.utils._python_dispatch",)


def subset(snapshot: Snapshot, scope: str, leave_out: tuple[str, ...] = (),
           bindings_only: bool = False, within: tuple[str, ...] | None = None) -> Snapshot:
    """The part of a snapshot that evidence of one kind depends on (cheaper to verify), less
    the owners labelled `leave_out` (and but those whose label starts with one of `within`);
    with `bindings_only`, the namespaces' bindings without the functions' code, defaults and
    closure cells (a worker's functions refuse new code and defaults as they are set:
    `worker.refuse_native_code`)."""
    owners = tuple(o for o in snapshot.owners if scope in o.scopes and o.label not in leave_out
                   and (within is None or o.label.startswith(within)))
    c = snapshot.codes
    keep = [] if bindings_only else [i for i, scopes in enumerate(c.scopes) if scope in scopes]
    held = [] if bindings_only else [i for i, scopes in enumerate(c.cell_scopes)
                                     if scope in scopes]
    codes = Codes(tuple(c.functions[i] for i in keep), tuple(c.codes[i] for i in keep),
                  tuple(c.defaults[i] for i in keep), tuple(c.kwdefaults[i] for i in keep),
                  tuple(c.labels[i] for i in keep), tuple(c.scopes[i] for i in keep),
                  tuple(c.cells[i] for i in held), tuple(c.contents[i] for i in held),
                  tuple(c.cell_labels[i] for i in held), tuple(c.cell_scopes[i] for i in held))
    # (the kernel tables are read where the whole snapshot is verified — a request's start,
    # a scenario, the end —, not around every recorded call: ~0.2 ms each time)
    return Snapshot(owners, codes, _unchanged(owners, codes))
