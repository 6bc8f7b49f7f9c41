"""The dashboard's course section: the run, final scores that differ from the checks' sum,
and everything handed in that is not a score (batch.json, shown to people).

Kept apart from dashboard.py so the class statistics and the course's
bookkeeping (roster, overrides, lateness, duplicates) can change separately;
the template is `templates/_course.html.j2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.report.batch_record import BatchRecord
from autograder.report.feedback import feedback_href
from autograder.score.final import TOTAL, AppliedOverride, Late
from autograder.score.results import SubmissionResult


@dataclass(frozen=True)
class Adjusted:
    submission_id: str
    href: str
    name: str
    raw: float
    final: float
    max_score: float
    penalty: float
    overrides: tuple[AppliedOverride, ...]
    late: Late | None


@dataclass(frozen=True)
class CourseView:
    batch: BatchRecord
    adjusted: list[Adjusted] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (id, href)
    not_on_roster: list[tuple[str, str]] = field(default_factory=list)
    total_label: str = TOTAL

    @property
    def config_hash(self) -> str:
        return self.batch.config_sha256[:12]


def course_view(results: list[SubmissionResult], batch: BatchRecord) -> CourseView:
    adjusted = [
        Adjusted(r.submission_id, feedback_href(r.submission_id), r.final.name, r.final.raw,
                 r.final.final, r.max_score, r.final.penalty, r.final.overrides, r.final.late)
        for r in sorted(results, key=lambda r: r.submission_id)
        if r.final is not None and (r.final.overrides or r.final.penalty
                                    or (r.final.late and r.final.late.days_late))
    ]
    return CourseView(batch, adjusted,
                      [(sid, feedback_href(sid)) for sid in batch.missing],
                      [(sid, feedback_href(sid)) for sid in batch.not_on_roster])
