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
from autograder.sandbox.devices import CPU_ONLY

# Longest excerpts of the student's exception that feedback may quote: a type name is an
# identifier (a 200 KB one turned feedback pages into 11 MB); a message one short paragraph.
MAX_TYPE_NAME = 80
MAX_MESSAGE = 300
MAX_WHERE = 80
_WHERE = re.compile(r"cell \d+, line \d+")
_WHERE_LINE = re.compile(r"cell (\d+), line (\d+)")
UNUSUAL_TYPE = "an exception with an unusual type name"


# The code of the notebook the judge is grading (`quoting_from`): what an error's words may
# be quoted from. One submission at a time per judge; "" before the first.
_QUOTABLE: dict[str, Any] = {"code": "", "lines": {}, "facts": None}
WITHHELD = "(its message is not quoted: it is made from the values of the call)"
# Names a library's message quotes that carry nothing of a call ("'NoneType' object has no
# attribute ..."): Python's built-in names and the types a student's code meets most
_TYPE_WORDS = frozenset(dir(builtins)) | frozenset({
    "NoneType", "Tensor", "Parameter", "Module", "Sequential", "Linear", "DataLoader",
    "TensorDataset", "Generator", "device", "dtype", "ndarray", "float32", "float64", "int64",
    "Long", "Float", "Double", "Int", "Bool", "cpu", "cuda", "meta", "mean", "sum", "none"})


def quoting_from(code: str, lines: dict[int, int] | None = None,
                 cells: dict[int, str] | None = None) -> None:
    """The notebook whose errors are quoted from now on (`StudentSession`): its code, joined,
    and each code cell's number of lines by its index (a "where" must name one of them) and,
    where given, its source (a "where" must name one of its lines of code)."""
    _QUOTABLE.update(code=code, lines=dict(lines or {}), cells=dict(cells or {}), facts=None)


def _quotable(fact: str) -> frozenset[str]:
    """The notebook's names, string constants or classes (`quoting_from`), read from its code
    the first time an error of it is quoted (most notebooks' never are: parsing every
    notebook for them cost the judge ~3 % of a submission)."""
    facts = _QUOTABLE.get("facts")
    if facts is None:
        code = _QUOTABLE["code"]
        literals, classes, names, functions = _string_literals(code)
        facts = _QUOTABLE["facts"] = {"names": names, "literals": literals, "classes": classes,
                                      "functions": functions}
    return facts[fact]  # type: ignore[no-any-return]


def _string_literals(code: str) -> tuple[frozenset[str], frozenset[str], frozenset[str],
                                         frozenset[str]]:
    """The string constants the notebook's code holds (its cells parsed one by one: a cell
    that does not parse gives none), at most `MAX_LITERALS` of them: a message is quoted only
    as one of these, so the choice among them is all a message can say of a call (an outside
    red team put a 100 KB table of every 5-digit string in a comment); the classes it
    defines; and the names its code uses (variables, attributes, functions, arguments — not
    its comments), at most `MAX_NAMES` of them (red team 61: `d0000 … d9999` in a comment made
    every name slot of a library message a 13-bit channel); and the functions it defines
    with `def` (red team 62: a function made at run time, named after its call's inputs,
    was named in "calls H_c002ea84…, which is not implemented yet")."""
    found: set[str] = set()
    classes: set[str] = set()  # (the exception classes it defines: their names may be said)
    names: set[str] = set()
    functions: set[str] = set()
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
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.add(node.name)
            name = _NAMED.get(type(node))
            if name is not None and isinstance(getattr(node, name, None), str):
                names.add(getattr(node, name))
        if len(found) > MAX_LITERALS or len(classes) > MAX_LITERALS:
            return frozenset(), frozenset(), frozenset(), frozenset()  # (a table)
    found.discard("")
    few = len(names) <= MAX_NAMES
    # (more classes than a notebook needs: a table to pick a type name from, one more choice
    # multiplied with a message's literal and its line — red team 62's 29 bits a check)
    return (frozenset(found), frozenset(classes) if len(classes) <= MAX_CLASSES else frozenset(),
            frozenset(names) if few else frozenset(),
            frozenset(functions) if few else frozenset())


MAX_LITERALS = 500
MAX_NAMES = 1000  # names of a notebook's code that a message may repeat (more: a table, none)
MAX_CLASSES = 16  # classes a notebook defines whose names may be said (more: a table, none)
_NAMED = {ast.Name: "id", ast.Attribute: "attr", ast.FunctionDef: "name", ast.ClassDef: "name",
          ast.AsyncFunctionDef: "name", ast.arg: "arg", ast.keyword: "arg", ast.alias: "name"}
