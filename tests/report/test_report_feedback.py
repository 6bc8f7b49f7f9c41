"""The student's page: score, status, checks grouped by function, escaping, hidden checks."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from report_samples import (
    BACKWARD,
    EVALUATE,
    FORBIDDEN_MESSAGE,
    INVALID_REASON,
    RAISED,
    RAISED_DETAIL,
    SECRET_DETAIL,
    TIMEOUT_REASON,
    WRONG_SUM,
    Page,
    by_id,
    check_links,
    sample_results,
)

from autograder.report.feedback import inline_code, render_feedback, write_feedback
from autograder.report.visibility import INSTRUCTOR, STUDENT, Audience


@pytest.fixture(scope="module")
def results():
    return sample_results()


def _write(results, submission_id, tmp_path, audience: Audience = INSTRUCTOR):
    path = write_feedback(by_id(results, submission_id), tmp_path, "lab-test", audience)
    assert path == tmp_path / submission_id / "feedback.html"
    text = path.read_text(encoding="utf-8")
    return text, Page(text)


def test_graded_page_shows_total_parts_and_messages(results, tmp_path):
    text, page = _write(results, "bob", tmp_path)
    assert "5</strong> / 8 points" in text
    assert "2 of 4 checks passed" in page.text
    assert "Graded" in page.text and "Timed out" not in page.text
    # Grouped by part (here: by function, the config has no `parts`), in the results' order;
    # a part with a failure is open, its failures first; a part that passed is folded.
    assert re.findall(r'<section class="card part" id="part-([^"]+)"', text) == ["mse_loss"]
    assert re.findall(r'<details class="card part" id="part-([^"]+)"', text) == ["evaluate"]
    assert page.text.index("Failed: matches F.mse_loss") < page.text.index("Passed: backward")
    assert re.search(r'<details class="passes"><summary>✓ 1 check passed</summary>', text)
    assert "To fix, in notebook order: mse_loss" in page.text
    # Each check: pass/fail, points, message; the visible failure names its kind of mistake.
    assert "Failed: matches F.mse_loss for every reduction" in page.text
    assert "Passed: backward gives the reference gradients" in page.text
    assert str(escape(WRONG_SUM)) in text
    assert "Mistake code (quote it when you ask about this check): wrong" in page.text
    assert "Cell 3 printed 5000 lines; the output was cut." in page.text  # notes
    assert "Graded in 4.2 s" in page.text or "Graded in 4.3 s" in page.text


def test_hidden_check_is_absent_from_the_student_page(results, tmp_path):
    text, page = _write(results, "bob", tmp_path, STUDENT)
    assert "implemented without F.mse_loss" not in text
    assert FORBIDDEN_MESSAGE.split("`")[0] not in text and SECRET_DETAIL not in text
    assert "forbidden" not in text
    # The totals leave it out too (its 1 point would tell the student it failed).
    assert "5</strong> / 7 points" in text and "2 of 3 checks passed" in page.text
    assert "1 more check (1 point) is graded but not listed here: not shown to students" \
        in page.text


def test_instructor_copy_lists_the_hidden_check(results, tmp_path):
    text, page = _write(results, "bob", tmp_path, INSTRUCTOR)
    assert "Instructor view" in page.text
    assert "Failed: implemented without F.mse_loss" in page.text
    assert "mse_loss calls F.mse_loss, which is what you are asked to implement." in page.text
    assert "Students see this check: hidden" in page.text
    hidden_row = text[text.index("implemented without F.mse_loss"):]
    hidden_row = hidden_row[:hidden_row.index("</li>")]
    assert "0 / 1" in hidden_row


def test_visible_check_keeps_its_detail(results, tmp_path):
    text, page = _write(results, "carol", tmp_path)
    assert RAISED in page.text
    assert "<details><summary>Details</summary><pre>" in text
    assert str(escape(RAISED_DETAIL.strip())) in text
    assert "Mistake code (quote it when you ask about this check): raised" in page.text


def test_student_text_is_escaped(results, tmp_path):
    text, page = _write(results, "carol", tmp_path)
    assert "<script" not in text.lower()  # the page has no script at all
    assert "<b>bold</b>" not in text
    assert ("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; "
            "&lt;b&gt;bold&lt;/b&gt;") in text
    assert "mse_loss returned <script>alert('pwned')</script> & <b>bold</b>" in page.text
    assert "Content-Security-Policy" in text and "script-src 'none'" in text


def test_inline_code_escapes_inside_and_out():
    assert str(inline_code("use `x<y>` & go")) == "use <code>x&lt;y&gt;</code> &amp; go"
    assert str(inline_code("odd ` <i>")) == "odd ` &lt;i&gt;"


def test_timeout_page_explains_and_keeps_partial_credit(results, tmp_path):
    text, page = _write(results, "dave", tmp_path)
    assert "Timed out" in page.text and TIMEOUT_REASON in page.text
    assert "the checks that finished still count" in page.text
    assert "3</strong> / 8 points" in text
    assert "evaluate: this check did not run (grading stopped early)." in page.text
    assert "Mistake code (quote it when you ask about this check): not-run" not in page.text


def test_invalid_page_gives_reason_once(results, tmp_path):
    text, page = _write(results, "erin", tmp_path)
    assert "Could not be graded" in page.text and INVALID_REASON in page.text
    assert page.text.count(INVALID_REASON) == 1  # not repeated on every row
    assert "0</strong> / 8 points" in text
    assert "Mistake code" not in page.text
    # nothing ran: no wall of red crosses, one per configured check
    assert "✗" not in page.text
    for name in (BACKWARD, EVALUATE):
        assert name.split(": ", 1)[1] not in page.text


def test_page_is_self_contained(results, tmp_path):
    for result in results:
        path = write_feedback(result, tmp_path)
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        assert check_links(page, path) == []  # only in-page anchors
        assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text)
        assert "<link" not in text and "@import" not in text
        assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text


def test_render_without_assignment_name(results):
    text = render_feedback(by_id(results, "alice"))  # a student's: the hidden check left out
    assert "<title>feedback: alice (7/7)</title>" in text


def test_the_page_says_when_the_row_was_graded_and_which_attempt(results, tmp_path):
    """A student reading a page weeks later can tell which hand-in it is about: the moment
    of grading (UTC) and the LMS attempt, where the row has them."""
    import dataclasses

    from autograder.score.final import Trace

    bob = dataclasses.replace(by_id(results, "bob"),
                              trace=Trace(graded_at="2026-12-07T09:41:30+00:00", attempt=3))
    path = write_feedback(bob, tmp_path, "lab-test", INSTRUCTOR)
    assert "Graded on 2026-12-07 09:41 UTC (attempt 3) in" in Page(path.read_text()).text
    undated = dataclasses.replace(bob, trace=Trace(graded_at="not a date"))
    page = Page(write_feedback(undated, tmp_path / "u", "lab-test", INSTRUCTOR).read_text())
    assert "Graded in" in page.text and "attempt" not in page.text
