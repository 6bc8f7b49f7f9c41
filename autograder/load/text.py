"""Which characters of a student's text may be shown to a person.

Why one place: a notebook's headings and lines, a worker's report of an exception and the
names in an upload all reach pages, terminals and CSV files. Escaping stops markup, not a
terminal's ESC, a BEL, a right-to-left override that reorders what is read, or a zero-width
character that hides text (red team 67: a heading's ESC and BEL reached feedback.html). The
loader (the first stage), the protocol and the reports all read the set here.
"""

from __future__ import annotations

import re

# What reorders or hides text without being a C0/C1 control: zero-width characters and
# marks, line/paragraph separators, bidi embeddings, overrides and isolates, invisible
# operators, the byte-order mark, the Arabic letter mark, interlinear annotations and tag
# characters (red team 71); and lone surrogates (text holding one cannot be written as UTF-8).
INVISIBLE = ("\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
             "\U000e0000-\U000e007f\ud800-\udfff")
# ... and the C0 and C1 controls and DEL with them
CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}]")


def without_controls(text: str) -> str:
    """`text` with every control and invisible character gone (one that is whitespace, a tab
    or a newline, becomes a space)."""
    return CONTROL.sub(lambda m: " " if m.group().isspace() else "", text)


# The quotes the grader puts around what a student wrote: the student's own are shown straight,
# so that nothing a name or heading holds closes the grader's quote and goes on in its voice
# (red team 80's heading; red team 82's file name `lab05.pdf) and lab05.ipynb, graded in full`)
_OWN_QUOTES = str.maketrans({"“": '"', "”": '"'})


def straight_quotes(text: str) -> str:
    return text.translate(_OWN_QUOTES)


def in_quotes(text: str, limit: int) -> str:
    """What a student wrote, inside the grader's words from the first stage on: no control
    or invisible character, cut to `limit`, in “ ” quotes nothing it holds can close (red
    team 98: a notebook's nbformat version, a string, read as the grader's "graded 135 of
    135" in the row's reason)."""
    return f"“{straight_quotes(without_controls(text))[:limit]}”"
