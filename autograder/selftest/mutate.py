"""Mutants nobody hand-picks: a deterministic AST mutation operator set over a lab's
reference functions.

Why: a hand-written mutant library fits the mistakes its authors imagined (100 % caught on
its own mutants, 94 % on mistakes written elsewhere). Mechanical mutation — swap an
operator, drop or alter an argument, change a dim, index or constant, remove a call,
reorder two statements, detach a value, change a reduction — explores the rest. The
generator is generic (any lab's reference module), deterministic (the same source gives the
same mutants, in the same order, with stable names), and every mutant compiles; which of
them a lab's checks kill is for `selftest` to measure, and a survivor is either proved
equivalent or a gap.

(Its edits are closures with default-bound arguments, which mypy cannot type one by one:
the `misc` code is off for this module only.)
"""

# mypy: disable-error-code="misc"
from __future__ import annotations

import ast
import hashlib
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.config import ConfigError
from autograder.selftest.library import import_lab_module, lab_attribute

OPERATOR_SWAPS: dict[type[ast.AST], tuple[type[ast.AST], ...]] = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,
                                                                            ast.FloorDiv),
    ast.Pow: (ast.Mult,), ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt,), ast.Gt: (ast.GtE,),
    ast.GtE: (ast.Gt,), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.And: (ast.Or,),
    ast.Or: (ast.And,), ast.BitAnd: (ast.BitOr,), ast.USub: (ast.UAdd,),
}
REDUCTIONS = {"mean": "sum", "sum": "mean", "amax": "amin", "max": "min", "log": "log1p",
              "log1p": "log", "exp": "expm1"}
STRINGS = {"mean": "sum", "sum": "mean", "none": "mean", "cuda": "cpu", "cpu": "cuda"}


@dataclass(frozen=True)
class Generated:
    """One mechanical mutant: `source` is the whole module with one change in `function`."""

    name: str
    function: str
    operator: str
    description: str
    source: str
    base: str = ""  # the alternative it is a mutant of ("": the reference)


def _functions(tree: ast.Module, only: Sequence[str] | None) -> list[ast.FunctionDef]:
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)
            and (only is None or node.name in only)]


Edit = Callable[[], None]


def _sites(function: ast.FunctionDef) -> Iterator[tuple[str, str, Edit, Edit]]:
    """(operator, description, apply, undo) for every mutation point, in source order."""
    for node in ast.walk(function):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp)):
            for new in OPERATOR_SWAPS.get(type(node.op), ()):
                old = node.op
                yield ("swap-operator", f"line {line}: {type(old).__name__} → {new.__name__}",
                       lambda n=node, o=new: setattr(n, "op", o()),
                       lambda n=node, o=old: setattr(n, "op", o))
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for new in OPERATOR_SWAPS.get(type(op), ()):
                    yield ("swap-operator", f"line {line}: {type(op).__name__} → {new.__name__}",
                           lambda n=node, i=i, o=new: n.ops.__setitem__(i, o()),
                           lambda n=node, i=i, o=op: n.ops.__setitem__(i, o))
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            for number in sorted({node.value + 1, node.value - 1, 0 if node.value else 1}):
                if number != node.value:
                    yield ("change-constant", f"line {line}: {node.value!r} → {number!r}",
                           lambda n=node, v=number: setattr(n, "value", v),
                           lambda n=node, v=node.value: setattr(n, "value", v))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value in STRINGS:
            yield ("change-constant", f"line {line}: {node.value!r} → {STRINGS[node.value]!r}",
                   lambda n=node: setattr(n, "value", STRINGS[n.value]),
                   lambda n=node, v=node.value: setattr(n, "value", v))
        if isinstance(node, ast.Call):
            yield from _call_sites(node, line)
        if isinstance(node, ast.keyword) and node.arg == "keepdim":
            yield ("alter-argument", f"line {line}: keepdim flipped",
                   lambda n=node: setattr(n, "value", ast.Constant(value=False)),
                   lambda n=node, v=node.value: setattr(n, "value", v))
    for body_owner in ast.walk(function):
        body = getattr(body_owner, "body", None)
        if not isinstance(body, list):
            continue
        for i in range(len(body) - 1):
            a, b = body[i], body[i + 1]
            if isinstance(a, ast.Return) or isinstance(b, ast.Return):
                continue
            yield ("reorder-statements", f"lines {a.lineno} and {b.lineno} swapped",
                   lambda s=body, i=i: s.__setitem__(slice(i, i + 2), [s[i + 1], s[i]]),
                   lambda s=body, i=i: s.__setitem__(slice(i, i + 2), [s[i + 1], s[i]]))
        for i, statement in enumerate(body):
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                    and len(body) > 1:
                yield ("remove-call", f"line {statement.lineno}: call removed",
                       lambda s=body, i=i: s.__setitem__(i, ast.Pass()),
                       lambda s=body, i=i, o=statement: s.__setitem__(i, o))


