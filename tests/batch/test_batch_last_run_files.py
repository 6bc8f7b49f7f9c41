"""A grade run that names no roster or overrides file uses its output folder's last run's
(`batch.run._as_last_run`), and says so (an instructor's grading night: `--overrides` given
once, then one late notebook regraded without it, as the README's own example does — every
override left the gradebook and the Canvas export, and nothing said so)."""

from __future__ import annotations

from pathlib import Path

import yaml

from autograder.batch.run import _as_last_run
from autograder.config import load_config
from autograder.report.batch_record import BATCH, BatchRecord

CHECK = "f: does it"


def config(tmp_path: Path, **course: str) -> Path:
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump({"tests": {CHECK: {"points": 4}}, **course}))
    return path


def last_run(out: Path, **files: Path) -> None:
    out.mkdir()
    BatchRecord("2026-12-06T12:00:00+00:00", "x", "c", "s",
                files={key: str(path) for key, path in files.items()}).write(out / BATCH)


def test_the_last_runs_roster_and_overrides_are_kept_and_said(tmp_path: Path) -> None:
    roster, overrides = tmp_path / "roster.csv", tmp_path / "overrides.csv"
    roster.write_text("id\nann\n")
    overrides.write_text("id,check,points,reason,who\n")
    last_run(tmp_path / "out", roster=roster, overrides=overrides)
    kept_roster, kept_overrides, said = _as_last_run(
        tmp_path / "out", load_config(config(tmp_path)), None, None)
    assert (kept_roster, kept_overrides) == (roster, overrides)
    assert [line.split(":")[0] for line in said] == ["roster", "overrides"]
    assert all("--" in line for line in said)  # (how to use another file)


def test_a_file_named_now_or_in_the_config_wins_and_a_gone_one_is_not_kept(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("id,check,points,reason,who\n")
    last_run(tmp_path / "out", roster=tmp_path / "deleted.csv", overrides=overrides)
    other = tmp_path / "other.csv"
    roster, named, said = _as_last_run(tmp_path / "out", load_config(config(tmp_path)),
                                       None, other)
    assert (roster, named, said) == (None, other, [])  # (the roster's file is gone)
    configured = load_config(config(tmp_path, overrides="mine.csv"))
    assert _as_last_run(tmp_path / "out", configured, None, None) == (None, None, [])


def test_a_first_run_keeps_nothing(tmp_path: Path) -> None:
    assert _as_last_run(tmp_path / "out", load_config(config(tmp_path)), None, None) \
        == (None, None, [])
