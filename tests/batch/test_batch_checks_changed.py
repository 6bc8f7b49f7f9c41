"""A result is reused only if the same grading code made it (audit finding 9): the key is the
notebook's bytes, the config and `grading_code` (the lab's hidden checks, reference, answers
and worker modules and the engine's grading modules), recorded in each result's
`trace.engine_version`; a check changed on grading night regrades, and the summary says why."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch.discover import Found
from autograder.batch.run import Summary, _up_to_date, grading_code
from autograder.config import load_config
from autograder.lab import Lab
from autograder.report.gradescope import results_path, write_results
from autograder.score.final import Trace
from autograder.score.results import Status
from autograder.score.scoring import unscored

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"


def small_lab(root: Path) -> Lab:
    files = {"grading_config.yaml": "assignment: lab05\n",
             "solutions/lab05_checks/__init__.py": "",
             "solutions/lab05_checks/test_part_a.py": "def test_a():\n    assert True\n",
             "solutions/reference.py": "def f():\n    return 1\n",
             "solutions/answers.json": "{}\n",
             "worker/scenarios.py": "SCENARIOS = {}\n",
             "assignment/lab05.ipynb": "{}\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return Lab.load(root)


def test_the_digest_follows_what_decides_a_grade_and_nothing_else(tmp_path: Path) -> None:
    lab = small_lab(tmp_path)
    first = grading_code(lab)
    assert first.startswith("0.1.0+") and grading_code(lab) == first
    (lab.root / "assignment" / "lab05.ipynb").write_text('{"changed": 1}\n')  # the students'
    cache = lab.checks / "__pycache__"
    cache.mkdir()
    (cache / "test_part_a.cpython-311.pyc").write_bytes(b"\0")
    assert grading_code(lab) == first
    seen = {first}
    for name in ("solutions/lab05_checks/test_part_a.py", "solutions/reference.py",
                 "solutions/answers.json", "worker/scenarios.py"):
        with (lab.root / name).open("a") as handle:
            handle.write("# changed\n")
        now = grading_code(lab)
        assert now not in seen, name
        seen.add(now)
    (lab.checks / "helpers.py").write_text("X = 1\n")  # a new module in the checks package
    assert grading_code(lab) not in seen


def test_a_result_made_by_other_grading_code_is_not_reused(tmp_path: Path) -> None:
    notebook = tmp_path / "ana.ipynb"
    notebook.write_text("{}")
    sha = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"  # of "{}"
    out = tmp_path / "out"
    result = unscored("ana", load_config(ROOT / "grading_config.yaml"), Status.GRADED, "")
    result.source_sha256, result.config_sha256 = sha, "c" * 64
    result.trace = Trace(engine_version="0.1.0+old")
    write_results(result, results_path(out, "ana"))
    found = Found("ana", notebook)
    assert _up_to_date(out, found, "c" * 64, "0.1.0+new") == (None, "code")
    assert _up_to_date(out, found, "d" * 64, "0.1.0+new") == (None, "config")
    reused, changed = _up_to_date(out, found, "c" * 64, "0.1.0+old")
    assert reused is not None and reused.submission_id == "ana" and not changed


def test_the_summary_says_what_was_regraded_because_the_checks_changed(tmp_path: Path) -> None:
    summary = Summary(out=tmp_path, engine="0.1.0+new", checks_changed=["ana", "ben"])
    summary.results = [dataclasses.replace(
        unscored(sid, load_config(ROOT / "grading_config.yaml"), Status.GRADED, ""),
        trace=Trace(engine_version="0.1.0+new")) for sid in ("ana", "ben")]
    assert ("  regraded 2: the hidden checks or grading code changed since they were graded: "
            "ana, ben") in summary.describe().splitlines()
    summary.checks_changed, summary.config_changed = [], ["ben"]
    assert ("  regraded 1: the config's tests, limits, tolerances or visibility changed since "
            "they were graded: ben") in summary.describe().splitlines()


@pytest.mark.slow
def test_a_check_changed_on_grading_night_regrades(tmp_path: Path, short_config: Path) -> None:
    lab = tmp_path / "lab"
    lab.mkdir()
    shutil.copy(ROOT / "grading_config.yaml", lab / "grading_config.yaml")
    shutil.copytree(ROOT / "solutions", lab / "solutions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "worker", lab / "worker", ignore=shutil.ignore_patterns("__pycache__"))
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    shutil.copy(FIXTURES / "reference_code.ipynb", subs / "ana.ipynb")
    grade = [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--lab",
             str(lab), "--config", str(short_config), "--workers", "1", "--no-progress"]

    def run() -> tuple[str, dict]:
        done = subprocess.run(grade, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout, json.loads((out / "ana" / "results.json").read_text())

    _, before = run()
    assert before["extra_data"]["raw_score"] == before["max_score"]
    checks = lab / "solutions" / "lab05_checks" / "test_part_c_metrics.py"
    text = checks.read_text()
    head = "def test_accuracy_values(student, ref, tol):\n"
    checks.write_text(text.replace(head, head + "    raise AssertionError('tightened')\n", 1))

    printed, after = run()
    assert "graded 1 now, 0 up to date" in printed
    assert ("regraded 1: the hidden checks or grading code changed since they were graded: ana"
            in printed)
    assert after["extra_data"]["raw_score"] < before["extra_data"]["raw_score"]
    assert after["extra_data"]["trace"]["engine_version"] != \
        before["extra_data"]["trace"]["engine_version"]
    assert json.loads((out / "batch.json").read_text())["checks_changed"] == ["ana"]

    again, _ = run()
    assert "graded 0 now, 1 up to date" in again and "regraded" not in again
