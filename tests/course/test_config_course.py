"""The course keys of grading_config.yaml: strict, validated, and errors one readable line each."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from autograder.config import ConfigError, load_config

TESTS = {"f: does it": {"points": 2}}


def config(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump({"tests": TESTS, **extra}, sort_keys=False))
    return path


def error_lines(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value).splitlines()


def test_every_course_key_is_read(tmp_path: Path):
    loaded = load_config(config(tmp_path, roster="roster.csv", overrides="overrides.csv",
                                export={"canvas_column": "Lab 5 (123456)"},
                                deadline={"due": "2025-03-14T23:59:00-05:00", "grace_minutes": 10,
                                          "timezone": "America/Chicago",
                                          "extensions": "ext.csv", "submission_times": "t.csv",
                                          "penalty": {"per_day_percent": 10, "max_percent": 50,
                                                      "zero_after": "2025-03-21T23:59:00-05:00"}}))
    assert loaded.roster == "roster.csv" and loaded.overrides == "overrides.csv"
    assert loaded.export.canvas_column == "Lab 5 (123456)"
    deadline = loaded.deadline
    assert deadline is not None and deadline.due == datetime.fromisoformat("2025-03-14T23:59:00-05:00")
    assert (deadline.grace_minutes, deadline.timezone, deadline.extensions,
            deadline.submission_times) == (10, "America/Chicago", "ext.csv", "t.csv")
    assert (deadline.penalty.per_day_percent, deadline.penalty.max_percent) == (10, 50)


def test_defaults_mean_no_course_rules(tmp_path: Path):
    loaded = load_config(config(tmp_path))
    assert (loaded.roster, loaded.overrides, loaded.deadline, loaded.export.canvas_column) == (
        None, None, None, None)
    only_due = load_config(config(tmp_path, deadline={"due": "2025-03-14T23:59"}))
    assert only_due.deadline is not None and only_due.deadline.penalty.per_day_percent == 0


@pytest.mark.parametrize(("extra", "line"), [
    ({"deadline": {"grace_minutes": 5}}, "deadline.due: required key missing"),
    ({"deadline": {"due": "tomorrow"}}, "deadline.due: Input should be a valid datetime"),
    ({"deadline": {"due": "2025-03-14T23:59", "timezone": "Mars/Base"}},
     "deadline: unknown timezone 'Mars/Base'"),
    ({"deadline": {"due": "2025-03-14T23:59", "grace_minutes": -1}},
     "deadline.grace_minutes: Input should be greater than or equal to 0"),
    ({"deadline": {"due": "2025-03-14T23:59", "penalty": {"per_day_percent": 120}}},
     "deadline.penalty.per_day_percent: Input should be less than or equal to 100"),
    ({"deadline": {"due": "2025-03-14T23:59", "penalty": {"max_percent": -1}}},
     "deadline.penalty.max_percent: Input should be greater than or equal to 0"),
    ({"deadline": {"due": "2025-03-14T23:59", "penalty": {"zero_after": "2025-03-01T00:00"}}},
     "deadline: penalty.zero_after is before the due date"),
    ({"deadline": {"due": "2025-03-14T23:59", "penalty": {"per_day": 10}}},
     "deadline.penalty.per_day: unknown key (a typo?)"),
    ({"deadline": {"due": "2025-03-14T23:59", "extension": "e.csv"}},
     "deadline.extension: unknown key (a typo?)"),
    ({"roster": ["a.csv"]}, "roster: Input should be a valid string"),
    ({"overrides": 3}, "overrides: Input should be a valid string"),
    ({"export": {"canvas_column": ""}}, "export.canvas_column: String should have at least 1"),
    ({"export": {"canvas": "x"}}, "export.canvas: unknown key (a typo?)"),
])
def test_each_problem_is_one_line_naming_the_file_and_the_key(tmp_path: Path, extra: dict[str, object],
                                                              line: str):
    path = config(tmp_path, **extra)
    lines = error_lines(path)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: {line}"), lines
    assert "pydantic" not in lines[0] and "http" not in lines[0]


def test_several_problems_several_lines(tmp_path: Path):
    path = config(tmp_path, roster=1, deadline={"due": "x", "penalty": {"max_percent": 200}})
    assert len(error_lines(path)) == 3
