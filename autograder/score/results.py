"""The results vocabulary shared by every stage after the checks.

One `TestResult` per check and one `SubmissionResult` per notebook; the
Gradescope `results.json`, the gradebook row, the HTML pages and the terminal
view are all renderings of these, so they can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from autograder.score.final import Final, Trace

# The mistake tag of a check that scored 0 because the notebook changed the grader or
# torch internals its evidence came from (autograder.check.tamper): the instructor's flag.
TAMPERING = "tampering"

# results.json `tests[].extra_data.state` of a check that was not assessed separately
# (`TestResult.assessed_by`); Gradescope's own `status` stays "passed", as its schema allows
# only "passed" and "failed".
NOT_ASSESSED = "not_assessed_separately"


class Status(StrEnum):
    GRADED = "graded"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    INVALID = "invalid"
    MISSING = "missing"  # on the roster, nothing handed in


#: A row's reason when the grader, not the submission, failed: a judge that died, or a check
#: that raised an error of its own (a bug in a lab's check or reference). Such a row is
#: `crashed`, shown to the instructor as needing attention, and graded again by the next run.
INTERNAL_ERROR = "internal grader error"
#: The mistake tag of a check whose own code raised (its points are provisional: 0 until
#: the check is fixed and the submission graded again).
GRADER_ERROR = "grader-error"

#: A multiple-choice check's mistake tag is this prefix and the option chosen
#: ("wrong-answer:b"): grouped per option, the dashboard shows what the class believed.
WRONG_ANSWER = "wrong-answer:"


@dataclass(frozen=True)
class TestResult:
    name: str
    score: float
    max_score: float
    passed: bool
    output: str
    visibility: str
    # A stable key for "which mistake": lets the dashboard group students who made it.
    mistake: str = ""
    part: str = ""  # the notebook's Part the check belongs to (config `parts`), for grouping
    # Set when the check kept its points without being assessed separately: the mistake it
    # would have seen is charged by the check named here. Never shown as passed (✓).
    assessed_by: str = ""

    @property
    def function(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def waived(self) -> bool:
        """Kept its points because the mistake was attributed to another check."""
        return self.passed and bool(self.assessed_by)

    def gradescope_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.part:
            extra["part"] = self.part
        if self.waived:
            extra["assessed_by"] = self.assessed_by
            extra["state"] = NOT_ASSESSED
        return extra


@dataclass(frozen=True)
class CellIssue:
    """A notebook cell that raised or was skipped while the notebook ran, placed the way
    Jupyter shows it (feedback quotes the student's own line, never the grader's frames)."""

    location: str  # "the cell under “Part A › A3. huber_loss” that starts “def huber_loss(”"
    error: str = ""  # "SyntaxError: invalid syntax"
    line: int = 0  # the failing line within the cell, from 1; 0 when unknown
    code: str = ""  # that line of the student's source
    fatal: str = ""  # why the cell was skipped (it hung or killed its process)
    defines: tuple[str, ...] = ()  # names the cell would have defined

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "defines": list(self.defines)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellIssue:
        return cls(location=str(data.get("location", "")), error=str(data.get("error", "")),
                   line=int(data.get("line", 0) or 0), code=str(data.get("code", "")),
                   fatal=str(data.get("fatal", "")),
                   defines=tuple(str(n) for n in data.get("defines", ()) or ()))


@dataclass
class SubmissionResult:
    submission_id: str
    status: Status
    reason: str
    tests: list[TestResult]
    max_score: float
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)
    source_sha256: str = ""
    config_sha256: str = ""
    cells: list[CellIssue] = field(default_factory=list)  # cells that raised or were skipped
    # Roster, overrides and lateness on top of the checks (score/final.py); None: not applied.
    final: Final | None = None
    trace: Trace = field(default_factory=Trace)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def final_score(self) -> float:
        """What the student gets: the checks' sum after overrides and any late penalty."""
        return self.final.final if self.final is not None else self.score

    @property
    def lms_score(self) -> float | None:
        """The score an LMS export sends for this row: the final one; None (left empty) only
        for nothing handed in and no override (the LMS's missing-work policy applies)."""
        if self.status is Status.MISSING and not (self.final and self.final.overrides):
            return None
        return round(self.final_score, 6)

    def check_scores(self) -> dict[str, float]:
        """Each check's points after the overrides a person set on single checks (the
        gradebook's check columns, the pages' marks); the verdicts in `tests` stay as graded."""
        scores = {t.name: t.score for t in self.tests}
        for name, changes in (self.final.by_check() if self.final is not None else {}).items():
            scores[name] = changes[-1].after
        return scores

    @property
    def tampering(self) -> list[str]:
        """Checks the worker's integrity check voided: the notebook changed the grader or
        torch internals they rely on. Non-empty means "flag for the instructor"."""
        return [t.name for t in self.tests if t.mistake == TAMPERING]

    @property
    def tampered(self) -> bool:
        return bool(self.tampering)

    def to_gradescope(self) -> dict[str, Any]:
        """Gradescope's results schema plus our own `status`, `reason`, `max_score`."""
        output = self.reason if self.status is not Status.GRADED else ""
        output = "\n".join(part for part in [output, *self.notes] if part)
        # Gradescope hides the total while a test is `after_due_date` or `after_published`,
        # but not for a `hidden` one, "which should not carry points" (its autograder spec):
        # one that does would move the total students see, the hidden check's verdict in
        # three resubmissions (red team 64). The whole result then waits for publishing
        # (each test keeps its own visibility: the visible ones are shown at once).
        withheld = any(t.visibility == "hidden" and t.max_score > 0 for t in self.tests)
        return {
            **({"visibility": "after_published"} if withheld else {}),
            "score": self.final_score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "output": output,
            "status": self.status.value,
            "reason": self.reason,
            "tests": [
                {
                    "name": t.name,
                    "score": t.score,
                    "max_score": t.max_score,
                    "status": "passed" if t.passed else "failed",
                    "output": t.output,
                    "visibility": t.visibility,
                    **({"tags": [t.mistake]} if t.mistake else {}),
                    **({"extra_data": t.gradescope_extra()} if t.gradescope_extra() else {}),
                }
                for t in self.tests
            ],
            "extra_data": {
                "submission_id": self.submission_id,
                "source_sha256": self.source_sha256,
                "config_sha256": self.config_sha256,
                "tampering": self.tampered,
                **({"cells": [c.to_json() for c in self.cells]} if self.cells else {}),
                "raw_score": self.score,
                "trace": self.trace.to_json(),
                **({"final": self.final.to_json()} if self.final is not None else {}),
            },
        }

    @classmethod
    def from_gradescope(cls, data: dict[str, Any]) -> SubmissionResult:
        extra = data.get("extra_data", {})
        tests = [
            TestResult(
                name=t["name"],
                score=float(t["score"]),
                max_score=float(t["max_score"]),
                passed=t["status"] == "passed",
                output=t.get("output", ""),
                visibility=t.get("visibility", "visible"),
                mistake=(t.get("tags") or [""])[0],
                part=str((t.get("extra_data") or {}).get("part", "")),
                assessed_by=str((t.get("extra_data") or {}).get("assessed_by", "")),
            )
            for t in data.get("tests", [])
        ]
        reason = data.get("reason", "")
        output = data.get("output", "")
        notes = [line for line in output.splitlines() if line and line != reason]
        return cls(
            submission_id=extra.get("submission_id", ""),
            status=Status(data["status"]),
            reason=reason,
            tests=tests,
            max_score=float(data["max_score"]),
            execution_time=float(data.get("execution_time", 0.0)),
            notes=notes,
            source_sha256=extra.get("source_sha256", ""),
            config_sha256=extra.get("config_sha256", ""),
            cells=[CellIssue.from_json(c) for c in extra.get("cells", []) if isinstance(c, dict)],
            final=Final.from_json(extra["final"]) if isinstance(extra.get("final"), dict) else None,
            trace=Trace.from_json(extra.get("trace") or {}),
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


_FURTHER = re.compile(r"^(.+)-\d+$")  # a student's further notebook: `<main row's id>-<n>`


def extra_of(sid: str, ids: set[str]) -> str:
    """The main row `sid` is a further notebook of (`tina_1030-2` → `tina_1030`, when that
    row is in `ids`), else ""."""
    match = _FURTHER.match(sid)
    return match[1] if match is not None and match[1] in ids else ""


@dataclass(frozen=True)
class OwnRow:
    """Which of one student's rows is their grade, as `export canvas` sends it and the
    dashboard counts it: never a maximum over their rows. Their main notebook's row; their
    further notebooks (`<id>-2`, ...) are not their grade (an override on the main row counts
    one). Two rows that are each a hand-in of its own count when their finals agree (the
    first is sent), else none is (`row` None, `disagree`)."""

    row: SubmissionResult | None
    mains: tuple[SubmissionResult, ...] = ()
    extras: tuple[str, ...] = ()  # further notebooks' ids

    @property
    def disagree(self) -> bool:
        return self.row is None and len(self.mains) > 1

    @property
    def others(self) -> tuple[str, ...]:
        """Main rows not sent because another one with the same final is."""
        return tuple(r.submission_id for r in self.mains if r is not self.row) if self.row else ()


def own_row(rows: list[SubmissionResult]) -> OwnRow:
    """One student's grade among `rows` (all theirs): see `OwnRow`."""
    ids = {r.submission_id for r in rows}
    mains = tuple(r for r in rows if not extra_of(r.submission_id, ids))
    extras = tuple(sorted(r.submission_id for r in rows if r not in mains))
    if len({r.lms_score for r in mains}) == 1:
        return OwnRow(mains[0], mains, extras)
    return OwnRow(None, mains, extras)
