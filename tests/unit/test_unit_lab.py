"""lab.py alone: a lab folder is found by convention, and a folder missing a piece is one
clear ConfigError naming what is missing and how to fix it; every command that reads a lab
takes `--lab`."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from autograder import cli
from autograder.config import ConfigError
from autograder.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "labs" / "lab_tiny"


def test_the_layout_of_a_lab_folder() -> None:
    lab = Lab.load(TINY)
    assert lab.name == "lab_tiny"
    assert lab.config == TINY / "grading_config.yaml"
    assert lab.template == TINY / "assignment" / "lab_tiny.ipynb"
    assert lab.master == TINY / "solutions" / "lab_tiny.ipynb"
    assert lab.checks == TINY / "solutions" / "lab_tiny_checks"
    assert lab.checks_package == "lab_tiny_checks"
    assert [p.name for p in lab.worker_modules] == ["tiny_train.py"]
    assert set(lab.hidden_relative()) >= {"solutions", "grading_config.yaml", "tests"}


def test_a_folder_without_a_config_says_how_to_make_a_lab(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Lab.load(tmp_path)
    message = str(caught.value)
    assert "is not a lab folder" in message and "grading_config.yaml" in message
    assert "--lab" in message and "new-lab" in message
    assert len(message.splitlines()) == 1


def test_invalid_yaml_and_an_unusable_name(tmp_path: Path) -> None:
    config = tmp_path / "grading_config.yaml"
    config.write_text("assignment: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Lab.load(tmp_path)
    config.write_text("assignment: lab-06\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a Python identifier"):
        Lab.load(tmp_path)


def test_the_name_defaults_to_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "week7"
    folder.mkdir()
    (folder / "grading_config.yaml").write_text("tests: {}\n", encoding="utf-8")
    lab = Lab.load(folder)
    assert lab.name == "week7" and lab.worker_modules == ()
    assert lab.selftest_library() == ([], [])  # no checks package yet: an empty library


def test_locate_prefers_lab_then_a_config_in_a_lab_folder(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert Lab.locate(TINY).root == TINY
    assert Lab.locate(config=TINY / "grading_config.yaml").root == TINY
    loose = tmp_path / "grading_config.yaml"  # a config outside a lab folder: the cwd's lab
    loose.write_text("tests: {}\n", encoding="utf-8")
    monkeypatch.chdir(ROOT)
    assert Lab.locate(config=loose).root == ROOT


def test_a_folder_missing_pieces_gets_one_error_listing_them(tmp_path: Path) -> None:
    (tmp_path / "grading_config.yaml").write_text("assignment: lab09\ntests: {}\n", encoding="utf-8")
    lab = Lab.load(tmp_path)
    with pytest.raises(ConfigError) as caught:
        lab.require("checks", "reference", "master", "template", "spec")
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{tmp_path} is not a complete lab folder: missing ")
    for piece in ("lab09_checks/test_*.py", "spec.py", "solutions/lab09.ipynb",
                  "reference.py", "assignment/lab09.ipynb", "python -m autograder assign --lab"):
        assert piece in line, piece
    assert Lab.load(TINY).require("checks", "reference", "master", "template", "spec").name == "lab_tiny"


def test_the_cli_says_what_is_missing_before_grading(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from autograder import cli

    (tmp_path / "grading_config.yaml").write_text("assignment: lab09\ntests: {}\n", encoding="utf-8")
    notebook = TINY / "assignment" / "lab_tiny.ipynb"
    out = tmp_path / "out"
    assert cli.main(["grade", str(notebook), "--lab", str(tmp_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "missing" in err and "lab09_checks" in err
    assert not out.exists()
    assert cli.main(["assign", "--lab", str(tmp_path)]) == 2
    assert "solutions/lab09.ipynb" in capsys.readouterr().err


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command of `python -m autograder`, by its words (`export canvas`)."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, words: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found[words] = parser
        for action in subs:
            for name, sub in action.choices.items():
                walk(sub, f"{words} {name}".strip())

    walk(cli.parser(), "")
    return found


def test_every_command_that_reads_a_lab_takes_lab_and_config_defaults_to_it() -> None:
    commands = _commands()
    assert set(commands) >= {"grade", "show", "publish", "assign", "new-lab", "selftest",
                             "export gradescope", "export canvas"}
    for words, parser in commands.items():
        options = {o: a for a in parser._actions for o in a.option_strings}
        if words == "new-lab":  # writes a lab: its folder is the argument
            assert "--lab" not in options
            continue
        assert "--lab" in options, f"`{words}` has no --lab"
        assert options["--lab"].default is None, words
        assert str(options["--lab"].help).startswith(cli.LAB_HELP), words
        if "--config" in options:  # never a path fixed when the parser was built
            assert options["--config"].default is None, words


def test_export_canvas_takes_the_column_from_the_lab_given(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    lab = tmp_path / "week6"
    lab.mkdir()
    (lab / "grading_config.yaml").write_text(
        'assignment: lab06\nexport: {canvas_column: "Lab 6 (777)"}\n'
        'tests: {"f: does it": {points: 1}}\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not a lab: only --lab can say which
    seen: dict[str, object] = {}

    def fake_export(grades: Path, out: Path, column: str, roster: Path | None,
                    **options: object) -> object:
        seen["column"] = column
        return type("Report", (), {"describe": lambda self: "exported"})()

    monkeypatch.setattr("autograder.export.canvas.export_canvas", fake_export)
    out = str(tmp_path / "c.csv")
    assert cli.main(["export", "canvas", "--lab", str(lab), "--out", out]) == 0
    assert seen["column"] == "Lab 6 (777)"
    assert cli.main(["export", "canvas", "--config", str(lab / "grading_config.yaml"),
                     "--out", out]) == 0
    assert cli.main(["export", "canvas", "--column", "Given", "--out", out]) == 0  # no lab needed
    assert seen["column"] == "Given"
    assert cli.main(["export", "canvas", "--out", out]) == 2  # no lab here, none given
