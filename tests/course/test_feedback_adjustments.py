"""A student's page shows each override with its reason and author, and the late penalty."""

from __future__ import annotations

import dataclasses

from autograder.config import GradingConfig
from autograder.report.feedback import render_feedback
from autograder.score.final import AppliedOverride, Late, Standing, finalise
from autograder.score.results import Status
from autograder.score.scoring import unscored

CONFIG = GradingConfig.model_validate({"tests": {"f: does it": {"points": 4}}})


def test_overrides_and_penalty_on_the_students_page():
    result = unscored("lee", CONFIG, Status.INVALID, "not a notebook")
    result.final = finalise(0.0, Standing(
        overrides=[AppliedOverride("total", 0.0, 3.0, "emailed the notebook on time", "Prof. Ruiz")],
        late=Late(submitted_at="2025-03-15T10:00:00+00:00", due="2025-03-14T23:59:00+00:00",
                  days_late=1, percent=10.0)))
    page = render_feedback(result, "lab")
    assert "Your final score: 2.7 / 4" in page
    assert "emailed the notebook on time" in page and "Prof. Ruiz" in page
    assert "Late by 1 day" in page and "−0.3" in page
    # the headline and the title are the final score (an instructor's review: a late student's
    # read the checks' total there, the final further down)
    assert "<strong>2.7</strong> / 4 points, your final score" in page
    assert "(2.7/4)</title>" in page


def test_the_headline_is_the_checks_total_without_adjustments():
    result = unscored("lee", CONFIG, Status.INVALID, "not a notebook")
    result.final = finalise(0.0, Standing())
    page = render_feedback(result, "lab")
    assert "<strong>0</strong> / 4 points</div>" in page and "your final score" not in page


def test_no_section_without_adjustments():
    result = unscored("lee", CONFIG, Status.INVALID, "not a notebook")
    result.final = finalise(0.0, Standing())
    assert 'id="adjustments"' not in render_feedback(result, "lab")


def test_the_headline_and_the_adjustments_say_the_same_checks_total():
    """A semester review: with an override on a check, the headline read "the checks gave
    132" (the total after it) and the adjustments below "The checks gave 131"."""
    config = GradingConfig.model_validate({"tests": {"f: does it": {"points": 4},
                                                     "f: again": {"points": 4}}})
    result = unscored("lee", config, Status.GRADED, "")
    result.tests[0] = dataclasses.replace(result.tests[0], score=4.0, passed=True, output="")
    result.final = finalise(4.0, Standing(
        overrides=[AppliedOverride("f: again", 0.0, 1.0, "partial credit", "TA Kim")]))
    page = render_feedback(result, "lab")
    assert "your final score <small>(the checks gave 4:" in page, page[page.find("final"):][:300]
    assert "The checks gave 4" in page or "the checks gave 4:" in page
