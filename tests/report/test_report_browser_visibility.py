"""Issue 14's acceptance in a real browser (headless chromium, as test_report_browser.py):
a hidden check is absent from a student's page and present in the instructor's copy; the
double-softmax page shows no ✓ on the checks its mistake was attributed away from.

The result is scored by the engine's own `score` from the verdicts the Part B checks give
a double softmax (tests/check/test_suite_parts_bc.py grades that mutant for real)."""

from __future__ import annotations

import pytest
from lab05_checks.test_part_b_classification import (
    CE_EXTREME,
    CE_GRAD,
    CE_RAW,
    CE_VALUES,
    DOUBLE_SOFTMAX_MESSAGE,
)
from test_report_browser import _run

from autograder.check.plugin import Verdict, not_assessed_message
from autograder.config import load_config
from autograder.lab import Lab
from autograder.report.feedback import write_feedback
from autograder.report.visibility import INSTRUCTOR, STUDENT
from autograder.sandbox.session import Incidents
from autograder.score.scoring import score

pytestmark = pytest.mark.browser
HIDDEN = "q_logits: why raw logits go to cross-entropy"  # after_due_date, no deadline: hidden
WAIVED = (CE_VALUES, CE_EXTREME, CE_GRAD)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    config = load_config(Lab.locate().config)
    assert config.visibility(HIDDEN) == "after_due_date" and config.deadline is None
    verdicts = {name: Verdict(True, "") for name in config.tests}
    verdicts[CE_RAW] = Verdict(False, DOUBLE_SOFTMAX_MESSAGE, "double-softmax")
    verdicts[HIDDEN] = Verdict(False, "q_logits: not the best answer.", "wrong-answer:b")
    for name in WAIVED:
        verdicts[name] = Verdict(True, not_assessed_message(CE_RAW), assessed_by=CE_RAW)
    result = score("double_softmax", verdicts, config, Incidents(), [])
    out = tmp_path_factory.mktemp("pages")
    write_feedback(result, out, config.assignment, STUDENT)
    write_feedback(result, out / "instructor", config.assignment, INSTRUCTOR)
    return out / "double_softmax" / "feedback.html", \
        out / "instructor" / "double_softmax" / "feedback.html"


def _items(dom: str) -> dict[str, str]:
    items = {}
    for chunk in dom.split('<li class="test')[1:]:
        chunk = chunk[:chunk.index("</li>")]
        title = chunk[chunk.index("<h4>"):chunk.index("</h4>")]
        items[title.rsplit("</span>", 1)[-1].strip()] = chunk
    return items


def test_hidden_check_absent_for_the_student_present_for_the_instructor(pages, tmp_path):
    student, instructor = (_run(tmp_path, "--dump-dom", p.as_uri()).stdout for p in pages)
    assert "why raw logits go to cross-entropy" not in student
    assert "q_logits: not the best answer" not in student
    assert "shown when your instructor publishes the grades" in student
    assert "why raw logits go to cross-entropy" in instructor
    assert "Students see this check: <code>after_due_date</code>" in instructor


def test_double_softmax_page_shows_no_pass_mark_on_the_waived_checks(pages, tmp_path):
    dom = _run(tmp_path, "--dump-dom", pages[0].as_uri()).stdout
    section = dom[dom.index('id="fn-cross_entropy"'):]
    ends = [section.find(mark, 1) for mark in ('<div class="fn"', '<details class="passes fn"',
                                                 "</section>")]
    section = section[:min(e for e in ends if e > 0)]  # cross_entropy's own block
    items = _items(section)
    for name in WAIVED:
        item = items[name.split(": ", 1)[1]]
        assert item.startswith(' waived"'), item
        assert "✓" not in item and "Not assessed separately" in item and "–" in item
    assert items[CE_RAW.split(": ", 1)[1]].startswith(' fail"')
    assert "3 not assessed separately" in dom
