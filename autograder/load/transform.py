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
"""

from __future__ import annotations

import ast
import functools
import re

from IPython.core.inputtransformer2 import TransformerManager

_PROMPT = re.compile(r"(?m)^In \[\d*\]: ")


@functools.lru_cache(maxsize=16)
def parse(source: str) -> ast.Module:
    """The cell's syntax tree, parsed once for the loader, the transform and the source facts
    of one notebook (a SyntaxError is raised each time; callers only read the tree)."""
    return ast.parse(source)


def to_plain_python(source: str) -> str:
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    if not _PROMPT.search(source):
        try:
            parse(source)
            return source
        except Exception:  # SyntaxError, and what a pathological cell makes the parser raise
            pass
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        # Leave it: the worker will report the syntax error for this cell alone.
        return source
