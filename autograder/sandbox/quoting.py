"""What feedback may quote of what a submission produced: deny by default.

A student's code runs with the hidden inputs in reach, so anything of its own making that a
message repeats — an exception's words, its type's name, a returned object's class name, a
returned tensor's shape — can spell those inputs out (outside red teams did it with
messages joined by "|", base64, class names made at run time and the sizes of an empty
tensor). So each is quoted only as far as it cannot: a message where the notebook's code
holds it word for word, a type or class the notebook defines or a library the judge has
loaded holds under that very name, a shape whose sizes are ones the grader itself gave the
student in the running check; the rest is cut or withheld, with words that say so.

One submission at a time per judge: `quoting_from` names the notebook, `new_check` starts a
check's record of the sizes it sent.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from typing import Any

import torch

from autograder.sandbox import protocol

# Longest excerpts of the student's exception that feedback may quote: a type name is an
# identifier (a 200 KB one turned feedback pages into 11 MB); a message one short paragraph.
MAX_TYPE_NAME = 80
MAX_MESSAGE = 300
# Four or more numbers in a row (a tensor's or a list's values), whatever separates them
_NUMBER_RUN = re.compile(r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+|nan|inf)"
                         r"(?:[\s,;\]\[()]+[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+|nan|inf)){3,}",
                         re.IGNORECASE)
MAX_WHERE = 80
_WHERE = re.compile(r"cell \d+, line \d+")
_WHERE_LINE = re.compile(r"cell (\d+), line (\d+)")
UNUSUAL_TYPE = "an exception with an unusual type name"


# The code of the notebook the judge is grading (`quoting_from`): what an error's words may
# be quoted from. One submission at a time per judge; "" before the first.
_QUOTABLE: dict[str, Any] = {"code": "", "lines": {}, "facts": None}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_LONG_NUMBER = re.compile(r"[-+]?(?:\d[\d_]{4,}|\d*\.\d+|\d+\.\d*)(?:e[-+]?\d+)?",
                          re.IGNORECASE)
_LONG_WORD = re.compile(r"[A-Za-z0-9_+/=]{25,}")
WITHHELD = "(its message is not quoted: it is made from the values of the call)"
# A word of letters and digits (`p1647`: a letter glued to a hidden value, past the cut of
# numbers), kept only when it is a dtype, a device or a dimension count
_MIXED = re.compile(r"\b(?=[A-Za-z_]*\d)(?=\d*[A-Za-z_])[A-Za-z0-9_]+\b")
_SAFE_MIXED = re.compile(r"(?:b?float|u?int|complex)(?:8|16|32|64|128)|[Ff]loat(?:16|32|64)|"
                         r"[0-4]D|dim\d|[a-z]+[12]|\d{1,3}x\d{1,3}")
_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
MAX_NUMBERS = 4  # a message's numbers quoted, of at most 3 digits (sizes, a dim), the rest cut
# Names a library's message quotes that carry nothing of a call ("'NoneType' object has no
# attribute ..."): Python's built-in names and the types a student's code meets most
_TYPE_WORDS = frozenset(dir(builtins)) | frozenset({
    "NoneType", "Tensor", "Parameter", "Module", "Sequential", "Linear", "DataLoader",
    "TensorDataset", "Generator", "device", "dtype", "ndarray", "float32", "float64", "int64",
    "Long", "Float", "Double", "Int", "Bool", "cpu", "cuda", "meta", "mean", "sum", "none"})


def quoting_from(code: str, lines: dict[int, int] | None = None) -> None:
    """The notebook whose errors are quoted from now on (`StudentSession`): its code, joined,
    and each code cell's number of lines by its index (a "where" must name one of them)."""
    _QUOTABLE.update(code=code, lines=dict(lines or {}), facts=None)


def _quotable(fact: str) -> frozenset[str]:
    """The notebook's names, string constants or classes (`quoting_from`), read from its code
    the first time an error of it is quoted (most notebooks' never are: parsing every
    notebook for them cost the judge ~3 % of a submission)."""
    facts = _QUOTABLE.get("facts")
    if facts is None:
        code = _QUOTABLE["code"]
        literals, classes = _string_literals(code)
        facts = _QUOTABLE["facts"] = {"names": frozenset(_IDENTIFIER.findall(code)),
                                      "literals": literals, "classes": classes}
    return facts[fact]  # type: ignore[no-any-return]


