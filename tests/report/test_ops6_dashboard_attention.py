"""The dashboard's "Needs attention" says what a TA must know first (ops6 grading night: a row
whose cell crashed its process showed only "25 functions not attempted"; a missing student
given points by an override showed "0 / 126")."""

from __future__ import annotations

from dataclasses import replace

from report_samples import CONFIG, Page

from autograder.report.dashboard import render_dashboard
from autograder.score.final import TOTAL, AppliedOverride, Standing, finalise
from autograder.score.results import Status
from autograder.score.scoring import unscored

CRASH_NOTE = "the cell that starts “import ctypes” crashed its process and was skipped"


def attention(text: str) -> str:
    return Page(text.split('id="attention"', 1)[1].split("</section>", 1)[0]).text


def test_a_graded_row_whose_cell_crashed_its_process_shows_why(tmp_path):
    row = unscored("cara", CONFIG, Status.GRADED, CRASH_NOTE)
    row.tests = [replace(t, mistake="not-implemented") for t in row.tests]
    block = attention(render_dashboard([row], CONFIG))
    assert CRASH_NOTE in block and "not attempted" in block


def test_a_missing_student_with_an_override_shows_the_final(tmp_path):
    row = unscored("milo", CONFIG, Status.MISSING, "no submission received")
    decided = AppliedOverride(TOTAL, 0.0, 6.0, "emailed the notebook; graded by hand", "TA Kim")
    row.final = finalise(0.0, Standing(overrides=[decided]))
    block = attention(render_dashboard([row], CONFIG))
    assert "6 / 8" in block and "0 / 8" not in block
    assert "final 6 after overrides" in block
