"""A grading run killed with SIGKILL leaves its sandbox folder behind; the next run sweeps it,
and never touches a live run's folder or one that is just being created."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path

from autograder.sandbox.client import PREFIX, sweep_stale_roots


def _root(parent: Path, name: str, age_s: float, listening: bool) -> tuple[Path, socket.socket]:
    root = parent / f"{PREFIX}{name}"
    (root / "scratch").mkdir(parents=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(root / "zygote.sock"))
    if listening:
        server.listen(1)
    else:
        server.close()  # the socket file stays, nobody answers: a killed run
    old = time.time() - age_s
    os.utime(root, (old, old))
    return root, server


def test_only_dead_and_old_sandbox_roots_are_removed() -> None:
    # a short parent: a Unix socket's path must stay under 108 bytes
    with tempfile.TemporaryDirectory(prefix="sw") as parent:
        _check_sweep(Path(parent))


def _check_sweep(tmp_path: Path) -> None:
    dead, _ = _root(tmp_path, "dead", 3600, listening=False)
    live, server = _root(tmp_path, "live", 3600, listening=True)
    fresh, _ = _root(tmp_path, "fresh", 0, listening=False)
    other = tmp_path / "not-ours"
    other.mkdir()
    try:
        removed = sweep_stale_roots(str(tmp_path))
    finally:
        server.close()
    assert removed == [str(dead)]
    assert not dead.exists()
    assert live.exists() and fresh.exists() and other.exists()
