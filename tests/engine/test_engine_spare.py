"""A judge forks the next submission's worker while it grades this one (`prepare_spare`):
the spare must be a fresh worker like any other, used once, replaced when it died or was
made for other limits, and ended with its connection."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox.client import ZygoteConnection
from autograder.sandbox.session import MissingFunction, StudentSession
from tests.engine.conftest import alive, gone


def _session(connection: ZygoteConnection, source: str, limits: Limits) -> StudentSession:
    submission = Submission("s", Path("s.ipynb"), (Cell(1, source),), "0")
    session = StudentSession(connection, submission, limits)
    session.start()
    return session


def _spare_pid(connection: ZygoteConnection) -> int:
    assert not connection._spares and connection._due  # (asked, not read)
    connection._settle()  # what the connection's next request does first
    assert len(connection._spares) == 1 and not connection._due
    return next(iter(connection._spares.values())).pid


def _only_its_own(session: StudentSession) -> None:
    """The session's worker holds its own cell's `x = 1` and nothing of the last one's."""
    assert session.get_var("x") == 1
    with pytest.raises(MissingFunction):
        session.get_var("secret")


def test_the_next_submission_runs_in_the_spare_and_sees_nothing_of_the_last(zygote) -> None:
    connection, limits = zygote.connect(), Limits()
    try:
        first = _session(connection, "secret = 41", limits)
        connection.prepare_spare(limits, first.extra_hidden)
        spare = _spare_pid(connection)
        assert first.worker is not None and first.worker.pid != spare
        first.close()
        second = _session(connection, "x = 1", limits)
        try:
            assert second.worker is not None and second.worker.pid == spare
            _only_its_own(second)
        finally:
            second.close()
        assert not connection._spares  # used once
    finally:
        connection.close()


def test_a_spare_that_died_is_replaced_by_a_fresh_worker(zygote) -> None:
    connection, limits = zygote.connect(), Limits()
    try:
        connection.prepare_spare(limits, [])
        spare = _spare_pid(connection)
        os.kill(spare, signal.SIGKILL)
        assert gone(spare)
        session = _session(connection, "x = 2", limits)
        try:
            assert session.worker is not None and session.worker.pid != spare
            assert session.get_var("x") == 2  # its cell ran: nothing blamed on the student
            assert not session.incidents.crashes
        finally:
            session.close()
    finally:
        connection.close()


def test_a_spare_made_for_other_limits_is_ended_not_used(zygote) -> None:
    connection = zygote.connect()
    try:
        connection.prepare_spare(Limits(memory_mb=1024), [])
        spare = _spare_pid(connection)
        session = _session(connection, "x = 3", Limits(memory_mb=2048))
        try:
            assert session.worker is not None and session.worker.pid != spare
        finally:
            session.close()
        assert gone(spare)
    finally:
        connection.close()


def test_closing_the_connection_ends_its_spare(zygote) -> None:
    connection = zygote.connect()
    connection.prepare_spare(Limits(), [])
    spare = _spare_pid(connection)
    assert alive(spare)
    connection.close()
    assert gone(spare)


def test_the_spare_is_asked_for_without_waiting_and_its_reply_read_first(zygote) -> None:
    """`prepare_spare` only sends its request (the judge grades on while the zygote forks);
    the connection's next request reads that reply first, so each reply goes to its own
    request: the last worker's `end` ends it, the spare is the next submission's worker."""
    connection, limits = zygote.connect(), Limits()
    try:
        first = _session(connection, "x = 1", limits)
        assert first.worker is not None
        last = first.worker.pid
        connection.prepare_spare(limits, first.extra_hidden)
        assert connection._due and not connection._spares  # not waited for
        first.close()  # its `end` reads the spare's reply before its own
        assert not connection._due and len(connection._spares) == 1
        spare = next(iter(connection._spares.values())).pid
        assert spare != last and gone(last) and alive(spare)
        second = _session(connection, "y = 2", limits)
        try:
            assert second.worker is not None and second.worker.pid == spare
            assert second.get_var("y") == 2
        finally:
            second.close()
    finally:
        connection.close()


def test_the_next_submissions_evidence_worker_is_forked_ahead_too(zygote) -> None:
    """Once a submission asked for an evidence worker (`StudentSession.evidence`), the next
    submission's is a spare too, with the same library block, and runs nothing of the last."""
    from autograder.sandbox.session import blocked_plan

    connection, limits = zygote.connect(), Limits()
    try:
        first = _session(connection, "secret = 41", limits)
        first.evidence(("mse_loss",))
        connection.prepare_spare(limits, first.extra_hidden)
        connection._settle()
        spares = {json_key: worker.pid for json_key, worker in connection._spares.items()}
        assert len(spares) == 2, spares
        first.close()
        second = _session(connection, "x = 1", limits)
        try:
            evidence = second.evidence(("mse_loss",))
            assert evidence.worker is not None and evidence.worker.pid in spares.values()
            assert evidence.block_for_good == blocked_plan(("mse_loss",))
            _only_its_own(evidence)
        finally:
            second.close()
        assert not connection._spares
    finally:
        connection.close()
