"""The kinds of entries a lab's selftest library holds: mutants and alternatives.

Why here: the engine grades them (`selftest.run`) whatever the lab; each lab writes its
own `MUTANTS` and `ALTERNATIVES` beside its hidden checks (`<lab>/solutions/<name>_checks/
mutants.py`, `alternatives.py`), naming checks by the constants its check modules define,
so a check name is written once.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from autograder.config import ConfigError
from autograder.selftest.source import Transform


@dataclass(frozen=True)
class Mutant:
    """A realistic mistake: the reference with ONE function changed.

    It must lose points, and `expected_check` must fail with a message containing
    `keyword`; `also_fails` lists checks that may fail too, each for the reason in `why`.
    A mutant the checks do not catch yet is `known_gap=True` with a `reason`.
    """

    name: str
    function: str  # the reference function (or answer) that is changed
    transform: Transform  # reference module source -> the mutant's source
    expected_check: str
    keyword: str
    also_fails: frozenset[str] = frozenset()
    why: str = ""  # why each check in also_fails legitimately fails too
    answers: Mapping[str, Any] = field(default_factory=dict)  # answers overridden
    known_gap: bool = False
    reason: str = ""  # why it is a known gap

    def __post_init__(self) -> None:
        if self.also_fails and not self.why:
            raise ValueError(f"{self.name}: also_fails needs a `why`")
        if self.known_gap and not self.reason:
            raise ValueError(f"{self.name}: known_gap needs a `reason`")


@dataclass(frozen=True)
class Alternative:
    """A correct implementation unlike the reference: it must score full marks."""

    name: str
    functions: tuple[str, ...]  # the reference functions it rewrites
    transform: Transform
    known_gap: bool = False
    reason: str = ""
    generated: tuple[str, ...] = ()  # the transforms that made it (`selftest.variants`)

    def __post_init__(self) -> None:
        if self.known_gap and not self.reason:
            raise ValueError(f"{self.name}: known_gap needs a `reason`")


def resolve_answers(mutant: Mutant, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers for `mutant`: `"__wrong__"` picks a choice that is not the key's."""
    result = dict(answers)
    for key, value in mutant.answers.items():
        if value == "__wrong__":
            value = "a" if answers.get(key) != "a" else "b"
        result[key] = value
    return result


# ---------------------------------------------------------------- the lab's selftest modules
def import_lab_module(lab: Any, module: str) -> ModuleType:
    """`<lab>_checks.<module>` (mutants, alternatives, generated, variants), or one
    ConfigError naming the file and the line that failed: a module it imports renamed or
    deleted (the scaffold's test module), a syntax error, an error while it runs."""
    path = lab.checks / f"{module}.py"
    try:
        return lab.import_checks(module)  # type: ignore[no-any-return]
    except ConfigError:
        raise
    except Exception as exc:  # the lab's own code, whatever it raised
        raise ConfigError(f"selftest: {path}{_line(exc, path)} cannot be imported: "
                          f"{type(exc).__name__}: {_first_line(exc)}") from None


def lab_attribute(lab: Any, module: str, name: str) -> Any:
    """`name` from the lab's `module` (see `import_lab_module`), or a ConfigError saying
    the file does not define it."""
    found = import_lab_module(lab, module)
    if not hasattr(found, name):
        raise ConfigError(f"selftest: {lab.checks / f'{module}.py'} defines no {name}")
    return getattr(found, name)


def load_library(lab: Any) -> tuple[list[Mutant], list[Alternative]]:
    """(MUTANTS, ALTERNATIVES) of the lab's `mutants.py` and `alternatives.py`; empty where
    the lab has no such file."""
    found: list[list[Any]] = []
    for module, name in (("mutants", "MUTANTS"), ("alternatives", "ALTERNATIVES")):
        exists = (lab.checks / f"{module}.py").is_file()
        found.append(list(lab_attribute(lab, module, name)) if exists else [])
    return found[0], found[1]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "(no message)"


def _line(exc: BaseException, path: Any) -> str:
    """", line N": where in `path` the import failed (its deepest frame there)."""
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno \
            and str(exc.filename) == str(path):
        return f", line {exc.lineno}"
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename == str(path)]
    return f", line {lines[-1]}" if lines and lines[-1] else ""
