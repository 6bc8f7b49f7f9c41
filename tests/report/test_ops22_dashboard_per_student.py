"""The dashboard's class figures count one row per student, the row the LMS export sends
(ops22 grading night: the mean, median, full marks and "Submissions" counted every gradebook
row, with students not on the roster, a student's two conflicting rows, further notebooks and a
missing student; "final 0 after overrides" for a 0 the late cutoff gave; "Final score differs
from the checks" listed a 0 → 0 row)."""

from __future__ import annotations

from dataclasses import replace

from report_samples import CONFIG, MATCHES, Page

from autograder.report import dashboard
from autograder.report.batch_record import BatchRecord
from autograder.report.dashboard import render_dashboard
from autograder.score.final import TOTAL, AppliedOverride, Late, Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.scoring import unscored

CUTOFF = Late(days_late=8, percent=100.0, note="after the cutoff 2025-03-21: no credit")


def row(sid: str, points: float, status: Status = Status.GRADED, roster_id: str = "",
        standing: Standing | None = None) -> SubmissionResult:
    """A row out of 8 whose checks gave `points` (the first check gets them all)."""
    result = unscored(sid, CONFIG, status, "" if status is Status.GRADED else "why")
    result.tests = [replace(t, score=points if t.name == MATCHES else 0.0,
                            max_score=8.0 if t.name == MATCHES else 0.0)
                    for t in result.tests]
    standing = standing or Standing()
    standing.roster = "enrolled" if roster_id else "not on roster"
    standing.roster_id = roster_id
    result.final = finalise(result.score, standing)
    return result


def klass() -> list[SubmissionResult]:
    return [
        row("andersonamy_1001", 8.0, roster_id="1001"),  # Amy's two hand-ins disagree:
        row("amy_uni.edu", 6.0, roster_id="1001"),       # the export leaves her blank
        row("chencarl_1003", 4.0, roster_id="1003"),
        row("chencarl_1003-2", 0.0, roster_id="1003"),    # a further notebook
        row("garciagina_1007", 8.0, roster_id="1007"),
        row("garciagina_1007+2", 8.0, roster_id="1007"),  # a second row, the same final
        row("foxfrank_1006", 5.0, Status.TIMEOUT, "1006", Standing(late=CUTOFF)),
        row("kimkevin_1010", 0.0, Status.MISSING, "1010"),  # nothing handed in
        row("zhangzoe_1099", 8.0),                        # not on the roster
    ]


def test_the_class_figures_count_the_rows_the_export_sends():
    page = Page(render_dashboard(klass(), CONFIG))
    assert page.terms["Students"] == "5"
    assert page.terms["Submissions"] == "3"  # Kevin handed nothing in; Amy is left blank
    assert page.terms["No submission"] == "1"
    assert page.terms["Left blank: rows disagree"] == "1"
    assert page.terms["Mean final score"] == "4 / 8"  # Carl 4, Frank 0, Gina 8
    assert page.terms["Median final score"] == "4 / 8"
    assert page.terms["Full marks (final)"] == "1"  # Gina once; not Amy's, not Zoe's
    counts = {r[0]: int(r[1]) for r in page.table("distribution").rows[1:]}
    assert sum(counts.values()) == 3
    text = " ".join(page.text.split())
    assert "1 row not on the roster (zhangzoe_1099)" in text
    assert "1 further notebook (chencarl_1003-2)" in text
    assert "1 second row with the same final (garciagina_1007+2)" in text
    assert "1 student left blank, their rows disagree (amy_uni.edu, andersonamy_1001)" in text
    counted = dashboard.class_rows(klass())
    assert [r.submission_id for r in counted.rows] == [
        "chencarl_1003", "foxfrank_1006", "garciagina_1007", "kimkevin_1010"]
    assert [r.submission_id for r in counted.scored] == [
        "chencarl_1003", "foxfrank_1006", "garciagina_1007"]


def test_a_zero_from_the_late_cutoff_is_not_called_an_override():
    block = render_dashboard(klass(), CONFIG).split('id="attention"', 1)[1].split("</section>")[0]
    frank = Page(block).text
    assert "final 0 after the late penalty (after the cutoff 2025-03-21: no credit)" in frank
    assert "after overrides" not in frank


def test_only_rows_whose_final_differs_are_listed_as_differing():
    late_zero = row("hugehannah_1009", 0.0, Status.INVALID, "1009",
                    Standing(late=Late(days_late=1, percent=10.0)))
    by_hand = row("evanseve_1005", 2.0, roster_id="1005", standing=Standing(overrides=[
        AppliedOverride(TOTAL, 2.0, 4.0, "regrade request", "TA Kim")]))
    results = [late_zero, by_hand]
    record = BatchRecord("now", "test", "config.yaml", "0" * 64)
    record.add_results(results)
    section = render_dashboard(results, CONFIG, record).split('id="adjusted"', 1)[1]
    assert section.startswith(">Final score differs from the checks (1)</h3>")
    listed = Page(section.split("</table>", 1)[0]).text
    assert "evanseve_1005" in listed and "hugehannah_1009" not in listed
