"""load/ alone: what is read from a submitted file before anything runs. Every unreadable
file is an InvalidNotebook with a message a student can act on; IPython syntax is rewritten
so the worker never runs a shell or a magic."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from autograder.load.notebook import InvalidNotebook, read_submission
from autograder.load.transform import to_plain_python


def notebook(*sources: str, **metadata: object) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(metadata)
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def save(tmp_path: Path, content: bytes | str | nbformat.NotebookNode) -> Path:
    path = tmp_path / "submission.ipynb"
    if isinstance(content, nbformat.NotebookNode):
        content = nbformat.writes(content)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refused(tmp_path: Path, content: bytes | str | nbformat.NotebookNode, max_mb: float = 64) -> str:
    with pytest.raises(InvalidNotebook) as caught:
        read_submission(save(tmp_path, content), "s1", max_mb)
    return str(caught.value)


def test_a_plain_notebook_is_read_with_its_code_cells(tmp_path: Path) -> None:
    nb = notebook("import torch", "def f(x):\n    return x")
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("## Part A"))
    submission = read_submission(save(tmp_path, nb), "s1", 64)
    assert submission.submission_id == "s1"
    assert [c.source for c in submission.cells] == ["import torch", "def f(x):\n    return x"]
    assert submission.cells[1].defines == ("f",)
    assert len(submission.sha256) == 64


def test_an_empty_file(tmp_path: Path) -> None:
    assert "empty (0 bytes)" in refused(tmp_path, b"")


def test_a_file_over_the_size_limit(tmp_path: Path) -> None:
    assert "limit" in refused(tmp_path, notebook("x = 1"), max_mb=1e-5)


def test_invalid_json(tmp_path: Path) -> None:
    assert "invalid JSON at line 1" in refused(tmp_path, '{"cells": [')


def test_json_that_is_not_a_notebook(tmp_path: Path) -> None:
    assert "not a Jupyter notebook" in refused(tmp_path, json.dumps({"hello": 1}))
    assert "not a Jupyter notebook" in refused(tmp_path, json.dumps([1, 2]))


def test_non_utf8_bytes(tmp_path: Path) -> None:
    text = nbformat.writes(notebook("s = 'café'")).encode("latin-1")
    assert "not UTF-8" in refused(tmp_path, text)


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    raw = b"\xef\xbb\xbf" + nbformat.writes(notebook("x = 1")).encode("utf-8")
    assert read_submission(save(tmp_path, raw), "s1", 64).cells[0].source == "x = 1"


def test_an_nbformat_3_notebook_is_upgraded(tmp_path: Path) -> None:
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
          "worksheets": [{"cells": [
              {"cell_type": "code", "input": "y = 2", "language": "python", "outputs": []},
              {"cell_type": "markdown", "source": "text"}]}]}
    submission = read_submission(save(tmp_path, json.dumps(v3)), "s1", 64)
    assert [c.source for c in submission.cells] == ["y = 2"]


def test_an_r_kernel_is_refused(tmp_path: Path) -> None:
    nb = notebook("x <- 1", kernelspec={"name": "ir", "display_name": "R", "language": "R"})
    assert "kernel is “R”, not Python" in refused(tmp_path, nb)


def test_a_kernel_language_is_quoted_short(tmp_path: Path) -> None:
    # The reason is copied into every check's row: a 2 MB language name must not be.
    nb = notebook("x = 1", kernelspec={"name": "x", "display_name": "x", "language": "Z" * 10**6})
    assert len(refused(tmp_path, nb)) < 200


@pytest.mark.parametrize("metadata", [{"kernelspec": "python3"}, {"language_info": ["py"]},
                                      {"kernelspec": None}])
def test_metadata_of_the_wrong_types_reads_as_absent(tmp_path: Path, metadata) -> None:
    nb = json.loads(nbformat.writes(notebook("x = 1")))
    nb["metadata"] = metadata
    assert [c.source for c in read_submission(save(tmp_path, json.dumps(nb)), "s1", 64).cells] \
        == ["x = 1"]


def test_json_nested_thousands_deep_is_one_invalid_notebook(tmp_path: Path) -> None:
    nb = nbformat.writes(notebook("x = 1"))
    deep = nb.replace('"metadata": {', '"metadata": {"deep": ' + "[" * 100_000 + "]" * 100_000
                      + ", ", 1)
    assert "cannot be read (RecursionError)" in refused(tmp_path, deep)


def test_a_cell_too_deep_for_the_parser_still_loads(tmp_path: Path) -> None:
    # (the worker reports the cell's own error; the loader must not end the batch)
    submission = read_submission(save(tmp_path, notebook("x = " + "-" * 6000 + "1", "y = 2")),
                                 "s1", 64)
    assert submission.cells[1].defines == ("y",)


def test_no_code_at_all(tmp_path: Path) -> None:
    assert "no code cells" in refused(tmp_path, notebook("   ", "\n"))


def test_a_cell_whose_source_is_not_text(tmp_path: Path) -> None:
    nb = json.loads(nbformat.writes(notebook("x = 1")))
    nb["cells"][0]["source"] = {"not": "text"}
    assert refused(tmp_path, json.dumps(nb))


# ---------------------------------------------------------------- transform.py
def test_magics_and_shell_commands_are_neutralised() -> None:
    source = "%matplotlib inline\n!pip install torch\nfiles = !ls\nx = 1"
    plain = to_plain_python(source)
    assert "get_ipython()" in plain
    assert "!pip" not in plain and "%matplotlib" not in plain
    compile(plain, "cell", "exec")  # plain Python now
    assert plain.rstrip().endswith("x = 1")


def test_plain_python_is_left_alone() -> None:
    source = ("\n\nratio = 3 % 2\nflag = a != b\n"
              "def f():\n    \"\"\"What? 100%!\"\"\"\n    return '%d?' % 3  # why?\n")
    assert to_plain_python("y = 1") == "y = 1"
    assert to_plain_python(source) == source  # parsed as Python: IPython's syntax is not


def test_ipython_syntax_is_never_plain_python() -> None:
    """The fast path's premise: each form IPython rewrites fails to parse as Python."""
    for line in ("%time x", "%%bash", "!ls", "files = !ls", "t = %timeit f()", "obj?",
                 "?obj", "obj??", ">>> x = 1", "  x = 1", "/f 1 2", ",f a b",
                 ";f a b"):
        with pytest.raises(SyntaxError):
            ast.parse(line)
        if any(c in line for c in "%!?"):  # (the others are left to the worker's error)
            assert to_plain_python(line + "\ny = 2") != line + "\ny = 2", line
    # the one prompt that is valid Python (In[1] annotated) still goes through IPython
    assert to_plain_python("In [1]: x = 1 % 2\n") == "x = 1 % 2\n"


