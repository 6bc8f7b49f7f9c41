"""config.py alone, in milliseconds: strict keys, bounded numbers, the defaults an empty
config gets, and one readable line per problem (file and key named, no pydantic dump)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.config import ConfigError, GradingConfig, Tolerances, load_config

MINIMAL = {"tests": {"f: does the thing": {"points": 2}}}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def problems(tmp_path: Path, data: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, data))
    return str(caught.value).splitlines()


def test_defaults_of_a_minimal_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.assignment == "lab"  # names no lab
    assert config.default_visibility == "visible"
    assert config.tolerances == Tolerances()
    assert config.limits.cell_timeout_s == 30 and config.limits.max_restarts == 3
    assert config.max_score == 2 and config.points("f: does the thing") == 2
    assert config.visibility("f: does the thing") == "visible"
    assert config.roster is None and config.deadline is None and config.overrides is None


def test_a_misspelt_key_is_refused_not_ignored(tmp_path: Path) -> None:
    lines = problems(tmp_path, {**MINIMAL, "limts": {"cell_timeout_s": 5}})
    assert lines == [f"{tmp_path / 'grading_config.yaml'}: limts: unknown key (a typo?)"]
    nested = problems(tmp_path, {**MINIMAL, "limits": {"cell_timeout": 5}})
    assert nested[0].endswith("limits.cell_timeout: unknown key (a typo?)")


@pytest.mark.parametrize("tolerance", [{"rtol": -1e-4, "atol": 1e-5}, {"rtol": 1e-4},
                                       {"rtol": "tight", "atol": 1e-5}])
def test_a_bad_tolerance_names_its_key(tmp_path: Path, tolerance: dict) -> None:
    lines = problems(tmp_path, {**MINIMAL, "tolerances": {"float32": tolerance}})
    assert lines and all("tolerances.float32." in line for line in lines), lines
    assert not any("pydantic" in line or "http" in line for line in lines)


def test_bad_values_each_get_a_line(tmp_path: Path) -> None:
    lines = problems(tmp_path, {"default_visibility": "secret",
                                "limits": {"memory_mb": 10},
                                "tests": {"no colon here": {"points": -1}}})
    joined = "\n".join(lines)
    assert "default_visibility" in joined and "limits.memory_mb" in joined
    assert "tests.no colon here.points" in joined
    assert len(lines) >= 3


def test_check_names_must_say_which_function(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, {"tests": {"just a name": {"points": 1}}})
    assert "'<function>: <what it checks>'" in line and "just a name" in line


def test_missing_unreadable_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tests: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    assert problems(tmp_path, ["a", "list"])  # not a mapping: refused, not a crash


def test_the_model_is_frozen() -> None:
    config = GradingConfig.model_validate(MINIMAL)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        config.assignment = "other"  # type: ignore[misc]
