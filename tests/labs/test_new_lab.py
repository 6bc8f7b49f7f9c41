"""`python -m autograder new-lab`: the scaffold is a lab that assign, grade and selftest accept
as written, and it refuses a name that cannot name a package or a folder that is in use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import cli
from autograder.lab import Lab


def test_new_lab_refuses_a_bad_name_or_a_used_folder(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["new-lab", str(tmp_path / "a"), "--name", "lab-6", "--no-assign"]) == 2
    assert "Python identifier" in capsys.readouterr().err
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    assert cli.main(["new-lab", str(tmp_path / "used"), "--name", "lab06", "--no-assign"]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "used" / "notes.txt").read_text() == "mine"


def test_new_lab_sources_follow_the_layout(tmp_path: Path) -> None:
    assert cli.main(["new-lab", str(tmp_path / "week6"), "--name", "lab06", "--no-assign"]) == 0
    lab = Lab.load(tmp_path / "week6")
    assert lab.name == "lab06"
    assert lab.master.is_file() and lab.checks.is_dir()
    assert [p.name for p in lab.worker_modules] == ["scenarios.py"]
    assert {p.name for p in lab.checks.iterdir()} >= {"spec.py", "test_lab06.py", "mutants.py",
                                                      "alternatives.py"}


@pytest.mark.slow
def test_new_lab_is_assigned_graded_and_selftested(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "week6"
    assert cli.main(["new-lab", str(folder), "--name", "lab07"]) == 0  # writes, then assigns
    lab = Lab.load(folder)
    assert lab.template.is_file() and lab.reference.is_file()
    assert "def scale" in lab.reference.read_text()
    capsys.readouterr()
    # (--generated 0: the scaffold's one check is a starting point, not a complete suite)
    assert cli.main(["selftest", "--lab", str(folder), "--workers", "1", "--generated", "0"]) == 0, \
        capsys.readouterr().out
    assert "1/1 mutants caught, 1/1 alternatives full marks, 0 false positives" in \
        capsys.readouterr().out
    out = tmp_path / "grades"
    assert cli.main(["grade", str(lab.template), str(lab.master), "--lab", str(folder),
                     "--out", str(out), "--no-progress", "--workers", "1"]) == 0
    scores = {p.parent.name: json.loads(p.read_text())["score"] for p in out.glob("*/results.json")}
    assert scores == {"lab07": 0.0, "lab07-2": 2.0}  # the template, then the master