def _string_literals(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """The string constants the notebook's code holds (its cells parsed one by one: a cell
    that does not parse gives none), at most `MAX_LITERALS` of them: a message is quoted only
    as one of these, so the choice among them is all a message can say of a call (an outside
    red team put a 100 KB table of every 5-digit string in a comment)."""
    found: set[str] = set()
    classes: set[str] = set()  # (the exception classes it defines: their names may be said)
    for cell in code.split(_CELL_BREAK):
        try:
            tree = ast.parse(cell)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and 0 < len(node.value) <= 300:
                found.add(node.value.strip().splitlines()[0][:160] if node.value.strip() else "")
            elif isinstance(node, ast.ClassDef):
                classes.add(node.name)
        if len(found) > MAX_LITERALS or len(classes) > MAX_LITERALS:
            return frozenset(), frozenset()  # (a table, not messages: none quoted)
    found.discard("")
    return frozenset(found), frozenset(classes)


MAX_LITERALS = 500
_CELL_BREAK = "\n#%%cell%%\n"


def real_where(where: str) -> str:
    """A "cell N, line M" that names a line of the notebook's code cells, else "" (an outside
    red team compiled code under `<cell DIGITS>`: the digits were the hidden inputs)."""
    match = _WHERE_LINE.fullmatch(where)
    lines = _QUOTABLE["lines"]
    if match is None or not lines:
        return where if match is not None and not lines else ""
    cell, line = int(match[1]), int(match[2])
    return where if cell in lines and 1 <= line <= lines[cell] else ""


def quotable_message(message: str, own: bool) -> str:
    """The first line of an error's message as feedback may quote it, deny by default: the
    student's code raised it with the values the judge called it with in reach, and
    feedback never shows a hidden input (an outside red team's functions raised them joined
    by "|" and in base64, past the cut of number runs: every mse_loss input, in the student's
    own page). Quoted whole where it is one of the notebook's string constants (a message
    written as a literal: nothing of the call in it but which one); else, raised by the
    student's own line, withheld (`WITHHELD`); raised inside a library, with what a call
    could have put in it cut: quoted text other than a name of the notebook's, numbers of
    four or more digits or with a fraction, runs of numbers, long runs of letters and digits
    (base64), words glued to digits (dtypes and shapes aside), every number past the
    fourth."""
    first = message.strip().splitlines()[0][:160] if message.strip() else ""
    if not first or first in _quotable("literals"):
        return first
    if own:
        return WITHHELD
    names = _quotable("names") | _TYPE_WORDS

    def quoted(match: re.Match[str]) -> str:
        inner = match.group()[1:-1]
        return match.group() if inner in names else "…"

    cut = _QUOTED.sub(quoted, first)
    cut = _NUMBER_RUN.sub("…", cut)
    cut = _LONG_WORD.sub("…", cut)
    cut = _LONG_NUMBER.sub("…", cut)
    cut = _MIXED.sub(lambda m: m.group() if _SAFE_MIXED.fullmatch(m.group()) else "…", cut)
    kept = 0

    def few(match: re.Match[str]) -> str:  # (a shape's sizes, a dim: a few small numbers)
        nonlocal kept
        kept += 1
        return match.group() if kept <= MAX_NUMBERS and len(match.group()) <= 3 else "…"

    return _NUMBER.sub(few, cut)


def quotable_problem(text: object) -> str:
    """A worker's "<Type>: <message>" of an error (a gradient that could not be taken, raised
    in a backward of the student's own on the hidden inputs), as feedback may quote it: its
    type and message each as `_quotable_type` and `quotable_message` allow."""
    if text in ("detached", "not a tensor"):  # (the harness's own words: `harness.gradients`)
        return str(text)
    kind, _, message = protocol.clean_text(str(text), MAX_MESSAGE).partition(": ")
    kind = kind if kind.replace(".", "").replace("_", "").isalnum() else UNUSUAL_TYPE
    said = _quotable_type(kind, ())
    cut = quotable_message(message, own=False) if message else ""
    return f"{said}: {cut}" if cut else said


def _quotable_type(kind: str, kinds: tuple[str, ...]) -> str:
    """An exception's type name as feedback may quote it: a built-in exception, or a class
    the notebook's code defines; else (a name made at run time could spell a hidden input;
    torch's own), its nearest built-in kind."""
    last = kind.rsplit(".", 1)[-1]
    if not kind or kind == UNUSUAL_TYPE or last in _quotable("classes") or (
            "." not in kind and isinstance(getattr(builtins, kind, None), type)):
        return kind
    return f"{kinds[0]} of another class" if kinds else UNUSUAL_TYPE


def quotable_class(description: str) -> str:
    """The class a reply names (`module.Name` as the worker writes it, or a module's bare
    name) as feedback may say it: its name where the notebook's code defines a class of that
    name, where it is a built-in type, or where a module the judge has itself loaded holds a
    class under that very path (torch's, numpy's: never imported for the asking); "" otherwise
    (a class made at run time can be named after the hidden inputs: an outside red team's
    `accuracy` returned a `P1220012001…` object spelling its call's labels)."""
    module, _, name = description.strip().rpartition(".")
    if not name.isidentifier() or len(name) > MAX_TYPE_NAME:
        return ""
    if name in _quotable("classes") or (module in ("", "builtins")
                                        and isinstance(getattr(builtins, name, None), type)):
        return name
    owner = sys.modules.get(module) if module else None
    if owner is None and not module:  # (a module's bare class name: torch.nn's own)
        owner = sys.modules.get("torch.nn")
    found = getattr(owner, name, None) if owner is not None else None
    return name if isinstance(found, type) else ""


_DESCRIBED_DTYPE = re.compile(r"(?P<kind>[\w.]{1,120}) of dtype (?P<dtype>[\w.]{1,40})")


def quotable_dtype_description(description: str) -> str:
    """"torch.Tensor of dtype torch.complex64" (a value of a dtype the wire does not carry),
    as feedback may say it: the class as `quotable_class` allows, the dtype where torch or
    numpy knows it by that name; "" otherwise."""
    match = _DESCRIBED_DTYPE.fullmatch(description.strip())
    if match is None:
        return ""
    kind = quotable_class(match["kind"])
    dtype = match["dtype"]
    numpy = sys.modules.get("numpy")
    known = isinstance(getattr(torch, dtype.removeprefix("torch."), None), torch.dtype) or (
        numpy is not None and dtype in getattr(numpy, "sctypeDict", {}))
    if not kind or not known:
        return ""
    return f"{'tensor' if kind == 'Tensor' else kind} of dtype {dtype.removeprefix('torch.')}"


# Sizes the grader gave the student in the running check (`new_check`, `gave`): a returned
# shape is quoted where each of its sizes is one of them, one off one, 0, 1 or the expected
# shape's; the rest are cut (an outside red team's mse_loss returned `torch.empty(0, 442,
# 1166, 419, 781, 307)`: its call's predictions, ×100, in the sizes of an empty tensor).
_SIZES: set[int] = set()
MAX_SHAPE_DIMS = 4  # a shape of more dimensions is said as such (not how many)
_GAVE_ITEMS = 64


def new_check() -> None:
    """A check begins: no size of it given yet."""
    _SIZES.clear()


def gave(value: Any, depth: int = 0) -> None:
    """Note the sizes of what the grader sends the student's code: every tensor's
    dimensions and every small integer (a `num_classes`), in lists and dicts too."""
    if isinstance(value, torch.Tensor):
        _SIZES.update(int(n) for n in value.shape)
    elif isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 1 << 20:
            _SIZES.add(value)
    elif depth < 3 and isinstance(value, (list, tuple)):
        for item in value[:_GAVE_ITEMS]:
            gave(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in list(value.values())[:_GAVE_ITEMS]:
            gave(item, depth + 1)


def quotable_count(count: int, most: int) -> str:
    """A count of the student's making — calls it made, entries it returned — as feedback
    may say it: the number up to `most` (what the grader asked for and a little beyond), else
    "more than `most`" (an outside red team's fit appended 447, 213 and 713 entries to its
    lists: hidden labels, told back as the lists' lengths)."""
    return str(count) if 0 <= count <= most else f"more than {most}"


def quotable_shape(shape: Any, expected: Any = ()) -> str:
    """A returned tensor's shape as feedback may say it, "(25, 3)": each size one the grader
    gave in the running check (or one off it), 0, 1 or one of `expected`'s, else "…"; more
    than `MAX_SHAPE_DIMS` dimensions, as such (not how many)."""
    sizes = tuple(int(n) for n in shape)
    if len(sizes) > MAX_SHAPE_DIMS:  # (not how many: a count is a number of its making)
        return f"(more than {MAX_SHAPE_DIMS} dimensions)"
    known = {0, 1, *(int(n) for n in expected)} | {n + d for n in _SIZES for d in (-1, 0, 1)}
    said = [str(n) if n in known else "…" for n in sizes]
    return f"({said[0]},)" if len(said) == 1 else f"({', '.join(said)})"
