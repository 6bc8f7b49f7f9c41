"""The grading configuration: points, tolerances, limits and visibility.

Validated once, before any submission is touched, so that a typo in
`grading_config.yaml` stops the run with a clear message instead of silently
grading with a default.
"""

from __future__ import annotations

import hashlib
import json
import keyword
from datetime import datetime
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
    max_code_cells: int = Field(1000, ge=1)
    # The code cells' source, all together: read and parsed by the grader's own processes
    # (names, messages), where a statement of one character costs ~900 bytes of syntax tree.
    max_code_kb: int = Field(512, ge=16)
    max_restarts: int = Field(3, ge=0)
    # Caps on one reply of a worker, read by the judge (a reply over a cap kills the worker):
    # room for the lab's largest honest reply many times over, far below the judge's memory.
    max_reply_header_mb: float = Field(8, gt=0, le=1024)
    max_reply_tensor_mb: float = Field(256, gt=0, le=4096)
    max_reply_tensors: int = Field(4096, ge=16, le=1_000_000)


class Tolerance(_Strict):
    rtol: float = Field(ge=0)
    atol: float = Field(ge=0)


def _one_edit(a: str, b: str) -> bool:
    """`a` and `b` differ (ignoring case) by one letter changed, added, removed or two
    neighbours swapped: a typo, where a new name is meant to be unlike the old."""
    a, b = a.lower(), b.lower()
    if len(a) < len(b):
        a, b = b, a
    if len(a) - len(b) > 1:
        return False
    if len(a) > len(b):
        return any(a[:i] + a[i + 1:] == b for i in range(len(a)))
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) <= 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                              and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])


class Tolerances(BaseModel):
    """Named tolerances the checks compare with (`tol.float32`, `tol["adam"]`). The five
    below always exist (their defaults are the engine's); a lab may declare kinds of its
    own (`tolerances: {adam: {rtol: 1e-5, atol: 1e-7}}`), each with `rtol` and `atol`.
    A kind's name is a Python identifier not starting with `_` or `model_`, so a check
    reads it as an attribute and a public test names it (`"tolerances.adam: ..."`)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, Tolerance] = Field(init=False)

    float32: Tolerance = Tolerance(rtol=1e-4, atol=1e-5)
    float64: Tolerance = Tolerance(rtol=1e-7, atol=1e-9)
    training: Tolerance = Tolerance(rtol=1e-4, atol=1e-5)
    metric: Tolerance = Tolerance(rtol=0, atol=1e-9)
    # a float64 gradient from backward() against the reference's (autograd's, exact): looser
    # than float64 values, since a correct formula may differ from PyTorch's in the order
    # of its operations and a gradient compounds the difference
    gradient: Tolerance = Tolerance(rtol=1e-6, atol=1e-9)

    @model_validator(mode="after")
    def _kinds_are_names(self) -> Tolerances:
        problems = []
        for kind in self.__pydantic_extra__ or {}:
            if not kind.isidentifier() or keyword.iskeyword(kind) \
                    or kind.startswith(("_", "model_")) or hasattr(type(self), kind):
                problems.append(f"{kind!r} cannot name a tolerance kind (a Python identifier, "
                                "not starting with '_' or 'model_', not a method's name)")
            typo = next((k for k in ENGINE_TOLERANCES if _one_edit(kind, k)), None)
            if typo is not None:
                problems.append(f"{kind!r} is one letter from the engine's kind {typo!r} (a "
                                "typo?): write that name, or name your kind unlike it")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def kinds(self) -> dict[str, Tolerance]:
        """Every kind, the engine's five first, then the lab's in the config's order."""
        return dict(iter(self))

    def __getitem__(self, kind: str) -> Tolerance:
        found = self.kinds().get(kind)
        if found is None:
            raise KeyError(f"no tolerance kind {kind!r} (grading_config.yaml defines: "
                           f"{', '.join(self.kinds())})")
        return found


#: The kinds every config has (a lab may add its own: `Tolerances`).
ENGINE_TOLERANCES = tuple(Tolerances.model_fields)

class TestConfig(_Strict):
    points: float = Field(ge=0)
    visibility: Visibility | None = None


class Penalty(_Strict):
    """How late work loses points (score/late.py): a share of the points earned per day
    (or part of a day) late, at most `max_percent`; nothing at all after `zero_after`."""

    per_day_percent: float = Field(0, ge=0, le=100)
    max_percent: float = Field(100, ge=0, le=100)
    zero_after: datetime | None = None


