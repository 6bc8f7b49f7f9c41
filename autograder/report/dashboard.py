"""`index.html`: the class dashboard — who failed what, and why — plus every feedback page.

One self-contained page: counts by status, mean and median, the score
distribution (inline SVG), per-check pass rates, the most common mistakes with
the students who made them, the submissions that were not graded, and every
student with a link to their feedback page. The tables are already in a useful
order without script; a few lines of optional inline script make the column
headers click-to-sort.

The class's scores (mean, median, full marks, distribution, every student's
row) are final scores, what the gradebook's `final` column and the LMS get:
a dashboard that disagreed with the grades students receive would mislead
the TA reading it. So the class figures count one row per student, the one
`export canvas` sends (`results.own_row`): a row nobody on the roster owns, a
student's further notebook, a second row with the same final and the rows of a
student whose rows disagree (left blank) are counted apart and named; a student
with nothing handed in is no submission, and their empty cell no score. The
checks' own totals stay beside them (the students' table, "before overrides and
late penalties"), and what is about the checks (pass rates, Parts, mistakes, who
needs attention) counts the checks alone, over every row.
"""

from __future__ import annotations

import base64
import hashlib
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from autograder.config import GradingConfig
from autograder.report.atomic import write_text
from autograder.report.batch_record import BatchRecord
from autograder.report.course_view import course_view
from autograder.report.feedback import (
    STATUS_LABEL,
    description,
    environment,
    feedback_href,
    not_attempted,
    percent,
    points,
    was_checked,
    was_run,
    write_feedback,
)
from autograder.report.visibility import Audience, student_audience
from autograder.score.final import ENROLLED, NOT_ON_ROSTER
from autograder.score.results import (
    WRONG_ANSWER,
    Status,
    SubmissionResult,
    extra_of,
    own_row,
)

INDEX = "index.html"
BINS = 10

