"""Loading a notebook costs linear time in its size, whatever the student wrote (RT6 B6, B7)."""

from __future__ import annotations

import re

import nbformat

from autograder.load.notebook import code_cells, markdown_headings
from autograder.load.transform import TOO_LARGE_MESSAGE, Budget, to_plain_python

_OLD_HEADING = r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$"


def _old_headings(source: str) -> list[tuple[int, str]]:
    """The pattern markdown_headings used before (cubic on a long run of spaces)."""
    from autograder.load.notebook import shorten

    found, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else re.match(_OLD_HEADING, line)
        if match and match.group(2):
            found.append((len(match.group(1)), shorten(match.group(2), 80)))
    return found


TYPICAL = [
    "# Lab 5", "## Part A — regression", "### A3. `huber_loss`", "  #### indented 2",
    "   ##### three spaces", "    # four spaces: code", "###### six", "####### seven",
    "#no space", "#", "# ", "#   ", "## closing ##", "## closing ##   ", "# a # #", "# foo#",
    "# ###", "#\tTab heading", "## x\t##\t", "# \u00a0nbsp\u00a0", "#\u00a0only-nbsp-sep",
    "## **bold** _it_ [link](http://x) ##", "text # not heading", "```\n# in fence\n```\n# after",
    "# a" + " " * 50 + "b", "#" * 3 + " " * 20 + "#" * 5 + " " * 3,
]


def test_headings_match_the_old_pattern_on_typical_headings() -> None:
    for line in TYPICAL:
        assert markdown_headings(line) == _old_headings(line), line
    assert markdown_headings("\n".join(TYPICAL)) == _old_headings("\n".join(TYPICAL))


def test_a_heading_of_100k_spaces_is_read_in_linear_time() -> None:
    # Before: 5 lines of "# a" + 4000 spaces + "b" took ~400 s; this would never end.
    line = "# a" + " " * 100_000 + "b"
    assert markdown_headings("\n".join([line] * 5)) == [(1, "a b")] * 5
    assert markdown_headings("#" + " " * 100_000 + "#" * 50_000 + " " * 100_000) == []


def test_a_normal_magic_cell_is_still_converted() -> None:
    plain = to_plain_python("!pip install torch\n%matplotlib inline\nx = !ls\nprint(x)")
    assert "get_ipython().system('pip install torch')" in plain
    assert "get_ipython().run_line_magic('matplotlib', 'inline')" in plain
    assert "x = get_ipython().getoutput('ls')" in plain
    assert plain.endswith("print(x)\n")


def test_a_cell_of_many_shell_lines_is_refused_without_running_ipython() -> None:
    # Before: ~1.3 s per 250 lines, growing with the square (60,000 lines: ~10 min).
    source = "\n".join(f"!echo {i}" for i in range(3000))
    plain = to_plain_python(source)
    assert plain.startswith("raise SyntaxError(")
    assert "too large to convert its IPython syntax (3000 of its 3000 lines" in plain
    compile(plain, "<cell 1>", "exec")  # the cell fails with the message, as its own error


def test_a_long_help_line_is_refused() -> None:
    # IPython's `obj?` regex is quadratic in the line: 8,000 characters took ~3 s.
    plain = to_plain_python("a" * 20_000 + ".?")
    assert plain.startswith("raise SyntaxError(")


def test_the_budget_is_shared_by_the_notebook_and_other_cells_still_convert() -> None:
    cells = [nbformat.v4.new_code_cell("\n".join(f"!echo {i}" for i in range(150)))
             for _ in range(20)]
    cells.append(nbformat.v4.new_code_cell("y = 1"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    loaded = code_cells(notebook)
    converted = [c for c in loaded if c.source.startswith("get_ipython()")]
    refused = [c for c in loaded if c.source.startswith("raise SyntaxError(")]
    assert converted and refused and len(converted) + len(refused) == 20
    assert loaded[-1].source == "y = 1"
    budget = Budget()
    to_plain_python("!ls", budget)
    assert 0 < budget.left < Budget().left


def test_the_message_names_the_fix() -> None:
    assert "split it into smaller cells" in TOO_LARGE_MESSAGE


def _notebook(cells: list[dict[str, object]], **metadata: object) -> str:
    import json

    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4,
                       "nbformat_minor": 5})


def test_a_notebook_of_millions_of_json_objects_is_refused_before_it_is_parsed(
        tmp_path) -> None:
    """Red team 64: 32 MB of `{}` in the metadata (a 36 KB zip) took the grading process to
    6.8 GB parsing it twice; 60 MB of empty markdown cells, 2.5 GB. Counted first, refused."""
    import pytest

    from autograder.load.notebook import MAX_JSON_CONTAINERS, InvalidNotebook, read_submission

    code = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
            "execution_count": None}
    flooded = {
        "metadata": _notebook([code], flood=[{}] * (MAX_JSON_CONTAINERS + 1)),
        "markdown": _notebook([code, *[{"cell_type": "markdown", "source": "",
                                        "metadata": {}}] * (MAX_JSON_CONTAINERS // 2)]),
    }
    for name, text in flooded.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_text(text)
        with pytest.raises(InvalidNotebook, match="JSON objects and lists"):
            read_submission(path, name, 64)


def test_brackets_inside_strings_do_not_count() -> None:
    """Code and outputs full of brackets (a printed dict) are text, not structure."""
    from autograder.load.notebook import MAX_JSON_CONTAINERS, _containers, _parse

    cell = {"cell_type": "code", "source": "d = {'a': [1]}\n" + "{[" * MAX_JSON_CONTAINERS,
            "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout",
                                         "text": '{"k": "\\" {"}\n' * 1000}],
            "execution_count": 1}
    text = _notebook([cell])
    # the notebook and its metadata, the cells, the cell, its metadata, outputs and output
    assert _containers(text) == 7
    assert len(_parse(text).cells) == 1


def test_an_unclosed_string_is_counted_in_one_reading() -> None:
    """Red team 66: past the quick count, one opening quote and then 120,000 escaped quotes:
    each began a match of a closed string that read to the end and failed (quadratic: 11
    minutes in a judge for 440 KB). A match that begins at a quote now always succeeds, an
    unclosed string ending with the text, so no quote is a new start; the JSON is refused as
    it is (not valid) once counted."""
    import pytest

    from autograder.load.notebook import (
        _JSON_STRING,
        MAX_JSON_CONTAINERS,
        InvalidNotebook,
        _containers,
        _parse,
    )

    for tail in ('\\"' * 120_000, '\\"' * 120_000 + "\\", "\\" * 240_001):
        text = "{" * (MAX_JSON_CONTAINERS + 1) + '"' + tail
        found = _JSON_STRING.match(text, MAX_JSON_CONTAINERS + 1)
        assert found is not None and found.end() >= len(text) - 1  # (a lone last backslash)
        assert _containers(text) == MAX_JSON_CONTAINERS + 1
        with pytest.raises(InvalidNotebook):
            _parse(text)
