"""What happens to a graded score before it reaches the gradebook: overrides, then lateness.

The checks' verdicts (`SubmissionResult.tests`) stay exactly as the grader made
them; what the course adds on top is recorded beside them in one `Final`:
who the student is on the roster, the overrides a person applied (with their
reason and name: the audit trail), the late penalty and the final score. It
is recomputed from the raw verdicts on every run, so running again (with
`--regrade` or not) never applies an override or a penalty twice, and a
regrade keeps every override because overrides live in their own file.

`Trace` says where a result came from: the file, its bytes, the attempt, when
and by which engine and config it was graded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TOTAL = "total"  # an override of the whole score rather than of one check
ENROLLED = "enrolled"  # `Final.roster` of a row a rostered student owns
NOT_ON_ROSTER = "not on roster"  # ... of a row nobody on the roster owns ("": no roster)


@dataclass(frozen=True)
class AppliedOverride:
    check: str  # a check's name, or "total"
    before: float
    after: float
    reason: str
    who: str
    when: str = ""
    # how far one line of overrides.csv reached, when further than the row named: "group
    # submission_202: every member's row (submission_202, submission_202.1003)"
    scope: str = ""

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 6)


@dataclass(frozen=True)
class Late:
    """When the work came in, relative to the student's own due date."""

    submitted_at: str = ""  # ISO 8601, "" when nobody knows
    source: str = ""  # where the time came from: "Gradescope metadata", "Canvas LATE mark", ...
    due: str = ""  # the student's due date (extension applied), ISO 8601
    days_late: int = 0  # days of 24 h (or part days) after due, once past the grace; 0: on time
    percent: float = 0.0  # share of the score taken
    note: str = ""  # why, in a sentence (an extension, a cutoff, an unknown time)
    # When hand-ins stop counting for this student (extension applied): the cutoff where the
    # config sets one, else the due date and its grace. Set on rows with nothing handed in,
    # so an export that writes 0 for missing work leaves a still-open one empty.
    closes: str = ""


@dataclass(frozen=True)
class Final:
    raw: float  # the checks' sum
    adjusted: float  # after overrides
    penalty: float  # points taken for lateness
    final: float
    name: str = ""  # the roster's name for the student
    roster: str = ""  # "enrolled", "not on roster"; "" without a roster
    roster_id: str = ""  # the roster's id for the student (Canvas ID, SID, ...)
    overrides: tuple[AppliedOverride, ...] = ()
    late: Late | None = None

    def by_check(self) -> dict[str, tuple[AppliedOverride, ...]]:
        """The overrides of single checks (not of the total), by check, in file order."""
        changed: dict[str, tuple[AppliedOverride, ...]] = {}
        for override in self.overrides:
            if override.check != TOTAL:
                changed[override.check] = (*changed.get(override.check, ()), override)
        return changed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Final:
        late = data.get("late")
        return cls(
            raw=float(data["raw"]), adjusted=float(data["adjusted"]),
            penalty=float(data["penalty"]), final=float(data["final"]),
            name=str(data.get("name", "")), roster=str(data.get("roster", "")),
            roster_id=str(data.get("roster_id", "")),
            overrides=tuple(AppliedOverride(**o) for o in data.get("overrides", [])),
            late=Late(**late) if isinstance(late, dict) else None,
        )


@dataclass(frozen=True)
class Trace:
    source: str = ""  # the file graded, as the instructor gave it (archive/member for a zip)
    attempt: int = 0  # the LMS attempt number (Canvas); 0 when the export has none
    graded_at: str = ""  # ISO 8601, UTC
    engine_version: str = ""
    # Canvas's `_LATE_` mark on the upload that gave the row's owner, as the run that found
    # the file read it (`Found.late`): a later run into the same output folder keeps it, not
    # reads it again from `source` — an absolute path, whose folders an instructor names
    # (red team 82: a `lab05_2025_03_14/` folder read as an on-time Canvas name dropped every
    # late mark below it). None: a row written before it was kept.
    canvas_late: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trace:
        late = data.get("canvas_late")
        return cls(source=str(data.get("source", "")), attempt=int(data.get("attempt", 0)),
                   graded_at=str(data.get("graded_at", "")),
                   engine_version=str(data.get("engine_version", "")),
                   canvas_late=late if isinstance(late, bool) else None)


@dataclass
class Standing:
    """What the course knows of one student before the score is finalised."""

    name: str = ""
    roster: str = ""
    roster_id: str = ""
    overrides: list[AppliedOverride] = field(default_factory=list)
    late: Late | None = None


def finalise(raw: float, standing: Standing) -> Final:
    """Overrides first (each on the score before it), then the late penalty on what is left.

    The penalty is a share of the points earned, so it only ever lowers a score: a score an
    override took to 0 or below (an integrity deduction) has nothing to take, and stays as
    decided, also after the cutoff (a share of a negative score would raise it)."""
    adjusted = raw
    for override in standing.overrides:
        adjusted += override.delta
    adjusted = round(adjusted, 6)  # no clamp: a person decided it (extra credit too)
    percent = standing.late.percent if standing.late else 0.0
    penalty = round(max(adjusted, 0.0) * percent / 100, 6)
    return Final(raw=raw, adjusted=adjusted, penalty=penalty, final=round(adjusted - penalty, 6),
                 name=standing.name, roster=standing.roster, roster_id=standing.roster_id,
                 overrides=tuple(standing.overrides), late=standing.late)