_CELL_BREAK = "\n#%%cell%%\n"


def quotable_function(name: str) -> bool:
    """A function the notebook's code defines with `def` (its name may be said: a student's
    helper), as opposed to one made at run time, whose name can spell a call's values."""
    return name in _quotable("functions")


def real_where(where: str) -> str:
    """A "cell N, line M" that names a line of code of the notebook's code cells (not blank,
    not a comment; in a cell of at most `MAX_WHERE_LINES` lines), else "" (an outside red team
    compiled code under `<cell DIGITS>`: the digits were the hidden inputs; another compiled
    it under a cell's own name at a line of its choosing, in a cell of 20,000 comments)."""
    match = _WHERE_LINE.fullmatch(where)
    lines = _QUOTABLE["lines"]
    if match is None or not lines:
        return where if match is not None and not lines else ""
    cell, line = int(match[1]), int(match[2])
    if cell not in lines or not 1 <= line <= lines[cell]:
        return ""
    source = _QUOTABLE.get("cells", {}).get(cell)
    if source is None:
        return where
    text = source.split("\n")[line - 1].strip() if line <= source.count("\n") + 1 else ""
    return where if lines[cell] <= MAX_WHERE_LINES and text and not text.startswith("#") \
        else ""


MAX_WHERE_LINES = 400


def quotable_message(message: str, own: bool) -> str:
    """The first line of an error's message as feedback may quote it, deny by default: the
    student's code raised it with the values the judge called it with in reach, and
    feedback never shows a hidden input (an outside red team's functions raised them joined
    by "|" and in base64, past the cut of number runs: every mse_loss input, in the student's
    own page). Quoted whole where it is one of the notebook's string constants (a message
    written as a literal: nothing of the call in it but which one); else, raised by the
    student's own line, withheld (`WITHHELD`); raised inside a library, only as one of the
    library messages a student meets (`LIBRARY_MESSAGES`), each of its slots as its kind
    allows (a size one the check gave, a small dim, a name of the notebook's or a type's),
    else withheld (`LIBRARY_WITHHELD`): a library can repeat text the caller chose —
    `torch._check(False, lambda: text)` carried five-letter words spelling every hidden value
    past the cuts of numbers and runs (an outside red team)."""
    first = message.strip().splitlines()[0][:160] if message.strip() else ""
    if not first or first in _quotable("literals"):
        return first
    if own:
        return WITHHELD
    return _library_message(first)


LIBRARY_WITHHELD = "(a library's message, not quoted: it can carry the values of the call)"

