"""How a check declares itself: its gradebook name and its default feedback.

Points and visibility live in `grading_config.yaml` under the same name, so an
instructor can re-weight without touching code; the feedback sits beside the
test because it is part of what the test means. So does the contract clause a check
enforces (`clauses`: short phrases such as "raises ValueError on mismatched shapes"):
`assign` refuses to build a notebook whose stub docstring or Part text does not state
each of them, so no student is graded on a rule they were never told.

A check that holds the student to *their own* variant of a function, because the
mistake is another check's to charge (cross_entropy's values checked against the double
softmax the student wrote, while the raw-logits check takes the points), says so with
`attributed_to(OTHER)`: its points stay, but no page may then show it as passed — it was
not assessed separately, and a ✓ there would state something false.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CheckSpec:
    name: str
    feedback: str
    clauses: tuple[str, ...] = ()


class CheckFailed(AssertionError):
    """A check's verdict with a message naming the mistake and the fix."""

    def __init__(self, message: str, mistake: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.mistake = mistake


def fail(message: str, mistake: str = "") -> NoReturn:
    raise CheckFailed(message, mistake)


def check(name: str, feedback: str, clauses: tuple[str, ...] | str = ()) -> Callable[[F], F]:
    """Mark a pytest function as a graded check named `name`, enforcing `clauses` of the
    contract of the function its name starts with (`"fn: what it checks"`)."""
    spec = CheckSpec(name, feedback, (clauses,) if isinstance(clauses, str) else tuple(clauses))

    def decorate(fn: F) -> F:
        return pytest.mark.grading(spec=spec)(fn)  # type: ignore[no-any-return]

    return decorate


_attribution = threading.local()


def attributed_to(other: str) -> None:
    """The running check held the student to their own variant because the mistake belongs
    to the check named `other`: if this check then passes, it keeps its points but is shown
    as "not assessed separately: see <other>" (the plugin reads this after the test)."""
    _attribution.name = other


class HeldTo(Exception):  # (not an error: the check ends here, attributed)
    """Raised by `held_to`: the running check ends, its verdict attributed to `other`."""

    def __init__(self, other: str) -> None:
        super().__init__(other)
        self.other = other


def held_to(other: str) -> NoReturn:
    """`attributed_to(other)`, and the running check ends there: nothing more it would judge
    can be judged (its run stopped at the mistake the check named `other` charges)."""
    attributed_to(other)
    raise HeldTo(other)


def attribution_pending() -> bool:
    """Whether the running check has attributed its verdict elsewhere so far (a check that
    records what it found right, for another check to rely on, must not count a pass held to
    the student's own variant)."""
    return bool(getattr(_attribution, "name", ""))


def take_attribution() -> str:
    """The check named by the running test's `attributed_to` call ("" when none), cleared."""
    name: str = getattr(_attribution, "name", "")
    _attribution.name = ""
    return name