@pytest.mark.parametrize("cell", [
    "%%time\ndef mse_loss(a, b):\n    return a - b\n",
    "\n%%capture captured\ndef mse_loss(a, b):\n    return a - b\n",
    "%%prun -s cumulative\ndef mse_loss(a, b):\n    return a - b\n",
    "%time mse_loss = lambda a, b: a - b\n",
    "%%time\n!echo training\n%time mse_loss = lambda a, b: a - b\n",
])
def test_magics_that_run_their_code_in_the_notebook_keep_what_it_defines(cell: str) -> None:
    """`%%time` / `%%capture` / `%%prun` over a cell and `%time` before a statement run the
    code in the notebook's namespace in a kernel (a fresh-eyes tester's Colab-style notebook
    lost every check of the function a `%%time` cell defined): the code is kept here too."""
    namespace: dict[str, object] = {"get_ipython": lambda: type(
        "NoShell", (), {"__getattr__": lambda self, name: lambda *a, **k: None})()}
    exec(compile(to_plain_python(cell), "cell", "exec"), namespace)
    assert namespace["mse_loss"](3, 1) == 2  # type: ignore[operator]


def test_timeit_keeps_nothing_as_in_a_kernel() -> None:
    """IPython runs `%%timeit`'s code in a scope of its own: nothing it defines is kept."""
    for cell in ("%%timeit\nx = 1\n", "%timeit x = 1\n"):
        namespace: dict[str, object] = {"get_ipython": lambda: type(
            "NoShell", (), {"__getattr__": lambda self, name: lambda *a, **k: None})()}
        exec(compile(to_plain_python(cell), "cell", "exec"), namespace)
        assert "x" not in namespace


