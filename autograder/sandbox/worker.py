"""The worker: the only place student code runs.

It executes the notebook's cells one by one in a fresh namespace (a failing
cell is recorded and the next one runs), then answers the judge's requests to
call student functions on judge-chosen inputs. Everything it sends back is
plain data (see `protocol`). This module is imported by the zygote before any
fork, so a worker pays neither an interpreter start nor a torch import.

Student code shares this process, so before the first cell the worker snapshots
its own harness and the torch it relies on (`integrity`); before every request
and after every call of student code it restores that snapshot and reports what it
had to put back, so the judge can flag the submission and refuse the evidence.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import contextlib
import functools
import hashlib
import io
import linecache
import operator
import os
import shlex
import signal
import socket
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import torch

from autograder.sandbox import devices, harness, integrity, protocol
from autograder.sandbox.rng import seed_rngs

# (verify, its code, snapshot, the part of it calls rely on, tools, findings, the part put
# back after every call): held by the serve loop's frame
Guard = tuple[Callable[..., int], types.CodeType, integrity.Snapshot, integrity.Snapshot,
              integrity.Tools, list[tuple[str, tuple[str, ...]]], integrity.Snapshot]


class GradingTimeout(BaseException):
    """Raised inside student code when a cell or call runs past its soft limit."""


class _Tail(io.TextIOBase):
    """Keeps the last few KB a student printed: enough for feedback, bounded for 100 MB prints."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.buffer_text = ""

    def write(self, text: str) -> int:  # type: ignore[override]
        self.buffer_text = (self.buffer_text + str(text))[-self.limit :]
        return len(text)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        pass


def _display(*objects: Any, **kwargs: Any) -> None:
    """Stands in for IPython's `display`: nothing is shown (a worker's output goes nowhere)."""
    return None


def _write_file(line: str, cell: str) -> None:
    """IPython's `%%writefile [-a] FILE`: the cell's body written to FILE (appended with -a),
    the same message printed. A notebook that writes a module of helpers this way and imports
    it in the next cell ran in Jupyter (fresh eyes 22: its metrics were "not defined")."""
    words = shlex.split(line)
    append = any(word in ("-a", "--append") for word in words)
    names = [word for word in words if word not in ("-a", "--append")]
    if len(names) != 1:
        raise ValueError(f"%%writefile needs one file name, got {line!r}")
    filename = os.path.expanduser(names[0])
    exists = os.path.exists(filename)
    print(("Appending to " if append else "Overwriting ") + filename if exists
          else "Writing " + filename)
    with open(filename, "a" if append else "w", encoding="utf-8") as handle:
        handle.write(cell)


def _run_file(line: str, namespace: dict[str, Any]) -> None:
    """IPython's `%run [-i] FILE [ARGS]`: FILE's code run as `__main__` (its namespace the
    notebook's with -i, else a fresh one), its names then the notebook's (fresh eyes 23: a
    module of helpers written by `%%writefile` and loaded with `%run`, 9 points)."""
    words = shlex.split(line)
    shared = "-i" in words[:1]
    words = words[1:] if shared else words
    if not words:
        raise ValueError("%run needs a file name")
    path = os.path.expanduser(words[0])
    with open(path, encoding="utf-8") as handle:
        code = compile(handle.read(), path, "exec", dont_inherit=True)
    scope = namespace if shared else {"__name__": "__main__", "__file__": path,
                                      "__builtins__": builtins}
    argv, sys.argv = sys.argv, [path, *words[1:]]
    try:
        exec(code, scope)
    finally:
        sys.argv = argv
    if not shared:
        namespace.update({key: value for key, value in scope.items()
                          if key not in ("__name__", "__file__", "__builtins__")})


