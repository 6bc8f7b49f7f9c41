"""`grade` refuses what it cannot do in one line, exit code 2, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "tests" / "fixtures" / "submissions" / "reference_code.ipynb"


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["grade", *argv, "--config", str(ROOT / "grading_config.yaml")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_a_path_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "g"
    assert "no such file or folder: nope.ipynb" in refused(capsys, "nope.ipynb", "--out", str(out))
    assert not out.exists()


def test_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_text("")
    out = tmp_path / "g"
    assert "no submission found in" in refused(capsys, str(tmp_path / "empty"), "--out", str(out))
    assert not out.exists()


def test_out_is_a_file_or_inside_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.ipynb").write_bytes(NOTEBOOK.read_bytes())
    afile = tmp_path / "grades.txt"
    afile.write_text("keep me")
    assert "is a file, not a folder" in refused(capsys, str(subs), "--out", str(afile))
    assert afile.read_text() == "keep me"
    assert "is inside the input" in refused(capsys, str(subs), "--out", str(subs / "grades"))
    assert not (subs / "grades").exists()


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_invalid_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str):
    out = tmp_path / "g"
    assert "--workers must be 1 or more" in refused(capsys, str(NOTEBOOK), "--out", str(out),
                                                    "--workers", workers)
    assert not out.exists()


def test_a_bad_overrides_file_stops_before_grading(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("id,check,points,reason,who\nlee,total,lots,why,TA\n")
    out = tmp_path / "g"
    err = refused(capsys, str(NOTEBOOK), "--out", str(out), "--overrides", str(overrides))
    assert f"{overrides}:2: points 'lots' is not a number" in err
    assert not out.exists()


def test_a_config_error_names_the_file_one_line_per_problem(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "grading_config.yaml"
    config.write_text("tests: {'f: x': {points: -1}}\ndeadline: {due: soon}\n")
    assert main(["grade", str(NOTEBOOK), "--out", str(tmp_path / "g"), "--config", str(config)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"error: {config}: ") for line in lines), lines
    assert not (tmp_path / "g").exists()


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]):
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("autograder.batch.run.grade_batch", interrupted)
    assert main(["grade", str(NOTEBOOK), "--out", str(tmp_path / "g"), "--config",
                 str(ROOT / "grading_config.yaml")]) == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted: ") and len(err.splitlines()) == 1, err


def test_a_full_disk_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]):
    """A semester review filled the disk mid-run and read a raw OSError traceback."""
    import errno

    from autograder import cli

    def full(args):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "g" / "x.json"))

    monkeypatch.setattr(cli, "_grade", full)
    assert main(["grade", str(NOTEBOOK), "--out", str(tmp_path / "g")]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: no space left on the disk"), err
    assert "run the same command again" in err
