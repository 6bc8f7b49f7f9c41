"""The judge's view of one submission running in a worker.

It executes the notebook (a cell that hangs or kills the worker is recorded,
skipped, and the notebook re-run without it), then forwards check calls with
deadlines. A worker lost mid-call is replaced transparently, so one bad call
costs one check, not the whole submission. Only decoded plain data leaves here.
"""

from __future__ import annotations

import contextlib
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from autograder.config import Limits
from autograder.load.notebook import Submission
from autograder.sandbox import protocol
from autograder.sandbox.client import WorkerHandle, ZygoteConnection

GRACE_S = 2.0


class StudentError(Exception):
    """The student's function raised; `info` holds type, message and cell."""

    def __init__(self, name: str, info: dict[str, Any]) -> None:
        self.name = name
        self.info = info
        super().__init__(f"{info.get('type')}: {info.get('message')}")

    @property
    def kind(self) -> str:
        return str(self.info.get("type", ""))

    def excerpt(self) -> str:
        where = f" ({self.info['where']})" if self.info.get("where") else ""
        message = str(self.info.get("message", "")).strip().splitlines()
        first = message[0][:160] if message else ""
        return f"{self.kind}: {first}{where}" if first else f"{self.kind}{where}"


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


@dataclass
class CallResult:
    value: Any
    called: list[str]
    mutated: list[int]
    grads: Any = None
    gradcheck: Any = None


@dataclass
class Incidents:
    """What went wrong outside the student's functions' return values."""

    timeouts: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


def describe_exit(status: dict[str, Any]) -> str:
    if not status.get("exited"):
        return "stopped responding"
    sig = status.get("signal")
    if sig is not None:
        names = {signal.SIGSEGV: "crashed with a segmentation fault",
                 signal.SIGXCPU: "used up its CPU-time limit",
                 signal.SIGKILL: "was killed (out of memory or over a limit)",
                 signal.SIGABRT: "aborted"}
        return names.get(sig, f"was killed by signal {sig}")
    code = status.get("exitcode")
    if code == 70:  # zygote.HARNESS_BROKEN, not imported: the zygote module is worker-side
        return ("broke the grading harness inside its own process (e.g. by replacing Python "
                "builtins)")
    if code == 0:
        return "ended the grading process itself (os._exit or similar)"
    return f"exited with code {code}"