def _call_sites(node: ast.Call, line: int) -> Iterator[tuple[str, str, Edit, Edit]]:
    target = node.func
    if isinstance(target, ast.Attribute) and target.attr in REDUCTIONS:
        old = target.attr
        yield ("change-reduction", f"line {line}: .{old} → .{REDUCTIONS[old]}",
               lambda t=target: setattr(t, "attr", REDUCTIONS[t.attr]),
               lambda t=target, o=old: setattr(t, "attr", o))
    for i, arg in enumerate(node.args):
        yield ("drop-argument", f"line {line}: argument {i + 1} dropped",
               lambda n=node, i=i: n.args.pop(i),
               lambda n=node, i=i, a=arg: n.args.insert(i, a))
    for i, keyword in enumerate(node.keywords):
        yield ("drop-argument", f"line {line}: {keyword.arg}= dropped",
               lambda n=node, i=i: n.keywords.pop(i),
               lambda n=node, i=i, k=keyword: n.keywords.insert(i, k))
        if keyword.arg == "dim" and isinstance(keyword.value, ast.Constant) \
                and isinstance(keyword.value.value, int):
            yield ("change-dim", f"line {line}: dim={keyword.value.value} → "
                                 f"dim={keyword.value.value - 1}",
                   lambda k=keyword: setattr(k, "value", ast.Constant(k.value.value - 1)),
                   lambda k=keyword, v=keyword.value: setattr(k, "value", v))
    if isinstance(target, ast.Attribute) and target.attr not in ("detach", "item"):
        original = (node.func, node.args, node.keywords)

        def detach(n: ast.Call = node, o: tuple = original) -> None:
            n.func = ast.Attribute(value=ast.Call(func=o[0], args=o[1], keywords=o[2]),
                                   attr="detach", ctx=ast.Load())
            n.args, n.keywords = [], []

        def restore(n: ast.Call = node, o: tuple = original) -> None:
            n.func, n.args, n.keywords = o

        yield ("detach", f"line {line}: result of .{target.attr}() detached", detach, restore)


