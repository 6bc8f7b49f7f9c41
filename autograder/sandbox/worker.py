"""The worker: the only place student code runs.

It executes the notebook's cells one by one in a fresh namespace (a failing
cell is recorded and the next one runs), then answers the judge's requests to
call student functions on judge-chosen inputs. Everything it sends back is
plain data (see `protocol`). This module is imported by the zygote before any
fork, so a worker pays neither an interpreter start nor a torch import.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import signal
import socket
import sys
import time
import traceback
import types
from collections.abc import Callable
from typing import Any

import torch

from autograder.sandbox import harness, protocol
from autograder.sandbox.rng import seed_rngs


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


class _NoShell:
    """Stands in for `get_ipython()`: magics and `!commands` do nothing."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    def run_cell_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    def system(self, *args: Any, **kwargs: Any) -> None:
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


def _on_alarm(signum: int, frame: Any) -> None:
    raise GradingTimeout()


def _error_info(exc: BaseException, limit: int = 300) -> dict[str, Any]:
    """The student's exception, as a short excerpt pointing at their own cell."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith("<cell"):
            where = f"{frame.filename.strip('<>')}, line {frame.lineno}"
    message = str(exc)
    return {"type": type(exc).__name__, "message": message[:limit], "where": where}


class Worker:
    def __init__(self, sock: socket.socket, network_namespace: bool) -> None:
        self.sock = sock
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.stdout = _Tail()
        self._prepare(network_namespace)

    def _prepare(self, network_namespace: bool) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stdout = sys.stderr = self.stdout  # type: ignore[assignment]
        sys.stdin = io.StringIO("")
        sys.modules["otter"] = _fake_otter()
        builtins.get_ipython = lambda: _NoShell()  # type: ignore[attr-defined]
        if not network_namespace:
            _refuse_sockets()
        signal.signal(signal.SIGALRM, _on_alarm)
        import warnings

        warnings.filterwarnings("ignore")

    # ------------------------------------------------------------------ loop
    def serve(self) -> None:
        while True:
            try:
                request, tensors = protocol.recv(self.sock)
            except protocol.ProtocolError:
                return
            op = request.get("op")
            if op == "shutdown":
                return
            handler = getattr(self, f"op_{op}", None)
            if handler is None:
                protocol.send(self.sock, {"ok": False, "error": {"type": "Protocol",
                                                                 "message": f"unknown op {op}"}})
                continue
            handler(request, tensors)

    def _run_limited(self, seconds: float, fn: Callable[[], Any]) -> Any:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    # ------------------------------------------------------------------ ops
    def op_exec_cells(self, request: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        timeout = float(request.get("cell_timeout", 30))
        for cell in request["cells"]:
            index, source = int(cell["index"]), str(cell["source"])
            protocol.send(self.sock, {"event": "cell_start", "index": index})
            started = time.perf_counter()
            error = None
            try:
                code = compile(source, f"<cell {index}>", "exec")

                def run(code: Any = code) -> None:
                    exec(code, self.namespace)

                self._run_limited(timeout, run)
            except GradingTimeout:
                error = {"type": "Timeout", "message": f"cell ran past {timeout:.0f} s", "where": ""}
            except BaseException as exc:  # SystemExit and KeyboardInterrupt included
                error = _error_info(exc)
            finally:
                self._close_figures()
            protocol.send(self.sock, {"event": "cell_end", "index": index, "error": error,
                                      "seconds": time.perf_counter() - started})
        protocol.send(self.sock, {"event": "cells_done"})

    def op_call(self, request: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        name = str(request["name"])
        fn = self.namespace.get(name)
        if not callable(fn):
            protocol.send(self.sock, {"ok": False, "missing": True})
            return
        args = protocol.decode(request.get("args", []), tensors)
        kwargs = protocol.decode(request.get("kwargs", {"__dict__": []}), tensors)
        grad_args: list[int] = list(request.get("grad_args", []))
        for i in grad_args:
            args[i] = args[i].detach().clone().requires_grad_(True)
        before = [a.detach().clone() if isinstance(a, torch.Tensor) else None for a in args]
        recorder = harness.CallRecorder()
        seed_rngs(int(request.get("seed", 0)))

        def run() -> Any:
            with recorder:
                return fn(*args, **kwargs)

        try:
            value = self._run_limited(float(request.get("timeout", 10)), run)
        except GradingTimeout:
            protocol.send(self.sock, {"ok": False, "timeout": True, "called": recorder.names})
            return
        except BaseException as exc:
            protocol.send(self.sock, {"ok": False, "error": _error_info(exc),
                                      "called": recorder.names})
            return
        extra: dict[str, Any] = {}
        if grad_args:
            extra["grads"] = harness.gradients(value, [args[i] for i in grad_args],
                                               tensors.get("upstream"))
        if request.get("gradcheck"):
            extra["gradcheck"] = harness.run_gradcheck(fn, args, kwargs, grad_args)
        mutated = [i for i, (a, b) in enumerate(zip(args, before, strict=False))
                   if b is not None and isinstance(a, torch.Tensor)
                   and not torch.equal(a.detach(), b)]
        protocol.send_value(self.sock, {"ok": True, "called": recorder.names,
                                        "mutated": mutated}, value=value, **extra)

    def op_scenario(self, request: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        params = protocol.decode(request.get("params", {"__dict__": []}), tensors)
        try:
            outcome = self._run_limited(
                float(request.get("timeout", 30)),
                lambda: harness.run_scenario(str(request["name"]), self.namespace, params),
            )
        except GradingTimeout:
            protocol.send(self.sock, {"ok": False, "timeout": True})
            return
        except BaseException as exc:
            protocol.send(self.sock, {"ok": False, "error": _error_info(exc)})
            return
        protocol.send_value(self.sock, {"ok": True}, outcome=outcome)

    def op_get_var(self, request: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        name = str(request["name"])
        if name not in self.namespace:
            protocol.send(self.sock, {"ok": False, "missing": True})
            return
        protocol.send_value(self.sock, {"ok": True}, value=self.namespace[name])

    def op_ping(self, request: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        protocol.send(self.sock, {"ok": True, "cuda": torch.cuda.is_available(),
                                  "stdout_tail": self.stdout.buffer_text[-1000:]})

    @staticmethod
    def _close_figures() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            with contextlib.suppress(Exception):
                plt.close("all")


def serve(sock: socket.socket, network_namespace: bool) -> None:
    Worker(sock, network_namespace).serve()
