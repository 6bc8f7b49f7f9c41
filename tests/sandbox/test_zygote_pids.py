"""The zygote signals only its own unreaped workers, and a worker ended after it exited
leaves no status behind (outside red team 93's reading of `zygote.py`: an `end` for a worker
already reaped sent SIGKILL to its pid — by then maybe another process's — and left the pid
in both `exited` and `unawaited`, so that a later worker of the same pid would be answered
with the old status and its own lost)."""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace

import pytest

from autograder.sandbox.zygote import Zygote


@pytest.fixture
def zygote(monkeypatch: pytest.MonkeyPatch) -> tuple[Zygote, list[tuple[str, int]]]:
    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append(("kill", pid)))
    monkeypatch.setattr(os, "killpg", lambda pid, sig: sent.append(("killpg", pid)))
    z = object.__new__(Zygote)  # (no capability probe, no socket: the pid bookkeeping alone)
    z.workers, z.exited, z.unawaited = {}, {}, set()
    z.caps = SimpleNamespace(pid_namespace=True, cgroups=SimpleNamespace(version=1))
    return z, sent


def test_a_worker_ended_after_it_was_reaped_is_not_signalled(zygote) -> None:
    z, sent = zygote
    z.exited[4242] = signal.SIGKILL  # (reaped: it exited on its own before its `end`)
    z.end(4242)
    assert sent == []
    assert 4242 not in z.exited and 4242 not in z.unawaited


def test_a_live_worker_ended_is_killed_and_its_exit_awaited_by_nobody(zygote) -> None:
    z, sent = zygote
    z.workers[4243] = {"uid": None, "scratch": "", "cgroup": "w1"}
    z.end(4243)
    assert ("kill", 4243) in sent or ("killpg", 4243) in sent
    assert 4243 in z.unawaited


def test_no_pid_but_an_unreaped_workers_is_ever_signalled(zygote) -> None:
    z, sent = zygote
    z.kill(4244)
    assert sent == []
