"""A lab whose config names its roster, overrides, extensions and submission times still
makes a working Gradescope package (s12: every submission failed with "roster ...: no such
file"). Those files are the course around a batch; a Gradescope run grades one upload and
Gradescope keeps its own roster, extensions, late policy and regrades, so the packaged config
leaves the keys out — the deadline with its penalty too (an ops review: an upload named like
a Canvas late file lost 10 % to ours, on top of Gradescope's policy) —, and the config a run
loads needs no file that was not shipped."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from autograder.batch.course import load_course
from autograder.config import load_config
from autograder.export.gradescope import build, packaged_config

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # suite loaded


def course_config(folder: Path) -> Path:
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text(encoding="utf-8"))
    raw.update(roster="roster.csv", overrides="overrides.csv",
               deadline={"due": "2025-03-14T23:59:00-05:00", "timezone": "America/Chicago",
                         "extensions": "extensions.csv", "submission_times": "times.csv",
                         "penalty": {"per_day_percent": 10}})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "grading_config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_the_side_file_keys_are_left_out_and_the_rest_kept(tmp_path: Path):
    config = course_config(tmp_path / "course")
    data, left_out = packaged_config(config)
    assert left_out == ["roster", "overrides", "deadline"]
    shipped = yaml.safe_load(data)
    original = yaml.safe_load(config.read_text(encoding="utf-8"))
    for key in ("roster", "overrides", "deadline"):
        del original[key]
    assert shipped == original  # points, visibility and limits unchanged
    plain = ROOT / "grading_config.yaml"
    assert packaged_config(plain) == (plain.read_bytes(), [])  # nothing to leave out: as is


def test_the_packaged_config_loads_its_course_without_any_side_file(tmp_path: Path):
    package = build(tmp_path / "autograder.zip", config_path=course_config(tmp_path / "course"))
    assert "leaves out roster, overrides, deadline" in package.describe()
    assert "late policy" in package.describe()
    source = tmp_path / "source"  # unpacked as Gradescope does: no roster.csv beside it
    with zipfile.ZipFile(package.path) as zf:
        zf.extract("grading_config.yaml", source)
    shipped = source / "grading_config.yaml"
    course = load_course(load_config(shipped), shipped)  # what run_autograder's grade_batch does
    assert course.roster is None and course.overrides == [] and course.files == {}
    assert course.config.deadline is None  # (no late penalty of ours: Gradescope's applies)
    assert course.config.tests == package.config.tests
