"""A grade run that was stopped leaves rows with no final score (a run gives every row its
overrides and late penalty at its end): nothing exports or publishes them as if final, and
`show` says so; and `show` and `publish` read the run's config, as the run's pages were
written with it (an ops review: Ctrl-C during a --regrade, then `export canvas` sent raw
scores — a student past the cutoff 97.04 instead of 0 —, and `publish --undo` rewrote pages
from the lab's config, the late penalty gone)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from test_export_canvas import CANVAS_ROSTER, CHECK, COLUMN, grades, ran_with, result

from autograder.cli import main
from autograder.export.canvas import CanvasExportError, export_canvas
from autograder.report.gradescope import read_results, results_path, write_results
from autograder.score.final import Late, Standing


def stopped_regrade(out: Path, sid: str) -> None:
    """What a run stopped halfway leaves: this row graded again, written raw."""
    row = read_results(results_path(out, sid))
    row.final = None
    write_results(row, results_path(out, sid))


def late_class(tmp_path: Path) -> Path:
    past_cutoff = Standing(late=Late(days_late=9, percent=100.0))
    return grades(tmp_path, [result("okafor_1001", 10.0), result("erin_1005", 9.0,
                                                                  standing=past_cutoff)],
                  CANVAS_ROSTER)


def test_export_canvas_refuses_a_stopped_runs_rows(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = late_class(tmp_path)
    export_canvas(out, tmp_path / "before.csv", COLUMN)  # (finished: exported)
    stopped_regrade(out, "erin_1005")
    with pytest.raises(CanvasExportError, match="did not finish: 1 row"):
        export_canvas(out, tmp_path / "canvas.csv", COLUMN)
    code = main(["export", "canvas", "--grades", str(out), "--out", str(tmp_path / "c.csv"),
                 "--column", COLUMN])
    assert code == 2 and "erin_1005" in capsys.readouterr().err
    assert not (tmp_path / "canvas.csv").exists() and not (tmp_path / "c.csv").exists()


def test_a_row_the_stopped_run_added_counts_too(tmp_path: Path) -> None:
    out = late_class(tmp_path)
    newcomer = result("yetnobody_1099", 7.0)
    newcomer.final = None
    write_results(newcomer, results_path(out, newcomer.submission_id))
    with pytest.raises(CanvasExportError, match="yetnobody_1099"):
        export_canvas(out, tmp_path / "canvas.csv", COLUMN)


def test_publish_refuses_and_show_warns(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = late_class(tmp_path)
    ran_with(out, tmp_path, "")
    stopped_regrade(out, "erin_1005")
    assert main(["publish", "--out", str(out)]) == 2
    assert "did not finish" in capsys.readouterr().err
    assert main(["show", "erin_1005", "--out", str(out)]) == 0
    assert "no overrides, no late penalty" in capsys.readouterr().err


def test_show_reads_the_runs_config(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's config has a due date, passed: a check shown after it is on the run's pages;
    the config in the folder `show` runs from has none (such a check then waits for publish).
    Without --config, `show` shows what the run's pages show."""
    row = result("okafor_1001", 10.0)
    row.tests = [dataclasses.replace(row.tests[0], visibility="after_due_date")]
    out = grades(tmp_path, [row], CANVAS_ROSTER)
    ran_with(out, tmp_path, "")  # (the run's config: tmp_path / run_config.yaml)
    (tmp_path / "run_config.yaml").write_text(
        f"tests:\n  '{CHECK}': {{points: 10}}\ndeadline:\n  due: '2020-01-01T00:00:00+00:00'\n",
        encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "grading_config.yaml").write_text(f"tests:\n  '{CHECK}': {{points: 10}}\n",
                                                   encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    assert main(["show", "okafor_1001", "--out", str(out)]) == 0
    assert "does it" in capsys.readouterr().out


def test_the_export_names_the_scores_to_check_before_importing(tmp_path: Path) -> None:
    """An ops review: a final of -69 after an override and a notebook that could not be graded
    (sent as 0) went to Canvas with nothing said; `grade` had flagged them."""
    from autograder.score.final import TOTAL, AppliedOverride
    from autograder.score.results import Status

    deducted = Standing(overrides=[AppliedOverride(TOTAL, 10.0, -5.0, "integrity", "Prof")])
    out = grades(tmp_path, [result("okafor_1001", 10.0, standing=deducted),
                            result("erin_1005", 0.0, Status.INVALID)], CANVAS_ROSTER)
    said = export_canvas(out, tmp_path / "canvas.csv", COLUMN).describe()
    assert "  check: okaforada_1001: final -5 is outside 0..10 (overrides)" in said
    assert "  check: eerin_1005: invalid, sent as 0" in said  # (by their roster keys)


@pytest.mark.parametrize("typed", ["OKAFOR_1001", "S1001", "aokafor", "1001"])
def test_show_finds_a_row_by_any_id_the_roster_knows(tmp_path: Path, typed: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """An ops review: `show S1011`, `show 1011` and `show Okafor_1001` found nothing, while
    overrides and extensions take those ids."""
    out = late_class(tmp_path)
    assert main(["show", typed, "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("Submission okafor_1001: graded")


def test_show_refuses_a_path_and_lists_what_there_is(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = late_class(tmp_path)
    assert main(["show", "../grades/okafor_1001", "--out", str(out)]) == 2
    assert "available: " in capsys.readouterr().err


def test_publish_rewrites_the_gradebooks_rows_only(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A folder a later run left out of the gradebook (an emailed hand-in's old `missing`
    row) is no row: an ops review's publish said "rewrote 21 pages" for 20 rows."""
    out = late_class(tmp_path)
    ran_with(out, tmp_path, "")
    stale = result("duboisfrancois_1012", 0.0)
    write_results(stale, results_path(out, stale.submission_id))  # (not in batch.json)
    assert main(["publish", "--out", str(out)]) == 0
    assert "rewrote 2 feedback pages" in capsys.readouterr().out
    assert not (out / stale.submission_id / "feedback.html").exists()


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """An ops review piped an export's summary into `head`: a BrokenPipeError traceback."""
    import subprocess
    import sys

    out = late_class(tmp_path)
    root = Path(__file__).resolve().parents[2]
    run = subprocess.Popen([sys.executable, "-m", "autograder", "show", "okafor_1001", "--out",
                            str(out), "--all"], cwd=root, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    assert run.stdout is not None
    run.stdout.close()  # (the reader gone before anything was written)
    _, stderr = run.communicate(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
