"""Neutralise IPython syntax so a cell runs as plain Python in the worker.

`%matplotlib inline`, `!pip install torch` and `x = !ls` are rewritten by
IPython's own transformer into `get_ipython()...` calls, which the worker
answers with a no-op shell: nothing is installed, nothing runs in a shell,
and the rest of the cell still executes.

Every piece of IPython's own syntax (a magic, a shell escape, `obj?`, a `>>>` prompt, an
indented first line) is a syntax error in plain Python, except an `In [1]: ` prompt (an
annotated assignment to `In[1]`): so a cell without that prompt that parses as Python is left
as it is, without running IPython's tokenizer over it (~10 ms for a cell of a few hundred
lines; a `%`, `!=` or `?` in a docstring is in nearly every cell).

IPython's transformer re-tokenizes the whole cell once per line it rewrites (up to 500 times):
a cell of thousands of `!echo` lines held the judge for minutes. Its cost is estimated before
it runs (the lines it may rewrite, times the cell's size), and a cell over the budget, or a
notebook whose cells together are, is replaced by a one-line `raise` that tells the student
why: only that cell fails, as it would have failed to compile anyway.
"""

from __future__ import annotations

import ast
import functools
import re

from IPython.core.inputtransformer2 import TransformerManager

_PROMPT = re.compile(r"(?m)^In \[\d*\]: ")
# IPython's magics that run their code in the notebook's namespace, as a kernel does: the
# code is kept (the timing, capture or profile dropped), so `%%time` over a cell that defines
# a graded function defines it here too (a no-op shell would lose the function). `%%timeit`
# and `%timeit` are not here: IPython runs their code in a scope of its own (nothing kept).
_RUNS_ITS_BODY = re.compile(r"%%(?:time|capture|prun)\b")  # (a line of the cell's first ones)
# (each of several stacked magics leaves its line empty: the body's lines keep their numbers)
_RUNS_ITS_LINE = re.compile(r"(?m)^([ \t]*)%time[ \t]+(?=\S)")
_ESCAPED_ASSIGN = re.compile(r"=[ \t]*[!%]")  # `x = !ls`, `t = %timeit f()`
_ESCAPES = "!%?,;/"  # a line that starts with one of these may be IPython's syntax
MAX_PASSES = 501  # IPython gives up after 500 rewrites (RuntimeError: the cell is left as is)
# Characters tokenized, summed over IPython's passes: ~2 µs each, so ~1 s at most a cell and a
# notebook. A real cell (`!pip install …` over a few hundred lines) costs a few thousand.
CELL_BUDGET = 500_000
NOTEBOOK_BUDGET = 500_000
TOO_LARGE = "raise SyntaxError({!r})\n"
TOO_LARGE_MESSAGE = ("this cell is too large to convert its IPython syntax ({} of its {} lines use "
                     "`!`, `%` or `?`): split it into smaller cells or remove the shell and "
                     "magic lines")


class Budget:
    """What is left of one notebook's allowance for IPython's transformer."""

    def __init__(self, total: int = NOTEBOOK_BUDGET) -> None:
        self.left = total


CACHED_SOURCE = 64 * 1024  # a larger cell's tree is not kept (16 of them could be GBs)


def parse(source: str) -> ast.Module:
    """The cell's syntax tree, parsed once for the loader, the transform and the source facts
    of one notebook (a SyntaxError is raised each time; callers only read the tree)."""
    return _parse_cached(source) if len(source) <= CACHED_SOURCE else ast.parse(source)


@functools.lru_cache(maxsize=16)
def _parse_cached(source: str) -> ast.Module:
    return ast.parse(source)


def transform_cost(source: str) -> tuple[int, int]:
    """`(lines IPython may rewrite, estimated characters tokenized)`: each rewrite is one more
    pass over the whole cell. Counted with string methods and one linear regex."""
    rewrites = 0
    quadratic = 0  # IPython's own regex for `obj?` backtracks quadratically in a long line
    for line in source.splitlines():
        text = line.strip()
        if text and (text[0] in _ESCAPES or text[-1] == "?" or _ESCAPED_ASSIGN.search(text)):
            rewrites += 1
            quadratic += len(text) * len(text) // 40
    return rewrites, min(rewrites + 1, MAX_PASSES) * max(len(source), 1) + quadratic


# `%%capture [--no-stdout] [--no-stderr] [--no-display] [name]`: the name it binds
_CAPTURE_NAME = re.compile(r"%%capture((?:[ \t]+--[\w-]+)*)[ \t]+([A-Za-z_]\w*)[ \t]*")
CAPTURED = "{} = get_ipython().run_cell_magic('capture', '', '')"


def _keep_code_of_magics(source: str) -> str:
    """`%%time` / `%%capture` / `%%prun` on a cell's first line and `%time` before a
    statement replaced by the code they run (the magic's line left empty: line numbers kept).
    `%%capture name` binds `name`, as Jupyter does, to what the worker's shell gives for a
    capture (`worker._Captured`: no output kept; fresh eyes 37's `display(cap.stdout)` in the
    next cell failed, and the answers in that cell with it): before the body runs, as
    Jupyter binds it whether the body raises or not (`_bind_first`)."""
    if "%time" not in source and "%%" not in source:
        return source
    lines = source.split("\n")
    names, first = [], 0
    for i, line in enumerate(lines):  # (stacked: `%%time` over `%%capture`, in either order)
        if not line.strip():
            continue
        if not _RUNS_ITS_BODY.match(line):
            break
        named = _CAPTURE_NAME.fullmatch(line)
        if named is not None:
            names.append(named.group(2))
            first = first or i + 1
        lines[i] = ""
    source = _RUNS_ITS_LINE.sub(r"\1", "\n".join(lines))
    return _bind_first(source, "; ".join(CAPTURED.format(n) for n in names), first - 1) \
        if names else source


def _bind_first(source: str, binding: str, line: int) -> str:
    """`binding` (a statement) run first in `source`, no line moved: on the empty line
    `line` (0-based), or after the body's `from __future__` imports, which must come first."""
    try:
        body = parse(source).body
    except Exception:  # (IPython's syntax, or an error the worker reports: left first)
        body = []
    futures = [node for node in body[:64] if isinstance(node, ast.ImportFrom)
               and node.module == "__future__"]
    lines = source.split("\n")
    if not futures:
        lines[line] = binding
        return "\n".join(lines)
    last = futures[-1]
    row, col = (last.end_lineno or last.lineno) - 1, last.end_col_offset or 0
    text = lines[row].encode("utf-8")  # (offsets are in bytes)
    lines[row] = (text[:col] + f"; {binding}".encode() + text[col:]).decode("utf-8")
    return "\n".join(lines)


def to_plain_python(source: str, budget: Budget | None = None) -> str:
    """`source` as plain Python; `budget` shared by the cells of one notebook (None: a fresh
    one for this cell alone)."""
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    source = _keep_code_of_magics(source)
    if not _PROMPT.search(source):
        try:
            parse(source)
            return source
        except Exception:  # SyntaxError, and what a pathological cell makes the parser raise
            pass
    rewrites, cost = transform_cost(source)
    budget = budget if budget is not None else Budget()
    if cost > min(CELL_BUDGET, budget.left):
        return TOO_LARGE.format(TOO_LARGE_MESSAGE.format(rewrites, source.count("\n") + 1))
    budget.left -= cost
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        # Leave it: the worker will report the syntax error for this cell alone.
        return source
