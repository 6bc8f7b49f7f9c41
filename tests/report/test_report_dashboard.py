"""The class dashboard, checked against numbers worked out by hand from report_samples.

Scores out of 8: alice 8, bob 5, carol 1, dave 3 (timeout), erin 0 (invalid),
frank 6 -> mean 23/6 = 3.83, median (3 + 5) / 2 = 4, mean of the graded four 5.
Pass rates count the submissions in which the check ran (erin never ran; dave's
`evaluate` check did not run):
  matches   2 of 5 (alice, dave)             40%
  backward  3 of 5 (alice, bob, frank)       60%
  evaluate  3 of 4 (alice, bob, frank)       75%
  forbidden 4 of 5 (all but bob)             80%
Mistakes: (matches, wrong) bob carol frank; (backward, no-grad) carol dave;
(forbidden, forbidden) bob; (evaluate, raised) carol.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest
from markupsafe import escape
from report_samples import (
    CONFIG,
    EVALUATE,
    INVALID_REASON,
    SCRIPT,
    TIMEOUT_REASON,
    WRONG_SUM,
    Page,
    check_links,
    sample_results,
)

from autograder.report.dashboard import render_dashboard, write_dashboard
from autograder.score.final import TOTAL, AppliedOverride, Late, Standing, finalise
from autograder.score.results import Status, SubmissionResult
from autograder.score.results import TestResult as Row  # not a test class for pytest


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    index = write_dashboard(sample_results(), CONFIG, out)
    text = index.read_text(encoding="utf-8")
    return out, index, text, Page(text)


def test_writes_index_and_every_feedback_page(site):
    out, index, _, _ = site
    assert index == out / "index.html"
    for student in ("alice", "bob", "carol", "dave", "erin", "frank"):
        assert (out / student / "feedback.html").is_file()


def test_counts_mean_and_median(site):
    _, _, text, page = site
    assert page.terms["Submissions"] == "6"
    assert page.terms["Graded"] == "4"
    assert page.terms["Timed out"] == "1"
    assert page.terms["Crashed"] == "0"
    assert page.terms["Could not be graded"] == "1"
    assert page.terms["Mean final score"] == "3.83 / 8"
    assert page.terms["Median final score"] == "4 / 8"
    assert page.terms["Mean final of graded"] == "5 / 8"
    assert page.terms["Full marks (final)"] == "1"
    assert "Before them" not in text  # no result carries an override or a penalty
    assert "<title>lab-test class dashboard (6 submissions)</title>" in text


def test_score_distribution(site):
    _, _, text, page = site
    table = page.table("distribution")
    counts = {row[0]: int(row[1]) for row in table.rows[1:]}
    assert len(counts) == 10 and sum(counts.values()) == 6
    assert counts == {"0–10%": 1, "10–20%": 1, "20–30%": 0, "30–40%": 1, "40–50%": 0,
                      "50–60%": 0, "60–70%": 1, "70–80%": 1, "80–90%": 0, "90–100%": 1}
    assert '<svg class="chart"' in text and 'role="img"' in text
    assert len(re.findall(r'<rect class="bar"', text)) == 6  # one bar per non-empty bin


def test_pass_rates_sorted_hardest_first(site):
    _, _, _, page = site
    table = page.table("checks")
    assert "sortable" in table.classes
    header, *rows = table.rows
    assert header == ["Function", "Check", "Points", "Passed", "Ran", "Pass rate"]
    got = [(r[0], r[1], r[3], r[4], r[5]) for r in rows]
    assert got == [
        ("mse_loss", "matches F.mse_loss for every reduction", "2", "5 of 6", "40%"),
        ("mse_loss", "backward gives the reference gradients", "3", "5 of 6", "60%"),
        ("evaluate", "returns sample-weighted loss and accuracy as floats", "3", "4 of 6",
         "75%"),
        ("mse_loss", "implemented without F.mse_loss", "4", "5 of 6", "80%"),
    ]


def _mistake_items(text: str) -> list[str]:
    block = text.split('<ol class="mistakes">', 1)[1].split("</ol>", 1)[0]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in block.split("<li>\n")[1:]]


def test_common_mistakes_grouped_with_students_and_one_message(site):
    _, _, text, _ = site
    items = _mistake_items(text)
    assert [item.split(" ")[0] for item in items] == ["3", "2", "1", "1"]
    assert items[0].startswith("3 mse_loss : matches F.mse_loss for every reduction wrong")
    assert items[1].startswith("2 mse_loss : backward gives the reference gradients no-grad")
    assert items[2].startswith("1 mse_loss : implemented without F.mse_loss forbidden")
    assert items[3].startswith("1 evaluate : returns sample-weighted loss and accuracy as "
                               "floats raised")
    # The representative message is the most frequent one (bob's and frank's, not carol's).
    assert WRONG_SUM in items[0] and items[0].endswith("bob carol frank")
    # ... and says it is two students' of three, carol's worded otherwise; a group
    # all told alike says nothing more.
    assert "2 of these 3 students got this message word for word; the others' differ" in \
        html.unescape(items[0])
    assert "word for word" not in items[1]
    assert items[1].endswith("carol dave")
    assert str(escape(WRONG_SUM)) in text


def test_not_attempted_work_never_ranks_above_a_real_mistake(tmp_path):
    """Ten students who never implemented `evaluate` against one real mistake: the real
    one is the first (only) ranked mistake; the ten are grouped apart, folded."""
    skipped = [_graded_row(f"s{i:02d}", mistake="not-implemented",
                           output="evaluate is not implemented yet.") for i in range(10)]
    real = _graded_row("zoe", mistake="wrong", output="evaluate returns a wrong loss.")
    text = render_dashboard([*skipped, real], CONFIG)
    items = _mistake_items(text)
    assert len(items) == 1 and items[0].startswith("1 evaluate") and "zoe" in items[0]
    assert "not-implemented" not in text.split('<ol class="mistakes">', 1)[1].split("</ol>")[0]
    folded = text.split('<details class="not-attempted">', 1)[1].split("</details>", 1)[0]
    assert "Not attempted yet: 1 function, 10 students" in folded
    assert all(f"s{i:02d}/feedback.html" in folded for i in range(10))


def test_first_section_is_who_needs_attention(site):
    _, _, text, _ = site
    sections = re.findall(r'<section class="card" id="([^"]+)"', text)
    assert sections[:3] == ["attention", "mistakes", "parts"]
    block = text.split('id="attention"', 1)[1].split("</section>", 1)[0]
    order = re.findall(r'<a href="([^"/]+)/feedback.html"', block)
    # not graded first (worst score first), then graded below half the points (carol 1/8)
    assert order == ["erin", "dave", "carol"]
    assert INVALID_REASON in Page(block).text and "lost points in" in block


def test_per_part_summary(site):
    _, _, _, page = site
    table = page.table("parts")
    header, *rows = table.rows
    assert header == ["Part", "Mean", "All / some / none", "Checks passed"]
    # no `parts` in this config: each function is its own part. mse_loss (5 points) among
    # the five that ran: alice 5, bob 2, carol 1, dave 3, frank 3 -> mean 2.8; 9 of 15 passed
    assert rows[0] == ["mse_loss", "2.8 / 5", "1 / 4 / 0", "60%"]
    # evaluate (3): alice, bob, frank 3; carol 0; dave 0 (did not run) -> 9/5 = 1.8
    assert rows[1] == ["evaluate", "1.8 / 3", "3 / 0 / 2", "75%"]


def _graded_row(submission_id: str, mistake: str, output: str) -> SubmissionResult:
    tests = [Row(name, CONFIG.points(name), CONFIG.points(name), True, "",
                 CONFIG.visibility(name)) for name in CONFIG.tests if name != EVALUATE]
    tests.append(Row(EVALUATE, 0.0, CONFIG.points(EVALUATE), False, output, "visible", mistake))
    return SubmissionResult(submission_id, Status.GRADED, "", tests, CONFIG.max_score)


def test_student_text_is_escaped_on_the_dashboard(tmp_path):
    carol = [r for r in sample_results() if r.submission_id == "carol"]
    text = write_dashboard(carol, CONFIG, tmp_path).read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<b>bold</b>" not in text
    assert str(escape(SCRIPT)) in text
    assert SCRIPT in Page(text).text


def test_not_graded_section_lists_reasons(site):
    _, _, _, page = site
    table = page.table("not-graded")
    rows = {r[0]: r[1:] for r in table.rows[1:]}
    assert rows == {"dave": ["Timed out", TIMEOUT_REASON, "3 / 8"],
                    "erin": ["Could not be graded", INVALID_REASON, "0 / 8"]}


def test_all_students_table(site):
    _, _, _, page = site
    table = page.table("students")
    header, *rows = table.rows
    assert header == ["Submission", "Status", "Final score", "%", "Checks", "Lost points in"]
    assert [r[:5] for r in rows] == [
        ["alice", "Graded", "8 / 8", "100%", "8"],
        ["bob", "Graded", "5 / 8", "62%", "5"],
        ["carol", "Graded", "1 / 8", "12%", "1"],
        ["dave", "Timed out", "3 / 8", "38%", "3"],
        ["erin", "Could not be graded", "0 / 8", "0%", "0"],
        ["frank", "Graded", "6 / 8", "75%", "6"],
    ]
    assert rows[1][5] == "mse_loss ×2" and rows[2][5] == "mse_loss ×2, evaluate"
    assert rows[0][5] == "nothing" and rows[4][5] == "not run"
    assert [cell[0] for cell in table.links[1:]] == [
        [f"{s}/feedback.html"] for s in ("alice", "bob", "carol", "dave", "erin", "frank")]


def test_links_resolve_and_nothing_is_external(site):
    out, index, text, page = site
    files = check_links(page, index)
    assert len(set(files)) == 6
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text)
    assert "<link" not in text and "@import" not in text
    for feedback in out.glob("*/feedback.html"):
        check_links(Page(feedback.read_text(encoding="utf-8")), feedback)


def test_sort_script_is_optional_and_allowed_by_its_hash(site):
    _, _, text, _ = site
    scripts = re.findall(r"<script>(.*?)</script>", text, flags=re.S)
    assert len(scripts) == 1 and "<script" not in text.replace("<script>", "", 1)
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in text
    # Without script the tables are already in order: hardest check, most common mistake.
    assert 'data-type="num" aria-sort="ascending">Pass rate' in text


def test_empty_batch(tmp_path):
    text = render_dashboard([], CONFIG)
    page = Page(text)
    assert page.terms["Submissions"] == "0" and page.terms["Mean final score"] == "— / 8"
    assert "Every submission was graded." in text
    write_dashboard([], CONFIG, tmp_path)
    assert (tmp_path / "index.html").is_file()


def test_submission_ids_are_quoted_in_links(tmp_path):
    results = sample_results()
    results[0].submission_id = "a b#1"
    write_dashboard(results, CONFIG, tmp_path)
    index = tmp_path / "index.html"
    files = check_links(Page(index.read_text(encoding="utf-8")), index)
    assert "a%20b%231/feedback.html" in files


def test_concept_check_choices_are_counted_per_option():
    """A multiple-choice check's wrong answers carry the option chosen: the dashboard counts
    the best answer, each other option and no answer (here `evaluate` stands in for one)."""
    picks = {"a1": ("", True), "a2": ("", True), "b1": ("wrong-answer:b", False),
             "b2": ("wrong-answer:b", False), "c1": ("wrong-answer:c", False),
             "n1": ("no-answer", False)}
    results = []
    for sid, (mistake, right) in picks.items():
        row = _graded_row(sid, mistake=mistake, output="" if right else "not the best answer")
        if right:
            row.tests[-1] = Row(EVALUATE, CONFIG.points(EVALUATE), CONFIG.points(EVALUATE),
                                True, "", "visible")
        results.append(row)
    text = render_dashboard(results, CONFIG)
    section = text.split('id="choices"', 1)[1].split("</section>", 1)[0]
    row = Page(section).text
    assert "b: 2" in row and "c: 1" in row
    cells = re.findall(r'<td class="num">(?:<span class="pass-text">)?(\d+)', section)
    assert cells == ["2", "1"]  # best answer 2, no answer 1
    assert 'id="choices"' not in render_dashboard(sample_results(), CONFIG)  # no MC check there


def _adjusted_results() -> list[SubmissionResult]:
    """The samples with alice's 8 cut to 7.2 by a late day (10 %) and carol's 1 raised to 8 by
    an override: finals 7.2, 5, 8, 3, 0, 6 (mean 29.2 / 6 = 4.87, median 5.5, full marks carol)."""
    results = {r.submission_id: r for r in sample_results()}
    results["alice"].final = finalise(8.0, Standing(late=Late(days_late=1, percent=10.0)))
    results["carol"].final = finalise(1.0, Standing(overrides=[
        AppliedOverride(TOTAL, 1.0, 8.0, "regrade: answer accepted", "TA Kim")]))
    return list(results.values())


def test_class_statistics_are_final_scores_with_the_checks_beside_them():
    page = Page(render_dashboard(_adjusted_results(), CONFIG))
    assert page.terms["Mean final score"] == "4.87 / 8"
    assert page.terms["Median final score"] == "5.5 / 8"
    assert page.terms["Mean final of graded"] == "6.55 / 8"  # alice 7.2, bob 5, carol 8, frank 6
    assert page.terms["Full marks (final)"] == "1"  # carol (by override), no longer alice
    assert "after overrides and late penalties" in page.text
    assert "Before them (2 differ), the checks alone: mean 3.83, median 4." in page.text
    rows = {r[0]: r[2:5] for r in page.table("students").rows[1:]}
    assert rows["alice"] == ["7.2 / 8", "90%", "8"] and rows["carol"] == ["8 / 8", "100%", "1"]
    counts = {r[0]: int(r[1]) for r in page.table("distribution").rows[1:]}
    assert (counts["90–100%"], counts["10–20%"]) == (2, 0)  # alice 90 %, carol 100 %; nobody at 12 %


def test_per_check_statistics_still_count_the_checks_alone():
    page = Page(render_dashboard(_adjusted_results(), CONFIG))
    assert page.table("parts").rows[1] == ["mse_loss", "2.8 / 5", "1 / 4 / 0", "60%"]
    assert [r[5] for r in page.table("checks").rows[1:]] == ["40%", "60%", "75%", "80%"]


def test_counts_are_said_in_the_singular_for_one(tmp_path):
    text = render_dashboard([_graded_row("solo", mistake="not-implemented",
                                         output="evaluate is not implemented yet.")], CONFIG)
    folded = text.split('<details class="not-attempted">', 1)[1].split("</details>", 1)[0]
    assert "Not attempted yet: 1 function, 1 student " in folded
    assert "<h1>lab-test: 1 submission</h1>" in text
    assert "class dashboard (1 submission)</title>" in text


def test_the_lab_is_named_by_its_declared_title(tmp_path):
    from autograder.report.feedback import lab_title

    checks = tmp_path / "solutions" / "lab06_checks"
    checks.mkdir(parents=True)
    assert lab_title(tmp_path, "lab06") == "lab06"  # no spec.py: the name
    (checks / "spec.py").write_text('TITLE: str = "Week 6 (Optimizers & Regularisation)"\n',
                                    encoding="utf-8")
    title = lab_title(tmp_path, "lab06")
    assert title == "Week 6 (Optimizers & Regularisation)"
    (checks / "spec.py").write_text("TITLE = make_title()\n", encoding="utf-8")
    assert lab_title(tmp_path, "lab06") == "lab06"  # not a literal: never run
    index = write_dashboard(sample_results()[:2], CONFIG, tmp_path / "out", title=title)
    page = index.read_text(encoding="utf-8")
    assert f"<h1>{escape(title)}: 2 submissions</h1>" in page
    alice = (tmp_path / "out" / "alice" / "feedback.html").read_text(encoding="utf-8")
    assert f"<title>{escape(title)} feedback: alice" in alice and "lab-test" not in alice


def test_a_crashed_cell_in_work_graded_in_full_counts_as_graded():
    """Every check ran; one experiment cell crashed its process and was skipped: a graded
    row with a note, in the mean of the graded and listed last under Needs attention."""
    crash = ("the cell under “Part A › A.2 `l2`” that starts “# peek” crashed with a "
             "segmentation fault; it was skipped")
    results = [_graded_row("ann", mistake="wrong", output="evaluate returns a wrong loss."),
               *[r for r in sample_results() if r.submission_id == "alice"]]
    results[1].reason = crash
    text = render_dashboard(results, CONFIG)
    page = Page(text)
    assert page.terms["Graded"] == "2" and page.terms["Crashed"] == "0"
    assert "Not graded (0)" in text
    assert page.terms["Mean final of graded"].startswith("6.5")  # (5 + 8) / 2
    block = Page(text.split('id="attention"', 1)[1].split("</section>", 1)[0]).text
    assert "every check ran, but the cell under" in block and "alice" in block