class StudentSession:
    def __init__(self, conn: ZygoteConnection, submission: Submission, limits: Limits,
                 extra_hidden: list[str] | None = None) -> None:
        self.conn = conn
        self.submission = submission
        self.limits = limits
        self.extra_hidden = extra_hidden or []
        self.cells: dict[int, CellRecord] = {c.index: CellRecord(c.index) for c in submission.cells}
        self.incidents = Incidents()
        self.worker: WorkerHandle | None = None
        self.restarts = 0
        self.started = time.monotonic()
        self.deadline = self.started + limits.submission_timeout_s
        self.cuda_available = False

    # ----------------------------------------------------------- lifecycle
    def start(self) -> None:
        while True:
            self.worker = self.conn.spawn(self.limits, self.extra_hidden)
            if self._execute_cells():
                break
            if self.restarts >= self.limits.max_restarts or self._remaining() <= 0:
                self.worker = None
                raise OutOfTime("the notebook could not be executed within its limits")
            self.restarts += 1
        reply = self._ask({"op": "ping"}, None, 10)
        self.cuda_available = bool(reply[0].get("cuda"))

    def close(self) -> None:
        if self.worker is not None:
            with contextlib.suppress(OSError):
                protocol.send(self.worker.sock, {"op": "shutdown"})
            self.conn.kill(self.worker.pid)
            self.worker.sock.close()
            self.worker = None

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _execute_cells(self) -> bool:
        """Run every non-fatal cell; False when the worker had to be killed."""
        assert self.worker is not None
        cells = [{"index": c.index, "source": c.source} for c in self.submission.cells
                 if not self.cells[c.index].fatal and c.source.strip()]
        cell_timeout = self.limits.cell_timeout_s
        protocol.send(self.worker.sock, {"op": "exec_cells", "cells": cells,
                                         "cell_timeout": cell_timeout})
        current = None
        while True:
            timeout = min(cell_timeout + GRACE_S, max(self._remaining(), 0.1))
            try:
                self.worker.sock.settimeout(timeout)
                event, _ = protocol.recv(self.worker.sock)
            except TimeoutError:
                status = self.conn.kill(self.worker.pid)
                del status
                reason = (f"cell {current} ran past the {cell_timeout:.0f} s cell limit and "
                          "ignored the interrupt; it was skipped")
                self._mark_fatal(current, reason, timeout=True)
                return False
            except protocol.ProtocolError:
                status = self.conn.wait(self.worker.pid, 3)
                reason = f"cell {current} {describe_exit(status)}; it was skipped"
                self._mark_fatal(current, reason, timeout=False)
                return False
            kind = event.get("event")
            if kind == "cell_start":
                current = int(event["index"])
            elif kind == "cell_end":
                record = self.cells.get(int(event["index"]))
                if record is not None:
                    record.error = event.get("error")
                    record.seconds = float(event.get("seconds", 0))
                    if record.error and record.error.get("type") == "Timeout":
                        self.incidents.timeouts.append(
                            f"cell {record.index} ran past the {cell_timeout:.0f} s cell limit "
                            "and was interrupted")
            elif kind == "cells_done":
                return True

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
             timeout: float) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        if self._remaining() <= 0:
            raise OutOfTime("the submission's total time limit was reached")
        worker = self._ensure_worker()
        limit = min(timeout, self._remaining())
        header["timeout"] = limit
        try:
            protocol.send(worker.sock, header, tensors)
            worker.sock.settimeout(limit + GRACE_S)
            return protocol.recv(worker.sock)
        except TimeoutError as exc:
            self.conn.kill(worker.pid)
            worker.sock.close()
            self.worker = None
            message = f"{header.get('name', header['op'])} ran past its {limit:.0f} s limit"
            self.incidents.timeouts.append(message)
            raise CallTimeout(message) from exc
        except (protocol.ProtocolError, OSError) as exc:
            status = self.conn.wait(worker.pid, 3)
            worker.sock.close()
            self.worker = None
            message = f"the worker {describe_exit(status)} during {header.get('name', header['op'])}"
            self.incidents.crashes.append(message)
            raise WorkerLost(message) from exc

    def call(self, name: str, *args: Any, grad_args: tuple[int, ...] = (),
             upstream: torch.Tensor | None = None, gradcheck: bool = False, seed: int = 0,
             **kwargs: Any) -> CallResult:
        tensors = protocol.Tensors()
        header = {"op": "call", "name": name, "args": protocol.encode(list(args), tensors),
                  "kwargs": protocol.encode(dict(kwargs), tensors), "grad_args": list(grad_args),
                  "gradcheck": gradcheck, "seed": seed}
        items = dict(tensors.items)
        if upstream is not None:
            items["upstream"] = upstream.detach().contiguous()
        reply, blob = self._ask(header, items, self.limits.call_timeout_s)
        if reply.get("missing"):
            raise MissingFunction(name)
        if reply.get("timeout"):
            message = f"{name} ran past its {self.limits.call_timeout_s:.0f} s limit"
            self.incidents.timeouts.append(message)
            raise CallTimeout(message)
        if not reply.get("ok"):
            raise StudentError(name, reply.get("error") or {})
        return CallResult(
            value=protocol.decode(reply.get("value"), blob),
            called=[str(n) for n in reply.get("called", [])],
            mutated=[int(i) for i in reply.get("mutated", [])],
            grads=protocol.decode(reply.get("grads"), blob) if "grads" in reply else None,
            gradcheck=protocol.decode(reply.get("gradcheck"), blob) if "gradcheck" in reply else None,
        )

    def scenario(self, name: str, params: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        tensors = protocol.Tensors()
        header = {"op": "scenario", "name": name, "params": protocol.encode(params, tensors)}
        reply, blob = self._ask(header, tensors.items, timeout or self.limits.call_timeout_s)
        if reply.get("timeout"):
            message = f"{name} ran past its time limit"
            self.incidents.timeouts.append(message)
            raise CallTimeout(message)
        if not reply.get("ok"):
            raise StudentError(name, reply.get("error") or {})
        outcome = protocol.decode(reply.get("outcome"), blob)
        if not isinstance(outcome, dict):
            raise protocol.ProtocolError("scenario outcome is not a dict")
        if outcome.get("missing"):
            raise MissingFunction(str(outcome["missing"]))
        return outcome

    def get_var(self, name: str) -> Any:
        reply, blob = self._ask({"op": "get_var", "name": name}, None, 10)
        if reply.get("missing"):
            raise MissingFunction(name)
        return protocol.decode(reply.get("value"), blob)
