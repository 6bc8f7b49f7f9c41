"""Judge-side handling of what the worker's integrity check found.

Why: the worker restores its harness and the torch it relies on before every call
and reports what it had to put back (`autograder.sandbox.integrity`). Evidence the
worker recorded after such a change cannot be trusted, so a check that relies on
in-worker evidence of the kind a finding touched ("calls": the library calls a
function made; "scenarios": Part D's scenario outcomes) scores 0 with a neutral
message and the mistake tag `tampering`, which the gradebook and the dashboard show
to the instructor as a flag. Checks that rest on values the judge compares itself
are not affected: those points are earned whatever the notebook patched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from autograder.check.registry import fail
from autograder.sandbox.quoting import quotable_finding
from autograder.score.results import TAMPERING

MARKER = "tamper|"  # as written by autograder.sandbox.integrity.encode
CALLS = "calls"
SCENARIOS = "scenarios"


@dataclass(frozen=True)
class Finding:
    what: str
    scopes: frozenset[str]


def parse(markers: Iterable[Any]) -> list[Finding]:
    """Findings from the worker's markers; anything malformed counts for every scope."""
    findings = []
    for marker in markers:
        text = str(marker)
        if not text.startswith(MARKER):
            continue
        parts = text[len(MARKER):].split("|", 1)
        scopes = frozenset(parts[0].split(",")) if len(parts) == 2 else frozenset()
        if not scopes <= {CALLS, SCENARIOS} or not scopes:
            scopes = frozenset({CALLS, SCENARIOS})
        # (its words as feedback may say them: the worker is the student's process)
        findings.append(Finding(quotable_finding(parts[-1][:200]), scopes))
    return findings


def split_called(called: Iterable[Any]) -> tuple[list[str], list[Finding]]:
    """A call's recorded names, and the findings reported with them."""
    names = [str(n) for n in called if not str(n).startswith(MARKER)]
    return names, parse(called)


def message(function: str, what: str) -> str:
    return (f"{function}: this check could not be verified, because code in the notebook "
            f"changed the grader or PyTorch internals that grading relies on ({what}). It "
            "scores 0 and has been flagged for your instructor; leave the grader and torch's "
            "own functions unmodified.")


_declared = threading.local()


def take_declared() -> frozenset[str]:
    """The kinds of evidence the running check said its verdict rests on, cleared (read by
    the runners after each check, as `registry.take_attribution`)."""
    scopes: frozenset[str] = frozenset(getattr(_declared, "scopes", ()))
    _declared.scopes = set()
    return scopes


def require_untampered(function: str, findings: list[Finding], scope: str) -> None:
    """Fail with the neutral tampering verdict when a finding touched this evidence; either
    way the check's verdict now rests on evidence of this kind (see `touched`)."""
    if not hasattr(_declared, "scopes"):
        _declared.scopes = set()
    _declared.scopes.add(scope)
    touched = [f for f in findings if scope in f.scopes]
    if touched:
        fail(message(function, touched[0].what), TAMPERING)


def touched(relied: Iterable[str], markers: Iterable[Any]) -> Finding | None:
    """Of a submission's findings, the first (in a fixed order) of the kinds of evidence a
    check's verdict rests on; None when none touched it.

    Why for the whole submission: calls are sent ahead of the checks, so when evidence was
    produced relative to a change the notebook made depends on what the checks called on
    earlier submissions. A change anywhere in the submission therefore voids every piece of
    evidence of the kind it touched, wherever it ran: the same verdicts in any order."""
    kinds = frozenset(relied)
    found = sorted((f for f in parse(markers) if f.scopes & kinds), key=lambda f: f.what)
    return found[0] if found else None


def require_untampered_outcome(function: str, outcome: Any) -> None:
    """For a Part D scenario outcome (or the `info` of a student error in a scenario)."""
    if isinstance(outcome, dict):
        require_untampered(function, parse(outcome.get("tamper") or []), SCENARIOS)
