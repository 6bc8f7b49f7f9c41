"""A rehearsal of the worker's own code, run by the zygote once, before its first fork.

Why: a worker is a fresh fork, and whatever of the harness the zygote never ran is cold in
every worker, every time: the adaptive interpreter quickens and specialises each function
on its first runs (writing into its code object, so copying that page of the zygote's
memory), torch resolves the ATen overloads the recorders see, attribute caches fill. The
protocol, a call's path (decoding, recorders, gradients, gradcheck, the integrity check,
encoding) and a batch of calls are the same for every submission: run here a few dozen
times on made-up functions, they start warm in every worker.

What runs is the engine's own code on neutral functions written here (none of them is,
or resembles, anything a lab grades: a worker could find them in memory), over a socket
pair in this process, through a `Worker` that never confines anything. Torch's random
state is put back after, and no switch or binding is left changed (the integrity baseline
is taken after this).

Tried and not kept: rehearsing a lab's scenarios too (the training loop and evaluation,
with stand-ins wrong on purpose). Their first run in a worker still copied ~1,400 pages:
what it costs is the objects a scenario touches (every reference count written is a page
copied in a fresh fork), not cold code; side by side, no faster.
"""

from __future__ import annotations

import random
import signal
import socket
from typing import Any

import torch

from autograder.sandbox import harness, protocol, worker

ROUNDS = 16  # CPython 3.11 quickens a function on its 8th call, then specialises as it runs

CELL = '''
import torch
import torch.nn.functional as F

def rehearsal_scale(a, b, k=2.0):
    return (a * k - b).abs().sum()

def rehearsal_library(x, labels):
    return F.nll_loss(torch.log_softmax(x, dim=1), labels)

def rehearsal_pair(x):
    return x.tanh(), {"n": int(x.numel()), "first": float(x.flatten()[0].item())}

def rehearsal_raises(x):
    raise ValueError("rehearsal")
'''


def _ask(judge: socket.socket, handler: Any, guard: worker.Guard,
         header: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    """One request, as a judge sends it, answered by `handler`; its reply's header."""
    protocol.send(judge, header, tensors)
    request, received = protocol.recv(handler.__self__.sock)
    handler(request, received, guard)
    return protocol.recv(judge)[0]  # (a worker's side is the point: the judge's is elsewhere)


def _call(name: str, args: list[Any], **options: Any) -> tuple[dict[str, Any],
                                                                dict[str, torch.Tensor]]:
    tensors = protocol.Tensors()
    header = {"op": "call", "name": name, "args": protocol.encode(args, tensors),
              "kwargs": protocol.encode({}, tensors), "grad_args": [], "gradcheck": False,
              "seed": 0, "record": False, **options}
    return header, tensors.plain()


# A block (`harness.LibraryBlock`) rehearsed over the library's loss and normalisation
# operators, the kind a no-library check blocks: its path and the dispatcher's lookups warm.
BLOCKED = ["cross_entropy_loss", "nll_loss", "nll_loss_nd", "nll_loss_forward", "softmax",
           "_softmax", "log_softmax", "_log_softmax", "logsumexp", "mse_loss", "l1_loss",
           "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]


def _requests() -> list[tuple[str, dict[str, Any], dict[str, torch.Tensor]]]:
    x32, y32 = torch.randn(6, 4), torch.randn(6, 4)
    x64 = torch.randn(5, 3, dtype=torch.float64)
    labels = torch.tensor([0, 2, 1, 1, 0])
    plan = [list(entry) for entry in harness.block_plan(BLOCKED)]  # (as a request has it)
    calls = [
        _call("rehearsal_scale", [x32, y32]),
        _call("rehearsal_scale", [x32, y32], record=True),
        _call("rehearsal_scale", [x64, x64.flip(0)], grad_args=[0], gradcheck=True, record=True),
        _call("rehearsal_library", [x64, labels], grad_args=[0], record=True),
        _call("rehearsal_library", [x64.float(), labels]),
        _call("rehearsal_scale", [x32, y32], record=True, block=plan),
        _call("rehearsal_library", [x64, labels], record=True, block=plan),  # (raises)
        _call("rehearsal_pair", [x32]),
        _call("rehearsal_raises", [x32]),
        _call("missing_function", [x32]),
    ]
    out: list[tuple[str, dict[str, Any], dict[str, torch.Tensor]]] = [
        ("call", header, tensors) for header, tensors in calls]
    batch: dict[str, torch.Tensor] = {}
    subs = []
    for i, (header, tensors) in enumerate(calls):  # as `CallPlans.encoded` sends them
        subs.append({**header, "tensors": {key: f"c{i}.{key}" for key in tensors}})
        batch.update({f"c{i}.{key}": tensor for key, tensor in tensors.items()})
    out.append(("calls", {"op": "calls", "calls": subs, "limit": 2, "budget": 4}, batch))
    out.append(("get_var", {"op": "get_var", "name": "rehearsal_scale"}, {}))
    out.append(("verify", {"op": "verify"}, {}))
    return out


def run(rounds: int = ROUNDS) -> list[dict[str, Any]]:
    """Rehearse the worker's paths `rounds` times in this process (the zygote's); the
    replies' headers of the last round."""
    state, py_state = torch.get_rng_state(), random.getstate()
    previous_alarm = signal.signal(signal.SIGALRM, worker.on_alarm)
    judge, own = socket.socketpair()
    try:
        harness.install()  # (as `worker.prepare` does before its baseline)
        stand_in = worker.Worker(own, None, worker.Baseline())  # confines nothing
        guard = stand_in.guard()
        event = _ask(judge, stand_in.op_exec_cells, guard,
                     {"op": "exec_cells", "cells": [{"index": 1, "source": CELL}]}, {})
        while event.get("event") != "cells_done":  # (ready, an event per cell, then done)
            event = protocol.recv(judge)[0]
        requests = _requests()
        replies: list[dict[str, Any]] = []
        for _ in range(rounds):
            replies = [_ask(judge, getattr(stand_in, f"op_{op}"), guard, header, tensors)
                       for op, header, tensors in requests]
        return replies
    finally:
        judge.close()
        own.close()
        signal.signal(signal.SIGALRM, previous_alarm)
        torch.set_rng_state(state)
        random.setstate(py_state)
