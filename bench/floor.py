"""The floor: the same student code and the same checks, in one warm process, no isolation.

What any grader of this lab must do at the least, per notebook: read it, run
its code cells, call the student's functions on the hidden inputs and compare
with the reference. Here the cells run with `exec` in a fresh namespace of
this (already warm) process, and the hidden checks — the very functions of
the lab's hidden checks — are called by the judge's own `DirectRunner` with an in-process
stand-in for `StudentSession`: same `call` / `scenario` / `get_var` API, same
call logic as `worker.op_call` / `op_scenario` (seeds, call recorder,
gradients, gradcheck, mutation check, harness scenarios), and values passed
through the same plain-data encoding (in memory: no socket, no safetensors).

No time limits, no sandbox, no separate process: a notebook that never ends
cannot be graded here (the benchmark leaves it out), and `os._exit` is turned
into `SystemExit` while cells run so that it cannot end this process.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

from autograder.check.context import CheckContext, Reference
from autograder.check.runner import DirectRunner, direct_checks
from autograder.check.static import SourceFacts
from autograder.config import GradingConfig
from autograder.lab import Lab
from autograder.load.notebook import read_submission
from autograder.sandbox import devices, harness, protocol
from autograder.sandbox.harness import error_info as _error_info
from autograder.sandbox.rng import seed_rngs
from autograder.sandbox.session import (
    CallResult,
    Incidents,
    MissingFunction,
    StudentError,
    blocked_plan,
)
from autograder.sandbox.worker import _fake_otter
from autograder.score.results import SubmissionResult
from autograder.score.scoring import score


def _plain(value: Any) -> Any:
    """What crossing the worker boundary does to a value, minus the bytes."""
    tensors = protocol.Tensors()
    data = protocol.encode(value, tensors)
    return protocol.decode(data, tensors.items)


class InProcessStudent:
    """`StudentSession`'s API over a namespace of this process."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.incidents = Incidents()
        self.cuda_available = torch.cuda.is_available()

    def call(self, name: str, *args: Any, grad_args: tuple[int, ...] = (),
             upstream: torch.Tensor | None = None, gradcheck: bool = False, seed: int = 0,
             record: bool = False, block: tuple[str, ...] = (), gpu: bool = False,
             evidence: tuple[str, ...] = (), **kwargs: Any) -> CallResult:
        fn = self.namespace.get(name)
        if not callable(fn):
            raise MissingFunction(name)
        if gpu:  # as the worker makes it (no gradients then)
            try:
                value, where = devices.to_host(devices.call_on_gpu(
                    fn, _plain(list(args)), _plain(dict(kwargs)), devices.real_gpu()))
            except BaseException as exc:
                raise StudentError(name, _error_info(exc)) from None
            return CallResult(value=_plain(value), called=[], mutated=[], devices=where)
        call_args: list[Any] = _plain(list(args))
        call_kwargs: dict[str, Any] = _plain(dict(kwargs))
        for i in grad_args:
            call_args[i] = call_args[i].detach().clone().requires_grad_(True)
        before = [a.detach().clone() if isinstance(a, torch.Tensor) else None for a in call_args]
        recorder = harness.CallRecorder()
        seed_rngs(seed)
        try:
            with harness.LibraryBlock(blocked_plan(tuple(block))), \
                    recorder if record else contextlib.nullcontext():
                value = fn(*call_args, **call_kwargs)
        except BaseException as exc:
            raise StudentError(name, _error_info(exc)) from None
        grads = gradcheck_result = None
        if grad_args:
            grads = _plain(harness.gradients(value, [call_args[i] for i in grad_args], upstream))
        if gradcheck:
            gradcheck_result = harness.run_gradcheck(fn, call_args, call_kwargs, list(grad_args))
        mutated = [i for i, (a, b) in enumerate(zip(call_args, before, strict=False))
                   if b is not None and isinstance(a, torch.Tensor)
                   and not torch.equal(a.detach(), b)]
        return CallResult(value=_plain(value), called=list(recorder.names), mutated=mutated,
                          grads=grads, gradcheck=gradcheck_result, recorded=record)

    def scenario(self, name: str, params: dict[str, Any],
                 timeout: float | None = None, record: bool = True,
                 evidence: tuple[str, ...] = (), block: tuple[str, ...] = ()) -> dict[str, Any]:
        try:
            outcome = harness.run_scenario(name, self.namespace, _plain(params))
        except BaseException as exc:
            raise StudentError(name, _error_info(exc)) from None
        outcome = _plain(outcome)
        if outcome.get("missing"):
            raise MissingFunction(str(outcome["missing"]))
        return outcome  # type: ignore[no-any-return]

    def begin_check(self, check: str | None) -> None:
        pass  # (no worker: nothing to send ahead)

    def end_check(self, learn: bool = True) -> None:
        pass

    def ahead(self, *asks: Any) -> None:
        pass  # (no worker: each call is answered when made)

    def blocked_in_its_cells(self, function: str) -> list[tuple[str, str]]:
        return []  # (no evidence worker runs the cells here)

    def get_var(self, name: str) -> Any:
        if name not in self.namespace:
            raise MissingFunction(name)
        return _plain(self.namespace[name])


@contextlib.contextmanager
def _student_running() -> Any:
    """Cells print and may call os._exit; neither may touch this process."""
    real_exit = os._exit

    def no_exit(code: int = 0) -> None:
        raise SystemExit(code)

    os._exit = no_exit  # type: ignore[assignment]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os._exit = real_exit


class FloorGrader:
    def __init__(self, config: GradingConfig, lab: Lab | None = None) -> None:
        lab = lab or Lab.load()
        harness.load_lab_modules(lab.worker_modules)  # the lab's scenarios, in this process
        harness.prefer_native_meta_kernels()  # as the zygote does
        self.config = config
        self.reference = Reference.load(lab.solutions)
        checks = direct_checks(lab.checks)
        if checks is None:
            raise SystemExit("the floor calls the checks directly: this lab's need pytest")
        self.runner = DirectRunner(checks)  # the judge's own runner
        torch.set_num_threads(1)  # as the judge and the workers do
        sys.modules["otter"] = _fake_otter()  # as the worker does: grader.check(...) is a no-op
        builtins.get_ipython = lambda: None  # type: ignore[attr-defined]

    def grade(self, path: Path, submission_id: str) -> tuple[SubmissionResult, dict[str, float]]:
        started = time.perf_counter()
        submission = read_submission(path, submission_id, self.config.limits.max_notebook_mb)
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        with _student_running():
            for cell in submission.cells:
                if not cell.source.strip():
                    continue
                # a failing cell is recorded by ours and the next one runs; here too
                with contextlib.suppress(BaseException):
                    exec(compile(cell.source, f"<cell {cell.index}>", "exec", dont_inherit=True),
                         namespace)
        executed = time.perf_counter()
        student = InProcessStudent(namespace)
        context = CheckContext(student, self.reference,  # type: ignore[arg-type]
                               SourceFacts.from_submission(submission), self.config)
        with _student_running():
            verdicts = self.runner.run(context)
        result = score(submission_id, verdicts, self.config, student.incidents, [])
        done = time.perf_counter()
        result.execution_time = done - started
        return result, {"cells_s": executed - started, "checks_s": done - executed}