def generate(source: str, functions: Sequence[str] | None = None) -> list[Generated]:
    """Every mutant of `functions` (default: every top-level function) of the module
    `source`, deterministic and compilable, without duplicates (two edits that produce the
    same code count once; an edit that changes nothing is dropped)."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    seen = {original}
    result: list[Generated] = []
    for function in _functions(tree, functions):
        for operator, description, apply, undo in list(_sites(function)):
            try:
                apply()
                code = ast.unparse(ast.fix_missing_locations(tree))
            finally:
                undo()
            if code in seen:
                continue
            try:
                compile(code, "<mutant>", "exec")
            except SyntaxError:
                continue
            seen.add(code)
            digest = hashlib.sha256(code.encode()).hexdigest()[:8]
            result.append(Generated(f"gen_{function.name}_{operator}_{digest}", function.name,
                                    operator, description, code))
    return result


def alternative_mutants(lab: Any, alternatives: Sequence[Any]) -> tuple[list[Generated],
                                                                         dict[str, str]]:
    """Every mutant of the functions each (hand-written, not known-gap) alternative rewrites,
    in that alternative's module, but those the reference's mutants already are: mistakes in
    the styles students write, which nobody hand-picks either (`gen_alt_*`, each naming its
    alternative). Also returns each alternative's module, to judge equivalence against.

    Why: mutants of the reference alone are mistakes in one style. Mutants of the
    alternatives found what the reference's never could: an evaluate running the model through
    `model.forward` before moving the batch (its model's hook never saw it), a shape check
    moved below the arithmetic (torch's RuntimeError before the ValueError)."""
    from autograder.selftest import source as sources

    reference = sources.reference_source(lab)
    key = (str(lab.root), reference, tuple(a.name for a in alternatives))
    if key in _ALTERNATIVE_CACHE:  # (a few seconds of generating: once per process)
        cached, modules = _ALTERNATIVE_CACHE[key]
        return list(cached), dict(modules)
    seen = {m.source for m in lab_mutants(lab)}
    found: list[Generated] = []
    bases: dict[str, str] = {}
    for alternative in alternatives:
        if alternative.known_gap or alternative.generated:
            continue
        code = alternative.transform(reference)
        bases[alternative.name] = code
        for mutant in generate(code, list(alternative.functions)):
            if mutant.source in seen:
                continue
            seen.add(mutant.source)
            found.append(Generated("gen_alt_" + mutant.name.removeprefix("gen_"),
                                   mutant.function, mutant.operator,
                                   f"{mutant.description} (in {alternative.name})",
                                   mutant.source, alternative.name))
    _ALTERNATIVE_CACHE[key] = (found, bases)
    return list(found), dict(bases)


_ALTERNATIVE_CACHE: dict[tuple[str, str, tuple[str, ...]],
                         tuple[list[Generated], dict[str, str]]] = {}


def sample(mutants: Sequence[Generated], size: int | None, seed: int = 0) -> list[Generated]:
    """A deterministic sample (every mutant when `size` is None or large enough)."""
    if size is None or size >= len(mutants):
        return list(mutants)
    return sorted(random.Random(seed).sample(list(mutants), size), key=mutants.index)


# ---------------------------------------------------------------- a lab's generated mutants
@dataclass(frozen=True)
class Verdict:
    """What the lab's probes say of one generated mutant, before any grading."""

    same: bool  # gives the reference's results on every probe
    difference: str = ""  # where it differs (first difference), when not `same`
    declared: str = ""  # the lab's reason it is equivalent (`generated.py`, EQUIVALENT)
    # False for a lab without probes (no `variants.py`): nothing was run, so a survivor
    # may be equivalent or a gap, and only a human can say which
    probed: bool = True


def lab_mutants(lab: Any) -> list[Generated]:
    """Every mutant of the lab's reference module (`solutions/reference.py`); a lab may
    narrow the functions in `<lab>_checks/generated.py` (`FUNCTIONS`)."""
    options = _lab_options(lab)
    source = lab.reference.read_text(encoding="utf-8")
    functions = options.get("FUNCTIONS")
    key = (str(lab.root), source, tuple(functions) if functions else None)
    if key not in _CACHE:  # a few seconds of unparsing and compiling: once per process
        _CACHE[key] = generate(source, functions)
    return list(_CACHE[key])


_CACHE: dict[tuple[str, str, tuple[str, ...] | None], list[Generated]] = {}


def _lab_options(lab: Any) -> dict[str, Any]:
    if not (lab.checks / "generated.py").is_file():
        return {}
    module = import_lab_module(lab, "generated")
    return {name: getattr(module, name) for name in ("FUNCTIONS", "EQUIVALENT")
            if hasattr(module, name)}


def declared_equivalent(lab: Any) -> dict[str, str]:
    """The lab's `EQUIVALENT` (`<lab>_checks/generated.py`): mutant name → the reason a
    human checked. An entry without a reason excuses nothing."""
    return {str(k): str(v).strip() for k, v in
            dict(_lab_options(lab).get("EQUIVALENT", {})).items()}


def has_probes(lab: Any) -> bool:
    """Whether the lab has probes (`<lab>_checks/variants.py`, `VARIANTS.probes`) to tell an
    equivalent mutant from a gap."""
    return (lab.checks / "variants.py").is_file()


def judge_equivalence(lab: Any, mutants: Sequence[Generated], seconds: float = 10.0,
                      bases: Mapping[str, str] | None = None) -> dict[str, Verdict]:
    """Run each mutant on the lab's probes (`<lab>_checks/variants.py`, the same probes
    that prove a generated correct variant) in this process, beside the reference.

    A mutant that gives the reference's results everywhere is *equal on the probes*: if the
    grader does not kill it, it is counted equivalent, not a gap. One the lab declares
    equivalent (`generated.py`, `EQUIVALENT = {name: reason}`) is equivalent whatever the
    probes say — a reason a human wrote, shown in the report. Without probes nothing is
    run: each verdict says so (`probed` False), and a survivor not declared equivalent
    stays a possible gap for a human to look at."""
    import signal

    import torch

    from autograder.selftest import variants

    declared = declared_equivalent(lab)
    if not has_probes(lab):
        return {m.name: Verdict(False, "", declared.get(m.name, ""), probed=False)
                for m in mutants}
    probes = getattr(lab_attribute(lab, "variants", "VARIANTS"), "probes", None)
    if not probes:
        raise ConfigError(f"selftest: {lab.checks / 'variants.py'}: VARIANTS has no probes "
                          "(VariantSpec(functions=..., probes={name: probe}))")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    def expire(*_: Any) -> None:
        raise TimeoutError(f"the probes took over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        expected = variants.run_probes(lab.reference.read_text(encoding="utf-8"), probes)
        # a mutant of an alternative is judged against that alternative (`bases`)
        theirs: dict[str, dict[str, Any]] = {}
        verdicts: dict[str, Verdict] = {}
        for mutant in mutants:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                if mutant.base and mutant.base not in theirs:
                    theirs[mutant.base] = variants.run_probes(dict(bases or {})[mutant.base],
                                                              probes)
                found = variants.prove(theirs.get(mutant.base, expected), mutant.source,
                                       probes)
            except TimeoutError as exc:  # our own generated code: a loop that never ends
                found = str(exc)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                torch.set_grad_enabled(True)  # (a mutant may leave it off: grading needs it)
            verdicts[mutant.name] = Verdict(found is None, (found or "")[:300],
                                            declared.get(mutant.name, ""))
        return verdicts
    finally:
        signal.signal(signal.SIGALRM, previous)
        torch.set_num_threads(threads)
