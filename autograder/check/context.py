"""Everything a hidden check may use, handed to pytest as fixtures."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.check.static import SourceFacts
from autograder.config import GradingConfig
from autograder.sandbox.session import StudentSession


@dataclass(frozen=True)
class Reference:
    """The hidden reference solution and answer key, loaded once per judge."""

    module: ModuleType
    answers: dict[str, Any]

    @classmethod
    def load(cls, solutions: Path) -> Reference:
        spec = importlib.util.spec_from_file_location("lab_reference", solutions / "reference.py")
        if spec is None or spec.loader is None:
            raise FileNotFoundError(solutions / "reference.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        answers_path = solutions / "answers.json"
        answers = json.loads(answers_path.read_text()) if answers_path.exists() else {}
        return cls(module, answers)


@dataclass
class CheckContext:
    session: StudentSession
    reference: Reference
    facts: SourceFacts
    config: GradingConfig
    # Per-submission cache: one scenario run can serve several checks.
    memo: dict[str, Any] = field(default_factory=dict)
    # The key of this submission's fresh draws (`check.fresh`; `grader.fresh_key`):
    # none, and every fresh draw comes from the operating system
    fresh: bytes = b""
