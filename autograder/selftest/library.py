"""The kinds of entries a lab's selftest library holds: mutants and alternatives.

Why here: the engine grades them (`selftest.run`) whatever the lab; each lab writes its
own `MUTANTS` and `ALTERNATIVES` beside its hidden checks (`<lab>/solutions/<name>_checks/
mutants.py`, `alternatives.py`), naming checks by the constants its check modules define,
so a check name is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
