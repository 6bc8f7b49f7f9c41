"""A new download of the same class into the same folder (ops6 grading night: Tanaka's first
submission had three notebooks, `tanakayuki_1003`, `-2`, `-3`; the next download held only her
latest, worth 0, yet Canvas got 136 from the stale `-2`, and the run only said "2 kept from
earlier runs"). The rows kept from earlier runs are named; those whose student this run graded
again without them are named as such; the export gives the student's row of this run."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import yaml

from autograder.batch.course import load_course
from autograder.batch.discover import Discovery, Found
from autograder.batch.finish import finish
from autograder.batch.run import Summary
from autograder.config import load_config
from autograder.export.canvas import export_canvas
from autograder.score.final import Trace
from autograder.score.results import Status, SubmissionResult
from autograder.score.scoring import unscored

ROOT = Path(__file__).resolve().parents[2]
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
"Tanaka, Yuki",1003,S1003,yt@uni.edu,L1
"Okafor, Adaeze",1001,S1001,ao@uni.edu,L1
"""


def config_file(tmp_path: Path) -> Path:
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text())
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def scored(sid: str, config_path: Path, source: Path, full: bool) -> SubmissionResult:
    result = unscored(sid, load_config(config_path), Status.GRADED, "")
    if full:
        result.tests = [dataclasses.replace(t, score=t.max_score, passed=True, output="",
                                            mistake="") for t in result.tests]
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(sid)
    result.source_sha256 = "ab" * 32
    result.trace = Trace(source=str(source), graded_at="2025-03-15T00:00:00+00:00",
                         engine_version="0.1.0+test")
    return result


def run(config_path: Path, results: list[SubmissionResult], out: Path, roster: Path) -> Summary:
    config = load_config(config_path)
    course = load_course(config, config_path, roster)
    found = [Found(r.submission_id, Path(r.trace.source)) for r in results]
    inputs = sorted({f.path.parent for f in found})
    summary = Summary(out=out)
    summary.results, summary.record = finish(results, Discovery(submissions=found), course,
                                             inputs, config_path, "c" * 64, out,
                                             list(config.tests))
    return summary


def test_a_new_download_without_an_older_extra_names_it_and_exports_the_latest(tmp_path: Path):
    config_path = config_file(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "grades"
    first = tmp_path / "dlT1"
    run(config_path, [scored("tanakayuki_1003", config_path,
                             first / "tanakayuki_1003_5203_lab05.ipynb", full=False),
                      scored("tanakayuki_1003-2", config_path,
                             first / "tanakayuki_1003_5003_lab05-old.ipynb", full=True),
                      scored("okaforadaeze_1001", config_path,
                             first / "okaforadaeze_1001_5001_lab05.ipynb", full=True)],
        out, roster)

    second = tmp_path / "dlT2"
    summary = run(config_path, [scored("tanakayuki_1003", config_path,
                                       second / "tanakayuki_1003_5303_lab05.ipynb", full=False)],
                  out, roster)

    assert summary.record is not None
    assert summary.record.earlier == ["okaforadaeze_1001", "tanakayuki_1003-2"]
    text = summary.describe()
    assert "2 kept from earlier runs (okaforadaeze_1001, tanakayuki_1003-2)" in text
    stale = [line for line in summary.record.problems if line.startswith("tanakayuki_1003-2: ")]
    assert len(stale) == 1 and "graded tanakayuki_1003 for the same student" in stale[0]
    assert not any(line.startswith("okaforadaeze_1001: ") for line in summary.record.problems)
    assert f"problem: {stale[0]}" in text

    canvas = tmp_path / "canvas.csv"
    export_canvas(out, canvas, "Lab 5")
    with canvas.open(newline="", encoding="utf-8-sig") as handle:
        scores = {row["Student"]: row["Lab 5"] for row in csv.DictReader(handle)}
    assert scores["Tanaka, Yuki"] == "0"  # this download's notebook, not the stale extra
