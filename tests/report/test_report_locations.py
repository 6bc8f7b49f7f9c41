"""Feedback a student can act on: Parts in notebook order, one line for work not attempted,
failed cells shown where Jupyter shows them with the student's own line; the same in the
terminal (`show --failed`), the gradebook's columns and results.json."""

from __future__ import annotations

import csv
import json

import nbformat
import pytest
from pydantic import ValidationError
from report_samples import Page

from autograder.config import GradingConfig
from autograder.load.notebook import Submission, code_cells, defined_names
from autograder.report.feedback import render_feedback
from autograder.report.gradebook import write_gradebook
from autograder.report.terminal import render
from autograder.score.results import CellIssue, Status, SubmissionResult
from autograder.score.results import TestResult as Row  # not a test class for pytest

PARTS = {"Part A — Losses": ["mse_loss", "huber_loss"], "Part D — Training": ["evaluate"]}
TESTS = {
    "evaluate: returns the mean loss": {"points": 2},  # config order: D before A
    "mse_loss: matches F.mse_loss": {"points": 2},
    "mse_loss: backward works": {"points": 1},
    "huber_loss: matches F.huber_loss": {"points": 2},
    "huber_loss: backward works": {"points": 1},
}
CONFIG = GradingConfig.model_validate({"assignment": "lab-test", "parts": PARTS,
                                       "tests": TESTS})
SYNTAX = CellIssue(location="the cell under “Part A — Losses › A3. `huber_loss`” that starts "
                            "“def huber_loss(”",
                   error="SyntaxError: '(' was never closed", line=4,
                   code="return (diff.abs().mean()", defines=("huber_loss",))
LATER = CellIssue(location="the cell under “Part E › E3” that starts “fit_line(huber_loss)”",
                  error="NameError: name 'huber_loss' is not defined", line=1,
                  code="fit_line(huber_loss)")


def _result(failures: dict[str, tuple[str, str]], cells: list[CellIssue] | None = None
            ) -> SubmissionResult:
    tests = [Row(name, 0.0 if name in failures else CONFIG.points(name), CONFIG.points(name),
                 name not in failures, failures.get(name, ("", ""))[0], "visible",
                 failures.get(name, ("", ""))[1], part=CONFIG.part(name))
             for name in CONFIG.ordered_tests()]
    return SubmissionResult("ana", Status.GRADED, "", tests, CONFIG.max_score,
                            cells=cells or [])


def test_config_orders_checks_by_part_and_function():
    assert CONFIG.ordered_tests() == [
        "mse_loss: matches F.mse_loss", "mse_loss: backward works",
        "huber_loss: matches F.huber_loss", "huber_loss: backward works",
        "evaluate: returns the mean loss"]
    assert CONFIG.part("huber_loss: backward works") == "Part A — Losses"
    assert GradingConfig.model_validate({"tests": TESTS}).ordered_tests() == list(TESTS)


@pytest.mark.parametrize("parts, problem", [
    ({"Part A": ["mse_loss", "huber_loss"]}, "'evaluate' has checks but is in no part"),
    ({**PARTS, "Part Z": ["nope"]}, "'nope' is listed in parts but has no check"),
    ({**PARTS, "Part Z": ["mse_loss"]}, "'mse_loss' is listed under both"),
    ({**PARTS, "Part Z": []}, "needs a title and at least one function"),
])
def test_config_rejects_parts_that_do_not_cover_the_checks(parts, problem):
    with pytest.raises(ValidationError, match=problem):
        GradingConfig.model_validate({"parts": parts, "tests": TESTS})


def test_syntax_error_page_quotes_the_students_line():
    missing = "`huber_loss` is not defined: make sure the cell that defines it runs."
    result = _result({"huber_loss: matches F.huber_loss": (missing, "missing"),
                      "huber_loss: backward works": (missing, "missing")}, [SYNTAX, LATER])
    text = render_feedback(result)
    page = Page(text)
    assert "Cells that failed when your notebook ran" in page.text
    assert "SyntaxError: '(' was never closed" in page.text
    assert "In the cell under “Part A — Losses › A3. huber_loss” that starts “def huber_loss(”, " \
           "line 4:" in page.text
    assert "<pre><code>return (diff.abs().mean()</code></pre>" in text
    # the function says it once, with the real error, not "not defined" per check
    assert "huber_loss is not defined because its cell failed: SyntaxError: '(' was never " \
           "closed, line 4:" in page.text
    assert missing not in page.text
    # the later NameError follows from the first error: folded away, not a second red item
    folded = text.split('<details class="more">', 1)[1].split("</details>", 1)[0]
    assert "NameError: name &#39;huber_loss&#39; is not defined" in folded


