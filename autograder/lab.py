"""A lab: the folder the engine grades, described once.

Why: the engine grades any lab; everything that belongs to one lab (its notebook, its
reference, its hidden checks, its worker-side scenarios, its selftest library, its
points) lives in the lab's folder, found by convention from one place, so that no
engine module names a lab, a lab's function or a lab's path, and the set of paths a
worker must never see is derived here once (the batch grader and the Gradescope export
use the same list).

A lab folder (`python -m autograder new-lab DIR` writes one) holds:

    grading_config.yaml          points, visibility, tolerances, limits; `assignment: NAME`
    assignment/NAME.ipynb        the student notebook and assignment/tests/ (generated)
    solutions/NAME.ipynb         the master notebook (otter-assign format)
    solutions/reference.py       generated from the master; answers.json too
    solutions/NAME_checks/       the hidden checks: a package of test_*.py modules and their
                                 helpers; mutants.py and alternatives.py for `selftest`
    worker/*.py                  worker-side scenario modules (optional; never secret: the
                                 notebook's code shares their process)
"""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from autograder.config import ConfigError

CONFIG = "grading_config.yaml"
# Folders of the lab's repository a worker must not see besides the lab's hidden ones.
PRIVATE_FOLDERS = ("tests", "examples", "bench", ".git")


@dataclass(frozen=True)
class Lab:
    root: Path
    name: str

    # ------------------------------------------------------------------ layout
    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def notebook_name(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def assignment(self) -> Path:
        return self.root / "assignment"

    @property
    def template(self) -> Path:
        """The untouched student notebook."""
        return self.assignment / self.notebook_name

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def master(self) -> Path:
        return self.solutions / self.notebook_name

    @property
    def reference(self) -> Path:
        return self.solutions / "reference.py"

    @property
    def answers(self) -> Path:
        return self.solutions / "answers.json"

    @property
    def checks_package(self) -> str:
        return f"{self.name}_checks"

    @property
    def checks(self) -> Path:
        """The hidden checks: `test_*.py` modules, run by the judge under pytest."""
        return self.solutions / self.checks_package

    @property
    def worker_modules(self) -> tuple[Path, ...]:
        """Worker-side modules the zygote imports before its first fork."""
        folder = self.root / "worker"
        return tuple(sorted(folder.glob("*.py"))) if folder.is_dir() else ()

    # ------------------------------------------------------------------ completeness
    def require(self, *pieces: str) -> Lab:
        """`self`, or one ConfigError naming every missing piece of `pieces` ("checks",
        "reference", "master", "template", "spec") and how to make it."""
        assign = f"generated: run `python -m autograder assign --lab {self.root}`"
        wanted = {
            "checks": (any(self.checks.glob("test_*.py")),
                       f"{self.checks}/test_*.py (the hidden checks)"),
            "spec": ((self.checks / "spec.py").is_file(),
                     f"{self.checks / 'spec.py'} (the functions and answers `assign` extracts)"),
            "master": (self.master.is_file(), f"{self.master} (the master notebook)"),
            "reference": (self.reference.is_file(), f"{self.reference} ({assign})"),
            "template": (self.template.is_file(), f"{self.template} ({assign})"),
        }
        missing = [wanted[piece][1] for piece in pieces if not wanted[piece][0]]
        if missing:
            raise ConfigError(f"{self.root} is not a complete lab folder: missing "
                              + "; ".join(missing))
        return self

    # ------------------------------------------------------------------ secrets
    def hidden_paths(self) -> list[Path]:
        """What a worker must never see: the reference, the hidden checks, the selftest
        library (inside the checks), the lab's tests and examples. With a private root
        none of it exists in a worker anyway; in the fallback these are hidden by a mount
        or, in Gradescope's container, by permissions."""
        return [self.solutions, self.config, *(self.root / p for p in PRIVATE_FOLDERS)]

    def hidden_relative(self) -> tuple[str, ...]:
        """The same, relative to the lab's folder (for a package built from it)."""
        return tuple(p.relative_to(self.root).as_posix() for p in self.hidden_paths())

    # ------------------------------------------------------------------ python
    def activate(self) -> None:
        """Make the hidden checks importable as `<name>_checks` (judge side only)."""
        folder = str(self.solutions)
        loaded = sys.modules.get(self.checks_package)
        if loaded is not None:
            paths = [str(Path(p).resolve()) for p in getattr(loaded, "__path__", [])]
            if str(self.checks.resolve()) not in paths:
                raise ConfigError(f"two labs named {self.name!r} in one process: "
                                  f"{paths} and {self.checks}")
            return
        if folder not in sys.path:
            sys.path.insert(0, folder)
        importlib.invalidate_caches()

    def import_checks(self, module: str) -> ModuleType:
        """A module of the hidden checks package (`mutants`, `test_part_a`, ...)."""
        self.activate()
        return importlib.import_module(f"{self.checks_package}.{module}")

    def selftest_library(self) -> tuple[list[Any], list[Any]]:
        """(MUTANTS, ALTERNATIVES) from the checks package; empty where it has none."""
        found: list[list[Any]] = []
        for module, attribute in (("mutants", "MUTANTS"), ("alternatives", "ALTERNATIVES")):
            if (self.checks / f"{module}.py").is_file():
                found.append(list(getattr(self.import_checks(module), attribute)))
            else:
                found.append([])
        return found[0], found[1]

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, root: Path | str = ".") -> Lab:
        root = Path(root).resolve()
        config = root / CONFIG
        if not config.is_file():
            raise ConfigError(f"{root} is not a lab folder: it has no {CONFIG} "
                              "(pass --lab DIR, or make one with `python -m autograder new-lab`)")
        try:
            raw = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{config} is not valid YAML: {exc}") from exc
        name = str(raw.get("assignment") or root.name) if isinstance(raw, dict) else root.name
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ConfigError(f"{config}: assignment {name!r} must be a Python identifier "
                              "(it names the notebook and the checks package)")
        return cls(root, name)

    @classmethod
    def locate(cls, lab: Path | str | None = None, config: Path | str | None = None) -> Lab:
        """`--lab DIR` if given, else the folder holding `--config` when that is a lab
        folder, else the current directory."""
        if lab is not None:
            return cls.load(lab)
        if config is not None:
            folder = Path(config).resolve().parent
            if (folder / CONFIG).is_file() and (folder / "solutions").is_dir():
                return cls.load(folder)
        return cls.load(Path.cwd())