def _make_folders(command: str) -> None:
    """`!mkdir [-p] DIR...` (and `%mkdir`): the folders made, as the shell would; any other
    command does nothing (fresh eyes 23: `!mkdir -p checkpoints` before `fit` saved there)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return
    if len(words) < 2 or words[0] != "mkdir" or any(
            word.startswith("-") and word not in ("-p", "--parents") for word in words[1:]):
        return
    parents = any(word in ("-p", "--parents") for word in words[1:])
    for folder in (word for word in words[1:] if not word.startswith("-")):
        try:
            if parents:
                os.makedirs(os.path.expanduser(folder), exist_ok=True)
            else:
                os.mkdir(os.path.expanduser(folder))
        except OSError as exc:
            print(f"mkdir: cannot create directory '{folder}': {exc.strerror}")


class _Captured:
    """What `%%capture name` binds (IPython's `CapturedIO`): the cell's output is not kept
    here, so it holds none; showing it shows nothing."""

    def __init__(self) -> None:
        self.stdout = ""
        self.stderr = ""
        self.outputs: list[Any] = []

    def show(self) -> None:
        return None

    __call__ = show

    def __str__(self) -> str:
        return self.stdout


class _NoShell:
    """Stands in for `get_ipython()`: magics and `!commands` do nothing."""

    def run_line_magic(self, name: Any = None, line: Any = "", *args: Any,
                       **kwargs: Any) -> None:
        if name == "run":  # (a file the notebook wrote with %%writefile, run as Jupyter does)
            _run_file(str(line), sys._getframe(1).f_globals)
        elif name == "mkdir":
            _make_folders(f"mkdir {line}")
        return None

    def run_cell_magic(self, name: Any = None, line: Any = "", cell: Any = "", *args: Any,
                       **kwargs: Any) -> Any:
        if name in ("writefile", "file"):  # (a module imported next: as Jupyter writes it)
            _write_file(str(line), str(cell))
        if name == "capture":  # (`%%capture cap`: the name bound, `load.transform`)
            return _Captured()
        return None

    def system(self, command: Any = "", *args: Any, **kwargs: Any) -> None:
        _make_folders(str(command))  # (no shell here: `!mkdir -p DIR` alone is done)
        return None

    def getoutput(self, *args: Any, **kwargs: Any) -> list[str]:
        return []

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def _fake_otter() -> types.ModuleType:
    """`import otter; grader = otter.Notebook(...); grader.check("q")` become no-ops."""
    module = types.ModuleType("otter")

    class Notebook:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __getattr__(self, name: str) -> Callable[..., None]:
            return lambda *args, **kwargs: None

    module.Notebook = Notebook  # type: ignore[attr-defined]
    return module


def _refuse_sockets() -> None:
    """Fallback when no network namespace could be made."""

    def refused(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access is disabled while grading")

    socket.socket = refused  # type: ignore[assignment,misc]
    socket.create_connection = refused  # type: ignore[assignment]


def on_alarm(signum: int, frame: Any) -> None:
    raise GradingTimeout()


# The owners every call's run is checked against (`Baseline.after_call`), by label
AFTER_CALL_OWNERS = ("autograder.", "worker.", "builtins", "torch._C", "torch.Tensor",
                     "torch.autograd")


class Baseline:
    """What "untouched" means for a worker: the integrity snapshot (and its part calls rely
    on), the tools `verify` uses, and how many modules were imported when it was taken.

    Why taken once: every worker starts as the same fork of the zygote, so the snapshot is the
    same for all of them, and taking it walks every binding of our modules and of the torch
    namespaces the harness uses (about 20 ms, once per submission). The zygote takes it before
    its first fork (`prepare`); each worker inherits it, and takes its own only when its
    modules are not the ones the baseline covers (a worker started some other way)."""

    def __init__(self) -> None:
        self.modules = len(sys.modules)
        self.snapshot = integrity.take(harness.LAB_MODULES, harness.training_path())
        self.calls = integrity.subset(self.snapshot, integrity.CALLS)
        # (what every call's run is checked against: the bindings of what the worker's own
        # work after a call runs on — its modules, the builtins, torch's tensor classes and
        # C functions; what a function rebinds there in its run is put back before the
        # worker computes anything of the call's (their code and defaults cannot be set).
        # The rest of the calls' part is a recorded call's evidence, checked then: each
        # namespace is two words read from scattered memory, ~50 ns each in a worker, and
        # this runs ~800 times a submission)
        self.after_call = integrity.subset(self.snapshot, integrity.CALLS,
                                           leave_out=integrity.MOVES_ON_ITS_OWN,
                                           bindings_only=True, within=AFTER_CALL_OWNERS)
        self.tools = integrity.tools()


_BASELINE: list[Baseline] = []


_AUDIT_HOOKS: list[Any] = []
_LETTING_IN: list[Any] = []  # the worker's own second audit hook, while it is being added
NO_AUDIT_HOOK = "audit hooks are not available in the grader"


def _no_more_audit_hooks(event: str, args: Any) -> None:
    """The worker's one audit hook: no other may be added. A notebook's audit hook would run
    its code at every audited event of the grader's own work (an attribute set on a function
    when the integrity check restores it, a compile), after the library block is lifted."""
    if event == "sys.addaudithook" and not _LETTING_IN:
        # (the one let in: the worker's own second hook, `refuse_native_code`, which from
        # then on refuses every other, whatever a notebook does to this module)
        raise RuntimeError(NO_AUDIT_HOOK)


def _shared_setup() -> None:
    """What every worker sets up the same way, before the snapshot (so it is "untouched")."""
    if _no_more_audit_hooks not in _AUDIT_HOOKS:  # (once per process: hooks stay for good)
        sys.addaudithook(_no_more_audit_hooks)
        _AUDIT_HOOKS.append(_no_more_audit_hooks)
    sys.modules["otter"] = _fake_otter()
    builtins.get_ipython = lambda: _NoShell()  # type: ignore[attr-defined]
    # Jupyter's `display` (IPython puts it in every notebook's namespace): a cell or a graded
    # function that shows a table with it ran in Jupyter (fresh eyes 22: `fit` failed on it)
    builtins.display = _display  # type: ignore[attr-defined]
    harness.install()  # the scenarios' switchable wrappers, part of the baseline
    harness.keep_one_thread()
    harness.withhold_kernel_handles()
    harness.refuse_kernel_registrations()
    harness.refuse_python_kernels()
    # what the audit hook a worker adds as it serves uses (`refuse_native_code`): set before
    # the snapshot, which compares its defaults too
    _refuse_native.__defaults__ = (
        grader_namespaces(), types.FunctionType, type, id, RuntimeError,
        (NATIVE_HINT, NO_AUDIT_HOOK, NO_INTERPRETER, NO_NEW_CODE, NO_GRADER_CHANGE),
        harness.TRACE_SETS, next)


_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE (CPython 3.10 on)


def freeze_grader_classes() -> int:
    """Every class the grader's worker-side modules define (its own package's and the lab's,
    `grader_namespaces`) made immutable, as CPython's built-in types are: setting or
    deleting an attribute of one raises. How many.

    Why: a class attribute set by a notebook raises no audit event in Python 3.11 (a
    function's code does: `_refuse_native`), and the integrity check finds it only when it
    next runs — a method of the grader's (`Worker._call`, a recorder's
    `__torch_function__`) replaced from a cell, used by the grader, and put back before that
    check would have gone unseen. Done with ctypes before any worker refuses it: the type's
    flags word is found by its value (`type.__flags__`), never by a fixed offset."""
    if sys.implementation.name != "cpython":  # (another interpreter's types: left alone)
        return 0
    import ctypes

    classes = [value for module in _grader_modules() for value in list(vars(module).values())
               if isinstance(value, type) and value.__module__ == module.__name__]
    offset = _flags_offset()
    if offset is None:
        return 0
    modified = ctypes.pythonapi.PyType_Modified
    modified.argtypes = [ctypes.py_object]
    count = 0
    for cls in classes:
        if cls.__flags__ & _IMMUTABLE_TYPE:
            continue
        word = ctypes.c_ulong.from_address(id(cls) + offset)
        if word.value != cls.__flags__:  # (not the layout it was found in: left alone)
            continue
        word.value = cls.__flags__ | _IMMUTABLE_TYPE
        modified(cls)
        count += 1
    return count


def _flags_offset() -> int | None:
    """Where a type object holds its flags (`tp_flags`), found on two classes made here."""
    import ctypes

    class First:
        pass

    class Second(Exception):
        pass

    for offset in range(8, 512, 8):
        if all(ctypes.c_ulong.from_address(id(cls) + offset).value == cls.__flags__
               for cls in (First, Second, type)):
            return offset
    return None


def _grader_modules() -> list[types.ModuleType]:
    return [*(module for name, module in list(sys.modules.items())
              if (name == "autograder" or name.startswith("autograder."))
              and isinstance(module, types.ModuleType)), *harness.LAB_MODULES]


def prepare() -> None:
    """In the zygote, once everything a worker runs is imported: the baseline every worker
    starts from (see `Baseline`)."""
    _shared_setup()
    _BASELINE[:] = [Baseline()]


def _baseline() -> Baseline:
    """The zygote's baseline, or a fresh one when this worker's modules differ from it."""
    if _BASELINE and _BASELINE[0].modules == len(sys.modules):  # (no module imported since)
        return _BASELINE[0]
    _shared_setup()
    return Baseline()


def _own_copy(tensor: torch.Tensor | None) -> torch.Tensor | None:
    """A received tensor the student's code may see as it is: its own memory (a frame's
    tensors are views of one buffer)."""
    return None if tensor is None else tensor.clone()


def _as_sent(value: Any, sent: Any, tensors: dict[str, torch.Tensor]) -> torch.Tensor | None:
    """What a tensor argument held when it arrived, to tell whether the student's function
    changed it: the frame's own tensor where it came as one (the function got a copy of it,
    see `protocol.Decoder`), else a copy taken now; None for anything else."""
    if not isinstance(value, torch.Tensor):
        return None
    key = sent.get("__tensor__") if isinstance(sent, dict) else None
    original = tensors.get(key) if isinstance(key, str) else None
    if (original is not None and original.dtype == value.dtype
            and original.shape == value.shape):
        return original
    return value.detach().clone()


# In-place edits are looked for in every tensor an argument holds, nested in lists, tuples
# and dicts too (a list of parameters, a dict of buffers), down to this depth and at most
# this many tensors a call: one `torch.equal` each, on a path that runs a few hundred times
# a submission. A list or dict argument whose own items were replaced, added or removed
# (`params[i] = ...`, `append`) was edited in place too.
WATCH_DEPTH = 4
WATCH_TENSORS = 256

# (the object as the function got it, what it held before the call): a tensor and its
# values, or a list or dict and its items
Watched = list[tuple[Any, Any]]


def _watch(value: Any, sent: Any, tensors: dict[str, torch.Tensor], depth: int,
           budget: list[int], found: Watched) -> None:
    """Add to `found` what `value` (an argument, or an item of one: `depth` levels down) holds
    that the student's function could edit in place; `sent` is its form in the request
    (`protocol.decode`'s input), `budget` the tensors still to watch in this call."""
    if isinstance(value, torch.Tensor):
        if budget[0] > 0:
            budget[0] -= 1
            # (its values as bytes: nothing the function reaches can make them agree with an
            # edit — outside red team 79's mse_loss walked up to this frame and rewrote the
            # watched pairs to (now, now.clone()))
            found.append((value, _values_of(_as_sent(value, sent, tensors))))
        return
    kind = type(value)
    if depth >= WATCH_DEPTH or budget[0] <= 0 or not (kind is list or kind is tuple
                                                      or kind is dict):
        return
    if kind is dict:
        pairs = sent.get("__dict__") if type(sent) is dict else None
        forms = ([p[1] if type(p) is list and len(p) == 2 else None for p in pairs]
                 if type(pairs) is list and len(pairs) == len(value) else None)
        found.append((value, tuple(value.items())))
        items: Any = value.values()
    else:
        if kind is tuple:
            sent = sent.get("__tuple__") if type(sent) is dict else None
        forms = sent if type(sent) is list and len(sent) == len(value) else None
        if kind is list:
            found.append((value, tuple(value)))
        items = value
    for j, item in enumerate(items):
        _watch(item, forms[j] if forms is not None else None, tensors, depth + 1, budget, found)


def _watch_arguments(args: list[Any], sent: Any, kwargs: dict[str, Any], sent_kwargs: Any,
                     tensors: dict[str, torch.Tensor]) -> list[tuple[int | str, Watched]]:
    """`_watch` each argument of a call, positional (by index) then keyword (by name, so a
    `pos_weight=` edited in place is found as a first argument is: mistakes review 34), under
    one budget."""
    budget = [WATCH_TENSORS]
    found: list[tuple[int | str, Watched]] = []
    for i, arg in enumerate(args):
        found.append((i, []))
        _watch(arg, sent[i] if isinstance(sent, list) and i < len(sent) else None,
               tensors, 0, budget, found[-1][1])
    pairs = sent_kwargs.get("__dict__") if type(sent_kwargs) is dict else None
    forms = {p[0]: p[1] for p in pairs if type(p) is list and len(p) == 2
             and type(p[0]) is str} if type(pairs) is list else {}
    for key, arg in kwargs.items():
        found.append((key, []))
        _watch(arg, forms.get(key), tensors, 0, budget, found[-1][1])
    # (tuples: the record cannot be edited in place either)
    return tuple((key, tuple(watched)) for key, watched in found)  # type: ignore[return-value]


def _edited_arguments(found: list[tuple[int | str, Watched]]) -> list[int | str]:
    """The arguments (index or keyword) `_watch_arguments` watched that the call changed."""
    return [key for key, watched in found if watched and _edited(watched)]


class _Values(tuple):  # type: ignore[type-arg]
    """A watched tensor's values before the call: (dtype, shape, its bytes)."""


_NUMPY_DTYPES = frozenset(getattr(torch, name) for name in protocol.WIRE_NUMPY_DTYPES
                          if isinstance(getattr(torch, name, None), torch.dtype))


def _values_of(tensor: torch.Tensor | None) -> Any:
    """A tensor's values as nothing can edit: its bytes (a dtype NumPy has), else
    `harness.plain_copy`'s frozen copy."""
    if tensor is None:
        return None
    plain = tensor.detach()
    if plain.dtype in _NUMPY_DTYPES and plain.device.type == "cpu":
        try:
            return _Values((plain.dtype, tuple(plain.shape), plain.contiguous().numpy().tobytes()))
        except (RuntimeError, TypeError, ValueError):
            pass
    return harness.plain_copy(plain)


def _tensor_edited(now: torch.Tensor, before: Any) -> bool:
    """`now` no longer holds the values `_values_of` took: the same bytes are no change (a
    nan in place included); else compared as `harness.tensor_changed` compares."""
    if type(before) is _Values:
        if type(now) is not torch.Tensor:
            return True  # (another class: an edit, `harness.tensor_changed`)
        dtype, shape, data = before
        plain = torch.Tensor.detach(now)
        if plain.dtype is not dtype or tuple(plain.shape) != shape:
            return True
        try:
            if plain.contiguous().numpy().tobytes() == data:
                return False
        except (RuntimeError, TypeError, ValueError):
            pass
        original = torch.frombuffer(bytearray(data), dtype=dtype).view(shape) if data \
            else torch.empty(shape, dtype=dtype)
        return harness.tensor_changed(now, original)
    if type(before) is not protocol.Frozen:
        return True
    return harness.tensor_changed(now, harness.thaw(before))


def _edited(watched: Watched) -> bool:
    """Whether anything `_watch` recorded of one argument changed during the call."""
    for now, before in watched:
        if isinstance(now, torch.Tensor):
            if _tensor_edited(now, before):
                return True
        elif type(now) is dict:
            if len(now) != len(before) or any(k not in now or now[k] is not v
                                              for k, v in before):
                return True
        elif len(now) != len(before) or any(a is not b for a, b in zip(now, before, strict=True)):
            return True
    return False


def _frozen_gradients(grads: Any) -> tuple[str, tuple[Any, ...]]:
    """The gradients `harness.gradients` took, as nothing the student's code runs later can
    change (its gradcheck, a finalizer): each tensor's bytes (`harness.plain_copy`) in a
    tuple, or the problem it reported, as a tuple of its items."""
    if type(grads) is dict:
        return "dict", tuple(grads.items())
    return "list", tuple(harness.plain_copy(g) for g in grads)


def _taken(sub: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """One call of a `calls` request: the frame's tensors it takes, under its own names
    (`"tensors"`: its name → the frame's; calls with the same input share the frame's one,
    see `CallPlans.encoded`). A name the frame does not hold gives nothing."""
    taken = sub.get("tensors")
    if not isinstance(taken, dict):
        return {}
    return {str(name): tensors[key] for name, key in taken.items()
            if isinstance(key, str) and key in tensors}


class Worker:
    def __init__(self, sock: socket.socket, network_namespace: bool | None,
                 baseline: Baseline | None = None) -> None:
        """`network_namespace` None: a worker that confines nothing, for the zygote's
        rehearsal (`rehearsal`), with the `baseline` it took."""
        self.sock = sock
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.stdout = _Tail()
        if network_namespace is not None:
            self._prepare(network_namespace)
        # Before the first cell: what "untouched" means (the lab's worker-side modules too:
        # the zygote imported them before forking). A direct call's evidence (the library
        # calls it made) rests on a smaller part, verified around each call that records.
        baseline = baseline or _baseline()
        self.snapshot, self.snapshot_calls = baseline.snapshot, baseline.calls
        self.snapshot_after_call = baseline.after_call
        self.tools = baseline.tools
        self.findings: list[tuple[str, tuple[str, ...]]] = []

    def _prepare(self, network_namespace: bool) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stdout = sys.stderr = self.stdout  # type: ignore[assignment]
        sys.stdin = io.StringIO("")
        if not network_namespace:
            _refuse_sockets()
        if signal.getsignal(signal.SIGALRM) is not on_alarm:  # (the zygote set it: `spawn`)
            signal.signal(signal.SIGALRM, on_alarm)
        import warnings

        warnings.filterwarnings("ignore")

    # ------------------------------------------------------------------ loop
    def serve(self) -> None:
        # Captured before any cell runs and held in this frame, whose code the notebook
        # cannot change; handlers get them as an argument, never from an attribute.
        guard = self.guard()
        verify = guard[0]
        recv = protocol.recv
        handlers = {name[3:]: fn for name, fn in vars(Worker).items() if name.startswith("op_")}
        while True:
            try:
                request, tensors = recv(self.sock)
            except protocol.PeerClosed:
                return
            # (any other ProtocolError is raised: the judge's frames are well formed, so one
            # this process cannot read means its own code is broken — a cell that replaced
            # `type` or `isinstance` — and it ends as such, `zygote.HARNESS_BROKEN`)
            # Inline, not a helper: a helper is a function the notebook could have changed.
            op = request.get("op")
            if verify.__code__ is not guard[1] or verify.__defaults__ is not None:
                verify.__code__, verify.__defaults__ = guard[1], None
                guard[5].append(("the grader's integrity check was replaced", integrity.BOTH))
            # No verify here: what carries evidence (a recorded call, a scenario) verifies
            # after the student's code ran and before anything it reports is encoded, so a
            # change made earlier is found there and voids what it would touch; cells, a
            # variable's value and the ping report nothing the judge takes on trust.
            if op == "shutdown":
                return
            if op != "exec_cells":
                # (a hook, a collector callback or a torch mode a cell left behind would run
                # the student's code inside the grader's own work: see `harness.strip_modes`;
                # grad mode and the default dtype are put back by each call and scenario)
                harness.silence_hooks()
                harness.strip_modes()
            handler = handlers.get(str(op))
            if handler is None:
                protocol.send(self.sock, {"ok": False, "error": {"type": "Protocol",
                                                                 "message": f"unknown op {op}"}})
                continue
            handler(self, request, tensors, guard)
            # What the request kept of the student's (`harness._KEPT`) is freed now, between
            # requests, with the reply sent and the next not read: whatever a `__del__` sets
            # there is taken away before the worker reads on.
            harness.release_kept()

    def guard(self) -> Guard:
        """What the handlers verify with, captured now (before any cell runs)."""
        verify = integrity.verify
        return (verify, verify.__code__, self.snapshot, self.snapshot_calls, self.tools,
                self.findings, self.snapshot_after_call)

    def _run_limited(self, seconds: float, fn: Callable[[], Any],
                     _timer: Any = signal.setitimer, _real: int = signal.ITIMER_REAL,
                     _hooks: Any = harness.FRAME_HOOKS, _keep: Any = harness._KEEP) -> Any:
        _timer(_real, max(seconds, 0.001))
        try:
            return fn()
        finally:
            _timer(_real, 0)
            # (before any function of the grader's is entered: a frame callback the student's
            # code left runs at the start of every Python frame, `harness.quiet_frame_hooks`;
            # these are C calls, evaluating no frame)
            for get, put in _hooks:
                if get() is not None:
                    _keep(put(None))

    # ------------------------------------------------------------------ ops
    def op_exec_cells(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                      guard: Guard) -> None:
        timeout = float(request.get("cell_timeout", 30))
        statements = request.get("statements") is True
        # Before any cell: what the judge is told about the GPU comes from an untouched torch.
        protocol.send(self.sock, {"event": "ready", "cuda": bool(torch.cuda.is_available())})
        intact = _builtins_kept()
        for cell in request["cells"]:
            index, source = int(cell["index"]), str(cell["source"])
            started = time.perf_counter()
            error: dict[str, Any] | None = None
            try:
                # (as Jupyter compiles a cell: none of this module's __future__ imports)
                name = f"<cell {index}>"
                codes = _statements(source, name, cell.get("definitions") is True) \
                    if statements else [compile(source, name, "exec", dont_inherit=True)]
                # ... and keeps its source where `inspect` finds it, as IPython does: code
                # that reads its own source (`torch.jit.script`, fresh eyes 17) runs here too
                linecache.cache[name] = (len(source), None, source.splitlines(True), name)

                def run(codes: list[Any] = codes) -> None:
                    failed: list[Exception] = []
                    for code in codes:  # (one code object, or a statement each: see below)
                        try:
                            exec(code, self.namespace)
                        except Exception as exc:  # (not the cell's time limit: a BaseException)
                            if not statements:
                                raise
                            failed.append(exc)
                    if failed:
                        raise failed[0]

                self._run_limited(timeout, run)
            except GradingTimeout:
                error = {"type": "Timeout", "message": f"cell ran past {timeout:.0f} s", "where": ""}
            except BaseException as exc:  # SystemExit and KeyboardInterrupt included
                error = {**harness.error_info(exc), "through": _through(exc, self.namespace)}
            finally:
                self._close_figures()
            if not intact():
                raise HarnessBroken(f"cell {index} replaced Python builtins")
            protocol.send(self.sock, {"event": "cell_end", "index": index, "error": error,
                                      "seconds": time.perf_counter() - started})
        protocol.send(self.sock, {"event": "cells_done"})

    def op_call(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                guard: Guard) -> None:
        held: list[Any] = []  # (the student's objects, alive until the reply is sent)
        header, values = self._call(request, tensors, guard, held)
        protocol.send_value(self.sock, header, **values)
        # (freed now, the reply sent: whatever a `__del__` sets is taken away by the clean-up
        # after every request, `harness.release_kept`; held in `_KEPT` instead, they cost
        # ~1,200 page faults a submission)
        held.clear()

    def op_calls(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                 guard: Guard) -> None:
        """Several calls in one request (the judge's CallPlans), one reply with a result
        each, in order. Each call as `op_call` (or `op_scenario`, for a scenario,
        or `op_get_var`) makes it, with its own (shorter) limit; the
        run stops at the first call that runs out of time, when the budget is spent, or
        before the reply would grow past half the judge's caps: the judge makes whatever
        is missing one call at a time."""
        # Calls sent ahead run in one go at the start of the checks, earlier than the checks
        # would have made them: the snapshot is put back first (what a change made by the
        # cells would break is then computed as on an untouched harness, as a check that
        # made its calls after some evidence was verified would have), and what it found is
        # reported with the next evidence, as ever.
        verify, verify_code, snapshot, _, tools, findings, _ = guard
        if verify.__code__ is not verify_code or verify.__defaults__ is not None:
            verify.__code__, verify.__defaults__ = verify_code, None
            findings.append(("the grader's integrity check was replaced", integrity.BOTH))
        verify(snapshot, tools, findings)
        if harness.switches_changed():
            findings.append(("the grader's device switches were changed", integrity.BOTH))
        started = time.perf_counter()
        limit, budget = float(request.get("limit", 2)), float(request.get("budget", 4))
        max_tensors = int(request.get("max_tensors", 64))
        max_bytes = int(request.get("max_bytes", 1 << 20))
        max_header = int(request.get("max_header", 1 << 20))
        collected = protocol.Tensors()
        # Each call's reply, in the JSON the frame carries, and its tensors' bytes: immutable
        # as soon as the call is encoded, held in this frame (a later call's code that finds
        # the grader's containers through `gc` cannot rewrite an earlier call's result).
        results: tuple[bytes, ...] = ()
        sealed: tuple[tuple[str, Any], ...] = ()
        held: list[Any] = []  # (every call's objects of the student's, until the reply is sent)
        used = header_bytes = 0
        stopped = ""  # why the run ended before the last call: "time", "cut" or "caps"
        for sub in request.get("calls", []):
            if not isinstance(sub, dict):
                break
            if time.perf_counter() - started > budget:
                stopped = "time"
                break
            own = _taken(sub, tensors)
            if sub.get("op") == "get_var":
                header, values = self._get_var(sub)
            elif sub.get("op") == "scenario":
                header, values = self._scenario({**sub, "timeout": limit}, own, guard)
            else:
                header, values = self._call({**sub, "timeout": limit}, own, guard, held)
            if header.get("timeout"):
                stopped = "cut"  # interrupted in the middle: this process is suspect now
                break
            before = len(collected.items)
            for key, value in values.items():
                header[key] = protocol.encode(value, collected)
            added = collected.since(before)
            used += sum(protocol.nbytes(collected.items[k]) for k in added)
            encoded = protocol.encoded(header)  # once: measured here, sent as it is
            header_bytes += len(encoded)
            if (len(collected.items) > max_tensors or used > max_bytes
                    or header_bytes > max_header):
                for key in added:  # (its tensors are the last ones added)
                    del collected.items[key]
                stopped = "caps"
                break
            results += (encoded,)
            # (a value's own tensors came frozen: `_call`; its gradients are frozen here)
            sealed += tuple((key, item if type(item) is protocol.Frozen
                             else harness.plain_copy(item))
                            for key in added for item in (collected.items[key],))
        harness.silence_hooks()
        harness.strip_modes()
        protocol.send(self.sock, {"ok": True, "stopped": stopped},
                      ready=protocol.Encoded({"results": b"[" + b",".join(results) + b"]"},
                                             protocol.serialize(dict(sealed))))
        # (freed now, the reply sent: whatever a `__del__` sets is taken away by the clean-up
        # after every request, `harness.release_kept`; held in `_KEPT` instead, they cost
        # ~1,200 page faults a submission)
        held.clear()

    def _call(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
              guard: Guard, held: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """One call of the student's function: (the reply's header, its values to encode).

        `held`: where every object of the call the student's code could hold a finalizer on
        (its arguments, its value, an exception it raised) is kept until the caller has
        encoded the reply; and no trace or profile function of the student's runs once its
        code has returned (each part that runs it is followed by `silence_hooks`). Why: a
        finalizer, a `__del__` or a trace function is the student's code run inside the
        grader's — a red team of stop 50's `weakref.finalize` on the returned loss doubled
        the gradients the grader had just taken, found through the frames, when the loss was
        freed after them."""
        verify, verify_code, _, snapshot, tools, findings, after_call = guard
        name = str(request["name"])
        fn = self.namespace.get(name)
        if not callable(fn):
            return {"ok": False, "missing": True}, {}
        sent = request.get("args", [])
        args = protocol.decode(sent, tensors)
        kwargs = protocol.decode(request.get("kwargs", {"__dict__": []}), tensors)
        grad_args: list[int] = list(request.get("grad_args", []))
        for i in grad_args:
            args[i] = args[i].detach().clone().requires_grad_(True)
        before = _watch_arguments(args, sent, kwargs, request.get("kwargs"), tensors)
        record = request.get("record") is True
        gpu = request.get("gpu") is True  # the tensor arguments on the (emulated) GPU
        recorded = harness.RecordedCall(request.get("block"), record, plain=not gpu)
        seed_rngs(int(request.get("seed", 0)))
        harness.reset_thread_state()  # (as a request's start: an earlier call may have left it)

        def run() -> Any:
            if gpu:
                return recorded(devices.call_on_gpu, fn, args, kwargs, devices.real_gpu())
            return recorded(fn, *args, **kwargs)

        value: Any = None
        frozen: Any = None
        failure: dict[str, Any] | None = None
        held.append((args, kwargs, recorded))
        try:
            value = self._run_limited(float(request.get("timeout", 10)), run)
            held.append(value)
            frozen = recorded.plain  # (made under the block; held here, not in its object)
        except GradingTimeout:
            failure = {"ok": False, "timeout": True}
        except BaseException as exc:
            held.append(exc)
            failure = {"ok": False, "error": harness.error_info(exc)}
        # Student code is done: put the snapshot back (inline, see serve) before using
        # anything it could have replaced — every call: what the worker then computes of it
        # (the arguments it edited, where its tensors are, its gradients) is the worker's
        # word too, not only a recorded call's evidence (the part a call's evidence rests
        # on, ~10 µs when nothing changed; what it finds goes with the next evidence)
        if verify.__code__ is not verify_code or verify.__defaults__ is not None:
            verify.__code__, verify.__defaults__ = verify_code, None
            findings.append(("the grader's integrity check was replaced", integrity.BOTH))
        verify(snapshot if record else after_call, tools, findings)
        if record and harness.switches_changed():
            findings.append(("the grader's device switches were changed", integrity.BOTH))
        if not recorded.intact:
            findings.append((f"the grader's call recorders (or its library block) were removed "
                             f"during {name}", (integrity.CALLS,)))
        # (a call that records reports what the worker found; one that lifted its block,
        # recorded or not, reports that)
        markers = integrity.encode(findings) if record or not recorded.intact else []
        if failure is not None:
            if "error" in failure and markers:
                failure["error"]["tamper"] = markers
            return {**failure, "called": [*recorded.names, *markers]}, {}
        extra: dict[str, Any] = {}
        where: list[str] = []
        if gpu:  # (plain CPU data back, and where each tensor was; no gradients asked)
            value, where = devices.to_host(value)
            value = harness.plain_copy(value)  # (a dtype the wire does not carry: described)
            grad_args = []
        grads: Any = None
        if grad_args:
            taken = harness.gradients(value, [args[i] for i in grad_args],
                                      _own_copy(tensors.get("upstream")))
            held.append(taken)
            # (the student's backward ran: put back before the gradients are frozen)
            if verify.__code__ is not verify_code or verify.__defaults__ is not None:
                verify.__code__, verify.__defaults__ = verify_code, None
                findings.append(("the grader's integrity check was replaced", integrity.BOTH))
            verify(snapshot if record else after_call, tools, findings)
            grads = _frozen_gradients(taken)  # (gradcheck runs the student's code again)
        if request.get("gradcheck") and not gpu:
            extra["gradcheck"] = harness.run_gradcheck(fn, args, kwargs, grad_args)
            if verify.__code__ is not verify_code or verify.__defaults__ is not None:
                verify.__code__, verify.__defaults__ = verify_code, None
                findings.append(("the grader's integrity check was replaced", integrity.BOTH))
            verify(snapshot if record else after_call, tools, findings)
        if grads is not None:
            extra["grads"] = list(grads[1]) if grads[0] == "list" else dict(grads[1])
        if record and (grad_args or request.get("gradcheck")):  # they ran student code
            if harness.switches_changed():
                findings.append(("the grader's device switches were changed", integrity.BOTH))
            markers = integrity.encode(findings)
        mutated = _edited_arguments(before)
        answer: dict[str, Any] = {"ok": True, "called": [*recorded.names, *markers],
                                  "mutated": mutated}
        if gpu:
            answer["devices"] = where[:WATCH_TENSORS]
        # The value as it was when the function returned, frozen under its block
        # (`harness.plain_copy`; gradients above were taken from the value itself): its
        # tensors are bytes, sent as they are (`protocol.Frozen`), nothing rebuilt from them.
        if not gpu:
            harness.silence_hooks()
            harness.strip_modes()
            value = frozen
        return answer, {"value": value, **extra}

    def op_scenario(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                    guard: Guard) -> None:
        # The snapshot put back first, as for calls sent ahead (`op_calls`): a scenario runs
        # the grader's own code around the student's, which a cell may have replaced (a
        # fixture's runner): the same outcome whether a check's scenario came planned or alone
        verify, verify_code, snapshot, _, tools, findings, _ = guard
        if verify.__code__ is not verify_code or verify.__defaults__ is not None:
            verify.__code__, verify.__defaults__ = verify_code, None
            findings.append(("the grader's integrity check was replaced", integrity.BOTH))
        verify(snapshot, tools, findings)
        header, values = self._scenario(request, tensors, guard)
        protocol.send_value(self.sock, header, **values)

    def _scenario(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                  guard: Guard) -> tuple[dict[str, Any], dict[str, Any]]:
        """One run of a lab scenario: (the reply's header, its values to encode)."""
        verify, verify_code, snapshot, _, tools, findings, _ = guard
        if harness.scenario_entry(str(request.get("name"))) is None:  # a check's mistake
            return {"ok": False, "unknown": True}, {}
        params = protocol.decode(request.get("params", {"__dict__": []}), tensors)
        harness.keep(params)  # (the student's code held them: freed between requests)
        record = request.get("record") is not False
        harness.reset_thread_state()  # (as a request's start: an earlier call may have left it)
        outcome: Any = None
        failure: dict[str, Any] | None = None
        try:
            outcome = self._run_limited(
                float(request.get("timeout", 30)),
                lambda: harness.run_scenario(str(request["name"]), self.namespace, params),
            )
        except GradingTimeout:
            failure = {"ok": False, "timeout": True}
        except BaseException as exc:
            harness.keep(exc)  # (its frames hold the student's objects: none freed here)
            failure = {"ok": False, "error": harness.error_info(exc)}
        if failure is None and type(outcome) is dict:
            # Frozen to plain data at once, running none of the student's code (a value it
            # returned that edits the records from its own `items()` or `__iter__` would
            # otherwise run as the reply is encoded, after the check below); what the hooks
            # held is kept, not freed (a collector callback freed here rewrote the outcome
            # from its `__del__` before the copy: outside red team 73)
            harness.keep(outcome)
            harness.silence_hooks()
            harness.strip_modes()
            outcome = harness.plain_copy(outcome)
        if record:  # the outcome is evidence: verify before anything reads it
            if verify.__code__ is not verify_code or verify.__defaults__ is not None:
                verify.__code__, verify.__defaults__ = verify_code, None
                findings.append(("the grader's integrity check was replaced", integrity.BOTH))
            verify(snapshot, tools, findings)
            if harness.switches_changed():
                findings.append(("the grader's device switches were changed", integrity.BOTH))
        if failure is None and type(outcome) is not dict:
            failure = {"ok": False, "error": {"type": "Harness", "message": "no outcome"}}
        if failure is not None:
            markers = integrity.encode(findings) if record else []
            if "error" in failure and markers:
                failure["error"]["tamper"] = markers
            return failure, {}
        for finding in outcome.pop("_findings", []):
            # a scenario that made a direct call reports what it voids: "calls" evidence
            # (the library calls made) or, by default, the scenario's own outcome
            if (isinstance(finding, tuple) and len(finding) == 2
                    and finding[1] in (integrity.CALLS, integrity.SCENARIOS)):
                findings.append((str(finding[0]), (finding[1],)))
            else:
                findings.append((str(finding), (integrity.SCENARIOS,)))
        markers = integrity.encode(findings) if record else []  # values only: no evidence
        if markers:
            # Reported even where the function is missing: the flag must reach the judge.
            outcome.pop("missing", None)
            outcome["tamper"] = markers
        return {"ok": True}, {"outcome": outcome}

    def op_fingerprint(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                       guard: Guard) -> None:
        """The bindings a function reads (`fingerprints`), for an evidence worker's cells to
        be compared with the main worker's; a scenario's by the function it runs."""
        name = str(request.get("name", ""))
        entry = harness.scenario_entry(name) if request.get("scenario") else None
        name = entry[0] if entry is not None else name
        try:
            prints = fingerprints(self.namespace, name)
        except Exception:  # (a binding that cannot be read: said as such)
            prints = {name: "unreadable"}
        harness.silence_hooks()
        harness.strip_modes()
        protocol.send(self.sock, {"ok": True, "prints": prints})

    def op_get_var(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                   guard: Guard) -> None:
        header, values = self._get_var(request)
        protocol.send_value(self.sock, header, **values)

    def _get_var(self, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        name = str(request["name"])
        if name not in self.namespace:
            return {"ok": False, "missing": True}, {}
        # (as plain data, as a call's value: no code of the student's runs while it is
        # encoded, and a dtype the wire does not carry is described, not a refused reply)
        return {"ok": True}, {"value": harness.plain_copy(self.namespace[name])}

    def op_verify(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                  guard: Guard) -> None:
        """Everything found since the worker started (the judge asks once the checks are
        done, so that a change made after the last evidence is found too)."""
        verify, verify_code, snapshot, _, tools, findings, _ = guard
        if verify.__code__ is not verify_code or verify.__defaults__ is not None:
            verify.__code__, verify.__defaults__ = verify_code, None
            findings.append(("the grader's integrity check was replaced", integrity.BOTH))
        verify(snapshot, tools, findings)
        if harness.switches_changed():
            findings.append(("the grader's device switches were changed", integrity.BOTH))
        protocol.send(self.sock, {"ok": True, "markers": integrity.encode(findings)})

    def op_ping(self, request: dict[str, Any], tensors: dict[str, torch.Tensor],
                guard: Guard) -> None:
        protocol.send(self.sock, {"ok": True, "stdout_tail": self.stdout.buffer_text[-1000:]})

    @staticmethod
    def _close_figures() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            with contextlib.suppress(Exception):
                plt.close("all")


# What a notebook could call native code with, refused once the worker serves: every ctypes
# operation (an outside red team, 22: torch's own CPU kernels, `at::cpu::_softmax_out` and the
# losses', called through `ctypes.PyDLL` on the runtime's libtorch, below the dispatcher and
# so past the no-library block and the recorders, +11). A library file the notebook writes
# cannot be loaded either: every writable folder is noexec (`rootfs`), and no anonymous file
# can be made (`seccomp`: memfd_create).
NATIVE_HINT = ("native code (ctypes, a shared library) is not available in the grader: "
               "compute with torch's tensor operations in Python")
NO_INTERPRETER = "another Python interpreter is not available in the grader"
# A code object made at run time: a library function's code relabelled as a cell's passed
# the library block (red team 34: torch._decomp's softmax and losses, +8); write the code
NO_NEW_CODE = ("code objects cannot be built or changed in the grader (types.CodeType, "
               "code.replace): write the function in a cell")
# A function of the grader's own given other code or defaults: the worker's audit hook with a
# do-nothing body opened ctypes to a cell (`_refuse_native.__code__ = ...`), and the code of
# any harness function swapped during a call and put back before it returned left nothing
# for the integrity check to find.
NO_GRADER_CHANGE = "the grader's own functions cannot be changed"


# What a cell run for its definitions alone runs (`_statements`): imports, functions and
# classes, and assignments that call nothing and loop over nothing (a constant, an alias, a
# lambda, arithmetic on names). What the function needs beyond them shows in its names'
# fingerprints (`fingerprints`), and the call is then made where every cell ran in full.
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                ast.Global, ast.Pass)
_NOT_CHEAP = (ast.Call, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Await,
              ast.Yield, ast.YieldFrom, ast.NamedExpr)


def _definition(statement: ast.stmt) -> bool:
    if isinstance(statement, _DEFINITIONS):
        return True
    return isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and not any(
        isinstance(node, _NOT_CHEAP) for node in ast.walk(statement))


_MISSING = object()
_PLAIN = (bool, int, float, complex, str, bytes, type(None))
MAX_PRINTED = 256  # names a fingerprint follows at most


def _codes(value: Any, depth: int = 0) -> list[types.CodeType]:
    """The code objects a value runs when called: a function's (nested ones too), a
    partial's or a bound method's function's, a class's functions'."""
    if depth > 3:
        return []
    kind = type(value)
    if kind is types.FunctionType:
        found: list[types.CodeType] = []
        todo = [value.__code__]
        while todo and len(found) < 64:
            code = todo.pop()
            found.append(code)
            todo += [c for c in code.co_consts if type(c) is types.CodeType]
        return found
    if kind is types.MethodType:
        return _codes(value.__func__, depth + 1)
    if kind is functools.partial:
        return _codes(value.func, depth + 1)
    if kind in (staticmethod, classmethod):
        return _codes(value.__func__, depth + 1)
    if isinstance(value, type):
        return [c for item in list(type.__dict__["__dict__"].__get__(value).values())[:64]
                for c in _codes(item, depth + 1)]
    return []


def _print(value: Any) -> str:
    """What a name is bound to, as plain text: enough to tell two processes' bindings apart
    (a value, a function's code and defaults), made without running the notebook's code."""
    kind = type(value)
    if value is _MISSING:
        return "missing"
    if kind in _PLAIN:
        return f"{kind.__name__}:{value!r}"[:200]
    if kind in (tuple, list, frozenset, set) and len(value) <= 32:
        return f"{kind.__name__}:" + ",".join(_print(item) for item in value)
    if kind is dict and len(value) <= 32:
        return "dict:" + ",".join(f"{_print(k)}={_print(v)}" for k, v in dict.items(value))
    if kind is torch.Tensor and value.numel() <= 4096:
        data = value.detach().cpu().contiguous().to(torch.float64 if value.is_floating_point()
                                                    else torch.int64)
        data_digest = hashlib.sha1(data.numpy().tobytes()).hexdigest()
        return f"tensor:{value.dtype}:{tuple(value.shape)}:{data_digest}"
    codes = _codes(value)
    if codes:
        digest = hashlib.sha1()
        for code in codes:
            digest.update(code.co_code)
            digest.update(repr([c for c in code.co_consts if type(c) in _PLAIN]).encode())
            digest.update(repr(code.co_names).encode())
        extra = ""
        if kind is types.FunctionType:
            extra = _print(value.__defaults__) + _print(value.__kwdefaults__) + ",".join(
                _print(cell.cell_contents) if _filled(cell) else "empty"
                for cell in value.__closure__ or ())
        return f"code:{kind.__name__}:{digest.hexdigest()}:{extra}"[:2000]
    if kind is types.ModuleType:
        return f"module:{getattr(value, '__name__', '')!s}"[:200]
    return f"object:{kind.__qualname__}"[:200]


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - (an empty cell raises)
    except ValueError:
        return False
    return True


def fingerprints(namespace: dict[str, Any], name: str) -> dict[str, str]:
    """The bindings the function `name` reads, followed through the globals its code names
    (and the functions among them), each as `_print` writes it."""
    prints: dict[str, str] = {}
    todo = [name]
    while todo and len(prints) < MAX_PRINTED:
        key = todo.pop()
        if key in prints:
            continue
        value = namespace.get(key, _MISSING)
        prints[key] = _print(value)
        for code in _codes(value):
            todo += [ref for ref in code.co_names if ref in namespace and ref not in prints]
        if type(value) is types.FunctionType:
            for cell in value.__closure__ or ():
                if _filled(cell):
                    for code in _codes(cell.cell_contents):
                        todo += [ref for ref in code.co_names
                                 if ref in namespace and ref not in prints]
    return prints


def _through(exc: BaseException, namespace: dict[str, Any]) -> list[str]:
    """The notebook's functions (by the names it binds them to) whose own code is on the
    traceback of an error its cell raised: which of them the cell was calling when it was
    raised (an evidence worker's cell reaching a blocked library operator through a graded
    function is that function's use of the library in the notebook's own use of it)."""
    names: dict[types.CodeType, str] = {}
    for name, value in list(namespace.items())[:10_000]:
        if type(value) is types.FunctionType and value.__code__.co_filename.startswith("<cell"):
            names.setdefault(value.__code__, name)
    found: list[str] = []
    tb = exc.__traceback__
    while tb is not None and len(found) < 8:
        bound = names.get(tb.tb_frame.f_code)
        if bound is not None and bound not in found:
            found.append(bound)
        tb = tb.tb_next
    return found


class HarnessBroken(Exception):
    """A cell broke what the worker's own code runs on: the worker ends with
    `zygote.HARNESS_BROKEN`, and the judge grades the notebook without that cell."""


def _builtins_kept() -> Callable[[], bool]:
    """A test, made before the first cell, of whether every builtin is still the object it
    was. Why: the worker's own code — reading the judge's frames, answering — calls builtins
    (`type`, `isinstance`, `len`); a cell that replaced them made the worker unable to read
    the next request, and every call of the notebook then failed, its row `crashed` (0
    points). Found at the cell's end, the cell is the one that broke the harness: the
    notebook is graded without it (as before red team 78's fix, when the replies' encoder
    itself tripped on such builtins). Uses no builtin it tests."""
    store = vars(builtins)
    names = tuple(store)
    values = tuple(store[name] for name in names)
    getter = operator.itemgetter(*names)

    def intact(_store: Any = store, _get: Any = getter, _values: Any = values,
               _same: Any = operator.is_, _all: Any = all, _map: Any = map) -> bool:
        try:
            return bool(_all(_map(_same, _get(_store), _values)))
        except:  # noqa: E722 - a builtin deleted (naming an exception class is a lookup)
            return False
    return intact


def _statements(source: str, name: str, definitions_only: bool = False) -> list[Any]:
    """A cell's top-level statements, compiled one by one (with the cell's __future__
    features): an evidence worker runs each even when one before it raised, since there the
    library a cell calls before it defines a function is blocked (`session.evidence`); with
    `definitions_only`, only its definitions (`_definition`). The whole cell as one, where
    it does not parse (its error is the cell's)."""
    try:
        tree = ast.parse(source, name)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [compile(source, name, "exec", dont_inherit=True)]
    flags = 0
    for statement in tree.body:
        if not (isinstance(statement, ast.ImportFrom) and statement.module == "__future__"):
            break
        for alias in statement.names:
            feature = getattr(__future__, alias.name, None)
            flags |= getattr(feature, "compiler_flag", 0)
    return [compile(ast.Module(body=[statement], type_ignores=[]), name, "exec", flags=flags,
                    dont_inherit=True) for statement in tree.body
            if not definitions_only or _definition(statement)]


def _refuse_native(event: str, args: Any, _grader: frozenset[int] = frozenset(),
                   _function: Any = types.FunctionType, _type: Any = type, _id: Any = id,
                   _error: Any = RuntimeError, _hints: tuple[str, ...] = (),
                   _sets: Any = None, _count: Any = next) -> None:
    """A worker's second audit hook, added as it starts to serve (so after its own
    confinement, which uses ctypes, and before any cell): refuses every ctypes event, and
    any further audit hook. Audit hooks cannot be removed, so the refusal lasts as long as
    the worker; nothing of it can be switched off. Nor another interpreter: a Python audit
    hook is its own interpreter's, so one started in the worker (`_xxsubinterpreters`) runs
    ctypes with none (red team 32: torch's softmax kernel called past the evidence worker's
    block, +2); the modules that start one with no hook asked (`_testcapi`) are not there
    (`rootfs.UNSAFE_MODULES`). Nor a code object made at run time (`NO_NEW_CODE`). Nor new
    code or defaults for a function of the grader's (`_grader`: the ids of its modules'
    namespaces, which are its functions' globals, whatever code they hold), itself included
    (`NO_GRADER_CHANGE`). And every trace or profile function set is counted
    (`harness.TRACE_SETS`: a library block's trace function unset and set again).

    It looks up no global or builtin name (a cell can rebind those in this module): what it
    uses comes as its defaults, a tuple (no dict a cell could edit in place, as keyword
    defaults are), set as it is added (`refuse_native_code`) and, like its code, refused to
    change from then on."""
    if event.startswith("ctypes."):
        raise _error(_hints[0])
    if event == "sys.addaudithook":
        raise _error(_hints[1])
    if event == "cpython.PyInterpreterState_New":
        raise _error(_hints[2])
    if event == "code.__new__":  # (`CodeType(...)`, `code.replace(...)`)
        raise _error(_hints[3])
    if event == "sys.settrace" or event == "sys.setprofile":
        # (counted, not refused: Python itself unsets a trace function that raises — the
        # block's, refusing the library — and a refusal here would change what it raised)
        if _sets is not None:
            _count(_sets)
    elif event == "object.__setattr__" and args[1] in ("__code__", "__defaults__",
                                                     "__kwdefaults__") \
            and _type(args[0]) is _function and _id(args[0].__globals__) in _grader:
        raise _error(_hints[4])


def grader_namespaces() -> frozenset[int]:
    """The ids of the namespaces of the grader's worker-side modules (its own package's and
    the lab's worker modules, `harness.LAB_MODULES`): the globals of every function they
    define. They live as long as the worker."""
    return frozenset(id(vars(module)) for module in _grader_modules())


def refuse_native_code() -> None:
    """Add `_refuse_native` (once per process: the zygote's first audit hook lets exactly
    this one in, `_LETTING_IN`), with what it uses (`_shared_setup`)."""
    if _refuse_native in _AUDIT_HOOKS:
        return
    _LETTING_IN.append(_refuse_native)
    try:
        sys.addaudithook(_refuse_native)
    finally:
        _LETTING_IN.clear()
    _AUDIT_HOOKS.append(_refuse_native)


NATIVE_FOR_SANDBOX_TESTS: list[bool] = []  # (`zygote.NATIVE_FOR_SANDBOX_TESTS`)


def serve(sock: socket.socket, network_namespace: bool) -> None:
    worker = Worker(sock, network_namespace)
    if not NATIVE_FOR_SANDBOX_TESTS:
        refuse_native_code()
    worker.serve()
