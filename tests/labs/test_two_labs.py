"""Two labs, one engine: lab05 (this repository's root) and lab_tiny (tests/labs/lab_tiny)
graded by the same installed engine in the same test run.

Why: the engine must know no lab. lab_tiny was written with no engine edit for it: its own
config, master notebook, hidden checks package, selftest library and a worker-side scenario
of its own; `assign`, `grade`, `selftest` and `export gradescope` take it by `--lab`. And
lab05 must not notice: its score on every fixture equals the one recorded before the engine
was split from it (lab05_fixture_scores.json; after a deliberate change of lab05's checks
or fixtures, record again with `.venv/bin/python tests/labs/test_two_labs.py --record`).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from autograder import cli
from autograder.assign import build as assign_build
from autograder.score.results import TAMPERING

ROOT = Path(__file__).resolve().parents[2]
TINY = Path(__file__).resolve().parent / "lab_tiny"
EXPECTED = Path(__file__).resolve().parent / "lab05_fixture_scores.json"
FIXTURE_FOLDERS = ("submissions", "tamper")
VENV_BIN = Path(sys.executable).parent


def results(out: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(out.glob("*/results.json"))}


def lab05_scores(out: Path, workers: int = 2) -> dict[str, Any]:
    """Every lab05 fixture graded with lab05's own config: {folder/id: score, status, tests}."""
    scores: dict[str, Any] = {}
    for folder in FIXTURE_FOLDERS:
        graded = out / folder
        argv = ["grade", str(ROOT / "tests" / "fixtures" / folder), "--out", str(graded),
                "--lab", str(ROOT), "--regrade", "--no-progress", "--workers", str(workers)]
        assert cli.main(argv) == 0
        for name, data in results(graded).items():
            scores[f"{folder}/{name}"] = {"score": data["score"], "status": data.get("status"),
                                          "tests": {t["name"]: t["score"] for t in data["tests"]}}
    return scores


# ---------------------------------------------------------------- lab05: unchanged
@pytest.mark.slow
def test_lab05_scores_on_every_fixture_are_unchanged(tmp_path: Path) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = lab05_scores(tmp_path)
    assert sorted(got) == sorted(expected)
    changed = {key: {"expected": expected[key]["score"], "got": got[key]["score"],
                     "status": (expected[key]["status"], got[key]["status"]),
                     "checks": {name: (expected[key]["tests"].get(name), score)
                                for name, score in got[key]["tests"].items()
                                if expected[key]["tests"].get(name) != score}}
               for key in expected if got[key] != expected[key]}
    assert not changed, json.dumps(changed, indent=1)


# ---------------------------------------------------------------- lab_tiny: a second lab
def test_lab_tiny_declares_a_tolerance_kind_its_checks_read() -> None:
    """A lab's own tolerance kind reaches its checks through `tol`, beside the engine's."""
    from autograder.config import Tolerances, load_config

    tol = load_config(TINY / "grading_config.yaml").tolerances
    assert tol.sgd_step.rtol == 1e-4 and tol["sgd_step"].atol == 1e-5
    assert tol.float32 == Tolerances().float32  # the engine's kinds keep their defaults
    checks = (TINY / "solutions" / "lab_tiny_checks" / "test_lab_tiny.py").read_text()
    assert "tol.sgd_step.rtol" in checks


@pytest.mark.slow
def test_lab_tiny_is_built_by_assign() -> None:
    """The committed assignment/, reference.py and answers.json are what `assign` writes."""
    assert assign_build.main(["--lab", str(TINY), "--check"]) == 0


