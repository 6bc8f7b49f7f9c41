"""Neutralise IPython syntax so a cell runs as plain Python in the worker.

`%matplotlib inline`, `!pip install torch` and `x = !ls` are rewritten by
IPython's own transformer into `get_ipython()...` calls, which the worker
answers with a no-op shell: nothing is installed, nothing runs in a shell,
and the rest of the cell still executes.
"""

from __future__ import annotations

from IPython.core.inputtransformer2 import TransformerManager


def to_plain_python(source: str) -> str:
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        # Leave it: the worker will report the syntax error for this cell alone.
        return source
