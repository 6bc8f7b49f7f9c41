"""A grading run killed with SIGKILL leaves its sandbox folder behind; the next run sweeps it,
and never touches a live run's folder or one that is just being created."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path

from autograder.sandbox.cleanup import remove_tree
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


def _deep_tree(top: Path, depth: int) -> None:
    """`depth` nested folders, made relative to an open descriptor (deeper than PATH_MAX)."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d" * 40, dir_fd=fd)
            child = os.open("d" * 40, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.chmod(f"/proc/self/fd/{fd}", 0)  # and the innermost one unreadable
    finally:
        os.close(fd)


def test_a_killed_run_with_a_deep_tree_is_swept_without_raising() -> None:
    """A worker's 3,000-deep tree made Python 3.11's recursive rmtree raise RecursionError,
    which killed the zygote and blocked the next run's start-up sweep."""
    with tempfile.TemporaryDirectory(prefix="sw") as parent:
        dead, _ = _root(Path(parent), "deep", 3600, listening=False)
        _deep_tree(dead / "scratch", 3000)
        old = time.time() - 3600
        os.utime(dead, (old, old))
        assert sweep_stale_roots(parent) == [str(dead)]
        assert not dead.exists()


def test_remove_tree_never_raises_and_never_follows_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the worker's")
    tree = tmp_path / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "link").symlink_to(outside)
    (tree / "file").write_text("x")
    assert remove_tree(str(tree))
    assert not tree.exists() and (outside / "keep.txt").exists()
    assert remove_tree(str(tmp_path / "never-existed"))
