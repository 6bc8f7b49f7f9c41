"""Who may see which check: Gradescope's `visibility` rule, applied to our own pages.

`results.json` carries each check's `visibility` (the config's, else
`default_visibility`) and Gradescope enforces it on its site. The local feedback page and
`show` must not be the leak Gradescope is not: a concept check that is hidden there but
printed on `feedback.html` lets a student find the answer in three resubmissions. So the
student view is the Gradescope rule, in one place:

- `visible`: always shown;
- `hidden`: never shown to students (still counted);
- `after_due_date`: shown on pages made after the due date — the config's `deadline`
  (`penalty.zero_after` when set, the last moment late work earns points, like
  Gradescope's late due date; else `due` + `grace_minutes`). Without a deadline nobody can
  say the date has passed, so such a check waits for publishing, like `after_published`;
- `after_published`: shown once the instructor publishes (`python -m autograder publish
  --out grades/`, which leaves `published.json` in the output folder and rewrites the pages).

Withheld checks still count, so the student view also withholds every total that includes
them (the score is the sum over the checks shown; the final score with its adjustments
waits until nothing is withheld) — a total that moves when one hidden answer changes is
the same leak. The instructor view (`show --all`, `grade --instructor-pages`) shows all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from autograder.config import GradingConfig
from autograder.report.atomic import write_text
from autograder.score.results import SubmissionResult, TestResult

PUBLISHED = "published.json"  # in a grade run's output folder: after_published checks shown
INSTRUCTOR_PAGES = "instructor"  # `grade --instructor-pages`: out/instructor/<id>/feedback.html


@dataclass(frozen=True)
class Audience:
    """Who a page is for and what they may see when it is made."""

    instructor: bool = False
    now: datetime | None = None  # when the page is made (default: the moment it is asked)
    reveal_after: datetime | None = None  # after_due_date checks shown from here; None: never
    published: bool = False  # the instructor published: after_published (and due-date) ones

    def shows(self, visibility: str) -> bool:
        if self.instructor or visibility == "visible":
            return True
        if visibility == "hidden":
            return False
        if visibility == "after_due_date" and self.reveal_after is not None:
            # its own date, published or not: publishing on-time grades during the late
            # window showed the concept checks to students who could still hand in (ops 22)
            return (self.now or datetime.now(UTC)) >= self.reveal_after
        return self.published  # after_published; after_due_date with no deadline known

    def why_withheld(self, visibility: str) -> str:
        if visibility == "after_due_date" and self.reveal_after is not None:
            return f"shown after the due date ({self.reveal_after.isoformat(timespec='minutes')})"
        if visibility in ("after_due_date", "after_published"):
            return "shown when your instructor publishes the grades"
        return "not shown to students"


INSTRUCTOR = Audience(instructor=True)
STUDENT = Audience()  # no deadline known, nothing published: `visible` checks only


def reveal_time(config: GradingConfig) -> datetime | None:
    """When `after_due_date` checks may be shown: the late due date when there is one (no
    points after it, so nothing left to gain by knowing), else the due date plus grace."""
    deadline = config.deadline
    if deadline is None:
        return None
    from autograder.score.late import aware, zone

    where = zone(deadline)
    if deadline.penalty.zero_after is not None:
        return aware(deadline.penalty.zero_after, where)
    return aware(deadline.due, where) + timedelta(minutes=deadline.grace_minutes)


def is_published(out: Path) -> bool:
    return (Path(out) / PUBLISHED).is_file()


def set_published(out: Path, published: bool = True) -> None:
    path = Path(out) / PUBLISHED
    if published:
        write_text(path, json.dumps({"published_at": datetime.now(UTC).isoformat(
            timespec="seconds")}) + "\n")
    elif path.exists():
        path.unlink()


def student_audience(config: GradingConfig, out: Path | None,
                     now: datetime | None = None) -> Audience:
    """What a student may see on a page made now for the grade run in `out`."""
    return Audience(now=now or datetime.now(UTC), reveal_after=reveal_time(config),
                    published=out is not None and is_published(out))


@dataclass(frozen=True)
class Withheld:
    """Checks left out of a student's view, by why (for one line on the page)."""

    tests: tuple[TestResult, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.tests)

    @property
    def points(self) -> float:
        return sum(t.max_score for t in self.tests)

    def describe(self) -> str:
        if not self.tests:
            return ""
        n = self.count
        return (f"{n} more check{'s' if n != 1 else ''} ({self.points:g} "
                f"point{'s' if self.points != 1 else ''}) "
                f"{'are' if n != 1 else 'is'} graded but not listed here: "
                f"{'; '.join(dict.fromkeys(self.reasons))}. The score above counts only the "
                "checks shown.")


def for_audience(result: SubmissionResult,
                 audience: Audience) -> tuple[SubmissionResult, Withheld]:
    """`result` as `audience` may see it, and what was left out. Totals are recomputed over
    the checks shown; the final score (overrides, late penalty) waits until none is held
    back, since it includes the withheld checks."""
    if audience.instructor:
        return result, Withheld()
    shown = [t for t in result.tests if audience.shows(t.visibility)]
    held = [t for t in result.tests if not audience.shows(t.visibility)]
    if not held:
        return result, Withheld()
    view = replace(result, tests=shown, max_score=sum(t.max_score for t in shown), final=None)
    return view, Withheld(tuple(held), tuple(audience.why_withheld(t.visibility) for t in held))
