"""The grading configuration: points, tolerances, limits and visibility.

Validated once, before any submission is touched, so that a typo in
`grading_config.yaml` stops the run with a clear message instead of silently
grading with a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class ConfigError(Exception):
    """The configuration file is missing or invalid; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Per-submission resource limits applied to the worker process."""

    submission_timeout_s: float = Field(180, gt=0)
    cell_timeout_s: float = Field(30, gt=0)
    call_timeout_s: float = Field(15, gt=0)
    memory_mb: int = Field(2048, ge=256)
    cpu_s: int = Field(300, ge=1)
    max_processes: int = Field(32, ge=1)
    max_file_mb: int = Field(64, ge=1)
    # Each of the worker's private in-memory folders (home, /tmp, /dev/shm) holds at most this.
    scratch_mb: int = Field(256, ge=16)
    max_open_files: int = Field(256, ge=32)
    max_notebook_mb: float = Field(64, gt=0)
    max_restarts: int = Field(3, ge=0)
    # Caps on one reply of a worker, read by the judge (a reply over a cap kills the worker):
    # room for the lab's largest honest reply many times over, far below the judge's memory.
    max_reply_header_mb: float = Field(8, gt=0, le=1024)
    max_reply_tensor_mb: float = Field(256, gt=0, le=4096)
    max_reply_tensors: int = Field(4096, ge=16, le=1_000_000)


class Tolerance(_Strict):
    rtol: float = Field(ge=0)
    atol: float = Field(ge=0)


class Tolerances(_Strict):
    float32: Tolerance = Tolerance(rtol=1e-4, atol=1e-5)
    float64: Tolerance = Tolerance(rtol=1e-7, atol=1e-9)
    training: Tolerance = Tolerance(rtol=1e-4, atol=1e-5)
    metric: Tolerance = Tolerance(rtol=0, atol=1e-9)


class TestConfig(_Strict):
    points: float = Field(ge=0)
    visibility: Visibility | None = None


class GradingConfig(_Strict):
    assignment: str = "lab05"
    default_visibility: Visibility = "visible"
    limits: Limits = Limits()
    tolerances: Tolerances = Tolerances()
    tests: dict[str, TestConfig]

    @model_validator(mode="after")
    def _names_say_where_to_look(self) -> GradingConfig:
        bad = [name for name in self.tests if ": " not in name]
        if bad:
            raise ValueError(
                "test names must read '<function>: <what it checks>'; fix: " + ", ".join(bad)
            )
        return self

    @property
    def max_score(self) -> float:
        return sum(test.points for test in self.tests.values())

    def points(self, name: str) -> float:
        return self.tests[name].points

    def visibility(self, name: str) -> Visibility:
        return self.tests[name].visibility or self.default_visibility


def load_config(path: Path) -> GradingConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    try:
        return GradingConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path} is invalid:\n{exc}") from exc


def default_config_path() -> Path:
    return Path(__file__).resolve().parent.parent / "grading_config.yaml"
