"""config.py alone, in milliseconds: strict keys, bounded numbers, the defaults an empty
config gets, and one readable line per problem (file and key named, no pydantic dump)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.config import ConfigError, GradingConfig, Tolerances, grading_sha256, load_config

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


# ---------------------------------------------------------------- tolerance kinds of a lab's own
def test_a_lab_declares_tolerance_kinds_of_its_own(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, {**MINIMAL, "tolerances": {
        "adam": {"rtol": 1e-5, "atol": 1e-7}, "float32": {"rtol": 1e-3, "atol": 1e-4}}}))
    tol = config.tolerances
    assert tol.adam.rtol == 1e-5 and tol["adam"].atol == 1e-7  # as a check reads them
    assert tol.float32.rtol == 1e-3 and tol.float64 == Tolerances().float64  # defaults kept
    assert list(tol.kinds()) == ["float32", "float64", "training", "metric", "gradient", "adam"]
    assert dict(tol)["adam"] == tol.adam  # what `assign` writes into the public tests
    with pytest.raises(KeyError, match=r"no tolerance kind 'sgd'.*adam"):
        tol["sgd"]
    # a check's copy with one kind loosened (lab05's `_loose`) keeps the lab's kinds
    loose = tol.model_copy(update={"float64": tol.float32})
    assert loose.float64 == tol.float32 and loose.adam == tol.adam


@pytest.mark.parametrize(("kinds", "says"), [
    ({"adam": {"rtol": -1e-5, "atol": 1e-7}}, "tolerances.adam.rtol"),
    ({"adam": {"rtol": 1e-5}}, "tolerances.adam.atol: required key missing"),
    ({"adam": {"rtol": 1e-5, "atol": 1e-7, "btol": 1}}, "tolerances.adam.btol: unknown key"),
    ({"adam": 0.001}, "tolerances.adam"),
    ({"flaot32": {"rtol": 1e-5, "atol": 1e-7}}, "one letter from the engine's kind 'float32'"),
    ({"metrics": {"rtol": 1e-5, "atol": 1e-7}}, "one letter from the engine's kind 'metric'"),
    ({"model_x": {"rtol": 1e-5, "atol": 1e-7}}, "'model_x' cannot name a tolerance kind"),
    ({"kinds": {"rtol": 1e-5, "atol": 1e-7}}, "'kinds' cannot name a tolerance kind"),
    ({"a-b": {"rtol": 1e-5, "atol": 1e-7}}, "'a-b' cannot name a tolerance kind"),
])
def test_a_bad_tolerance_kind_is_refused_with_its_name(tmp_path: Path, kinds: dict,
                                                       says: str) -> None:
    lines = problems(tmp_path, {**MINIMAL, "tolerances": kinds})
    assert any(says in line for line in lines), lines
    assert not any("pydantic" in line or "http" in line for line in lines)


def test_unknown_keys_are_still_refused_outside_tolerances(tmp_path: Path) -> None:
    lines = problems(tmp_path, {**MINIMAL, "tolerance": {"adam": {"rtol": 0, "atol": 0}}})
    assert lines == [f"{tmp_path / 'grading_config.yaml'}: tolerance: unknown key (a typo?)"]


def test_the_tol_fixture_gives_the_checks_the_labs_kinds(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from autograder.check import runner

    config = load_config(write(tmp_path, {**MINIMAL, "tolerances": {
        "adam": {"rtol": 1e-5, "atol": 1e-7}}}))
    context = SimpleNamespace(config=config, session=None, facts=None, memo={},
                              reference=SimpleNamespace(module=None, answers={}))
    tol = runner.fixtures_of(context)["tol"]  # type: ignore[arg-type]
    assert tol.adam.rtol == 1e-5 and tol.float32 == Tolerances().float32


def test_a_float16_kind_is_not_taken_for_a_typo(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, {**MINIMAL, "tolerances": {
        "float16": {"rtol": 1e-2, "atol": 1e-3}, "metric_loose": {"rtol": 0, "atol": 1e-6}}}))
    assert config.tolerances.float16.rtol == 1e-2 and config.tolerances.metric_loose.atol == 1e-6


# ---------------------------------------------------------------- README › Configuration
def _readme_section(title: str) -> str:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    return text[start:text.index("\n## ", start + 1)]


def _models(model: type) -> list[type]:
    """`model` and every model its fields hold (Limits, Tolerances, Deadline, ...)."""
    from pydantic import BaseModel

    found = [model]
    for field in model.model_fields.values():
        inner = [field.annotation, *getattr(field.annotation, "__args__", ())]
        for kind in inner:
            if isinstance(kind, type) and issubclass(kind, BaseModel) and kind not in found:
                found += [m for m in _models(kind) if m not in found]
    return found


def test_readme_documents_every_key_of_the_config() -> None:
    section = _readme_section("Configuration")
    models = _models(GradingConfig)
    assert {m.__name__ for m in models} >= {"Limits", "Tolerances", "Tolerance", "TestConfig",
                                            "Deadline", "Penalty", "Export"}
    missing = [f"{m.__name__}.{name}" for m in models for name in m.model_fields
               if f"`{name}`" not in section]
    assert missing == [], f"README › Configuration does not mention: {missing}"


def _bound(metadata: list) -> str:
    signs = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    return ", ".join(f"{signs[k]} {getattr(m, k)}" for m in metadata for k in signs
                     if hasattr(m, k))


def test_readme_gives_the_limits_defaults_and_bounds_of_config_py() -> None:
    from autograder.config import Limits

    section = _readme_section("Configuration")
    for name, field in Limits.model_fields.items():
        row = f"| `{name}` | {field.default:g} | {_bound(field.metadata)} |"
        assert row in section, f"README › Configuration: expected a row starting {row!r}"
    import re

    for kind, tolerance in Tolerances():
        row = re.search(rf"^\| `{kind}` \| ([^|]+) \| ([^|]+) \|", section, re.MULTILINE)
        assert row is not None, f"README › Configuration: no row for the kind {kind!r}"
        assert (float(row.group(1)), float(row.group(2))) == (tolerance.rtol, tolerance.atol)


def test_the_readme_example_config_is_valid() -> None:
    section = _readme_section("Configuration")
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = GradingConfig.model_validate(yaml.safe_load(example))
    assert config.tolerances.adam.rtol == 1e-5 and config.limits.cell_timeout_s == 10
    assert config.part("q_why: why the factor is applied last") == "Part B — Questions"


def test_a_result_is_stale_only_when_a_graded_field_changes(tmp_path: Path) -> None:
    """`grading_sha256`: a comment, a deadline, a roster or overrides line leaves every result
    up to date (an instructor's review: each regraded the whole class, saying nothing); a
    test's points, a limit, a tolerance or a visibility does not."""
    base = {"tests": {"f: does it": {"points": 2}}}

    def sha(extra: dict, comment: str = "") -> str:
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump({**base, **extra}) + comment)
        return grading_sha256(load_config(path))

    first = sha({})
    assert sha({}, "# a note\n") == first
    assert sha({"roster": "roster.csv", "overrides": "overrides.csv",
                "deadline": {"due": "2025-03-14T23:59:00+00:00"}}) == first
    for changed in ({"tests": {"f: does it": {"points": 3}}}, {"limits": {"cell_timeout_s": 20}},
                    {"tolerances": {"default": {"rtol": 1e-3, "atol": 1e-6}}},
                    {"default_visibility": "hidden"}):
        assert sha(changed) != first, changed
