"""Submissions that attack the grader score no more than the honest work in them."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.load.notebook import Cell, Submission
from autograder.sandbox.session import StudentSession
from autograder.score.results import Status

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"

# fixture -> (status it must end with, a word its reason must contain). A cell that kills its
# worker is skipped and the rest graded in full: `graded`, the crash its reason (a note).
HOSTILE = {
    "hostile_patches_allclose": (Status.GRADED, ""),
    "hostile_patches_builtins": (Status.GRADED, "harness"),
    "hostile_always_equal": (Status.GRADED, ""),
    "hostile_sys_exit": (Status.GRADED, ""),
    "hostile_fake_results_stdout": (Status.GRADED, ""),
    "hostile_reads_solutions": (Status.GRADED, ""),
    "hostile_os_exit": (Status.GRADED, "os._exit"),
    "hostile_infinite_loop": (Status.TIMEOUT, "cell"),
    "hostile_no_work_stubs": (Status.GRADED, ""),
    "hostile_part_d_no_work": (Status.GRADED, ""),
}


def test_honest_baseline_earns_only_mse(grade):
    honest = grade("honest_only_mse")
    passed = {t.name.split(":")[0] for t in honest.tests if t.passed}
    assert passed == {"mse_loss"}
    assert 0 < honest.score < honest.max_score


@pytest.mark.parametrize("fixture", sorted(HOSTILE))
def test_hostile_submission_scores_its_honest_work(grade, fixture):
    status, word = HOSTILE[fixture]
    honest = grade("honest_only_mse")
    result = grade(fixture)
    assert result.status is status, (result.status, result.reason)
    assert word in result.reason
    assert result.score == honest.score
    # Every configured check still has a row with a message.
    assert [t.name for t in result.tests] == [t.name for t in honest.tests]


def test_hostile_writes_land_nowhere_that_matters(grade):
    before = {p for p in ROOT.rglob("results.json")}
    grade("hostile_fake_results_stdout")
    assert {p for p in ROOT.rglob("results.json")} == before
    assert not Path("/autograder/results/results.json").exists()


SPY = """
import os
stolen = []
for path in {paths!r}:
    try:
        stolen.append(open(path).read()[:100])
    except OSError:
        pass
    try:
        stolen.extend(os.listdir(path))
    except OSError:
        pass
env_secrets = dict(os.environ)
"""


def test_worker_cannot_read_hidden_files_or_secrets(zygote, grader):
    """The grading project's hidden paths, wherever this checkout lives."""
    paths = [str(ROOT / "solutions" / "reference.py"), str(ROOT / "solutions"),
             str(ROOT / "solutions" / "answers.json"),
             str(ROOT / "autograder" / "check" / "suite" / "test_part_a_regression.py"),
             str(ROOT / "autograder" / "selftest" / "alternatives.py"),
             str(FIXTURES), str(ROOT / "tests")]
    submission = Submission("spy", ROOT / "spy.ipynb", (Cell(1, SPY.format(paths=paths)),), "0")
    session = StudentSession(zygote.connect(), submission, grader.config.limits)
    session.start()
    try:
        assert session.get_var("stolen") == []
        env = session.get_var("env_secrets")
        assert set(env) <= {"PATH", "HOME", "LANG", "MPLBACKEND", "OMP_NUM_THREADS", "TMPDIR",
                            "CUDA_VISIBLE_DEVICES"}  # (empty: no GPU, see autograder/__init__)
    finally:
        session.close()
