"""How a check declares itself: its gradebook name and its default feedback.

Points and visibility live in `grading_config.yaml` under the same name, so an
instructor can re-weight without touching code; the feedback sits beside the
test because it is part of what the test means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CheckSpec:
    name: str
    feedback: str


class CheckFailed(AssertionError):
    """A check's verdict with a message naming the mistake and the fix."""

    def __init__(self, message: str, mistake: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.mistake = mistake


def fail(message: str, mistake: str = "") -> NoReturn:
    raise CheckFailed(message, mistake)


def check(name: str, feedback: str) -> Callable[[F], F]:
    """Mark a pytest function as a graded check named `name`."""

    def decorate(fn: F) -> F:
        return pytest.mark.grading(spec=CheckSpec(name, feedback))(fn)  # type: ignore[no-any-return]

    return decorate
