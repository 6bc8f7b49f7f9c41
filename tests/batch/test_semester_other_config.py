"""Rows kept from an earlier run under another config are named (a semester review: after a
tolerance fix the TA re-ran one section into the shared folder; the other sections' rows kept
the old tolerance, and neither the summary nor `export canvas` said so)."""

from __future__ import annotations

from pathlib import Path

from test_ops6_not_given_again import ROSTER, config_file, run, scored

from autograder.export.canvas import export_canvas


def test_rows_graded_under_another_config_are_named_by_the_run_and_the_export(
        tmp_path: Path) -> None:
    config_path = config_file(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "grades"
    before = scored("okaforadaeze_1001", config_path,
                    tmp_path / "sec1" / "okaforadaeze_1001_5001_lab05.ipynb", full=True)
    before.config_sha256 = "a" * 64  # (graded under the config before the fix)
    run(config_path, [before], out, roster)

    now = scored("tanakayuki_1003", config_path,
                 tmp_path / "sec2" / "tanakayuki_1003_5003_lab05.ipynb", full=True)
    now.config_sha256 = "c" * 64  # (the run's own config: `run` records "c" * 64)
    summary = run(config_path, [now], out, roster)
    summary.engine = now.trace.engine_version  # (the same grading code: the config alone differs)
    lines = [line for line in summary.describe().splitlines() if "another config" in line]
    assert len(lines) == 1 and lines[0].endswith("okaforadaeze_1001"), lines
    assert "tanakayuki_1003" not in lines[0]

    report = export_canvas(out, tmp_path / "canvas.csv", "Lab 5")
    flagged = [line for line in report.check if "another config" in line]
    assert [line.split(":", 1)[0] for line in flagged] == ["okaforadaeze_1001"], report.check


def test_a_copy_of_a_notebook_graded_in_an_earlier_run_is_named(tmp_path: Path) -> None:
    """A semester review graded one section, then another into the same folder: a byte-
    identical copy across the two was never named (only copies within one run were)."""
    config_path = config_file(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "grades"
    run(config_path, [scored("okaforadaeze_1001", config_path,
                             tmp_path / "sec1" / "okaforadaeze_1001_5001_lab05.ipynb",
                             full=True)], out, roster)
    copy = scored("tanakayuki_1003", config_path,
                  tmp_path / "sec2" / "tanakayuki_1003_5003_lab05.ipynb", full=True)
    summary = run(config_path, [copy], out, roster)
    assert summary.record is not None
    assert [line.split(": same bytes as ", 1)[0] for line in summary.record.identical] == [
        str(tmp_path / "sec2" / "tanakayuki_1003_5003_lab05.ipynb")]
    assert "(okaforadaeze_1001, graded in an earlier run)" in summary.record.identical[0]
    other = scored("tanakayuki_1003", config_path,
                   tmp_path / "sec2" / "tanakayuki_1003_5003_lab05.ipynb", full=True)
    other.source_sha256 = "cd" * 32  # (her own work)
    assert run(config_path, [other], out, roster).record.identical == []  # type: ignore[union-attr]