def test_parts_in_notebook_order_failures_first_passes_folded():
    result = _result({"evaluate: returns the mean loss": ("evaluate returned None.", "wrong")})
    text = render_feedback(result)
    page = Page(text)
    assert page.text.index("Part A — Losses") < page.text.index("Part D — Training")
    # Part A passed: one folded line; Part D is open with its failure
    assert '<details class="card part" id="part-Part-A---Losses">' in text
    assert '<section class="card part" id="part-Part-D---Training"' in text
    assert "To fix, in notebook order: evaluate" in page.text
    assert text.count("<details") == 1 and " open" not in text  # passes folded by default


def test_not_implemented_function_is_one_line():
    todo = "huber_loss is not implemented yet (it still raises NotImplementedError)."
    result = _result({"huber_loss: matches F.huber_loss": (todo, "not-implemented"),
                      "huber_loss: backward works": (todo, "not-implemented")})
    page = Page(render_feedback(result))
    assert page.text.count("not implemented yet") == 1
    assert "huber_loss is not implemented yet: it still raises NotImplementedError (2 checks " \
           "waiting on it)." in page.text


def test_show_groups_by_part_and_failed_lists_failures_only():
    result = _result({"evaluate: returns the mean loss": ("evaluate returned None.", "wrong")},
                     [SYNTAX])
    text = render(result)
    lines = text.splitlines()
    assert lines.index(next(x for x in lines if x.startswith("Part A — Losses"))) < \
        lines.index(next(x for x in lines if x.startswith("Part D — Training")))
    assert "    return (diff.abs().mean()" in text.replace("  return", "return")
    failed = render(result, failed_only=True)
    heads = [x for x in failed.splitlines() if x.startswith("Part ")]
    assert len(heads) == 1 and heads[0].startswith("Part D — Training")
    assert heads[0].endswith("0 / 2")
    assert "✓" not in failed and "evaluate returned None." in failed
    assert "SyntaxError: '(' was never closed" in failed


def test_gradebook_and_results_json_follow_notebook_order(tmp_path):
    result = _result({})
    write_gradebook([result], list(CONFIG.tests), tmp_path / "g.csv")
    with (tmp_path / "g.csv").open(encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    checks = [h for h in header if ": " in h]
    assert checks == CONFIG.ordered_tests()
    data = result.to_gradescope()
    assert [t["name"] for t in data["tests"]] == CONFIG.ordered_tests()
    assert data["tests"][0]["extra_data"] == {"part": "Part A — Losses"}
    back = SubmissionResult.from_gradescope(json.loads(json.dumps(
        _result({}, [SYNTAX]).to_gradescope())))
    assert back.cells == [SYNTAX] and back.tests[-1].part == "Part D — Training"


def test_loader_records_headings_first_line_and_names():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Lab 5"),
                nbformat.v4.new_code_cell("import torch"),
                nbformat.v4.new_markdown_cell("## Part A — Losses\n\n### A3. `huber_loss`"),
                nbformat.v4.new_code_cell("\ndef huber_loss(x):\n    return (x\n"),
                nbformat.v4.new_markdown_cell("## Part B"),
                nbformat.v4.new_code_cell("try:\n    y = 1\nexcept NameError:\n    y = None")]
    cells = code_cells(nb)
    assert [c.index for c in cells] == [1, 2, 3] and [c.position for c in cells] == [2, 4, 6]
    assert cells[0].headings == ("Lab 5",)
    assert cells[1].headings == ("Part A — Losses", "A3. `huber_loss`")  # title dropped
    assert cells[1].location == ("the cell under “Part A — Losses › A3. `huber_loss`” that "
                                 "starts “def huber_loss(x):”")
    assert cells[1].defines == ("huber_loss",)  # read line by line: it does not parse
    assert cells[2].headings == ("Part B",) and cells[2].defines == ("y",)
    assert defined_names("def f():\n    z = 1\nclass K: pass") == ("f", "K")
    submission = Submission("s", __import__("pathlib").Path("s.ipynb"), cells, "0")
    assert submission.source_line(2, 3) == "return (x"
    assert submission.relocate("ValueError: bad (cell 2, line 3)") == (
        "ValueError: bad (line 3 of the cell under “Part A — Losses › A3. `huber_loss`” that "
        "starts “def huber_loss(x):”: `return (x`)")


