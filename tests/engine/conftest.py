"""One warm zygote and grader per test process, with short limits for hostile cases."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from autograder.config import GradingConfig, Limits
from autograder.grader import Grader, hidden_paths
from autograder.lab import Lab
from autograder.load.notebook import Cell, Submission
from autograder.sandbox.client import Zygote
from autograder.sandbox.session import StudentSession
from autograder.score.results import SubmissionResult

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
LAB = Lab.load(ROOT)


def fast_config_text() -> str:
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text())
    raw["limits"].update(cell_timeout_s=4, call_timeout_s=4, submission_timeout_s=90)
    return yaml.safe_dump(raw, sort_keys=False)


@pytest.fixture(scope="session")
def zygote():
    with Zygote([Path(p) for p in hidden_paths([FIXTURES], LAB)],
                worker_modules=LAB.worker_modules) as z:
        yield z


@pytest.fixture(scope="session")
def grader(zygote) -> Iterator[Grader]:
    text = fast_config_text()
    with Grader(GradingConfig.model_validate(yaml.safe_load(text)), text,
                zygote.connect(), LAB) as grader:
        yield grader


@pytest.fixture(scope="session")
def grade(grader):
    @functools.cache
    def run(name: str) -> SubmissionResult:
        return grader.grade(FIXTURES / f"{name}.ipynb", name)

    return run


@contextlib.contextmanager
def one_cell_session(zygote: Zygote, source: str) -> Iterator[StudentSession]:
    """A worker of its own that ran `source` as a notebook's one cell; ended after."""
    connection = zygote.connect()
    session = StudentSession(connection, Submission("s", Path("s.ipynb"), (Cell(1, source),), "0"),
                             Limits())
    try:
        session.start()
        yield session
    finally:
        session.close()
        connection.close()


def alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie or a dead one is not alive)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def gone(pid: int, within: float = 10.0) -> bool:
    """The process ends within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def failed_checks(grader: Grader, tmp_path: Path, name: str, override: str) -> dict[str, str]:
    """The reference with `override`'s functions in place of its own, graded: the failed
    checks and their messages."""
    import nbformat

    from tests.fixtures.make_fixtures import REFERENCE, answers, notebook

    path = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook(REFERENCE, override, answers()), path)
    result = grader.grade(path, name)
    return {t.name: t.output for t in result.tests if not t.passed}
