"""Where the host forbids a protection, the grader says so and uses the next layer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox.client import Zygote
from autograder.sandbox.session import StudentSession

NET = """
import socket
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
    net = "open"
except OSError as exc:
    net = str(exc)
"""


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux setpriv not installed")
def test_without_namespaces_workers_refuse_sockets_and_warn():
    # No CAP_SYS_ADMIN: as in a default Docker container, unshare() is refused.
    with Zygote([], launcher=("setpriv", "--bounding-set=-sys_admin")) as zygote:
        info = zygote.info
        assert not info.network_namespace and not info.mount_namespace
        assert any("network namespace" in w for w in info.warnings)
        assert any("mount namespace" in w for w in info.warnings)
        submission = Submission("net", Path("net.ipynb"), (Cell(1, NET),), "0")
        session = StudentSession(zygote.connect(), submission, Limits())
        session.start()
        try:
            assert session.get_var("net") == "network access is disabled while grading"
        finally:
            session.close()


def test_full_isolation_here_when_root():
    with Zygote([]) as zygote:
        if zygote.info.warnings:
            pytest.skip("this host does not allow full isolation: " + "; ".join(zygote.info.warnings))
        submission = Submission("net", Path("net.ipynb"), (Cell(1, NET),), "0")
        session = StudentSession(zygote.connect(), submission, Limits())
        session.start()
        try:
            assert "unreachable" in session.get_var("net")
        finally:
            session.close()