def test_cells_that_read_alike_are_told_apart_by_their_place():
    """A semester review: five cells starting "# ----------" under one heading, each told as
    "the cell that starts “# ----------”"; those alone get their place in the notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Part A"),
                nbformat.v4.new_code_cell("# ----------\nx = 1"),
                nbformat.v4.new_code_cell("# ----------\ny = 2"),
                nbformat.v4.new_code_cell("z = 3")]
    cells = code_cells(nb)
    assert cells[0].location == "the cell under “Part A” that starts “# ----------” (cell 2 " \
                                "of the notebook)"
    assert cells[1].location.endswith("(cell 3 of the notebook)")
    assert cells[2].location == "the cell under “Part A” that starts “z = 3”"


def test_a_skipped_cell_is_placed_once_not_twice():
    """A cell that crashed its process: its reason names the cell; the page and `show` say
    "this cell" there and place it once, under the reason."""
    where = "the cell under “Part A — Losses › A.2 `l2_penalty`” that starts “# quick experiment”"
    crashed = CellIssue(location=where, fatal=f"{where} crashed with a segmentation fault; it "
                                              "was skipped")
    late = CellIssue(location=where, fatal=f"the submission's total time limit was reached "
                                           f"during {where}; it was skipped")
    result = _result({}, [crashed, late])
    page = Page(render_feedback(result, "lab-test")).text
    assert page.count("that starts “# quick experiment”") == 2  # once per cell
    assert "This cell crashed with a segmentation fault; it was skipped" in page
    assert "limit was reached during this cell; it was skipped" in page
    shown = render(result)
    assert shown.count("that starts “# quick experiment”") == 2
    assert "- This cell crashed with a segmentation fault; it was skipped" in shown


def test_the_same_error_in_every_check_of_a_function_is_said_once():
    """An instructor's review: a function that raises repeated the same "raised ValueError …
    fix this error first" under each of its checks; said once, with the count (each check's
    own call is the only difference)."""
    def raised(call: str) -> tuple[str, str]:
        return (f"huber_loss raised ValueError: bad delta (cell 3, line 4) when called as "
                f"huber_loss({call}) — fix this error first: this check needs huber_loss to "
                "run to the end.", "raised")

    result = _result({"huber_loss: matches F.huber_loss": raised("a, b"),
                      "huber_loss: backward works": raised("c, d, delta=2.0")})
    page = Page(render_feedback(result))
    assert page.text.count("bad delta") == 1
    assert ("huber_loss raised ValueError: bad delta (cell 3, line 4) — fix this error first: "
            "its 2 checks need huber_loss to run to the end.") in page.text
    other = _result({"huber_loss: matches F.huber_loss": raised("a, b"),
                     "huber_loss: backward works": ("huber_loss: wrong gradient.", "wrong")})
    assert Page(render_feedback(other)).text.count("bad delta") == 1  # (one check raised)


def test_a_heading_or_first_line_drives_no_terminal_and_reorders_no_page():
    """Red team 67: ESC, BEL and a right-to-left override in a heading and a cell's first
    line reached feedback.html (and results.json's cell locations) raw: a TA who cats the
    page runs the student's escape codes. They are dropped where the location is made, and
    every value a page shows is cleaned too (whatever field it came from)."""
    nasty = "\x1b[31mRED\x1b]0;title\x07 \u202eevil\u200b"
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": f"## Part A {nasty}"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": f"x = 1  # {nasty}\n"}]}
    (cell,) = code_cells(nbformat.from_dict(notebook))
    assert all(c.isprintable() for c in cell.location), ascii(cell.location)
    assert "RED" in cell.location and "evil" in cell.location  # (the text itself is kept)
    issue = CellIssue(location=f"the cell under “{nasty}”", error=f"ValueError: {nasty}",
                      line=1, code=f"x = 1  # {nasty}")
    page = render_feedback(_result({}, [issue]))
    assert not any(c in page for c in "\x1b\x07\u202e\u200b"), "a control character was shown"