@pytest.mark.slow
def test_lab_tiny_is_graded_by_grade(tmp_path: Path) -> None:
    out = tmp_path / "grades"
    argv = ["grade", str(TINY / "examples" / "submissions"), str(TINY / "assignment"),
            "--lab", str(TINY), "--out", str(out), "--no-progress", "--workers", "2"]
    assert cli.main(argv) == 0
    graded = results(out)
    # (a folder given by itself, holding the assignment's notebook, is one student's: its name)
    assert set(graded) == {"ada_lovelace", "ben_bitdiddle", "assignment"}
    assert all(r["status"] == "graded" for r in graded.values())
    ada, ben, template = graded["ada_lovelace"], graded["ben_bitdiddle"], graded["assignment"]
    assert ada["score"] == ada["max_score"] == 13
    assert template["score"] == 0
    mistakes = {t["name"].split(":")[0]: t for t in ben["tests"] if t["score"] < t["max_score"]}
    # Ben forgot zero_grad (seen through lab_tiny's own worker scenario), returned the loss
    # tensor, used the unbiased std without a row check, and picked the wrong answer.
    assert set(mistakes) == {"standardize", "train_step", "q_lr"}
    failed = {t["name"]: t["output"] for t in ben["tests"] if t["score"] < t["max_score"]}
    assert any("zero_grad" in text for text in failed.values()), failed
    # A torch warning raised inside a recorded call is not tampering.
    assert not [t["name"] for r in graded.values() for t in r["tests"]
                if TAMPERING in t.get("tags", [])]
    # lab05's checks were not used: only lab_tiny's names.
    assert all(t["name"].split(":")[0] in {"standardize", "squared_error", "train_step", "q_lr"}
               for r in graded.values() for t in r["tests"])


@pytest.mark.slow
def test_lab_tiny_selftest_catches_every_mutant(capsys: pytest.CaptureFixture[str]) -> None:
    # Its generated mutants are lab_tiny's own gaps to close (a two-minute demo lab whose
    # checks test no gradient of standardize): `selftest --lab tests/labs/lab_tiny` lists them.
    code = cli.main(["selftest", "--lab", str(TINY), "--workers", "2", "--generated", "0"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "9/9 mutants caught, 3/3 alternatives full marks, 0 false positives" in text


@pytest.mark.slow
def test_lab_tiny_exported_for_gradescope_grades_like_local(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    package = tmp_path / "autograder.zip"
    assert cli.main(["export", "gradescope", "--lab", str(TINY), "--out", str(package)]) == 0
    assert "8 checks (1 hidden, 7 visible), 13 points" in capsys.readouterr().out
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
    assert {"grading_config.yaml", "solutions/reference.py", "solutions/answers.json",
            "solutions/lab_tiny_checks/test_lab_tiny.py", "worker/tiny_train.py"} <= names
    assert not names & {"solutions/lab_tiny.ipynb", "solutions/lab_tiny_checks/mutants.py",
                        "solutions/lab_tiny_checks/alternatives.py"}
    assert not [n for n in names if "lab05" in n or n.startswith(("tests/", "examples/"))]

    base = Path(tempfile.gettempdir())  # like /autograder: the worker's uid must reach it
    if any(not p.stat().st_mode & stat.S_IXOTH for p in [base, *base.parents]):
        pytest.skip(f"{base} is not searchable by other users")
    root = Path(tempfile.mkdtemp(prefix="lab-tiny-gradescope-test-", dir=base))
    try:
        with zipfile.ZipFile(package) as zf:
            for info in zf.infolist():
                target = Path(zf.extract(info, root / "source"))
                os.chmod(target, (info.external_attr >> 16) & 0o777 or 0o644)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        (root / "submission").mkdir()
        (root / "results").mkdir()
        shutil.copy(TINY / "examples" / "submissions" / "ben_bitdiddle.ipynb", root / "submission")
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "AUTOGRADER_PYTHON", "VIRTUAL_ENV")}
        env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
                   AUTOGRADER_ROOT=str(root))
        done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                              check=False)
        assert done.returncode == 0, done.stdout
        remote = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    local = tmp_path / "local"
    assert cli.main(["grade", str(TINY / "examples" / "submissions" / "ben_bitdiddle.ipynb"),
                     "--lab", str(TINY), "--out", str(local), "--no-progress", "--workers", "1"]) == 0
    expected = results(local)["ben_bitdiddle"]
    assert remote["score"] == expected["score"] == 5
    assert ({t["name"]: t["score"] for t in remote["tests"]}
            == {t["name"]: t["score"] for t in expected["tests"]})


if __name__ == "__main__":  # record lab05's expected scores from the engine as it is now
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/labs/test_two_labs.py --record")
    with tempfile.TemporaryDirectory() as tmp:
        scores = lab05_scores(Path(tmp))
    EXPECTED.write_text(json.dumps(scores, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(scores)} fixtures recorded in {EXPECTED}")
