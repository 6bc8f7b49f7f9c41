"""The judge's view of one submission running in a worker.

It executes the notebook (a cell that hangs or kills the worker is recorded,
skipped, and the notebook re-run without it), then forwards check calls with
deadlines. A worker lost mid-call is replaced transparently, so one bad call
costs one check, not the whole submission. Only decoded plain data leaves here.

Time is absolute: every call has one deadline (its own limit, cut to what is left
of the submission's budget) that covers sending the request, reading every byte of
the reply and decoding it, so a worker cannot stretch a call by trickling or bloating
its reply. A reply over the config's caps, or a call past its deadline, costs the
worker its life and is recorded as an incident. A submission whose budget runs out
is `timeout`, and its worker is closed. Everything the worker says about the
student's exceptions is shortened and stripped of control characters here, before
any of it can reach feedback.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch

from autograder.config import Limits
from autograder.load.notebook import Submission
from autograder.sandbox import harness, integrity, protocol, quoting
from autograder.sandbox.client import WorkerHandle, ZygoteConnection
from autograder.sandbox.quoting import (
    _CELL_BREAK,
    _WHERE,
    _WHERE_LINE,
    MAX_MESSAGE,
    MAX_TYPE_NAME,
    MAX_WHERE,
    UNUSUAL_TYPE,
    _quotable_type,
    quotable_message,
    quoting_from,
    real_where,
)

GRACE_S = 2.0
# Calls sent ahead of a check (CallPlans): each with its own short limit, all within a
# budget; a call slower than that is simply made again when the check asks for it.
PREFETCH_CALL_S = 2.0
PREFETCH_BUDGET_S = 4.0
MAX_PLANNED = 96
# One request sent ahead holds at most this many calls and tensors (the worker receives at
# most protocol.MAX_TENSORS tensors a frame); a submission's plan takes two or three.
AHEAD_CALLS = 256
AHEAD_TENSORS = 1024
MAX_FRAMES = 8  # requests sending calls ahead kept encoded per judge (a plan takes two or three)


CallKey = tuple[Any, ...]  # (see `call_key`)
_T = TypeVar("_T")


def student_error_info(raw: Any) -> dict[str, Any]:
    """The worker's report of a student exception, as the judge may show it.

    The worker is the student's process, so its report is untrusted text: the type name
    must look like a Python name (a class named after the contents of a file is withheld,
    not quoted), the message is cut and stripped of control characters, and `where` must
    read "cell N, line M" as the worker writes it.
    """
    info = raw if isinstance(raw, dict) else {}
    kind = protocol.clean_text(info.get("type", ""), 4 * MAX_TYPE_NAME)
    if kind and (len(kind) > MAX_TYPE_NAME
                 or not all(part.isidentifier() for part in kind.split("."))):
        kind = UNUSUAL_TYPE
    where = protocol.clean_text(info.get("where", ""), MAX_WHERE)
    function = info.get("function")
    function = function if isinstance(function, str) and len(function) <= MAX_TYPE_NAME \
        and function.isidentifier() else ""
    through = info.get("through")
    return {"type": kind, "function": function,
            "message": protocol.clean_text(info.get("message", ""), MAX_MESSAGE,
                                           keep_newlines=True),
            "where": real_where(where) if _WHERE.fullmatch(where) else "",
            "own": info.get("own") is True,
            "kinds": _builtin_kinds(info.get("kinds")),
            # (a cell's error: the notebook's functions it raised through, by name)
            "through": tuple(name for name in through[:8] if isinstance(name, str)
                             and len(name) <= MAX_TYPE_NAME and name.isidentifier())
            if isinstance(through, list) else ()}


def _builtin_kinds(raw: Any) -> tuple[str, ...]:
    """The built-in exception classes the worker says the error is an instance of: names of
    built-in exceptions only (anything else is dropped)."""
    if not isinstance(raw, list):
        return ()
    return tuple(k for k in raw[:8] if isinstance(k, str)
                 and isinstance(getattr(builtins, k, None), type)
                 and issubclass(getattr(builtins, k), BaseException))


def describe_value(value: Any) -> str:
    """What an argument the judge sent is, in a student's words, without its values (hidden
    inputs stay hidden): a tensor's dtype and shape, a container's length, a flag, a name, an
    int or a float parameter (a reduction, a dim, a delta) as it is."""
    kind = type(value)
    if isinstance(value, torch.Tensor):
        return _a(f"{str(value.dtype).removeprefix('torch.')} tensor of shape {tuple(value.shape)}")
    if value is None or kind in (bool, str, int):
        text = repr(value)
        return text if len(text) <= 40 else _a(kind.__name__)
    if kind is float:
        return format(value, ".6g")
    if kind in (list, tuple, dict):
        return _a(f"{kind.__name__} of {len(value)} item{'s' if len(value) != 1 else ''}")
    shape = getattr(value, "shape", None)
    if kind.__module__ == "numpy" and isinstance(shape, tuple):
        return _a(f"{getattr(value, 'dtype', '')} NumPy array of shape {shape}")
    return _a(kind.__name__)


def _a(words: str) -> str:
    return ("an " if words[:1] in tuple("aeiou") else "a ") + words


def describe_call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                  gpu: bool = False) -> str:
    """`name(...)` as the judge called it (`describe_value` for each argument): where a
    student's function raised, the input it raised on, which the student can then rebuild."""
    parts = [describe_value(a) for a in args]
    parts += [f"{k}={describe_value(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})" + (" with its tensors on the GPU" if gpu else "")


class StudentError(Exception):
    """The student's function raised; `info` holds type, message and cell, each already
    shortened and cleaned (see `student_error_info`)."""

    def __init__(self, name: str, info: Any, called_with: str = "") -> None:
        self.name = name
        self.info = student_error_info(info)
        self.called_with = called_with  # the call as `describe_call` words it ("" unknown)
        super().__init__(f"{self.info['type']}: {self.info['message']}")

    @property
    def kind(self) -> str:
        return self.info["type"]

    def is_a(self, kind: str) -> bool:
        """Whether the error is a `kind` (a built-in exception), as `except kind:` would
        tell: `class ShapeError(ValueError)` is a ValueError."""
        return self.kind == kind or kind in self.info["kinds"]

    @property
    def own(self) -> bool:
        """Raised by a line of the student's own code (a stub's `raise NotImplementedError`),
        not inside a library it called. Words only: the worker reports it."""
        return self.info["own"] is True

    def excerpt(self) -> str:
        """The error as feedback shows it: its type, its message's first line, where — each
        as far as it may be quoted (`quotable_message`, `_quotable_type`): the student's own
        exception can carry the values it was called with, and feedback never shows a hidden
        input."""
        where = f" ({self.info['where']})" if self.info["where"] else ""
        message = self.info["message"].strip().splitlines()
        first = quotable_message(self.info["message"], self.own) if message else ""
        kind = _quotable_type(self.kind, self.info["kinds"])
        return f"{kind}: {first}{where}" if first else f"{kind}{where}"


class _Noted(Exception):
    """A request `StudentSession.ahead` noted instead of sending (never leaves the session)."""


class MissingFunction(Exception):
    """The notebook never defined the name (or its defining cell failed)."""


class CallTimeout(Exception):
    """A call ran past its limit; the worker was replaced."""


class WorkerLost(Exception):
    """The worker died during a call (exit, signal, broken protocol)."""


class OutOfTime(Exception):
    """The submission's total time budget is spent."""


@dataclass
class CellRecord:
    index: int
    error: dict[str, Any] | None = None
    seconds: float = 0.0
    fatal: str = ""  # why the cell was skipped on re-run
    # Where Jupyter shows the cell (heading above it, first line): what every message about
    # it says, since a student cannot find "cell 46" (load.notebook.Cell.location).
    location: str = ""
    line: int = 0  # the line of the cell the error points at, from 1 (0: unknown)
    code: str = ""  # that line of the student's source, read judge-side


@dataclass
class CallResult:
    value: Any
    called: list[str]  # what the worker's recorders saw (empty unless `recorded`)
    mutated: list[int | str]  # the arguments it edited in place: index, or keyword's name
    grads: Any = None
    gradcheck: Any = None
    recorded: bool = False  # the call was made with record=True: `called` is evidence
    # gpu=True: each tensor of the value, where the call left it ("gpu" or "cpu"), in the
    # order a depth-first walk meets them (`sandbox.devices.to_host`)
    devices: list[str] | None = None


@dataclass
class Incidents:
    """What went wrong outside the student's functions' return values."""

    timeouts: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


def describe_exit(status: dict[str, Any]) -> str:
    if status.get("killed"):
        return "stopped answering the grader (its connection closed) and was ended"
    if not status.get("exited"):
        return "stopped responding"
    sig = status.get("signal")
    if sig is not None:
        names = {signal.SIGSEGV: "crashed with a segmentation fault",
                 signal.SIGXCPU: "used up its CPU-time limit",
                 signal.SIGKILL: "was killed (out of memory or over a limit)",
                 signal.SIGABRT: "aborted"}
        return names.get(sig, "was killed by a signal")  # (not which: a number of its choosing)
    code = status.get("exitcode")
    if code == 70:  # zygote.HARNESS_BROKEN, not imported: the zygote module is worker-side
        # (the grader's own code failed in that process: which cause is not reported — red
        # team 100's memory hog read "replacing Python builtins", which it never did)
        return ("broke the grading harness inside its own process (the grader's code failed "
                "there: memory used up, or Python's builtins replaced, for instance)")
    if code == 0:
        return "ended the grading process itself (os._exit or similar)"
    # (not the code: the student's own number, which carried a hidden value — red team 60)
    return "exited with a non-zero code (sys.exit or os._exit in the notebook)"


def reply_caps(limits: Limits) -> protocol.Caps:
    """The config's caps on one worker reply, in the protocol's units."""
    return protocol.Caps(header_bytes=int(limits.max_reply_header_mb * 2**20),
                         blob_bytes=int(limits.max_reply_tensor_mb * 2**20),
                         tensors=limits.max_reply_tensors)


@dataclass
class Reply:
    """One worker reply: its header, the values decoded from it, and the time it was given."""

    header: dict[str, Any]
    values: dict[str, Any]
    limit: float
    cut: bool  # the limit was cut short by the submission's remaining budget


@dataclass(frozen=True)
class PlannedCall:
    """One call a check made: its request as sent (no time limit) and its tensors."""

    key: CallKey
    header: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    @functools.cached_property
    def parts(self) -> tuple[bytes, tuple[tuple[str, tuple[str, tuple[int, ...], bytes]], ...]]:
        """What a request sending it ahead holds of it: its header's JSON (less the closing
        brace) and each of its tensors' content, computed once (`CallPlans.encoded`)."""
        return (protocol.encoded(self.header)[:-1],
                tuple((name, _content(tensor)) for name, tensor in self.tensors.items()))


class CallPlans:
    """Per judge: the calls each check made when it last ran.

    Why: a check calls the student's functions on the same hidden inputs for every
    submission, one request each (about 300 per submission), and a round trip to the worker
    costs more than most student functions. When a submission's checks start, the calls they
    made last time go to the worker in one request (or a few: see `StudentSession`), in the
    order the checks run; a check's own calls are then answered from those results when they
    are the same request (same function, arguments, tensors' bytes and options), and sent as
    before when not (a check that reacts to a wrong answer). Learned from the grading itself:
    nothing to configure, any lab, no check written for it."""

    def __init__(self, frozen: bool = False) -> None:
        # A frozen plan learns nothing more (`learn`): a judge's plan is learned from its
        # rehearsal on the lab's own solution alone (`Grader.rehearse`), never from students
        self.frozen = frozen
        self.by_check: dict[str, list[PlannedCall]] = {}
        self.order: dict[str, None] = {}  # the checks in the order they first ran
        # each check's last submission, the keys of its calls then, and those of the one before
        self._made: dict[str, tuple[object, set[CallKey], set[CallKey]]] = {}
        # requests sending calls ahead, encoded, by the calls they hold (see `encoded`)
        self._frames: dict[tuple[int, ...], tuple[list[PlannedCall], protocol.Encoded]] = {}

    def get(self, check: str) -> list[PlannedCall]:
        return self.by_check.get(check, [])

    def note(self, check: str) -> None:
        """`check` starts (its place in the order the checks run)."""
        self.order.setdefault(check)

    def learn(self, check: str, calls: list[PlannedCall], student: object = None) -> None:
        """`check` passed making `calls` for a notebook of `student`. Its plan from now on:
        the calls it made byte for byte for this student and for the one before (two
        different students). A call whose arguments came from a submission's own results (a
        check that feeds a student's value back: an upstream gradient times the value) is so
        never sent ahead to another student's worker, unless two students' notebooks gave
        the very same bytes — nothing then that is one student's (two notebooks of one
        student, or a group's rows, are one student's: a sixteenth outside red team's two
        notebooks carried their values to the next student's worker); and a call with fresh
        values each time (a check that draws them on purpose) is not run ahead for nothing.
        Nothing, once the plan is frozen."""
        self.note(check)
        if self.frozen:
            return
        made = {call.key for call in calls}
        before = self._made.get(check)
        if before is not None and before[0] == student:  # (a check passing twice for one
            made |= before[1]  # student is still that student's: nothing planned from it)
            calls = [call for call in calls if call.key in before[2]]
            self._made[check] = (student, made, before[2])
        else:
            self._made[check] = (student, made, before[1] if before is not None else set())
            calls = [call for call in calls if before is not None and call.key in before[1]]
        if 1 <= len(calls) <= MAX_PLANNED:
            self.by_check[check] = calls
        elif not calls:
            self.by_check.pop(check, None)

    def ahead(self) -> list[tuple[str, PlannedCall]]:
        """Every planned call, by check in the order the checks run."""
        return [(check, call) for check in self.order for call in self.by_check.get(check, [])]

    def encoded(self, calls: list[PlannedCall]) -> protocol.Encoded:
        """The `calls` field and the tensors of a request sending these calls ahead, encoded
        once: the plan is the same from one submission to the next, and encoding it was ~5 %
        of a judge's time. Held with the calls themselves, whose ids then stay theirs.

        Each distinct tensor goes once, and each call names the frame's tensors it takes
        (`"tensors"`: its own name → the frame's): the checks give the same probe inputs to
        many calls (~660 tensors a submission, ~230 distinct), and every tensor a worker
        receives is a view it builds and checks. The worker hands each call copies, so
        calls sharing a tensor cannot reach one another through it."""
        key = tuple(id(call) for call in calls)
        held = self._frames.pop(key, None)
        if held is None:  # (each call's own part encoded once: `PlannedCall.parts`)
            held = (list(calls), encode_calls(calls))
            while len(self._frames) >= MAX_FRAMES:
                self._frames.pop(next(iter(self._frames)))  # the least recently used
        self._frames[key] = held
        return held[1]


def encode_calls(calls: list[PlannedCall]) -> protocol.Encoded:
    """The `calls` field and the tensors of a request holding these calls (`op: calls`).
    Each distinct tensor goes once, and each call names the frame's tensors it takes
    (`"tensors"`: its own name → the frame's); the worker hands each call copies."""
    fields: list[bytes] = []
    items: dict[str, torch.Tensor] = {}
    names: dict[tuple[str, tuple[int, ...], bytes], str] = {}  # content -> frame name
    for call in calls:
        header, contents = call.parts
        taken: dict[str, str] = {}
        for name, content in contents:
            if content not in names:
                names[content] = f"u{len(names)}"
                items[names[content]] = call.tensors[name]
            taken[name] = names[content]
        # {**header, "tensors": taken}, as JSON (a header is never empty: it has "op")
        fields.append(header + b',"tensors":' + protocol.encoded(taken) + b"}")
    return protocol.Encoded({"calls": b"[" + b",".join(fields) + b"]"},
                            protocol.serialize(items))


def _content(tensor: torch.Tensor) -> tuple[str, tuple[int, ...], bytes]:
    """What tells two tensors of a frame apart: dtype, shape and every bit (-0.0 is not 0.0,
    each nan payload its own)."""
    flat = tensor.detach().reshape(-1).contiguous()
    return str(tensor.dtype), tuple(tensor.shape), flat.view(torch.uint8).numpy().tobytes()


def call_key(header: dict[str, Any], tensors: dict[str, torch.Tensor]) -> CallKey | None:
    """What makes two call requests the same request (None: not plannable): the header's
    text and each tensor's name, dtype, shape and bytes (-0.0 is not 0.0)."""
    # The header is built by this module in a fixed order (no need to sort its keys) from
    # plain data (`protocol.encode`): its repr tells apart all that its JSON would, in half
    # the time. A tuple rather than a digest of it: a submission computes ~300 keys, and
    # hashing small bytes for a dict lookup costs less than a digest's object and updates.
    parts: list[Any] = [repr(header)]
    for name, tensor in tensors.items():
        if not tensor.is_cpu or tensor.is_quantized or tensor.is_sparse:
            return None
        parts += (name, *_content(tensor))
    return tuple(parts)


_MAX_DEPTH = 20  # as `protocol.encode`: deeper is sent as an opaque object
_MAX_ITEMS = 10_000  # as `protocol.encode`: a longer container is cut


def _plain_key(value: Any, depth: int = 0) -> Any:
    """A key for `value` as `protocol.encode` sends it, made without encoding it; None when
    `value` is not one of the plain kinds this covers (then the encoded request is the key).

    Two values with the same key are sent as the same request (the converse need not hold:
    a value sent alike but keyed apart only misses its planned result). So every part of
    what the encoding writes is in the key with its kind: a bool is not an int, a float is
    its repr (-0.0 is not 0.0), a tuple is not a list, a tensor is its dtype, shape,
    requires_grad and bytes, and anything less plain (a subclass, another device, a
    conjugate or negative view, a dtype numpy lacks, an int past 64 bits) is not covered."""
    kind = type(value)
    if kind is torch.Tensor:
        if (not value.is_cpu or value.is_quantized or value.is_sparse or value.is_conj()
                or value.is_neg()):
            return None
        try:
            data = value.detach().numpy().tobytes()  # (in C order, whatever the strides)
        except (RuntimeError, TypeError):
            return None
        return ("t", value.dtype, tuple(value.shape), value.requires_grad, data)
    if value is None:
        return ("n",)
    if kind is bool or kind is str:
        return (kind.__name__, value)
    if kind is int:
        return ("i", value) if abs(value) < 2**63 else None
    if kind is float:
        return ("f", repr(value))
    if depth >= _MAX_DEPTH or (kind in (list, tuple, dict) and len(value) > _MAX_ITEMS):
        return None
    if kind is list or kind is tuple:
        items = [_plain_key(item, depth + 1) for item in value]
        return None if None in items else (kind.__name__, tuple(items))
    if kind is dict:
        pairs = [(_plain_key(k, depth + 1), _plain_key(v, depth + 1)) for k, v in value.items()]
        return None if any(None in pair for pair in pairs) else ("dict", tuple(pairs))
    return None


@functools.lru_cache(maxsize=64)
def blocked_plan(ops: tuple[str, ...]) -> tuple[harness.PlanEntry, ...]:
    """The request's form of a library block (`harness.block_plan`): every overload of the
    operators, each with the dispatch keys to block it at; computed once per judge for each
    set (a worker would look the overloads and their kernels up again in every fresh
    process)."""
    return tuple(harness.block_plan(ops))


def direct_call_key(name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                    grad_args: tuple[int, ...], gradcheck: bool, seed: int, record: bool,
                    upstream: torch.Tensor | None, block: tuple[str, ...] = (),
                    gpu: bool = False) -> CallKey | None:
    """The key of `StudentSession.call`'s request, without building the request: encoding
    a call's arguments to key it was a third of the judge's time in a call answered from its
    plan (~300 a submission). None when an argument is not plain (`_plain_key`): the request
    is then built and keyed by `call_key` (a different first element: never the same key)."""
    if (type(name) is not str or type(gradcheck) is not bool or type(record) is not bool
            or type(seed) is not int or not all(type(i) is int for i in grad_args)
            or not all(type(op) is str for op in block) or type(gpu) is not bool):
        return None
    plain_args, plain_kwargs = _plain_key(list(args)), _plain_key(dict(kwargs))
    if plain_args is None or plain_kwargs is None:
        return None
    sent_upstream = None
    if upstream is not None:  # sent detached
        sent_upstream = _plain_key(upstream.detach())
        if sent_upstream is None:
            return None
    return ("call", name, plain_args, plain_kwargs, tuple(grad_args), gradcheck, seed, record,
            sent_upstream, tuple(block), gpu)


def direct_scenario_key(name: str, params: dict[str, Any], record: bool) -> CallKey | None:
    """`direct_call_key` for `StudentSession.scenario`'s request (a first element of its own)."""
    if type(name) is not str or type(record) is not bool or type(params) is not dict:
        return None
    plain = _plain_key(params)
    return None if plain is None else ("scenario", name, plain, record)


def _once(build: Callable[[], _T]) -> Callable[[], _T]:
    """`build`, run at most once, its result kept (a request built only when it is needed;
    a closure, not `functools.cache`, whose wrapper costs ~2 µs to make, ~300 times a
    submission)."""
    done: list[_T] = []

    def once() -> _T:
        if not done:
            done.append(build())
        return done[0]

    return once


def _names(value: Any) -> list[str]:
    return [protocol.clean_text(n, 120) for n in value] if isinstance(value, list) else []


def _arguments(value: Any) -> list[int | str]:
    """The arguments a reply names: positional by index, keyword by name."""
    if not isinstance(value, list):
        return []
    return [i for i in value if (isinstance(i, int) and not isinstance(i, bool))
            or isinstance(i, str)]


class StudentSession:
    def __init__(self, conn: ZygoteConnection, submission: Submission, limits: Limits,
                 extra_hidden: list[str] | None = None, plans: CallPlans | None = None,
                 student: str = "", block_for_good: tuple[harness.PlanEntry, ...] = ()) -> None:
        self.conn = conn
        # An evidence worker's library block, in place before its cells (`evidence`)
        self.block_for_good = block_for_good
        self._held = frozenset(block_for_good)
        self._evidence: dict[tuple[str, ...], StudentSession] = {}
        self.definitions_only: set[int] = set()  # cells run for their definitions alone
        self._fingerprints: dict[tuple[str, bool], dict[str, Any] | None] = {}
        self.plans = plans
        # whose work it is: the plans learn nothing one student's notebooks alone made
        self.student = student or submission.submission_id
        self._check: str | None = None  # the check running now (begin_check)
        self._made: list[PlannedCall] = []  # the calls it made so far
        self._prefetched: dict[CallKey, deque[tuple[dict[str, Any], dict[str, Any]]]] = {}
        # results sent ahead, by check (then as `_prefetched`)
        self._ahead: dict[str, dict[CallKey, deque[tuple[dict[str, Any], dict[str, Any]]]]] = {}
        self._sent_ahead = False  # (once per submission, before its first check)
        self._known: dict[CallKey, PlannedCall] = {}  # the running check's plan, by key
        # What the worker's integrity check reported, from any reply (in order, once each),
        # and the kinds of evidence each check took ("calls", "scenarios"): see `findings`.
        self.markers: dict[str, None] = {}
        self.relied: dict[str, set[str]] = {}
        self._prefetch_off = False  # slow code, or a prefetch the worker did not survive
        self._collecting: list[PlannedCall] | None = None  # (`ahead`'s calls, while noted)
        self.submission = submission
        quoting_from(_CELL_BREAK.join(cell.source for cell in submission.cells),
                     {cell.index: cell.source.count("\n") + 1 for cell in submission.cells},
                     {cell.index: cell.source for cell in submission.cells})
        self.limits = limits
        self.caps = reply_caps(limits)
        self.extra_hidden = extra_hidden or []
        self.cells: dict[int, CellRecord] = {c.index: CellRecord(c.index, location=c.location)
                                             for c in submission.cells}
        self.incidents = Incidents()
        self.worker: WorkerHandle | None = None
        self.restarts = 0
        # Functions (and scenarios) whose call had to be killed: run past its limit where the
        # worker could not interrupt it (a loop inside C, SIGALRM ignored). Not run again:
        # each such call would cost a worker and a restart, and the restarts would run out
        # before the student's other functions are graded.
        self.hung: set[str] = set()
        self.started = time.monotonic()
        self.deadline = self.started + limits.submission_timeout_s
        self.cuda_available = False
        self.out_of_time = False

    # ----------------------------------------------------------- lifecycle
    def start(self) -> None:
        own = {"block_for_good": list(self.block_for_good)} if self.block_for_good else {}
        while True:
            self.worker = self.conn.spawn(self.limits, self.extra_hidden, **own)
            if self._execute_cells():
                break
            if self.restarts >= self.limits.max_restarts or self._remaining() <= 0:
                self.close()
                raise OutOfTime("the notebook could not be executed within its limits")
            self.restarts += 1
        self._ask({"op": "ping"}, None, 10)

    def close(self) -> None:
        evidence, self._evidence = self._evidence, {}
        for session in evidence.values():
            session.close()
        if self.worker is not None:
            worker, self.worker = self.worker, None
            with contextlib.suppress(OSError, protocol.ProtocolError):
                protocol.send(worker.sock, {"op": "shutdown"}, deadline=time.monotonic() + 1)
            worker.sock.close()
            self.conn.end(worker.pid)

    def _drop_worker(self, kill: bool) -> dict[str, Any]:
        """Forget the worker; `kill` it first (alive, and misbehaving or no longer needed),
        or else wait briefly for the exit status of one that is dying by itself."""
        worker, self.worker = self.worker, None
        if worker is None:
            return {}
        status = self.conn.kill(worker.pid) if kill else self.conn.wait(worker.pid, 3)
        worker.sock.close()
        return status

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _out_of_time(self) -> OutOfTime:
        """The submission's budget is spent: record it once, close the worker; raise the result."""
        if not self.out_of_time:
            self.out_of_time = True
            self.incidents.timeouts.append(
                f"the submission ran past its total time limit of "
                f"{self.limits.submission_timeout_s:.0f} s; the checks still to run were not "
                "graded")
        self.close()
        return OutOfTime("the submission's total time limit was reached")

    def _execute_cells(self) -> bool:
        """Run every non-fatal cell; False when the worker had to be killed."""
        assert self.worker is not None
        order = [c.index for c in self.submission.cells
                 if not self.cells[c.index].fatal and c.source.strip()]
        cells = [{"index": i, "source": self.submission.cells_by_index[i].source,
                  **({"definitions": True} if i in self.definitions_only else {})}
                 for i in order]
        cell_timeout = self.limits.cell_timeout_s
        # The cells run in this order, so the one running is the one after the last that
        # ended (the worker sends no message when a cell starts: one wake-up less per cell).
        # Each cell ends once, in that order: anything else is refused, so a notebook cannot
        # re-arm the cell limit by reporting cells that did not run.
        position = 0
        current: int | None = order[0] if order else None
        cut = False
        ready = False  # the worker's first word, before any of the notebook ran: its GPU
        try:
            protocol.send(self.worker.sock, {"op": "exec_cells", "cells": cells,
                                             "cell_timeout": cell_timeout,
                                             "statements": bool(self.block_for_good)},
                          deadline=time.monotonic() + max(self._remaining(), 0.1) + GRACE_S)
            while True:
                # A cell has its own limit, and the submission's total is a hard end: many
                # quick cells cannot run past it either.
                cut = self._remaining() < cell_timeout
                deadline = time.monotonic() + min(cell_timeout, self._remaining()) + GRACE_S
                event, _ = protocol.recv(self.worker.sock, deadline, self.caps)
                kind = event.get("event")
                if kind == "ready" and not ready:
                    # Asked before any student code ran in this worker: a notebook that
                    # makes torch (or the harness) say a GPU is there does not move the
                    # device checks to the real-GPU path.
                    ready, self.cuda_available = True, event.get("cuda") is True
                    continue
                if not ready:
                    raise protocol.ProtocolError("cells reported before the worker was ready")
                if kind == "cell_end":
                    if _index(event) != current:
                        current = _running(current, order)
                        raise protocol.ProtocolError("a cell reported out of order")
                    self._cell_end(event, cell_timeout)
                    position += 1
                    current = order[position] if position < len(order) else None
                elif kind == "cells_done" and current is None:
                    return True
                else:  # (the last cell's code, if it is a message after every cell ended)
                    current = _running(current, order)
                    raise protocol.ProtocolError("a cell event out of order")
        except protocol.FrameTimeout:
            self._drop_worker(kill=True)
            reason = (f"{self._where(current)} ran past the {cell_timeout:.0f} s cell limit "
                      "and ignored the interrupt; it was skipped")
            if cut:
                reason = ("the submission's total time limit was reached during "
                          f"{self._where(current)}; it was skipped")
            self._mark_fatal(current, reason, timeout=True)
            return False
        except (protocol.PeerClosed, OSError):
            status = self._drop_worker(kill=False)
            self._mark_fatal(current, f"{self._where(current)} {describe_exit(status)}; it was "
                                      "skipped", timeout=False)
            return False
        except protocol.ProtocolError as exc:
            self._drop_worker(kill=True)
            self._mark_fatal(current, f"{self._where(current)}: the worker sent a message the "
                                      f"grader refuses ({exc}) and was stopped; the cell was "
                                      "skipped", timeout=False)
            return False

    def _cell_end(self, event: dict[str, Any], cell_timeout: float) -> None:
        record = self.cells.get(_index(event))
        if record is None:
            return
        error = event.get("error")
        record.error = student_error_info(error) if error else None
        seconds = event.get("seconds", 0)
        record.seconds = float(seconds) if isinstance(seconds, (int, float)) else 0.0
        record.line, record.code = 0, ""
        if record.error:
            match = _WHERE_LINE.fullmatch(record.error["where"])
            if match and int(match.group(1)) == record.index:
                record.line = int(match.group(2))
                record.code = self.submission.source_line(record.index, record.line)
        if record.error and record.error["type"] == "Timeout":
            self.incidents.timeouts.append(
                f"{self._where(record.index)} ran past the {cell_timeout:.0f} s cell limit "
                "and was interrupted")

    def _where(self, index: int | None) -> str:
        record = self.cells.get(index) if index is not None else None
        if record is None:
            return "a cell" if index is None else f"cell {index}"
        return record.location or f"cell {index}"

    def _mark_fatal(self, index: int | None, reason: str, timeout: bool) -> None:
        (self.incidents.timeouts if timeout else self.incidents.crashes).append(reason)
        if self.worker is not None:
            self.worker.sock.close()
            self.worker = None
        if index is not None and index in self.cells:
            self.cells[index].fatal = reason
        else:  # died outside any cell: nothing to skip, stop retrying
            self.restarts = self.limits.max_restarts

    # ----------------------------------------------------------- requests
    def _ensure_worker(self) -> WorkerHandle:
        if self.worker is None:
            if self.restarts >= self.limits.max_restarts:
                raise WorkerLost("the worker could not be restarted (restart limit reached)")
            self.restarts += 1
            self.start()
        assert self.worker is not None
        return self.worker

    def _ask(self, header: dict[str, Any], tensors: dict[str, torch.Tensor] | None,
             timeout: float, decode: tuple[str, ...] = (), each: tuple[str, ...] = (),
             ready: protocol.Encoded | None = None) -> Reply:
        """Send one request and read its reply, decoding the `decode` fields, all by one
        deadline: the call's limit (cut to the submission's remaining budget) plus a grace.
        `ready`: parts of the request encoded already (`protocol.send`)."""
        if self._remaining() <= 0:
            raise self._out_of_time()
        worker = self._ensure_worker()
        remaining = self._remaining()
        if remaining <= 0:
            raise self._out_of_time()
        limit, cut = min(timeout, remaining), remaining < timeout
        header["timeout"] = limit
        deadline = time.monotonic() + limit + GRACE_S
        what = str(header.get("name", header["op"]))
        try:
            protocol.send(worker.sock, header, tensors, deadline, ready)
            reply, blob = protocol.recv(worker.sock, deadline, self.caps)
            decoder = protocol.Decoder(blob, deadline)
            values = {key: decoder.decode(reply[key]) for key in decode if key in reply}
            if each:  # a list of results (prefetched calls): decode these keys of each
                results = reply.get("results")
                if not isinstance(results, list) or not all(isinstance(r, dict)
                                                            for r in results):
                    raise protocol.ProtocolError("a reply without its list of results")
                values["results"] = [{key: decoder.decode(r[key]) for key in each if key in r}
                                     for r in results]
        except protocol.FrameTimeout as exc:
            self._drop_worker(kill=True)
            if cut:
                raise self._out_of_time() from exc
            if header["op"] in ("call", "scenario"):
                self.hung.add(what)
            message = f"{what} ran past its {limit:.0f} s limit"
            self.incidents.timeouts.append(message)
            raise CallTimeout(message) from exc
        except (protocol.PeerClosed, OSError) as exc:
            status = self._drop_worker(kill=False)
            message = f"the worker {describe_exit(status)} during {what}"
            self.incidents.crashes.append(message)
            raise WorkerLost(message) from exc
        except protocol.ProtocolError as exc:
            self._drop_worker(kill=True)
            message = f"the worker sent a reply the grader refuses during {what} ({exc})"
            self.incidents.crashes.append(message)
            raise WorkerLost(message) from exc
        return Reply(reply, values, limit, cut)

    def _worker_timed_out(self, name: str, reply: Reply) -> CallTimeout | OutOfTime:
        """The worker interrupted the call itself at its limit."""
        if reply.cut:
            return self._out_of_time()
        message = f"{name} ran past its {reply.limit:.0f} s limit"
        self.incidents.timeouts.append(message)
        return CallTimeout(message)

    # ----------------------------------------------------------- calls sent ahead
    def begin_check(self, check: str | None) -> None:
        """`check` starts. Before the first check of the submission, the calls every check
        made last time (CallPlans) are sent to the worker, in as few requests as the caps
        allow; each check then takes its own results."""
        self._check, self._made = check, []
        quoting.new_check()
        self._known = {c.key: c for c in self.plans.get(check)} \
            if self.plans is not None and check else {}
        if self.plans is not None and check:
            self.plans.note(check)
        if not self._sent_ahead:
            self._sent_ahead = True
            self._send_ahead()
        self._prefetched = self._ahead.pop(check, {}) if check else {}

    def end_check(self, learn: bool = True) -> None:
        if learn and self.plans is not None and self._check is not None:
            self.plans.learn(self._check, self._made, self.student)
        self._check, self._made, self._prefetched = None, [], {}

    def _send_ahead(self) -> None:
        plans = self.plans
        if plans is not None:
            self._send(plans.ahead(), plans.encoded)

    def _send(self, planned: list[tuple[str, PlannedCall]],
              encode: Callable[[list[PlannedCall]], protocol.Encoded]) -> None:
        """Send these calls (two or more) in as few requests as the worker's caps allow."""
        start = 0
        while start < len(planned) - 1 and not self._prefetch_off:
            # a request within the worker's own caps on what it receives
            end, tensors = start, 0
            while end < len(planned) and end - start < AHEAD_CALLS:
                tensors += len(planned[end][1].tensors)
                if tensors > AHEAD_TENSORS and end > start:
                    break
                end += 1
            done = self._prefetch(planned[start:end],
                                  encode([call for _, call in planned[start:end]]))
            if done == 0:
                break
            start += done

    def ahead(self, *asks: Callable[[], object]) -> None:
        """The running check's next calls (or scenarios), sent to the worker together: each
        of `asks` makes one on this session (or a wrapper of it) as the check will make it
        later, and is only noted here; the check's own call is then answered from its
        result when it is the same request, byte for byte (same function, arguments,
        options), else made as ever.

        Why: a check whose inputs are drawn afresh for every submission (an edge ladder:
        a call for each magnitude band and dtype) has no plan — `CallPlans` learns only
        calls that repeat — and made them one round trip each (~90 a submission). Nothing a
        call answers changes: the same worker, the same order, each call with its own (short)
        limit and its own copies of its inputs, its integrity markers kept (`_prefetch`); a
        call cut at that limit is made again alone, with its full limit. A check that stops
        early leaves the rest unused. Not for a call with a library block in an evidence
        worker (`evidence`): that one comes alone, its inputs drawn after its block is in
        place (`fresh_generator` in the lab's checks); noted as nothing here."""
        if self._check is None or self._prefetch_off or self.worker is None:
            return
        noted: list[PlannedCall] = []
        self._collecting = noted
        try:
            for ask in asks:
                try:
                    ask()
                except (_Noted, CallTimeout):  # (a hung function: the check's call says so)
                    continue
        finally:
            self._collecting = None
        check = self._check
        self._send([(check, call) for call in noted], encode_calls)
        for key, results in self._ahead.pop(check, {}).items():
            self._prefetched.setdefault(key, deque()).extend(results)

    def _prefetch(self, planned: list[tuple[str, PlannedCall]], ready: protocol.Encoded) -> int:
        """Send these calls in one request; how many came back (0: sending ahead is off)."""
        # never more time than the call would have had on its own
        header = {"op": "calls",
                  "limit": min(PREFETCH_CALL_S, self.limits.call_timeout_s),
                  "budget": PREFETCH_BUDGET_S, "max_tensors": self.caps.tensors // 2,
                  "max_bytes": self.caps.blob_bytes // 2,
                  "max_header": self.caps.header_bytes // 2}
        timeouts, crashes = len(self.incidents.timeouts), len(self.incidents.crashes)
        try:
            reply = self._ask(header, None, PREFETCH_BUDGET_S + PREFETCH_CALL_S,
                              each=("value", "grads", "gradcheck", "outcome"), ready=ready)
            results = reply.header["results"]
            if len(results) > len(planned):
                raise protocol.ProtocolError("more prefetch results than calls")
            for (check, call), answer, values in zip(planned, results, reply.values["results"],
                                                     strict=False):
                self._note(answer, values)
                self._ahead.setdefault(check, {}).setdefault(call.key, deque()).append(
                    (answer, values))
            stopped = reply.header.get("stopped")
            if stopped in ("time", "cut"):
                # Slow code: a call ran past the short limit, or the budget ran out. What came
                # back is used; sending ahead again would risk that time once more.
                self._prefetch_off = True
            if stopped == "cut":
                # The worker interrupted a call at the short limit, wherever it was — in the
                # middle of an import, say — which can leave the student's process half
                # changed. The call is asked again, one by one with its full limit, in a fresh
                # worker (not counted as a restart): what a student gets never depends on how
                # loaded the machine was when the call was sent ahead.
                self.close()
                self.start()
            return 0 if self._prefetch_off else len(results)
        except (CallTimeout, WorkerLost, protocol.ProtocolError):
            # Nothing is lost: the checks make their calls one by one, as without a plan, and
            # meet whatever happened here again, where it is charged. This run leaves no
            # incident and uses no restart of its own; no more prefetching for this notebook.
            del self.incidents.timeouts[timeouts:], self.incidents.crashes[crashes:]
            self._ahead, self._prefetch_off = {}, True
            if self.worker is None:
                self.start()  # the worker lost here, replaced without counting a restart
            return 0

    def _note(self, header: dict[str, Any], values: dict[str, Any]) -> None:
        """Keep the integrity markers a reply carries (with a call's names, a failure's
        error, a scenario's outcome)."""
        called, error, outcome = header.get("called"), header.get("error"), values.get("outcome")
        if called:  # (most replies: an empty list or none)
            self._keep(called)
        if isinstance(error, dict):
            self._keep(error.get("tamper"))
        if isinstance(outcome, dict):
            self._keep(outcome.get("tamper"))

    def _keep(self, found: Any) -> None:
        if isinstance(found, list):
            self.markers.update((m, None) for m in found
                                if isinstance(m, str) and integrity.is_marker(m))

    def _took(self, scope: str) -> None:
        """The running check took evidence of this kind (a recorded call or scenario)."""
        if self._check is not None:
            self.relied.setdefault(self._check, set()).add(scope)

    def relies_on_scenarios(self) -> None:
        """The running check judges a scenario's outcome another check took (a lab's cache):
        it rests on that evidence as if it had taken it (`grader.void_tampered`)."""
        self._took(integrity.SCENARIOS)

    def findings(self) -> list[str]:
        """Every integrity marker of the submission, the worker asked last of all (a change
        made after the last evidence is found too), whatever order its calls ran in."""
        if self.worker is not None and self._remaining() > 0:
            timeouts, crashes = len(self.incidents.timeouts), len(self.incidents.crashes)
            try:
                self._keep(self._ask({"op": "verify"}, None, 10).header.get("markers"))
            except (CallTimeout, WorkerLost, OutOfTime, protocol.ProtocolError):
                # the grader's own question: no incident of the student's; what the
                # submission's replies carried still counts
                del self.incidents.timeouts[timeouts:], self.incidents.crashes[crashes:]
        return list(self.markers)

    def _planned(self, key: CallKey | None, request: Callable[[], tuple[dict[str, Any],
                 dict[str, torch.Tensor]]]) -> deque[tuple[dict[str, Any], dict[str, Any]]] | None:
        """Note the request (`key`; `request()` builds it) in the running check's plan; its
        results, if sent ahead."""
        if key is None:
            return None
        # (a frozen plan learns nothing: building each request again for it, to be dropped,
        # was ~5 % of a judge's time — the calls sent ahead with fresh inputs above all)
        if len(self._made) < MAX_PLANNED and self.plans is not None and not self.plans.frozen:
            # the plan's own copy when it holds this request (same key: same bytes)
            known = self._known.get(key)
            if known is None:
                header, items = request()
                known = PlannedCall(key, dict(header), {n: t.clone() for n, t in items.items()})
            self._made.append(known)
        return self._prefetched.get(key)

    def _answer(self, key: CallKey | None, request: Callable[[], tuple[dict[str, Any],
                dict[str, torch.Tensor]]], limit: float, decode: tuple[str, ...]) -> Reply:
        """The request's reply: its result sent ahead when the plan held it (its markers were
        kept when it arrived), else asked now (`request()` builds it only then)."""
        if self._collecting is not None:  # (`ahead`: noted, not sent — nor sent twice)
            if key is not None and not self._prefetched.get(key):
                header, items = request()
                self._collecting.append(PlannedCall(key, dict(header), dict(items)))
            raise _Noted
        ready = self._planned(key, request)
        if ready:
            answer, values = ready.popleft()
            return Reply(answer, values, limit, False)
        header, items = request()
        reply = self._ask(header, items, limit, decode=decode)
        self._note(reply.header, reply.values)
        return reply

    # ----------------------------------------------------------- evidence workers
    def evidence(self, ops: tuple[str, ...], complete: bool = False) -> StudentSession:
        """The submission's evidence worker for these operators (made at first use): a
        worker of its own whose library kernels for them are blocked before its cells run,
        for good (`harness.block_for_good`).

        Why: a worker's evidence of how a value was computed — its library block, its
        recorders, what it says it called — holds only while the worker's own code runs, and
        a cell can take that over (red team 25's cell answered every request itself, the
        no-library calls with no block: +11). Where the kernels are gone for the process's
        life, whatever answers the judge cannot have used them. Its cells run as the main
        worker's did, one statement at a time (a library call in a cell before a `def` does
        not keep the function from being defined), but for those the main run timed out or
        lost; of a cell that ran `EVIDENCE_SLOW_CELL_S` or more there (an experiment, a
        training run), only its definitions run, unless `complete` (what a function needs
        from the rest of such a cell: `_on_evidence`). Its time is the submission's, and
        nothing of its cells is reported."""
        key = (*sorted(set(ops)), "complete" if complete else "")
        session = self._evidence.get(key)
        if session is not None:
            return session
        session = StudentSession(self.conn, self.submission, self.limits, self.extra_hidden,
                                 student=self.student, block_for_good=blocked_plan(
                                     tuple(sorted(set(ops)))))
        session.started, session.deadline = self.started, self.deadline
        for index, record in self.cells.items():
            if record.fatal or (record.error or {}).get("type") == "Timeout":
                session.cells[index].fatal = record.fatal or "timed out in the main run"
            elif not complete and record.seconds >= EVIDENCE_SLOW_CELL_S:
                session.definitions_only.add(index)
        self._evidence[key] = session
        try:
            session.start()
        except OutOfTime:
            raise self._out_of_time() from None
        return session

    def _prints(self, function: tuple[str, bool]) -> dict[str, Any] | None:
        """What `function` (a name, and whether it is a scenario's) reads in this worker
        (`worker.fingerprints`), asked once; None where the worker could not say."""
        if function not in self._fingerprints:
            name, scenario = function
            if self.worker is None:  # (never a new worker to ask: only this one knows)
                return None
            try:
                reply = self._ask({"op": "fingerprint", "name": name, "scenario": scenario},
                                  None, 10)
                prints = reply.header.get("prints")
            except (CallTimeout, WorkerLost, protocol.ProtocolError):
                prints = None
            self._fingerprints[function] = prints if isinstance(prints, dict) else None
        return self._fingerprints[function]

    def blocked_in_its_cells(self, function: str) -> list[tuple[str, str]]:
        """In the notebook's own use of `function` — its cells, run again in the evidence
        workers started so far, whose library kernels are gone — each cell whose run
        reached a blocked operator through `function`: (the cell, the operator's name).

        Why: every call the grader makes is the grader's, which a function can tell from
        its call stack; red team 65's losses handed their work to the library whenever a
        notebook cell was on the stack (ordinary use) and used their own code in every call
        of the grader's (+29 with the training loops). A cell calling the function is the
        notebook's own use, observed: where the library is gone, it shows. Each cell is said
        as feedback says where it is."""
        found: list[tuple[str, str]] = []
        for session in self._evidence.values():
            for record in session.cells.values():
                error = record.error or {}
                if error.get("type") == "LibraryBlocked" and function in error.get("through", ()):
                    words = str(error.get("message", "")).split()
                    found.append((self._where(record.index), words[0] if words else ""))
        return found

    def _on_evidence(self, ask: Callable[[StudentSession], _T], evidence: tuple[str, ...],
                     block: tuple[str, ...], function: tuple[str, bool]) -> _T:
        """`ask` the evidence worker for `evidence`. Asked again where the run shows the
        worker could not answer for the function: in one that blocks only the call's own
        `block`, where the function reached an operator blocked there that `block` allows (a
        library function another graded function may not call, but this one may); in one
        whose cells all ran in full, where it raised anything else (a name, a key, a state
        that a slow cell's other statements make). What the call's run adds to the incidents
        and integrity markers is the submission's. Where its cells ran some slow cells for
        their definitions alone, the bindings `function` reads are compared with the main
        worker's first, and it is asked where every cell ran in full if they differ (the main
        worker's word decides only where the call is made: a worker that lies about them
        changes nothing the blocked kernels allow)."""
        ops, complete = evidence, False
        while True:
            found: Any
            session = self.evidence(ops, complete)
            if not complete and session.definitions_only:
                try:
                    mine = self._prints(function)
                    differ = mine is None or mine != session._prints(function)
                except OutOfTime:
                    raise self._out_of_time() from None
                if differ:
                    complete = True  # (what the function reads differs: a slow cell's)
                    continue
            try:
                found = self._asked(session, ask)
                error = found.get("error") if isinstance(found, dict) else None
                kind, info = (str(error.get("type")), error) if isinstance(error, dict) \
                    else ("", {})
            except MissingFunction as exc:
                found, kind, info = exc, "NameError", {}
            except StudentError as exc:
                found, kind, info = exc, exc.kind, exc.info
            if ops != block and _blocked_elsewhere(kind, info, block):
                ops = block
            elif kind and kind != "LibraryBlocked" and not complete:
                complete = True  # (any error: a slow cell's other statements may be missing)
            else:
                refused = self._refused_in_cells(session) if kind == "NameError" else None
                if isinstance(found, StudentError) and refused is not None:
                    raise StudentError(found.name, refused, found.called_with)
                if isinstance(found, Exception):
                    raise found
                if refused is not None:  # (a scenario's outcome, its error in it)
                    return {**found, "error": refused}  # type: ignore[return-value]
                return found  # type: ignore[no-any-return]

    def _refused_in_cells(self, session: StudentSession) -> dict[str, Any] | None:
        """For a function that lacked a name in the evidence worker (NameError): the error of
        a cell there whose statement was refused the library, where that cell ran here (None
        where none was). The function needs what that library made (an object built at the
        notebook's top from a blocked library, `_MN = CyHalfMultinomialLoss()`: stop 50's red
        team): said as the block's own error, which names the library — not "fix this
        NameError first", which the student's notebook does not raise."""
        for index, record in sorted(session.cells.items()):
            mine = self.cells.get(index)
            if (record.error or {}).get("type") == "LibraryBlocked" and mine is not None \
                    and not mine.error:
                return record.error
        return None

    def _asked(self, session: StudentSession, ask: Callable[[StudentSession], _T]) -> _T:
        timeouts, crashes = len(session.incidents.timeouts), len(session.incidents.crashes)
        try:
            return ask(session)
        except OutOfTime:
            raise self._out_of_time() from None
        finally:
            self.incidents.timeouts += session.incidents.timeouts[timeouts:]
            self.incidents.crashes += session.incidents.crashes[crashes:]
            self.markers.update(session.markers)

    def call(self, name: str, *args: Any, grad_args: tuple[int, ...] = (),
             upstream: torch.Tensor | None = None, gradcheck: bool = False, seed: int = 0,
             record: bool = False, block: tuple[str, ...] = (), gpu: bool = False,
             evidence: tuple[str, ...] = (), **kwargs: Any) -> CallResult:
        """Call the student's `name` in the worker. `record`: also record which library
        functions it ran (by name and at the ATen dispatcher) and verify the worker's
        integrity around it — the evidence a no-library check needs. Off by default: it
        costs more than most student functions, and a value the judge compares itself needs
        no such evidence (the student controls their function's value anyway). `block`: ATen
        operators unavailable during the call (`harness.LibraryBlock`): reaching one raises
        `LibraryBlocked` in the student's function (a `StudentError` of that kind here).
        `gpu`: the tensor arguments on the GPU — the worker's own, else one emulated with real
        data (`sandbox.devices`) — and, in the result, where each returned tensor was
        (`CallResult.devices`); no gradients then. `evidence`: a call with a `block` is made
        in the evidence worker whose library kernels for these operators are gone
        (`evidence`), under its `block` too."""
        quoting.gave(args)
        quoting.gave(kwargs)
        if evidence and block:
            if self._collecting is not None:
                raise _Noted  # (`ahead`: an evidence call comes alone)
            result = self._on_evidence(lambda session: session.call(
                name, *args, grad_args=grad_args, upstream=upstream, gradcheck=gradcheck,
                seed=seed, record=record, block=block, gpu=gpu, **kwargs), evidence, block,
                (name, False))
            if record:
                self._took(integrity.CALLS)
            return result

        def build() -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
            tensors = protocol.Tensors()
            header = {"op": "call", "name": name, "args": protocol.encode(list(args), tensors),
                      "kwargs": protocol.encode(dict(kwargs), tensors),
                      "grad_args": list(grad_args), "gradcheck": gradcheck, "seed": seed,
                      "record": record}
            # (in an evidence worker, an operator blocked for good needs no block of its own;
            # a library written in Python is blocked by each call: `harness.block_for_good`)
            plan = [entry for entry in blocked_plan(tuple(block))
                    if entry not in self._held or entry[1] in harness.PYTHON_LEVEL]
            if plan:
                header["block"] = plan
            if gpu:
                header["gpu"] = True
            items = tensors.plain()
            if upstream is not None:
                items["upstream"] = upstream.detach().contiguous()
            return header, items

        if name in self.hung:
            raise CallTimeout(f"{name} ran past its limit earlier and could not be interrupted "
                              "(not run again)")
        request = _once(build)  # (built only when sent or first planned)
        key = None
        if self._check is not None:
            key = direct_call_key(name, args, kwargs, grad_args, gradcheck, seed, record,
                                  upstream, block, gpu) or call_key(*request())
        reply = self._answer(key, request, self.limits.call_timeout_s,
                             ("value", "grads", "gradcheck"))
        if record:
            self._took(integrity.CALLS)
        answer = reply.header
        if answer.get("missing"):
            raise MissingFunction(name)
        if answer.get("timeout"):
            raise self._worker_timed_out(name, reply)
        if not answer.get("ok"):
            raise StudentError(name, answer.get("error"), describe_call(name, args, kwargs, gpu))
        return CallResult(
            value=reply.values.get("value"),
            called=_names(answer.get("called")),
            mutated=_arguments(answer.get("mutated")),
            grads=reply.values.get("grads"),
            gradcheck=reply.values.get("gradcheck"),
            recorded=record,
            devices=_names(answer.get("devices")) if gpu else None,
        )

    def scenario(self, name: str, params: dict[str, Any], timeout: float | None = None,
                 record: bool = True, evidence: tuple[str, ...] = (),
                 block: tuple[str, ...] = ()) -> dict[str, Any]:
        """Run the lab's worker-side scenario `name`. Its outcome is evidence, so the worker
        verifies its integrity after it — unless `record` is False: a scenario that only
        computes the student's values (which the judge compares itself) skips that cost.
        Planned and sent ahead like a call (`CallPlans`), evidence too: the worker verifies
        after it there as here, and what it finds comes back with the result, kept on
        arrival; only the request and its round trip are saved (~12 a submission). Not one
        given a longer limit than a call's: it is expected to run long (sent ahead, it would
        stop the others at the short limit there), and a round trip is nothing beside it.
        `evidence`, `block`: as `call`'s (the scenario's own block is in its `params`)."""
        quoting.gave(params)
        if evidence and block:
            if self._collecting is not None:
                raise _Noted  # (`ahead`: an evidence call comes alone)
            found = self._on_evidence(lambda session: session.scenario(
                name, params, timeout, record), evidence, block, (name, True))
            if record:
                self._took(integrity.SCENARIOS)
            return found

        def build() -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
            tensors = protocol.Tensors()
            header = {"op": "scenario", "name": name, "params": protocol.encode(params, tensors),
                      "record": record}
            return header, tensors.plain()

        if name in self.hung:
            raise CallTimeout(f"{name} ran past its limit earlier and could not be interrupted "
                              "(not run again)")
        request = _once(build)  # (as in `call`)

        limit = timeout or self.limits.call_timeout_s
        key = None
        if self._check is not None and limit <= self.limits.call_timeout_s:
            key = direct_scenario_key(name, params, record) or call_key(*request())
        reply = self._answer(key, request, limit, ("outcome",))
        if record:
            self._took(integrity.SCENARIOS)
        if reply.header.get("unknown"):
            if self.worker is not None and name in self.worker.scenarios:
                # (the zygote registered it: what answered is not the worker's harness — red
                # team 25's cell answering requests itself, filing its row as the grader's error)
                raise protocol.ProtocolError(f"the worker denied the lab's scenario {name!r}")
            raise UnknownScenario(f"the lab registers no worker scenario {name!r} (a check's "
                                  "mistake: see the lab's worker/ modules)")
        if reply.header.get("timeout"):
            raise self._worker_timed_out(name, reply)
        if not reply.header.get("ok"):
            raise StudentError(name, reply.header.get("error"))
        outcome = reply.values.get("outcome")
        if not isinstance(outcome, dict):
            raise protocol.ProtocolError("scenario outcome is not a dict")
        if outcome.get("missing"):
            raise MissingFunction(protocol.clean_text(outcome["missing"], 120))
        return outcome

    def get_var(self, name: str) -> Any:
        header = {"op": "get_var", "name": name}
        key = call_key(header, {}) if self._check is not None else None
        reply = self._answer(key, lambda: (header, {}), 10, ("value",))  # (planned as a call is)
        if reply.header.get("missing"):
            raise MissingFunction(name)
        return reply.values.get("value")


# A cell that ran this long in the main worker runs only its definitions in an evidence
# worker (`StudentSession.evidence`): an experiment's training run, made again there, doubled
# a notebook's grading time.
EVIDENCE_SLOW_CELL_S = 0.025


def _blocked_elsewhere(kind: str, info: dict[str, Any], block: tuple[str, ...]) -> bool:
    """An error that is an operator blocked in an evidence worker but not in `block` (the
    call's own): the function may call it, another graded function may not."""
    if kind != "LibraryBlocked" or not block:
        return False
    reached = str(info.get("message", "")).split()[:1]
    return bool(reached) and reached[0] not in {f"aten::{name}"
                                                for name, _ in blocked_plan(tuple(block))}


class UnknownScenario(RuntimeError):
    """A check asked for a scenario the lab never registered: the grader's error (reported to
    the instructor as an internal check error), never the student's."""


def _running(current: int | None, order: list[int]) -> int | None:
    """The cell to blame for a message out of order: the one running, or after every cell
    ended, the last (its code is all that was left running)."""
    return current if current is not None or not order else order[-1]


def _index(event: dict[str, Any]) -> int:
    index = event.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        raise protocol.ProtocolError("a cell event without a cell index")
    return index