# Progressive enhancement: turns each header of a `table.sortable` into a button.
# Cells may carry `data-sort` (a number for `data-type="num"` columns).
SORT_SCRIPT = """
(function () {
  function key(cell) {
    var sort = cell.getAttribute("data-sort");
    return sort !== null ? sort : cell.textContent.trim();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent.trim();
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.getAttribute("data-type") === "num";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          var c = numeric ? parseFloat(x) - parseFloat(y)
                          : x.localeCompare(y, undefined, {numeric: true, sensitivity: "base"});
          return ascending ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""
SORT_SCRIPT_HASH = "sha256-" + base64.b64encode(
    hashlib.sha256(SORT_SCRIPT.encode("utf-8")).digest()).decode("ascii")


@dataclass(frozen=True)
class Student:
    submission_id: str
    href: str
    status: str
    score: float  # the final score (overrides and late penalty applied)
    max_score: float
    percent: float  # of the final score
    failed: str  # "mse_loss ×2, huber_loss" — which functions lost points
    reason: str
    checks: float = 0.0  # the checks' total, before overrides and late penalties
    # the notebook changed the grader or torch internals: checks voided, instructor flag
    tampering: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestStat:
    name: str
    function: str
    description: str
    max_score: float
    passed: int
    checked: int
    total: int
    # kept its points, not assessed separately (the mistake charged by another check):
    # neither passed nor checked, so the pass rate counts only real verdicts
    waived: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.checked if self.checked else None


@dataclass
class Mistake:
    test: str
    function: str
    description: str
    mistake: str
    # False for "not attempted yet" (not implemented, not defined, no answer): listed apart,
    # never ranked above a real mistake
    attempted: bool = True
    students: list[tuple[str, str]] = field(default_factory=list)  # (id, href)
    messages: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.students)

    @property
    def message(self) -> str:
        """The most frequent message (ties: the one seen first)."""
        return self.messages.most_common(1)[0][0] if self.messages else ""

    @property
    def shared_by(self) -> int:
        """How many of the group got `message` word for word: fewer than `count` when the
        messages differ (a line of the student's own code, the input it raised on), and the
        dashboard then says the one it shows is one student's of several."""
        return self.messages.most_common(1)[0][1] if self.messages else 0


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


def _failed_summary(result: SubmissionResult) -> str:
    if not was_run(result):
        return "not run"
    lost = Counter(t.function.strip() for t in result.tests if not t.passed)
    return ", ".join(f"{f} ×{n}" if n > 1 else f for f, n in lost.items())


def _students(results: list[SubmissionResult]) -> list[Student]:
    return [
        Student(r.submission_id, feedback_href(r.submission_id), r.status.value, r.final_score,
                r.max_score, percent(r.final_score, r.max_score), _failed_summary(r), r.reason,
                tampering=tuple(r.tampering), checks=r.score)
        for r in sorted(results, key=lambda r: r.submission_id)
    ]


def _test_names(results: list[SubmissionResult], config: GradingConfig) -> list[str]:
    names = dict.fromkeys(config.ordered_tests())
    for result in results:
        names.update(dict.fromkeys(t.name for t in result.tests))
    return list(names)


def _test_stats(results: list[SubmissionResult], names: list[str],
                config: GradingConfig) -> list[TestStat]:
    stats = []
    for name in names:
        rows = [(r, t) for r in results for t in r.tests if t.name == name]
        checked = [t for r, t in rows if was_checked(r, t)]
        max_score = config.tests[name].points if name in config.tests else (
            rows[0][1].max_score if rows else 0.0)
        stats.append(TestStat(name, name.split(":", 1)[0].strip(), description(name), max_score,
                              passed=sum(t.passed for t in checked), checked=len(checked),
                              total=len(results), waived=sum(t.waived for _, t in rows)))
    order = {name: i for i, name in enumerate(names)}
    return sorted(stats, key=lambda s: (s.rate is None, s.rate or 0.0, order[s.name]))


def _mistakes(results: list[SubmissionResult], names: list[str]) -> list[Mistake]:
    groups: dict[tuple[str, str], Mistake] = {}
    for result in sorted(results, key=lambda r: r.submission_id):
        for test in result.tests:
            if test.passed or not was_checked(result, test):
                continue
            key = (test.name, test.mistake)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Mistake(test.name, test.function.strip(),
                                              description(test.name), test.mistake,
                                              attempted=not not_attempted(result, test))
            group.students.append((result.submission_id, feedback_href(result.submission_id)))
            group.messages[test.output.strip()] += 1
    order = {name: i for i, name in enumerate(names)}
    return sorted(groups.values(), key=lambda g: (not g.attempted, -g.count,
                                                  order.get(g.test, len(order)), g.mistake))


@dataclass
class Choices:
    """What a class answered on one multiple-choice check: right, each wrong option, none."""

    test: str
    description: str
    correct: int = 0
    wrong: Counter[str] = field(default_factory=Counter)  # option -> students
    unanswered: int = 0

    @property
    def answered(self) -> int:
        return self.correct + sum(self.wrong.values())


def _choices(results: list[SubmissionResult], names: list[str]) -> list[Choices]:
    """Multiple-choice checks are those whose wrong answers carry the option chosen
    (`results.WRONG_ANSWER`); a check no one got wrong has nothing to show."""
    mc = {t.name for r in results for t in r.tests if t.mistake.startswith(WRONG_ANSWER)}
    rows = {name: Choices(name, description(name)) for name in names if name in mc}
    for result in results:
        for test in result.tests:
            row = rows.get(test.name)
            if row is None or not was_checked(result, test):
                continue
            if test.passed:
                row.correct += 1
            elif test.mistake.startswith(WRONG_ANSWER):
                row.wrong[test.mistake[len(WRONG_ANSWER):][:8]] += 1
            else:
                row.unanswered += 1
    return list(rows.values())


@dataclass(frozen=True)
class Attention:
    """A submission a TA should look at first, and why."""

    submission_id: str
    href: str
    status: str
    score: float
    max_score: float
    why: str


# Below this share of the points a graded submission is listed under "needs attention".
LOW_SCORE = 50.0


def _attention(results: list[SubmissionResult]) -> list[Attention]:
    """Not graded (timed out, crashed, invalid, missing), flagged, then the lowest scores,
    then graded work with a note (a cell that crashed its process and was skipped); the
    worst first within each group."""
    rows = []
    for r in results:
        share = percent(r.score, r.max_score)
        shown = r.score
        if r.status is not Status.GRADED:
            rank, why = 0, r.reason or STATUS_LABEL[r.status]
            if r.final_score != r.score:  # not all ran: the final is a person's, or lateness's
                shown, why = r.final_score, f"{why}; final {r.final_score:g} {_made_by(r)}"
        elif r.tampered:
            rank, why = 1, "changed the grader or torch internals: review before releasing"
        elif share < LOW_SCORE:
            skipped = {t.function.strip() for t in r.tests if not_attempted(r, t)}
            rank = 2
            why = (f"{len(skipped)} function{'s' if len(skipped) != 1 else ''} not attempted"
                   if skipped else f"lost points in {_failed_summary(r)}")
            if r.reason:  # a cell crashed its process and was skipped: that comes first
                why = f"{r.reason} ({why})"
        elif r.reason:
            rank, why = 3, f"every check ran, but {r.reason}"
        else:
            continue
        rows.append((rank, r.score, r.submission_id,
                     Attention(r.submission_id, feedback_href(r.submission_id), r.status.value,
                               shown, r.max_score, why)))
    return [row[-1] for row in sorted(rows, key=lambda row: row[:3])]


def _made_by(result: SubmissionResult) -> str:
    """What took the final away from the checks' sum: "after overrides", "after the late
    penalty (after the cutoff ...: no credit)", or both."""
    final = result.final
    if final is None:
        return ""
    late = final.late
    why = [w for w, present in (("overrides", bool(final.overrides)),
                                ("the late penalty", final.penalty > 0)) if present]
    note = f" ({late.note})" if final.penalty > 0 and late is not None and late.note else ""
    return f"after {' and '.join(why)}{note}" if why else ""


@dataclass(frozen=True)
class PartStat:
    """One Part of the notebook across the class: points, how many students got all, some
    or none of them, and the pass rate of its checks where they ran."""

    title: str
    max_score: float
    mean: float | None
    full: int
    partial: int
    zero: int
    passed: int
    checked: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.checked if self.checked else None

    @property
    def ran(self) -> int:
        return self.full + self.partial + self.zero


def _part_stats(results: list[SubmissionResult]) -> list[PartStat]:
    titles: dict[str, None] = {}
    for result in results:
        titles.update(dict.fromkeys(t.part or t.function.strip() for t in result.tests))
    stats = []
    ran = [r for r in results if was_run(r)]
    for title in titles:
        scores, max_score, passed, checked = [], 0.0, 0, 0
        for result in ran:
            tests = [t for t in result.tests if (t.part or t.function.strip()) == title]
            if not tests:
                continue
            scores.append((sum(t.score for t in tests), sum(t.max_score for t in tests)))
            max_score = max(max_score, scores[-1][1])
            checked_tests = [t for t in tests if was_checked(result, t)]
            passed += sum(t.passed for t in checked_tests)
            checked += len(checked_tests)
        stats.append(PartStat(
            title, max_score, statistics.fmean(s for s, _ in scores) if scores else None,
            full=sum(1 for s, m in scores if m > 0 and s >= m),
            partial=sum(1 for s, m in scores if 0 < s < m),
            zero=sum(1 for s, _ in scores if s <= 0), passed=passed, checked=checked))
    return stats


def _histogram(results: list[SubmissionResult]) -> list[Bar]:
    """Final scores by share of the maximum (above it, extra credit: the top bin)."""
    counts = [0] * BINS
    for result in results:
        share = percent(result.final_score, result.max_score)
        counts[min(BINS - 1, max(0, int(share // (100 / BINS))))] += 1
    top = max(counts) or 1
    left, width, height, gap = 10.0, 600.0, 160.0, 8.0
    step = width / BINS
    bars = []
    for i, count in enumerate(counts):
        low, high = i * 100 // BINS, (i + 1) * 100 // BINS
        label = f"{low}–{high}%"
        h = height * count / top
        bars.append(Bar(label, count, left + i * step + gap / 2, 20 + height - h, step - gap, h))
    return bars


@dataclass
class ClassRows:
    """The rows the class figures count, one per student: the row the LMS export sends
    (`results.own_row`, as `export canvas` chooses it), and every other row by why not."""

    rows: list[SubmissionResult] = field(default_factory=list)  # one per student
    disagree: list[str] = field(default_factory=list)  # "key: a, b": left blank, rows disagree
    not_on_roster: list[str] = field(default_factory=list)
    further: list[str] = field(default_factory=list)  # a student's further notebooks
    second: list[str] = field(default_factory=list)  # another row of the same final

    @property
    def students(self) -> int:
        return len(self.rows) + len(self.disagree)

    @property
    def scored(self) -> list[SubmissionResult]:
        """The rows sent with a score (not: nothing handed in and no override)."""
        return [r for r in self.rows if r.lms_score is not None]

    @property
    def submissions(self) -> list[SubmissionResult]:
        return [r for r in self.rows if r.status is not Status.MISSING]

    @property
    def apart(self) -> list[tuple[str, list[str]]]:
        """Each kind of row not counted, with the rows (for one line on the page)."""
        kinds = [(("row", "rows"), "not on the roster", self.not_on_roster),
                 (("further notebook", "further notebooks"), "", self.further),
                 (("second row", "second rows"), "with the same final", self.second),
                 (("student", "students"), "left blank, their rows disagree", self.disagree)]
        return [(" ".join(w for w in (f"{len(ids)} {noun[len(ids) != 1]}", what) if w), ids)
                for noun, what, ids in kinds if ids]


def class_rows(results: list[SubmissionResult]) -> ClassRows:
    """One row per student, as the LMS export sends it: a rostered student's rows by their
    roster id; without a roster, each main row with its further notebooks (`<id>-2`)."""
    ids = {r.submission_id for r in results}
    out = ClassRows()
    students: dict[str, list[SubmissionResult]] = {}
    for result in sorted(results, key=lambda r: r.submission_id):
        final = result.final
        if final is not None and final.roster == NOT_ON_ROSTER:
            out.not_on_roster.append(result.submission_id)
            continue
        if final is not None and final.roster == ENROLLED:
            key = "roster:" + (final.roster_id or result.submission_id)
        else:
            key = "row:" + (extra_of(result.submission_id, ids) or result.submission_id)
        students.setdefault(key, []).append(result)
    for rows in students.values():
        own = own_row(rows)
        out.further += own.extras
        if own.row is not None:
            out.rows.append(own.row)
            out.second += own.others
        elif own.disagree:
            out.disagree.append(", ".join(r.submission_id for r in own.mains))
    out.rows.sort(key=lambda r: r.submission_id)
    return out


@dataclass(frozen=True)
class ChecksSummary:
    """The checks' own totals, shown beside the final scores when any of them differ."""

    mean: float
    median: float
    adjusted: int  # rows whose final score is not the checks' total


def _checks_summary(results: list[SubmissionResult]) -> ChecksSummary | None:
    adjusted = sum(1 for r in results if r.final_score != r.score)
    if not adjusted:
        return None
    raw = [r.score for r in results]
    return ChecksSummary(statistics.fmean(raw), statistics.median(raw), adjusted)


def render_dashboard(results: list[SubmissionResult], config: GradingConfig,
                     batch: BatchRecord | None = None, title: str = "") -> str:
    """The page; `title` names the lab (`feedback.lab_title`; default: the config's
    `assignment`)."""
    names = _test_names(results, config)
    all_mistakes = _mistakes(results, names)
    counted = class_rows(results)  # the class figures: one row per student, as exported
    scored = counted.scored
    scores = [r.final_score for r in scored]
    max_score = config.max_score
    counts = Counter(r.status for r in counted.rows)
    graded_scores = [r.final_score for r in scored if r.status is Status.GRADED]
    histogram = _histogram(scored)
    top = max((b.count for b in histogram), default=0)
    return environment().get_template("dashboard.html.j2").render(
        assignment=title or config.assignment,
        total=len(counted.submissions),
        counted=counted,
        roster=any(r.final is not None and r.final.roster for r in results),
        max_score=max_score,
        statuses=[(s.value, STATUS_LABEL[s], counts.get(s, 0)) for s in Status],
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        graded_mean=statistics.fmean(graded_scores) if graded_scores else None,
        full_marks=sum(1 for r in scored if max_score > 0 and r.final_score >= max_score),
        checks=_checks_summary(scored),
        histogram=histogram,
        histogram_top=top,
        tests=_test_stats(results, names, config),
        mistakes=[m for m in all_mistakes if m.attempted],
        not_attempted=[m for m in all_mistakes if not m.attempted],
        attention=_attention(results),
        part_stats=_part_stats(results),
        choices=_choices(results, names),
        not_graded=[s for s in _students(results) if s.status != Status.GRADED.value],
        tampered=[s for s in _students(results) if s.tampering],
        students=_students(results),
        sort_script=Markup(SORT_SCRIPT),
        script_src=Markup(f"'{SORT_SCRIPT_HASH}'"),
        percent=percent,
        points=points,
        course=course_view(results, batch) if batch is not None else None,
    )


def write_dashboard(results: list[SubmissionResult], config: GradingConfig, out: Path,
                    batch: BatchRecord | None = None,
                    audience: Audience | None = None, pages: bool = True,
                    title: str = "") -> Path:
    """Write every student's `feedback.html` (what `audience` may see; default: a student
    now, report/visibility.py) unless `pages` is False (the caller wrote them), then
    `out/index.html`; return the index's path. `title` names the lab on every page
    (default: the config's `assignment`)."""
    out = Path(out)
    title = title or config.assignment
    if pages:
        audience = audience or student_audience(config, out)
        for result in results:
            write_feedback(result, out, title, audience)
    path = out / INDEX
    write_text(path, render_dashboard(results, config, batch, title))
    return path
