"""The dashboard's course section: the run, final scores that differ from the checks' sum,
and everything handed in that is not a score (batch.json, shown to people).

Kept apart from dashboard.py so the class statistics and the course's
bookkeeping (roster, overrides, lateness, duplicates) can change separately;
the template is `templates/_course.html.j2`. `final_lines` is the student
page's "Your final score" section as text, for `show`: the terminal must say
what the page says, or a TA reading it tells a student the wrong grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.report.batch_record import BatchRecord
from autograder.report.feedback import feedback_href, late_cost, late_line, percent, points
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
    cost: str = ""  # what lateness cost: "−13.1 (10%)", or why nothing was taken


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
    adjusted = [  # as the heading says: only rows whose final is not the checks' sum
        Adjusted(r.submission_id, feedback_href(r.submission_id), r.final.name, r.final.raw,
                 r.final.final, r.max_score, r.final.penalty, r.final.overrides, r.final.late,
                 late_cost(r.final))
        for r in sorted(results, key=lambda r: r.submission_id)
        if r.final is not None and r.final.final != r.final.raw
    ]
    return CourseView(batch, adjusted,
                      [(sid, feedback_href(sid)) for sid in batch.missing],
                      [(sid, feedback_href(sid)) for sid in batch.not_on_roster])


def final_lines(result: SubmissionResult) -> list[str]:
    """The final score, what the checks gave, each override and the late penalty, as the
    student's page words them; none when no override or penalty changed the checks' sum."""
    final = result.final
    late = final.late if final is not None else None
    # (on time by an extension, or with a note on the time: said, as nothing else shows it —
    # an ops review found extensions in no gradebook column, page or `show`)
    on_time = [f"On time: {late.note}"] if late is not None and not late.days_late \
        and late.note else []
    if final is None or not (final.overrides or final.penalty):
        return on_time
    lines = [f"Final score {points(final.final)} / {points(result.max_score)} "
             f"({percent(final.final, result.max_score):.0f}%); the checks gave "
             f"{points(final.raw)}:"]
    for o in final.overrides:
        when = f" on {o.when}" if o.when else ""
        lines.append(f"  {'Total' if o.check == TOTAL else o.check}: {points(o.before)} → "
                     f"{points(o.after)}, by {o.who}{when}: “{o.reason}”")
    charged = late_line(final)
    if charged:
        lines.append(f"  {charged}")
    return lines + [f"  {line}" for line in on_time]
