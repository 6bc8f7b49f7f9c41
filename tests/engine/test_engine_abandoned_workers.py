"""A worker the judge gives up on ends at once (red team 16).

A cell that closed the worker's socket to its judge and slept was given up on ("stopped
responding") but never ended: it kept its uid, its memory and a CPU until the batch ended,
and a zip of 32 such notebooks held every worker uid, so that every later student of the
batch, on both lanes, crashed. A worker whose exit the judge waits for in vain is ended, as
is every worker of a connection that closes; a spawn with no uid free is one submission's
error, not the connection's end.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox.client import WorkerHandle, ZygoteConnection
from autograder.sandbox.session import StudentSession
from tests.engine.conftest import alive, gone

CLOSE_AND_SLEEP = """
import os, time
for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            os.close(int(fd))
    except OSError:
        pass
while True:
    time.sleep(1)
"""




def _recording(connection: ZygoteConnection) -> list[int]:
    """Every worker the connection hands out, by pid."""
    pids: list[int] = []
    spawn = connection.spawn

    def recorded(*args: Any, **kwargs: Any) -> WorkerHandle:
        handle = spawn(*args, **kwargs)
        pids.append(handle.pid)
        return handle

    connection.spawn = recorded  # type: ignore[method-assign]
    return pids


def test_a_worker_that_closed_its_socket_ends_while_the_batch_goes_on(zygote) -> None:
    connection, limits = zygote.connect(), Limits(max_restarts=1)
    pids = _recording(connection)
    try:
        submission = Submission("s", Path("s.ipynb"),
                                (Cell(1, "x = 1"), Cell(2, CLOSE_AND_SLEEP)), "0")
        session = StudentSession(connection, submission, limits)
        session.start()
        try:
            assert session.cells[2].fatal and "was ended" in session.cells[2].fatal
            assert session.get_var("x") == 1  # the rest graded, in a fresh worker
            abandoned = pids[0]
            assert session.worker is not None and session.worker.pid != abandoned
            # ended while this connection (the batch) is still open
            assert gone(abandoned), "the worker the judge gave up on is still running"
        finally:
            session.close()
    finally:
        connection.close()


def test_the_workers_of_a_closed_connection_end_with_it(zygote) -> None:
    connection, limits = zygote.connect(), Limits()
    worker = connection.spawn(limits, [])
    assert alive(worker.pid)
    connection.sock.shutdown(socket.SHUT_RDWR)  # the judge's line gone (a judge that died)
    connection.sock.close()
    try:
        assert gone(worker.pid), "a worker outlived its judge's connection"
    finally:
        worker.sock.close()