class Deadline(_Strict):
    """When the work was due. Dates without a UTC offset are read in `timezone`
    (an IANA name; default: this machine's). Files are relative to the config."""

    due: datetime
    grace_minutes: float = Field(0, ge=0)
    timezone: str | None = None
    penalty: Penalty = Penalty()
    extensions: str | None = None  # CSV: id, and days (extra days) or due (a new due date)
    submission_times: str | None = None  # CSV: id, submitted_at (where the export has none)

    @model_validator(mode="after")
    def _cutoff_after_due(self) -> Deadline:
        if self.timezone is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown timezone {self.timezone!r} (use an IANA name such "
                                 "as 'America/Chicago' or 'UTC')") from None
        cutoff = self.penalty.zero_after
        if cutoff is not None and (cutoff.tzinfo is None) == (self.due.tzinfo is None) \
                and cutoff < self.due:
            raise ValueError("penalty.zero_after is before the due date")
        return self


class Export(_Strict):
    # Canvas's gradebook column for this assignment, "<name> (<assignment id>)" as in a
    # Canvas gradebook export (default: `assignment`; Canvas then makes a new column).
    canvas_column: str | None = Field(None, min_length=1)
    # What a rostered student with nothing handed in (and no override) gets in the export:
    # `blank` (the LMS's missing-work policy applies) or `zero` (0 once their hand-in window
    # has closed, `Late.closes`; left blank while it is still open).
    missing: Literal["blank", "zero"] = "blank"


class GradingConfig(_Strict):
    assignment: str = "lab"  # the lab's name: its notebook is <assignment>.ipynb
    default_visibility: Visibility = "visible"
    limits: Limits = Limits()
    tolerances: Tolerances = Tolerances()
    tests: dict[str, TestConfig]
    # The notebook's Parts in notebook order, each with its graded functions in the order
    # the notebook defines them (the part of a check name before ': '). Feedback, `show`,
    # the gradebook and results.json list checks in this order, grouped by Part.
    parts: dict[str, list[str]] = Field(default_factory=dict)
    # The course around the checks (batch/roster.py, score/late.py, score/overrides.py);
    # file names are relative to this config file.
    roster: str | None = None
    deadline: Deadline | None = None
    overrides: str | None = None
    export: Export = Export()

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

    @model_validator(mode="after")
    def _parts_cover_every_function(self) -> GradingConfig:
        if not self.parts:
            return self
        seen: dict[str, str] = {}
        problems = []
        for part, functions in self.parts.items():
            if not part.strip() or not functions:
                problems.append(f"part {part!r} needs a title and at least one function")
            for function in functions:
                if function in seen:
                    problems.append(f"{function!r} is listed under both {seen[function]!r} "
                                    f"and {part!r}")
                seen[function] = part
        graded = dict.fromkeys(name.split(":", 1)[0].strip() for name in self.tests)
        problems += [f"{f!r} has checks but is in no part" for f in graded if f not in seen]
        problems += [f"{f!r} is listed in parts but has no check" for f in seen if f not in graded]
        if problems:
            raise ValueError("parts: " + "; ".join(problems))
        return self

    def part(self, name: str) -> str:
        """The Part a check (or a function) belongs to; "" without a `parts` mapping."""
        function = name.split(":", 1)[0].strip()
        return next((part for part, functions in self.parts.items() if function in functions), "")

    def ordered_tests(self) -> list[str]:
        """Check names in notebook order: by Part, then by function within it; a function's
        checks (and everything without `parts`) keep the order of `tests`."""
        rank = {function: (i, j) for i, functions in enumerate(self.parts.values())
                for j, function in enumerate(functions)}
        order = {name: i for i, name in enumerate(self.tests)}
        return sorted(order, key=lambda n: (*rank.get(n.split(":", 1)[0].strip(),
                                                      (len(rank), 0)), order[n]))


# The config's fields a result is graded under (its feedback and visibility included); the
# course's (roster, deadline, overrides, export) are applied to every row on every run
GRADED_FIELDS = frozenset({"assignment", "default_visibility", "limits", "tolerances", "tests",
                           "parts"})


def grading_sha256(config: GradingConfig) -> str:
    """What a result was graded under: a hash of the config's graded fields as values (not
    its text: an instructor's review added a comment, a deadline or a roster line to the
    config and every notebook was graded again, 30 s there, tens of minutes for a class)."""
    data = config.model_dump(mode="json", include=set(GRADED_FIELDS))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


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
        raise ConfigError("\n".join(describe_errors(path, exc))) from None


def describe_errors(path: Path, exc: ValidationError) -> list[str]:
    """One readable line per problem, naming the file and the key: no pydantic dump, no URLs."""
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (a typo?)"
        elif error["type"] == "missing":
            message = "required key missing"
        lines.append(f"{path}: {where}: {message}")
    return lines


def default_config_path() -> Path:
    """The config of the lab in the current directory (see `autograder.lab`)."""
    return Path.cwd() / "grading_config.yaml"