def test_a_syntax_error_is_left_for_the_worker_to_report() -> None:
    plain = to_plain_python("def broken(:\n    %time x")  # never raises here
    with pytest.raises(SyntaxError):
        compile(plain, "cell", "exec")


def test_magics_in_a_submission_are_rewritten_when_read(tmp_path: Path) -> None:
    submission = read_submission(save(tmp_path, notebook("%load_ext autoreload\nz = 3")), "s1", 64)
    assert "get_ipython()" in submission.cells[0].source


def test_each_cell_is_parsed_once_for_the_loader_and_the_source_facts(tmp_path: Path,
                                                                      monkeypatch) -> None:
    from autograder.check.static import SourceFacts
    from autograder.load import transform

    parsed: list[str] = []
    real_parse = ast.parse

    def counting_parse(source: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(transform.ast, "parse", counting_parse)
    transform._parse_cached.cache_clear()
    cell = "def f(x):\n    \"\"\"Why? 100%!\"\"\"\n    return F.softmax(x, dim=1)  # !\n"
    submission = read_submission(save(tmp_path, notebook(cell, "answer = 'b'")), "s1", 64)
    facts = SourceFacts.from_submission(submission)
    assert submission.cells[0].defines == ("f",) and facts.library_calls("f") == {"softmax"}
    assert sorted(parsed) == sorted([cell, "answer = 'b'"])  # once each


def test_a_notebook_past_the_code_cell_cap_is_refused_by_its_count(tmp_path: Path) -> None:
    path = save(tmp_path, notebook(*(f"x{i} = {i}" for i in range(31))))
    with pytest.raises(InvalidNotebook, match=r"31 code cells \(limit 30\)"):
        read_submission(path, "s1", 64, max_code_cells=30)
    at_cap = read_submission(save(tmp_path, notebook(*(f"x{i} = {i}" for i in range(30)))),
                             "s1", 64, max_code_cells=30)
    assert len(at_cap.cells) == 30
    assert at_cap.cell(30) is at_cap.cells[-1] and at_cap.cell(31) is None


def test_a_notebook_past_the_code_size_cap_is_refused_before_any_parsing(tmp_path: Path,
                                                                         monkeypatch) -> None:
    """An outside red team's 44 MB of one-character statements: parsed in the grader's own
    process (~900 bytes of tree each) it took that process's memory and every row it held."""
    from autograder.load import transform

    parsed: list[str] = []
    real_parse = ast.parse

    def counting_parse(source: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(source)
        return real_parse(source, *args, **kwargs)

    path = save(tmp_path, notebook("x;" * 40 * 1024, "y = 1"))
    monkeypatch.setattr(transform.ast, "parse", counting_parse)
    with pytest.raises(InvalidNotebook, match=r"80 KB of source \(limit 64 KB\)"):
        read_submission(path, "s1", 64, max_code_kb=64)
    assert not any(source.startswith("x;") for source in parsed)
    assert len(read_submission(path, "s1", 64, max_code_kb=96).cells) == 2


def test_a_large_cell_is_parsed_without_keeping_its_tree() -> None:
    from autograder.load import transform

    transform._parse_cached.cache_clear()
    transform.parse("y = 2\n" * (transform.CACHED_SOURCE // 6 + 1))
    transform.parse("y = 2\n")
    assert transform._parse_cached.cache_info().currsize == 1


def test_a_notebook_without_cell_ids_is_read_without_a_warning(tmp_path: Path) -> None:
    """An older Jupyter writes no cell ids (nbformat 4.4): nbformat's MissingIDFieldWarning
    went to the instructor's terminal for each such notebook (ops review 22)."""
    raw = json.loads(nbformat.writes(notebook("x = 1")))
    raw["nbformat_minor"] = 5
    for cell in raw["cells"]:
        cell.pop("id", None)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        submission = read_submission(save(tmp_path, json.dumps(raw)), "s1", 64)
    assert [c.source for c in submission.cells] == ["x = 1"]



@pytest.mark.parametrize("magics", ["%%time\n%%capture", "%%capture\n%%time",
                                    "\n%%prun\n%%time\n%%capture"])
def test_stacked_cell_magics_keep_the_code_they_run(magics: str) -> None:
    """Each of several stacked magics leaves its line empty, as Jupyter runs the body (fresh
    eyes 23: the graded function under `%%time` and `%%capture` was never defined)."""
    plain = to_plain_python(f"{magics}\ndef f(x):\n    return x\n")
    assert plain.strip() == "def f(x):\n    return x"
    assert plain.count("\n") == magics.count("\n") + 3  # (line numbers kept)


@pytest.mark.parametrize("magics", ["%%capture cap", "%%capture --no-stderr cap",
                                    "%%time\n%%capture cap", "%%capture cap\n%%time"])
@pytest.mark.parametrize("future", ["", "from __future__ import annotations  # (first)\n"])
def test_a_named_capture_binds_its_name_before_its_body(magics: str, future: str) -> None:
    """`%%capture cap` binds `cap` as Jupyter does, whether the body raises or not (fresh eyes
    37: `display(cap.stdout)` in the next cell raised NameError, and the answers in that
    cell were lost); a `from __future__` import stays first, and the lines keep their
    numbers."""
    body = f"{future}def f(x):\n    return x\nraise ValueError"
    plain = to_plain_python(f"{magics}\n{body}")
    assert plain.count("\n") == magics.count("\n") + body.count("\n") + 1
    assert plain.split("\n")[-1] == "raise ValueError"
    captured = object()
    namespace: dict[str, object] = {"get_ipython": lambda: type(
        "Shell", (), {"run_cell_magic": lambda self, *a: captured})()}
    with pytest.raises(ValueError):
        exec(compile(plain, "cell", "exec"), namespace)
    assert namespace["cap"] is captured and namespace["f"](3) == 3  # type: ignore[operator]


def test_a_cell_is_quoted_with_no_quote_of_its_own_closing_the_graders() -> None:
    """Outside red team 80: a heading and first line that closed the grader's “ ” quotes and
    went on in its voice (a forged "duplicate: same bytes as <classmate>") read as the
    grader's verdict. The notebook's own curly quotes are shown straight."""
    from autograder.load.notebook import Cell

    cell = Cell(3, "x", headings=("Extra” that starts “x",),
                first_line="# graded; duplicate: same bytes as doejane (”")
    said = cell.location
    assert said.count("“") == 2 and said.count("”") == 2, said
    assert said.startswith('the cell under “Extra" that starts "x”'), said


@pytest.mark.parametrize("field", ["nbformat", "kernel"])
def test_a_version_or_kernel_the_notebook_names_is_quoted(tmp_path: Path, field: str) -> None:
    """Red team 98: the notebook's nbformat (a string) or kernel language came back in the
    reason unquoted, reading as the grader's own "graded 135 of 135"."""
    claim = "x; graded in full: 135 of 135 (no action needed)"
    nb = json.loads(nbformat.writes(notebook("x = 1")))
    if field == "nbformat":
        nb["nbformat"] = claim
    else:
        nb["metadata"]["kernelspec"] = {"name": "x", "display_name": "x", "language": claim}
    reason = refused(tmp_path, json.dumps(nb))
    assert "“" in reason and claim[:30] in reason.split("“", 1)[1].split("”", 1)[0]


@pytest.mark.parametrize("minor", ["x", 1e400])
def test_a_malformed_version_is_named_in_the_reason(tmp_path: Path, minor: object) -> None:
    """... and a minor version nbformat cannot read gave "cannot be read: " and nothing."""
    nb = json.loads(nbformat.writes(notebook("x = 1")))
    nb["nbformat_minor"] = minor
    reason = refused(tmp_path, json.dumps(nb))
    assert reason.startswith("the notebook is malformed") and "(nbformat: " in reason
    assert not reason.split("(nbformat: ", 1)[1].startswith(")")
