"""Score overrides a person decided, with their reason and name: the audit trail.

`overrides.csv` has one row per decision: `id` (the gradebook's submission id,
or any roster id of the student), `check` (a check's name, a prefix naming one
check only, or `total`), `points`, `reason`, `who` and optionally `when`.
`points` sets the score (`2`); a signed number changes it (`+1.5`, `-2`).
An `id` that is a submission id applies to every row graded from that submission: each
member of a Gradescope group submission (`submission_202`, `submission_202.1003`), as
Gradescope's own regrades are per submission; a roster id applies to that student's own
rows only (not their further notebooks `<id>-2`, which count only through their main row).
They are applied on top of the grader's verdicts on every run, in file order,
never written into them, so a regrade keeps them and nothing is applied twice.
A row that cannot be applied stops the run before any grading (one line per
problem): a silently ignored override is a grade nobody decided. So does a row
with more cells than the header: an unquoted comma in `reason` would shift
the rest, and the audit trail would name the wrong person.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.report.csvfile import Row, read_side_file, too_many_cells
from autograder.score.final import TOTAL, AppliedOverride

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class OverrideError(Exception):
    """The overrides file is unusable; the message has one line per problem."""


@dataclass(frozen=True)
class Override:
    target: str  # who, as written in the file
    check: str  # a full check name, or TOTAL
    points: float
    relative: bool  # `+1`/`-2`: a change; otherwise the new score
    reason: str
    who: str
    when: str = ""
    line: int = 0
    scope: str = ""  # set per row when the line reaches further than the row it names

    def apply(self, before: float) -> AppliedOverride:
        after = before + self.points if self.relative else self.points
        return AppliedOverride(self.check, round(before, 6), round(after, 6), self.reason,
                               self.who, self.when, self.scope)


def load_overrides(path: Path, checks: list[str],
                   maxima: dict[str, float] | None = None) -> list[Override]:
    """`maxima`: each check's points, which a check's override stays within (a 20 typed for
    2.0 on a 2-point check was taken, and noticed only if the total went past its maximum)."""
    rows = read_side_file(path, OverrideError, "overrides ")
    overrides: list[Override] = []
    problems: list[str] = []
    for row in rows:
        if not any(row.values()) and not any(row.extra):
            continue  # a blank line a spreadsheet left
        try:
            overrides.append(_within(_parse(row, checks), maxima or {}))
        except ValueError as exc:
            problems.append(f"{path}:{row.line}: {exc}")
    if problems:
        raise OverrideError("\n".join(problems))
    return overrides


def _parse(row: Row, checks: list[str]) -> Override:
    if row.extra:
        raise ValueError(too_many_cells(row))
    missing = [c for c in ("id", "check", "points", "reason", "who") if not row.get(c)]
    if missing:
        raise ValueError(f"no {', '.join(missing)} (every override says who, what, why and by whom)")
    text = row["points"].replace(" ", "")
    if not _NUMBER.match(text) or not math.isfinite(float(text)):
        raise ValueError(f"points {row['points']!r} is not a number (2 sets, +1 or -1 changes)")
    relative = text[0] in "+-"
    if not relative and float(text) < 0:
        raise ValueError("points below 0")
    return Override(row["id"], resolve_check(row["check"], checks), float(text), relative,
                    row["reason"], row["who"], row.get("when", ""), row.line)


def _within(override: Override, maxima: dict[str, float]) -> Override:
    """The override, if it keeps its check within the check's points."""
    most = maxima.get(override.check)
    if most is not None and override.check != TOTAL and abs(override.points) > most:
        change = "changes it by" if override.relative else "sets it to"
        raise ValueError(f"{override.check!r} is worth {most:g} points and this {change} "
                         f"{override.points:g} (a check's override stays within 0 to {most:g}; "
                         "give points beyond a check's with `total`)")
    return override


def resolve_check(given: str, checks: list[str]) -> str:
    """`total`, a check's full name, or the start of exactly one check's name."""
    if given.lower() == TOTAL:
        return TOTAL
    if given in checks:
        return given
    starting = [c for c in checks if c.startswith(given)]
    if len(starting) == 1:
        return starting[0]
    if starting:
        raise ValueError(f"check {given!r} could be any of {len(starting)} checks: "
                         f"{'; '.join(starting[:3])}{' ...' if len(starting) > 3 else ''}")
    raise ValueError(f"no check named {given!r} (use `total` or a name from the gradebook)")


def apply_overrides(scores: dict[str, float], overrides: list[Override]) -> list[AppliedOverride]:
    """The overrides of one submission applied in order to its check `scores`."""
    current = dict(scores)
    applied: list[AppliedOverride] = []
    for override in overrides:
        if override.check == TOTAL:
            before = sum(current.values()) + sum(a.delta for a in applied if a.check == TOTAL)
        else:
            before = current.get(override.check, 0.0)
        done = override.apply(before)
        if override.check != TOTAL:
            current[override.check] = done.after
        applied.append(done)
    return applied