# The library messages a student of these labs meets (PyTorch's and Python's, as they word
# them), matched at the start of the message's first line: what follows is left out ("…").
# Slots: {size} a tensor size (one the running check gave, 0 or 1), {sizes} a list of them,
# {dim} a dimension index, {count} a small count, {name} a name (the notebook's, a built-in's
# or a type word), {key} a string constant or name of the notebook's, {dtype} a dtype's name,
# {device} a device, {op} an operator.
LIBRARY_MESSAGES = (
    "The size of tensor a ({size}) must match the size of tensor b ({size}) at non-singleton "
    "dimension {dim}",
    "The expanded size of the tensor ({size}) must match the existing size ({size}) at "
    "non-singleton dimension {dim}",
    "Expected all tensors to be on the same device, but found at least two devices, {device} "
    "and {device}",
    "Expected all tensors to be on the same device",
    "indices should be either on cpu or on the same device as the indexed tensor ({device})",
    "Index tensor must have the same number of dimensions as input tensor",
    "shape '[{sizes}]' is invalid for input of size {size}",
    "mat1 and mat2 shapes cannot be multiplied ({size}x{size} and {size}x{size})",
    "Dimension out of range (expected to be in range of [{dim}, {dim}], but got {dim})",
    "index {size} is out of bounds for dimension {dim} with size {size}",
    "Target {size} is out of bounds",
    "Expected input batch_size ({size}) to match target batch_size ({size})",
    "Expected more than 1 value per channel when training, got input size "
    "torch.Size([{sizes}])",
    "Using a target size (torch.Size([{sizes}])) that is different to the input size "
    "(torch.Size([{sizes}]))",
    "Target size (torch.Size([{sizes}])) must be the same as input size "
    "(torch.Size([{sizes}]))",
    "The shape of the mask [{sizes}] at index {dim} does not match the shape of the indexed "
    "tensor [{sizes}] at index {dim}",
    "Sizes of tensors must match except in dimension {dim}. Expected size {size} but got size "
    "{size} for tensor number {count} in the list",
    "Tensors must have same number of dimensions: got {count} and {count}",
    "zero-dimensional tensor (at position {count}) cannot be concatenated",
    "inconsistent tensor size, expected tensor [{sizes}] and src [{sizes}] to have the same "
    "number of elements, but got {size} and {size} elements respectively",
    "Trying to create tensor with negative dimension",
    "expected target dtype to be Long or Byte, but got {dtype}",
    "expected scalar type {dtype} but found {dtype}",
    "Found dtype {dtype} but expected {dtype}",
    "result type {dtype} can't be cast to the desired output type {dtype}",
    "Index put requires the source and destination dtypes match, got {dtype} for the "
    "destination and {dtype} for the source",
    "mean(): could not infer output dtype. Input dtype must be either a floating point or "
    "complex dtype. Got: {dtype}",
    "\"{name}_cuda\" not implemented for '{dtype}'",
    "\"{name}\" not implemented for '{dtype}'",
    "bincount only supports 1-d non-negative integral inputs",
    "all elements of input should be between 0 and 1",
    "Boolean value of Tensor with more than one value is ambiguous",
    "a Tensor with {size} elements cannot be converted to Scalar",
    "only integer tensors of a single element can be converted to an index",
    "element 0 of tensors does not require grad and does not have a grad_fn",
    "Trying to backward through the graph a second time",
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation",
    "a leaf Variable that requires grad is being used in an in-place operation",
    "Can't call numpy() on Tensor that requires grad",
    "can't convert {device} device type tensor to numpy",
    "expected device {device} but got device {device} for value tensor",
    "Cannot copy out of meta tensor",
    "Could not run '{aten}' with arguments from the 'CUDA' backend",
    # the grader's own, raised in its instruments and its emulated GPU
    "call loss_fn(logits, y) with nothing else",
    "elapsed_time: both events must be recorded first",
    "Torch not compiled with CUDA enabled",
    "Cannot access accelerator device when none is available",
    "Expected one of",
    "{name} is not a Module subclass",
    "'{name}' object has no attribute '{name}'",
    "module '{name}' has no attribute '{name}'",
    "'{name}' object is not subscriptable",
    "'{name}' object is not callable",
    "'{name}' object is not iterable",
    "'{name}' object does not support the context manager protocol",
    "'{name}' object does not support item assignment",
    "cannot unpack non-iterable {name} object",
    "too many values to unpack (expected {count})",
    "not enough values to unpack (expected {count}, got {count})",
    "unsupported operand type(s) for {op}: '{name}' and '{name}'",
    "can only concatenate {name} (not \"{name}\") to {name}",
    "{name}() got an unexpected keyword argument '{name}'",
    "{name}() got multiple values for argument '{name}'",
    "{name}() missing {count} required positional argument",
    "{name}() takes {count} positional arguments but {count} were given",
    "{name}() takes from {count} to {count} positional arguments but {count} were given",
    "name '{name}' is not defined",
    "'{key}'",  # a KeyError's: the key
    "No module named '{name}'",
    "cannot import name '{name}' from '{name}'",
    "invalid literal for int() with base {count}",
    "could not convert string to float",
    "list index out of range",
    "list assignment index out of range",
    "tuple index out of range",
    "division by zero",
    "float division by zero",
    "integer division or modulo by zero",
    "math domain error",
)
_SLOTS = {"size": r"-?\d+", "sizes": r"[-\d, ]*", "dim": r"-?\d+", "count": r"\d+",
          # (a name matched dotted, said only whole: `_slot`)
          "name": r"[A-Za-z_][\w.]*", "dtype": r"[A-Za-z_][\w.]*", "key": r"[^'\n]{1,160}",
          "device": r"[a-z]+(?::\d+)?", "op": r"[-+*/@%&|^<>=!]{1,3}",
          "aten": r"aten::[\w.]+"}
_DTYPE_WORD = re.compile(r"(?:torch\.)?(?:(?:b?float|u?int|complex)(?:8|16|32|64|128)?|bool|"
                         r"half|double|long|short|Float|Double|Half|BFloat16|Long|Int|Short|"
                         r"Char|Byte|Bool|ComplexFloat|ComplexDouble)")


def _compiled(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    parts = re.split(r"\{(\w+)\}", template)
    pattern, kinds = "", []
    for i, part in enumerate(parts):
        if i % 2:
            pattern += f"({_SLOTS[part]})"
            kinds.append(part)
        else:
            pattern += re.escape(part)
    return re.compile(pattern), tuple(kinds)


_TEMPLATES = tuple((template, *_compiled(template)) for template in LIBRARY_MESSAGES)


def _library_message(first: str) -> str:
    """`first` as one of `LIBRARY_MESSAGES` says it, each slot as its kind allows; what
    follows the message's known words is left out; `LIBRARY_WITHHELD` if it is none."""
    for template, pattern, kinds in _TEMPLATES:
        match = pattern.match(first)
        if match is None:
            continue
        said = [_slot(kind, value) for kind, value in zip(kinds, match.groups(), strict=True)]
        pieces = re.split(r"\{\w+\}", template)
        text = pieces[0] + "".join(value + piece for value, piece in
                                   zip(said, pieces[1:], strict=True))
        rest = first[match.end():].strip()
        return text + (" …" if rest and rest not in ".!" else rest)
    return LIBRARY_WITHHELD


def _slot(kind: str, value: str) -> str:
    """One slot of a library message as feedback may say it (see `LIBRARY_MESSAGES`)."""
    if kind == "size":
        return value if int(value) in _sizes() or int(value) in (0, 1) else "…"
    if kind == "sizes":
        return ", ".join(_slot("size", n.strip()) if n.strip().lstrip("-").isdigit() else "…"
                         for n in value.split(",")) if value.strip() else value
    if kind == "dim":
        return value if -8 <= int(value) <= 8 else "…"
    if kind == "count":
        return value if int(value) <= 16 else "…"
    if kind == "dtype":
        return value if _DTYPE_WORD.fullmatch(value) else "…"
    if kind == "device":
        kind_of, _, index = value.partition(":")
        known = kind_of in ("cpu", "cuda", "mps", "meta", "xpu")
        return "another device" if not known else value if index in ("", "0") else \
            f"{kind_of}:N"
    if kind == "op":
        return value if value in _OPERATORS else "…"
    if kind == "aten":  # (an operator no GPU runs: one of a few dozen, `devices.CPU_ONLY`)
        return value if value in CPU_ONLY else "…"
    if kind == "key":  # (a dict's key: one of the notebook's string constants or names)
        return value if value in _quotable("literals") or value in _quotable("names") else "…"
    return value if value in _quotable("names") or value in _TYPE_WORDS else "…"


_OPERATORS = frozenset({"+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "<<", ">>",
                        "<", ">", "<=", ">=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=",
                        "&=", "|=", "^=", "<<=", ">>="})


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
    name, or where it is one of the few namespaces' classes a student's code meets (Python's
    built-ins and `collections`, `torch`, `torch.nn`, `numpy`: looked up as the judge has
    them, never imported for the asking) under that name and module; "" otherwise (a class
    made at run time can be named after the hidden inputs: an outside red team's `accuracy`
    returned a `P1220012001…` object spelling its call's labels; and a choice among every
    class of every loaded module would say ~12 bits)."""
    module, _, name = description.strip().rpartition(".")
    if not name.isidentifier() or len(name) > MAX_TYPE_NAME:
        return ""
    if name in _quotable("classes"):
        return name
    for namespace in _CLASS_NAMESPACES:
        owner = builtins if namespace == "builtins" else sys.modules.get(namespace)
        found = vars(owner).get(name) if owner is not None else None
        if isinstance(found, type) and (not module or module == namespace
                                        or module == getattr(found, "__module__", None)):
            return name
    return ""


_CLASS_NAMESPACES = ("builtins", "collections", "torch", "torch.nn", "numpy")


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
# shape is quoted where each of its sizes is one of them, 0, 1 or the expected
# shape's; the rest are cut (an outside red team's mse_loss returned `torch.empty(0, 442,
# 1166, 419, 781, 307)`: its call's predictions, ×100, in the sizes of an empty tensor).
_SIZES: set[int] = set()
# What the grader gave in the running check, kept as given and read only when a shape or a
# size is quoted (`_sizes`): noting every call's arguments as it was made cost ~7 % of the
# judge's time, for the few failures that quote a shape.
_GIVEN: list[Any] = []
MAX_SHAPE_DIMS = 4  # a shape of more dimensions is said as such (not how many)
_GAVE_ITEMS = 64


def new_check() -> None:
    """A check begins: no size of it given yet."""
    _SIZES.clear()
    _GIVEN.clear()


def gave(value: Any) -> None:
    """Note what the grader sends the student's code (read by `_sizes`, when a size is
    quoted). The judge's own objects: nothing of the student's changes them."""
    _GIVEN.append(value)


def _sizes() -> set[int]:
    """The sizes of what the grader gave in the running check: every tensor's dimensions and
    every small integer (a `num_classes`), in lists and dicts too."""
    given, _GIVEN[:] = list(_GIVEN), []
    for value in given:
        _note_sizes(value)
    return _SIZES


def _note_sizes(value: Any, depth: int = 0) -> None:
    if isinstance(value, torch.Tensor):
        _SIZES.update(int(n) for n in value.shape)
    elif isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 1 << 20:
            _SIZES.add(value)
    elif depth < 3 and isinstance(value, (list, tuple)):
        for item in value[:_GAVE_ITEMS]:
            _note_sizes(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in list(value.values())[:_GAVE_ITEMS]:
            _note_sizes(item, depth + 1)


def quotable_count(count: int, most: int) -> str:
    """A count of the student's making — calls it made, entries it returned — as feedback
    may say it: the number up to `most` (what the grader asked for and a little beyond), else
    "more than `most`" (an outside red team's fit appended 447, 213 and 713 entries to its
    lists: hidden labels, told back as the lists' lengths)."""
    return str(count) if 0 <= count <= most else f"more than {most}"


def quotable_shape(shape: Any, expected: Any = ()) -> str:
    """A returned tensor's shape as feedback may say it, "(25, 3)": each size one the grader
    gave in the running check, 0, 1 or one of `expected`'s, else "…"; more
    than `MAX_SHAPE_DIMS` dimensions, as such (not how many)."""
    sizes = tuple(int(n) for n in shape)
    if len(sizes) > MAX_SHAPE_DIMS:  # (not how many: a count is a number of its making)
        return f"(more than {MAX_SHAPE_DIMS} dimensions)"
    known = {0, 1, *(int(n) for n in expected)} | _sizes()
    said = [str(n) if n in known else "…" for n in sizes]
    return f"({said[0]},)" if len(said) == 1 else f"({', '.join(said)})"


# What a worker's integrity check reports it put back, as its own words make it (integrity,
# worker, harness): each variable part said only as far as the judge can vouch for it.
_FINDINGS = (
    (re.compile(r"(?P<path>[\w.]{1,200}) had its (?P<what>type|code) replaced"),
     "{path} had its {what} replaced"),
    (re.compile(r"(?P<path>[\w.]{1,200}) was replaced(?P<when> while the scenario ran)?"),
     "{path} was replaced{when}"),
    (re.compile(r"(?P<path>[\w.]{1,200})\.\w+ was added"), "an attribute was added to {path}"),
    (re.compile(r"a kernel was registered over torch's .* \(torch\.library\)"),
     "a kernel was registered over one of torch's operators (torch.library)"),
    (re.compile(r"the scenario's .*'s records were edited"), "the scenario's records were edited"),
    (re.compile(r"the scenario's .* was (?:replaced|set back)"),
     "the scenario's instruments were changed"),
    (re.compile(r"the grader's call recorders \(or its library block\) were removed during "
                r"(?P<name>\w{1,80})"),
     "the grader's call recorders (or its library block) were removed during {name}"),
    (re.compile(r"the grader's (?:integrity check was replaced|device switches were changed|"
                r"hooks on the scenario's model were removed)"), "{0}"),
)
UNVOUCHED = "one of the grader's or PyTorch's objects"
SOME_CHANGE = "the grader's or PyTorch's internals were changed"


def quotable_finding(text: str) -> str:
    """A worker's report of what its integrity check put back, as feedback may say it: the
    worker is the student's process, so its words are the student's to choose (an outside red
    team's `setattr(torch.Tensor, "v=2.2129,5.8378,…", 0)` made "torch.Tensor.v=… was added"
    carry a hidden input). Only the integrity check's own wordings are said, an object's
    path only where it names one the judge has itself (`_vouched`), an added attribute's name
    never."""
    for pattern, said in _FINDINGS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        if "path" in parts:
            parts["path"] = parts["path"] if _vouched(parts["path"]) else UNVOUCHED
        if "name" in parts:
            parts["name"] = parts["name"] if parts["name"] in _quotable("names") else "a call"
        parts["when"] = parts.get("when") or ""
        return said.format(match.group(), **parts)
    return SOME_CHANGE


def _vouched(path: str) -> bool:
    """`path` names a module the judge has loaded, or something its modules' own namespaces
    (and those of the classes in them) hold under that name: read from their `__dict__`s,
    so nothing is imported or computed for the asking."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        owner: Any = sys.modules.get(".".join(parts[:cut]))
        if owner is None:
            continue
        for part in parts[cut:]:
            try:
                owner = vars(owner).get(part)
            except TypeError:  # (no namespace of its own)
                return False
            if owner is None:
                return False
        return True
    return False
