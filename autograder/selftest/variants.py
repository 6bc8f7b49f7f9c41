"""Correct variants nobody hand-picks: semantics-preserving rewrites of a lab's reference.

Why: a hand-written library of alternatives fits the styles its authors imagined (0 % false
positives on its own 16, 10 % on correct code written elsewhere). This module rewrites the
reference mechanically — rename locals and parameters' internal uses, extract a
sub-expression into a helper or inline a helper, docstrings and comments full of the words
a static check might trip on, other import styles, Tensor methods vs torch functions,
operators vs `torch.sub`/`torch.mul`, `**2` vs a product, list comprehensions and `sum()`
as loops, statement reordering, a body wrapped in a nested function, a context manager as a
decorator, a keyword added to a call or a context manager swapped — and every variant must
score full marks in `selftest`.

The transforms are generic (the standard library's `ast` + `ast.unparse`, no lab named
here); a lab chooses which function gets which transform, the words, the swaps and the
*probes* in its `<lab>_checks/variants.py` (`VARIANTS`, a `VariantSpec`). A variant is
only graded after it has been proved the same function in-process: every probe (random
inputs, values and gradients, a tiny training step) gives the reference's result, or the
variant is dropped and counted — a transform that changes behaviour is a generator bug.
Generation is seeded: the same reference and spec give the same variants, same names.
"""

from __future__ import annotations

import ast
import copy
import itertools
import math
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

COMMENT = "__variant_comment__ "
NON_TENSOR_METHODS = frozenset({
    "item", "tolist", "numel", "dim", "size", "numpy", "backward", "stride", "element_size",
    "is_floating_point", "data_ptr", "to_list", "nelement", "ndimension"})
METHOD_FUNCTIONS = frozenset({
    "exp", "log", "log1p", "expm1", "abs", "sqrt", "sum", "mean", "amax", "amin", "argmax",
    "flatten", "diagonal", "unsqueeze", "squeeze", "gather", "clamp", "sigmoid", "bincount",
    "neg", "min", "max"})
OPERATOR_FUNCTIONS: dict[type[ast.operator], str] = {
    ast.Sub: "sub", ast.Add: "add", ast.Mult: "mul", ast.Div: "div"}
Probe = Callable[[dict[str, Any]], Any]


# ---------------------------------------------------------------- the spec a lab writes
@dataclass(frozen=True)
class VariantSpec:
    """What a lab lets the generator do.

    `functions` maps each function to rewrite to the transforms allowed on it (names of
    `TRANSFORMS`) and `count` how many variants each should get; `module_transforms` may
    be added to any variant (import styles). `words` fill docstrings and comments;
    `keywords` are (method, keyword, values) added to calls; `contexts` are (old, new)
    context-manager expressions that are interchangeable where a function allows
    "swap-context"; `probes` name a check of behaviour each, run on the reference and the
    variant in-process: results must agree (values, gradients, exceptions' types)."""

    functions: Mapping[str, Sequence[str]]
    probes: Mapping[str, Probe]
    count: int = 12
    module_transforms: Sequence[str] = ("import-from", "import-alias")
    words: Sequence[str] = ()
    keywords: Sequence[tuple[str, str, tuple[Any, ...]]] = ()
    contexts: Sequence[tuple[str, str]] = ()
    aliases: Mapping[str, Sequence[str]] = field(default_factory=dict)  # old alias -> new
    seed: int = 0
    max_steps: int = 3
    counts: Mapping[str, int] = field(default_factory=dict)  # per function, else `count`


@dataclass(frozen=True)
class Variant:
    name: str
    function: str
    steps: tuple[str, ...]  # the transforms applied, in order
    source: str


@dataclass
class Corpus:
    variants: list[Variant]
    dropped: list[tuple[str, str]]  # (description, why): a generator bug each


# ---------------------------------------------------------------- helpers on the tree
class Context:
    """What a transform needs: the module, the rng, fresh names, the spec's data."""

    def __init__(self, module: ast.Module, rng: random.Random, spec: VariantSpec) -> None:
        self.module, self.rng, self.spec = module, rng, spec
        self.taken = {n.id for n in ast.walk(module) if isinstance(n, ast.Name)}
        self.taken |= {a.arg for a in ast.walk(module) if isinstance(a, ast.arg)}
        self.taken |= {n.name for n in ast.walk(module)
                       if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        self.taken |= {(a.asname or a.name).split(".")[0] for n in ast.walk(module)
                       if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}

    def fresh(self, base: str) -> str:
        base = base.strip("_") or "v"
        styles = [f"{base}_", f"my_{base}", f"{base}_val", f"{base}2", f"_{base}", f"the_{base}"]
        self.rng.shuffle(styles)
        for name in [*styles, *(f"{base}_{i}" for i in range(2, 1000))]:
            if name not in self.taken:
                self.taken.add(name)
                return name
        raise AssertionError("no fresh name")

    def torch_name(self) -> str | None:
        for node in self.module.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "torch":
                        return alias.asname or "torch"
        return None

    def function(self, name: str) -> ast.FunctionDef:
        for node in self.module.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return node
        raise KeyError(name)


def _body_start(fn: ast.FunctionDef) -> int:
    first = fn.body[0]
    docstring = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                 and isinstance(first.value.value, str))
    return 1 if docstring else 0


def _params(fn: ast.FunctionDef) -> list[str]:
    a = fn.args
    return [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)] + \
        [x.arg for x in (a.vararg, a.kwarg) if x is not None]


def _stored(nodes: Sequence[ast.AST]) -> set[str]:
    """Names bound in `nodes`: assigned, deleted, or a nested def/class/import's name."""
    names = {n.id for node in nodes for n in ast.walk(node)
             if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    names |= {n.name for node in nodes for n in ast.walk(node)
              if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return names | {(a.asname or a.name).split(".")[0] for node in nodes for n in ast.walk(node)
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}


def _loaded(nodes: Sequence[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _locals(fn: ast.FunctionDef) -> set[str]:
    return _stored(fn.body) | set(_params(fn))


def _has_nested_scope(nodes: Sequence[ast.AST]) -> bool:
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                              ast.Global, ast.Nonlocal))
               for node in nodes for n in ast.walk(node))


def _rename(nodes: Sequence[ast.AST], old: str, new: str) -> None:
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id == old:
                n.id = new


def _blocks(fn: ast.FunctionDef) -> Iterator[list[ast.stmt]]:
    """Every statement list in `fn` (its body, loop and branch bodies), nested scopes excluded."""
    stack: list[list[ast.stmt]] = [fn.body]
    while stack:
        block = stack.pop()
        yield block
        for stmt in block:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    stack.append(inner)
            for handler in getattr(stmt, "handlers", []):
                stack.append(handler.body)


def _is_tensor(expr: ast.AST, tensors: set[str], torch: str | None) -> bool:
    """A light, conservative guess that `expr` evaluates to a tensor."""
    if isinstance(expr, ast.Name):
        return expr.id in tensors
    if isinstance(expr, ast.BinOp):
        return _is_tensor(expr.left, tensors, torch) or _is_tensor(expr.right, tensors, torch)
    if isinstance(expr, ast.UnaryOp):
        return not isinstance(expr.op, ast.Not) and _is_tensor(expr.operand, tensors, torch)
    if isinstance(expr, ast.Compare):
        return _is_tensor(expr.left, tensors, torch) and all(
            not isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in expr.ops)
    if isinstance(expr, ast.Subscript):
        return _is_tensor(expr.value, tensors, torch)
    if isinstance(expr, ast.IfExp):
        return _is_tensor(expr.body, tensors, torch) and _is_tensor(expr.orelse, tensors, torch)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        owner = expr.func.value
        if isinstance(owner, ast.Name) and owner.id == torch:
            return any(_is_tensor(a, tensors, torch) for a in expr.args)
        return expr.func.attr not in NON_TENSOR_METHODS and _is_tensor(owner, tensors, torch)
    return False


def _tensor_names(fn: ast.FunctionDef, torch: str | None) -> set[str]:
    """Parameters annotated as tensors, and locals assigned (once) from tensor expressions."""
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    tensors = {a.arg for a in args if a.annotation is not None
               and ast.unparse(a.annotation).split("|")[0].strip().endswith("Tensor")}
    assigned: dict[str, int] = {}
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            assigned[n.id] = assigned.get(n.id, 0) + 1
    changed = True
    while changed:
        changed = False
        for n in ast.walk(fn):
            if (isinstance(n, ast.Assign) and len(n.targets) == 1
                    and isinstance(n.targets[0], ast.Name)):
                name = n.targets[0].id
                if (name not in tensors and assigned.get(name) == 1
                        and _is_tensor(n.value, tensors, torch)):
                    tensors.add(name)
                    changed = True
    return tensors


def _pure(expr: ast.AST) -> bool:
    """Names, attributes, constants and arithmetic on them: safe to evaluate twice."""
    return all(isinstance(n, (ast.Name, ast.Constant, ast.Attribute, ast.BinOp, ast.UnaryOp,
                              ast.Load, ast.operator, ast.unaryop))
               for n in ast.walk(expr))


def _parents(root: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}


def _expressions(fn: ast.FunctionDef) -> list[ast.expr]:
    """Expressions of `fn`'s own scope (not inside lambdas, comprehensions, f-strings,
    nested functions, assignment targets or call targets), in source order."""
    skip: set[int] = set()
    found: list[ast.expr] = []
    parents = _parents(fn)
    for node in ast.walk(fn):
        if id(node) in skip:
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp, ast.JoinedStr, ast.FunctionDef)) and node is not fn:
            skip |= {id(n) for n in ast.walk(node)}
            continue
        if isinstance(node, ast.expr) and not isinstance(getattr(node, "ctx", None),
                                                          (ast.Store, ast.Del)):
            parent = parents.get(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                continue
            if isinstance(parent, (ast.arguments, ast.arg)) or parent is fn:
                continue  # defaults, annotations, decorators
            found.append(node)
    return found


# ---------------------------------------------------------------- the transforms
Transform = Callable[[Context, ast.FunctionDef], bool]


def rename_locals(ctx: Context, fn: ast.FunctionDef) -> bool:
    """Rename some local variables (never a parameter)."""
    if _has_nested_scope(fn.body):
        return False
    names = sorted(_stored(fn.body) - set(_params(fn)))
    if not names:
        return False
    chosen = ctx.rng.sample(names, ctx.rng.randint(1, len(names)))
    for old in chosen:
        _rename(fn.body, old, ctx.fresh(old))
    return True


def alias_parameters(ctx: Context, fn: ast.FunctionDef) -> bool:
    """Bind a parameter to a new local name first, then use only that name."""
    if _has_nested_scope(fn.body):
        return False
    used = _loaded(fn.body)
    params = [p for p in _params(fn) if p in used]
    if not params:
        return False
    chosen = ctx.rng.sample(params, ctx.rng.randint(1, len(params)))
    start = _body_start(fn)
    for old in chosen:
        new = ctx.fresh(old)
        _rename(fn.body[start:], old, new)
        fn.body.insert(start, ast.Assign([ast.Name(new, ast.Store())], ast.Name(old, ast.Load()),
                                         lineno=0))
    return True


def extract_helper(ctx: Context, fn: ast.FunctionDef) -> bool:
    """Move one sub-expression into a new module-level function, called in its place."""
    kinds = (ast.BinOp, ast.Call, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Subscript, ast.BoolOp)
    candidates = [e for e in _expressions(fn) if isinstance(e, kinds)
                  and not any(isinstance(n, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await,
                                             ast.Starred)) for n in ast.walk(e))]
    if not candidates:
        return False
    expr = ctx.rng.choice(candidates)
    local = _locals(fn)
    free = sorted({n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id in local})
    name = ctx.fresh(f"_{fn.name}_part")
    helper = ast.FunctionDef(
        name=name, args=ast.arguments([], [ast.arg(v) for v in free], None, [], [], None, []),
        body=[ast.Return(copy.deepcopy(expr))], decorator_list=[], returns=None,
        lineno=0)
    call = ast.Call(ast.Name(name, ast.Load()), [ast.Name(v, ast.Load()) for v in free], [])
    parent = _parents(fn)[expr]
    for field_name, value in ast.iter_fields(parent):
        if value is expr:
            setattr(parent, field_name, call)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if item is expr:
                    value[i] = call
    ctx.module.body.insert(ctx.module.body.index(fn), helper)
    return True


def _bind_call(call: ast.Call, helper: ast.FunctionDef) -> dict[str, ast.expr] | None:
    a = helper.args
    if a.vararg or a.kwarg or a.posonlyargs or a.kwonlyargs or any(
            isinstance(x, ast.Starred) for x in call.args) or any(k.arg is None
                                                                   for k in call.keywords):
        return None
    names = [x.arg for x in a.args]
    if len(call.args) > len(names):
        return None
    bound: dict[str, ast.expr] = dict(zip(names, call.args, strict=False))
    for keyword in call.keywords:
        if keyword.arg not in names or keyword.arg in bound:
            return None
        bound[keyword.arg] = keyword.value  # type: ignore[index]
    defaults = dict(zip(names[len(names) - len(a.defaults):], a.defaults, strict=True))
    for name in names:
        if name not in bound:
            if name not in defaults or not isinstance(defaults[name], ast.Constant):
                return None
            bound[name] = defaults[name]
    if call.keywords and [k.arg for k in call.keywords] != names[len(call.args):len(bound)]:
        return None  # keyword order differs from parameter order: evaluation order would change
    return bound


def inline_helper(ctx: Context, fn: ast.FunctionDef) -> bool:
    """Replace a call of a module-level function by that function's body."""
    helpers = {n.name: n for n in ctx.module.body if isinstance(n, ast.FunctionDef)
               and n is not fn and not n.decorator_list and not _has_nested_scope(n.body)}
    local = _locals(fn)
    options: list[Callable[[], bool]] = []
    parents = _parents(fn)
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in helpers and node.func.id not in local):
            continue
        helper = helpers[node.func.id]
        bound = _bind_call(node, helper)
        if bound is None or node.func.id in {n.id for n in ast.walk(helper)
                                             if isinstance(n, ast.Name)}:
            continue
        body = helper.body[_body_start(helper):]
        helper_free = _loaded(body) - set(bound) - _stored(body)
        if helper_free & local:
            continue  # a global of the helper is shadowed by a local of the caller
        parent = parents.get(node)
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            uses = [n.id for n in ast.walk(body[0].value) if isinstance(n, ast.Name)]
            if all(uses.count(p) <= 1 or isinstance(v, (ast.Name, ast.Constant))
                   for p, v in bound.items()) and all(
                    p in uses or isinstance(v, (ast.Name, ast.Constant))
                    for p, v in bound.items()) and _in_order(body[0].value, bound):
                options.append(_expression_inliner(node, body[0].value, bound, parents))
        elif isinstance(parent, (ast.Return, ast.Expr)) and parent.value is node:
            returns = [n for s in body for n in ast.walk(s) if isinstance(n, ast.Return)]
            if isinstance(parent, ast.Expr) and returns:
                continue
            options.append(_statement_inliner(ctx, fn, parent, body, bound))
    if not options:
        return False
    return ctx.rng.choice(options)()


def _in_order(expr: ast.expr, bound: Mapping[str, ast.expr]) -> bool:
    """Arguments that are not plain names/constants appear in the body in parameter order
    (so substituting them keeps their evaluation order)."""
    order = [p for p, v in bound.items() if not isinstance(v, (ast.Name, ast.Constant))]
    seen = [n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id in order]
    return len(order) <= 1 or seen == order


def _expression_inliner(call: ast.Call, value: ast.expr, bound: Mapping[str, ast.expr],
                        parents: Mapping[ast.AST, ast.AST]) -> Callable[[], bool]:
    def apply() -> bool:
        new = copy.deepcopy(value)

        class Substitute(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.expr:
                return copy.deepcopy(bound[node.id]) if node.id in bound else node

        new = Substitute().visit(new)
        parent = parents[call]
        for field_name, item in ast.iter_fields(parent):
            if item is call:
                setattr(parent, field_name, new)
            elif isinstance(item, list):
                for i, element in enumerate(item):
                    if element is call:
                        item[i] = new
        return True

    return apply


def _statement_inliner(ctx: Context, fn: ast.FunctionDef, statement: ast.Return | ast.Expr,
                       body: list[ast.stmt], bound: Mapping[str, ast.expr]) -> Callable[[], bool]:
    def apply() -> bool:
        new_body = copy.deepcopy(body)
        assigned = _stored(new_body)
        prelude: list[ast.stmt] = []
        for param, value in bound.items():
            if isinstance(value, (ast.Name, ast.Constant)) and param not in assigned \
                    and not (isinstance(value, ast.Name) and value.id in assigned):
                class Substitute(ast.NodeTransformer):
                    def visit_Name(self, node: ast.Name, param: str = param,
                                   value: ast.expr = value) -> ast.expr:
                        return copy.deepcopy(value) if node.id == param else node

                new_body = [Substitute().visit(s) for s in new_body]
            else:
                name = ctx.fresh(param)
                _rename(new_body, param, name)
                prelude.append(ast.Assign([ast.Name(name, ast.Store())], copy.deepcopy(value),
                                          lineno=0))
        for old in sorted(assigned - set(bound)):
            _rename(new_body, old, ctx.fresh(old))
        if isinstance(statement, ast.Return) and not isinstance(new_body[-1], ast.Return):
            new_body.append(ast.Return(ast.Constant(None)))
        for block in _blocks(fn):
            if statement in block:
                i = block.index(statement)
                block[i:i + 1] = prelude + new_body
                return True
        return False

    return apply


def docstring(ctx: Context, fn: ast.FunctionDef) -> bool:
    """A docstring full of the words a text search would trip on."""
    words = list(ctx.spec.words)
    if not words:
        return False
    picked = ctx.rng.sample(words, min(len(words), ctx.rng.randint(2, 4)))
    text = (f"{fn.name}, written by hand.\n\n    Notes: this does not call "
            + ", ".join(picked[:-1]) + f" or {picked[-1]}; see also {ctx.rng.choice(words)}.\n    ")
    doc = ast.Expr(ast.Constant(text))
    if _body_start(fn):
        fn.body[0] = doc
    else:
        fn.body.insert(0, doc)
    return True


def comments(ctx: Context, fn: ast.FunctionDef) -> bool:
    """Comment lines (with those words) between statements."""
    words = list(ctx.spec.words)
    if not words:
        return False
    blocks = list(_blocks(fn))
    for _ in range(ctx.rng.randint(1, 3)):
        block = ctx.rng.choice(blocks)
        start = _body_start(fn) if block is fn.body else 0
        position = ctx.rng.randint(start, len(block) - 1)
        note = f"{ctx.rng.choice(['TODO:', 'NB', 'not', 'instead of'])} {ctx.rng.choice(words)}"
        block.insert(position, ast.Expr(ast.Constant(COMMENT + _comment_safe(note))))
    return True


def _comment_safe(text: str) -> str:
    return re.sub(r"['\"\\\n]", "", text)


def methods_to_functions(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`x.exp()` → `torch.exp(x)` (and the reverse), for tensors only."""
    torch = ctx.torch_name()
    if torch is None:
        return False
    tensors = _tensor_names(fn, torch)
    sites: list[Callable[[], None]] = []
    for node in _expressions(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in METHOD_FUNCTIONS):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id == torch:
            if node.args and _is_tensor(node.args[0], tensors, torch) \
                    and not isinstance(node.args[0], ast.Starred):
                def to_method(node: ast.Call = node) -> None:
                    node.func = ast.Attribute(node.args[0], node.func.attr, ast.Load())  # type: ignore[attr-defined]
                    node.args = node.args[1:]
                sites.append(to_method)
        elif _is_tensor(owner, tensors, torch):
            def to_function(node: ast.Call = node, owner: ast.expr = owner) -> None:
                node.args = [owner, *node.args]
                node.func = ast.Attribute(ast.Name(torch, ast.Load()), node.func.attr,  # type: ignore[attr-defined]
                                          ast.Load())
            sites.append(to_function)
    return _apply_some(ctx, sites)


def operators_to_functions(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`a - b` → `torch.sub(a, b)` (and the reverse) where `a` is a tensor."""
    torch = ctx.torch_name()
    if torch is None:
        return False
    tensors = _tensor_names(fn, torch)
    parents = _parents(fn)
    sites: list[Callable[[], None]] = []
    by_name = {v: k for k, v in OPERATOR_FUNCTIONS.items()}
    for node in _expressions(fn):
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATOR_FUNCTIONS \
                and _is_tensor(node.left, tensors, torch):
            call = ast.Call(ast.Attribute(ast.Name(torch, ast.Load()),
                                          OPERATOR_FUNCTIONS[type(node.op)], ast.Load()),
                            [node.left, node.right], [])
            sites.append(_replacer(parents, node, call))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == torch
              and node.func.attr in by_name and len(node.args) == 2 and not node.keywords
              and _is_tensor(node.args[0], tensors, torch)):
            binop = ast.BinOp(node.args[0], by_name[node.func.attr](), node.args[1])
            sites.append(_replacer(parents, node, binop))
    return _apply_some(ctx, sites)


def square_as_product(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`e ** 2` ↔ `e * e` for an expression without calls."""
    parents = _parents(fn)
    sites: list[Callable[[], None]] = []
    for node in _expressions(fn):
        if not isinstance(node, ast.BinOp) or not _pure(node):
            continue
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) \
                and node.right.value == 2:
            product = ast.BinOp(node.left, ast.Mult(), copy.deepcopy(node.left))
            sites.append(_replacer(parents, node, product))
        elif isinstance(node.op, ast.Mult) and ast.dump(node.left) == ast.dump(node.right):
            sites.append(_replacer(parents, node, ast.BinOp(node.left, ast.Pow(), ast.Constant(2))))
    return _apply_some(ctx, sites)


def _replacer(parents: Mapping[ast.AST, ast.AST], old: ast.AST, new: ast.AST,
              ) -> Callable[[], None]:
    def apply() -> None:
        parent = parents[old]
        for field_name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field_name, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
    return apply


def _apply_some(ctx: Context, sites: list[Callable[[], None]]) -> bool:
    """Apply a random non-empty subset of independent rewrites (innermost first is safe:
    each rewrite replaces its own node in its own parent)."""
    if not sites:
        return False
    for apply in ctx.rng.sample(sites, ctx.rng.randint(1, len(sites))):
        apply()
    return True


def comprehension_to_loop(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`v = [e for x in it]` → a for loop appending to `v`."""
    sites = []
    for block in _blocks(fn):
        for stmt in block:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.ListComp)
                    and len(stmt.value.generators) == 1 and not stmt.value.generators[0].is_async):
                sites.append((block, stmt))
    if not sites:
        return False
    block, stmt = ctx.rng.choice(sites)
    assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.ListComp)
    target = stmt.targets[0]
    assert isinstance(target, ast.Name)
    generator = stmt.value.generators[0]
    loop_names = _stored([generator.target])
    if loop_names & (_loaded(block) | _stored(block)) - _stored([generator.target]) \
            or loop_names & _locals(fn) - _stored([generator.target]):
        return False
    name = ctx.fresh(target.id)
    rename = {old: ctx.fresh(old) for old in loop_names}
    loop_target, element = copy.deepcopy(generator.target), copy.deepcopy(stmt.value.elt)
    conditions = copy.deepcopy(generator.ifs)
    for old, new in rename.items():
        _rename([loop_target, element, *conditions], old, new)
    append: ast.stmt = ast.Expr(ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append",
                                                       ast.Load()), [element], []))
    for condition in reversed(conditions):
        append = ast.If(condition, [append], [])
    loop: list[ast.stmt] = [
        ast.Assign([ast.Name(name, ast.Store())], ast.List([], ast.Load()), lineno=0),
        ast.For(loop_target, generator.iter, [append], [], lineno=0),
        ast.Assign([ast.Name(target.id, ast.Store())], ast.Name(name, ast.Load()), lineno=0)]
    i = block.index(stmt)
    block[i:i + 1] = loop
    return True


def sum_to_loop(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`v = sum(xs)` (the builtin) → a loop adding from 0, in the same order."""
    if "sum" in _locals(fn):
        return False
    sites = []
    for block in _blocks(fn):
        for stmt in block:
            if isinstance(stmt, (ast.Assign, ast.Return)) and stmt.value is not None:
                for node in ast.walk(stmt.value):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                            and node.func.id == "sum" and len(node.args) == 1
                            and not node.keywords and not isinstance(node.args[0], ast.Starred)):
                        sites.append((block, stmt, node))
    if not sites:
        return False
    block, stmt, call = ctx.rng.choice(sites)
    total, item = ctx.fresh("total"), ctx.fresh("item")
    new: list[ast.stmt] = [
        ast.Assign([ast.Name(total, ast.Store())], ast.Constant(0), lineno=0),
        ast.For(ast.Name(item, ast.Store()), call.args[0],
                [ast.AugAssign(ast.Name(total, ast.Store()), ast.Add(), ast.Name(item, ast.Load()))],
                [], lineno=0)]
    _replacer(_parents(stmt), call, ast.Name(total, ast.Load()))()
    i = block.index(stmt)
    block[i:i] = new
    return True


def split_tuple_assignment(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`a, b = x, y` → `a = x` then `b = y` when no later value reads an earlier target."""
    sites = []
    for block in _blocks(fn):
        for stmt in block:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Tuple) and isinstance(stmt.value, ast.Tuple)
                    and len(stmt.targets[0].elts) == len(stmt.value.elts)
                    and all(isinstance(t, ast.Name) for t in stmt.targets[0].elts)):
                names = [t.id for t in stmt.targets[0].elts]  # type: ignore[attr-defined]
                if len(set(names)) == len(names) and all(
                        not ({*names[:i]} & _loaded([v])) for i, v in enumerate(stmt.value.elts)):
                    sites.append((block, stmt))
    if not sites:
        return False
    block, stmt = ctx.rng.choice(sites)
    assert isinstance(stmt, ast.Assign)
    targets, values = stmt.targets[0].elts, stmt.value.elts  # type: ignore[attr-defined]
    i = block.index(stmt)
    block[i:i + 1] = [ast.Assign([t], v, lineno=0) for t, v in zip(targets, values, strict=True)]
    return True


def _target_leaves(stmt: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[ast.expr]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return [leaf for t in targets for leaf in (t.elts if isinstance(t, ast.Tuple) else [t])]


def reorder_statements(ctx: Context, fn: ast.FunctionDef) -> bool:
    """Swap two adjacent assignments to plain names that neither read nor write what the
    other writes (a call with hidden state, e.g. a random draw, is the probes' to catch)."""
    pairs = []
    for block in _blocks(fn):
        for a, b in itertools.pairwise(block):
            if not (isinstance(a, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                    and isinstance(b, (ast.Assign, ast.AugAssign, ast.AnnAssign))):
                continue
            if not all(isinstance(t, ast.Name) for s in (a, b) for t in _target_leaves(s)):
                continue
            wa, wb = _stored([a]), _stored([b])
            if wa & (wb | _loaded([b])) or wb & _loaded([a]):
                continue
            pairs.append((block, a))
    if not pairs:
        return False
    block, a = ctx.rng.choice(pairs)
    i = block.index(a)
    block[i], block[i + 1] = block[i + 1], block[i]
    return True


def expand_augmented(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`n += v` → `n = n + v` where `n` started as a Python number (never a tensor)."""
    numbers = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = (zip(target.elts, node.value.elts, strict=False)
                         if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                         else [(target, node.value)])
                for t, v in pairs:
                    if isinstance(t, ast.Name) and isinstance(v, ast.Constant) \
                            and type(v.value) in (int, float):
                        numbers.add(t.id)
    sites = [(block, s) for block in _blocks(fn) for s in block
             if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)
             and s.target.id in numbers]
    if not sites:
        return False
    for block, stmt in ctx.rng.sample(sites, ctx.rng.randint(1, len(sites))):
        assert isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name)
        name = stmt.target.id
        block[block.index(stmt)] = ast.Assign(
            [ast.Name(name, ast.Store())], ast.BinOp(ast.Name(name, ast.Load()), stmt.op, stmt.value),
            lineno=0)
    return True


def conditional_expression_to_if(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`return a if c else b` / `v = a if c else b` → an if statement."""
    sites = [(block, s) for block in _blocks(fn) for s in block
             if isinstance(s, (ast.Return, ast.Assign)) and isinstance(s.value, ast.IfExp)]
    if not sites:
        return False
    block, stmt = ctx.rng.choice(sites)
    assert isinstance(stmt.value, ast.IfExp)
    test, yes, no = stmt.value.test, stmt.value.body, stmt.value.orelse

    def with_value(value: ast.expr) -> ast.stmt:
        if isinstance(stmt, ast.Return):
            return ast.Return(value)
        return ast.Assign(copy.deepcopy(stmt.targets), value, lineno=0)

    block[block.index(stmt)] = ast.If(test, [with_value(yes)], [with_value(no)])
    return True


def wrap_in_nested_function(ctx: Context, fn: ast.FunctionDef) -> bool:
    """The body moves into an inner function taking the same parameters, called once."""
    a = fn.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or any(
            isinstance(n, (ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal))
            for n in ast.walk(fn)):
        return False
    start = _body_start(fn)
    name = ctx.fresh(f"_{fn.name}_impl")
    params = [x.arg for x in a.args]
    inner = ast.FunctionDef(name=name, args=ast.arguments([], [ast.arg(p) for p in params], None,
                                                          [], [], None, []),
                            body=fn.body[start:], decorator_list=[], returns=None, lineno=0)
    call = ast.Return(ast.Call(ast.Name(name, ast.Load()), [ast.Name(p, ast.Load())
                                                            for p in params], []))
    fn.body[start:] = [inner, call]
    return True


def context_to_decorated_function(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`with cm(): body` → `@cm()` on an inner function holding `body`, called in its place."""
    sites = [(block, s) for block in _blocks(fn) for s in block
             if isinstance(s, ast.With) and len(s.items) == 1 and s.items[0].optional_vars is None
             and isinstance(s.items[0].context_expr, ast.Call)]
    if not sites:
        return False
    block, stmt = ctx.rng.choice(sites)
    assert isinstance(stmt, ast.With)
    if any(isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom, ast.Break, ast.Continue,
                          ast.Global, ast.Nonlocal))
           for s in stmt.body for n in ast.walk(s)) or _has_nested_scope(stmt.body):
        return False
    inside = _stored(stmt.body)
    outside_nodes = [s for s in fn.body if s is not stmt] if block is fn.body else None
    if outside_nodes is None:
        return False  # only a with statement at the top level of the function
    outside = _stored(outside_nodes) | set(_params(fn))
    used_outside = _loaded(outside_nodes)
    if (inside - outside) & used_outside:
        return False  # a name first bound inside would be lost
    shared = sorted(inside & outside)
    name = ctx.fresh("_under_context")
    body: list[ast.stmt] = ([ast.Nonlocal(shared)] if shared else []) + stmt.body
    inner = ast.FunctionDef(name=name, args=ast.arguments([], [], None, [], [], None, []),
                            body=body, decorator_list=[stmt.items[0].context_expr], returns=None,
                            lineno=0)
    i = block.index(stmt)
    block[i:i + 1] = [inner, ast.Expr(ast.Call(ast.Name(name, ast.Load()), [], []))]
    return True


def context_to_function_decorator(ctx: Context, fn: ast.FunctionDef) -> bool:
    """A top-level `with cm():` becomes `@cm()` on the whole function (a lab allows this
    only where the statements outside the block do not care about the context)."""
    withs = [s for s in fn.body if isinstance(s, ast.With) and len(s.items) == 1
             and s.items[0].optional_vars is None and isinstance(s.items[0].context_expr, ast.Call)]
    if len(withs) != 1:
        return False
    stmt = withs[0]
    i = fn.body.index(stmt)
    fn.body[i:i + 1] = stmt.body
    fn.decorator_list.append(stmt.items[0].context_expr)
    return True


def swap_context(ctx: Context, fn: ast.FunctionDef) -> bool:
    """Replace a context manager by an interchangeable one (`spec.contexts`)."""
    pairs = [(ast.dump(ast.parse(old, mode="eval").body), new) for old, new in ctx.spec.contexts]
    sites = [(item, new) for n in ast.walk(fn) if isinstance(n, ast.With) for item in n.items
             for old, new in pairs if ast.dump(item.context_expr) == old]
    if not sites:
        return False
    item, new = ctx.rng.choice(sites)
    item.context_expr = ast.parse(new, mode="eval").body
    return True


def add_keyword(ctx: Context, fn: ast.FunctionDef) -> bool:
    """`obj.method()` → `obj.method(keyword=value)` with a (method, keyword, values) of the spec."""
    sites = [(n, keyword, values) for n in ast.walk(fn) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute)
             for method, keyword, values in ctx.spec.keywords
             if n.func.attr == method and keyword not in {k.arg for k in n.keywords}]
    if not sites:
        return False
    call, keyword, values = ctx.rng.choice(sites)
    call.keywords.append(ast.keyword(keyword, ast.Constant(ctx.rng.choice(values))))
    return True


# ---------------------------------------------------------------- module-level transforms
ModuleTransform = Callable[[Context], bool]


def import_from(ctx: Context) -> bool:
    """`import a.b as c` → `from a import b as c` (or `from a import b` when c == b)."""
    sites = [(i, node) for i, node in enumerate(ctx.module.body) if isinstance(node, ast.Import)
             and len(node.names) == 1 and "." in node.names[0].name and node.names[0].asname]
    if not sites:
        return False
    i, node = ctx.rng.choice(sites)
    alias = node.names[0]
    package, _, leaf = alias.name.rpartition(".")
    ctx.module.body[i] = ast.ImportFrom(package, [ast.alias(leaf, None if alias.asname == leaf
                                                            else alias.asname)], 0)
    return True


def import_alias(ctx: Context) -> bool:
    """`import x as F` → `import x as fn` and every use of `F` renamed (`spec.aliases`)."""
    sites = []
    for node in ctx.module.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or alias.name
                for new in ctx.spec.aliases.get(bound, ()):
                    if new not in ctx.taken:
                        sites.append((alias, bound, new))
    shadowed = {n for f in ctx.module.body if isinstance(f, ast.FunctionDef) for n in _locals(f)}
    sites = [s for s in sites if s[1] not in shadowed]
    if not sites:
        return False
    alias, old, new = ctx.rng.choice(sites)
    ctx.taken.add(new)
    alias.asname = None if alias.name == new else new
    _rename([n for n in ctx.module.body if not isinstance(n, (ast.Import, ast.ImportFrom))],
            old, new)
    return True


TRANSFORMS: dict[str, Transform] = {
    "rename-locals": rename_locals,
    "alias-parameters": alias_parameters,
    "extract-helper": extract_helper,
    "inline-helper": inline_helper,
    "docstring": docstring,
    "comments": comments,
    "methods-functions": methods_to_functions,
    "operators-functions": operators_to_functions,
    "square-product": square_as_product,
    "comprehension-loop": comprehension_to_loop,
    "sum-loop": sum_to_loop,
    "split-tuple": split_tuple_assignment,
    "reorder": reorder_statements,
    "expand-augmented": expand_augmented,
    "ifexp-if": conditional_expression_to_if,
    "nested-function": wrap_in_nested_function,
    "context-decorated-inner": context_to_decorated_function,
    "context-function-decorator": context_to_function_decorator,
    "swap-context": swap_context,
    "add-keyword": add_keyword,
}
MODULE_TRANSFORMS: dict[str, ModuleTransform] = {
    "import-from": import_from,
    "import-alias": import_alias,
}


def unparse(module: ast.Module) -> str:
    """Source text of `module`, the comment markers turned into real comments."""
    text = ast.unparse(ast.fix_missing_locations(module))
    return re.sub(rf"^(\s*)'{COMMENT}(.*)'$", r"\1# \2", text, flags=re.MULTILINE) + "\n"


# ---------------------------------------------------------------- proving a variant
class Raised:
    """A probe's outcome that was an exception: only its type is compared."""

    def __init__(self, exc: BaseException) -> None:
        self.kind = type(exc).__name__

    def __repr__(self) -> str:
        return f"raised {self.kind}"


def run_probes(source: str, probes: Mapping[str, Probe]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "selftest_variant"}
    exec(compile(source, "<variant>", "exec"), namespace)  # our own generated code
    results: dict[str, Any] = {}
    for name, probe in probes.items():
        try:
            results[name] = probe(namespace)
        except Exception as exc:  # an exception is an outcome to compare
            results[name] = Raised(exc)
    return results


def difference(expected: Any, actual: Any, where: str = "") -> str | None:
    """Where `actual` differs from `expected` (None: the same), tensors to float tolerance."""
    import torch

    if isinstance(expected, Raised) or isinstance(actual, Raised):
        same = (isinstance(expected, Raised) and isinstance(actual, Raised)
                and expected.kind == actual.kind)
        return None if same else f"{where}: {expected!r} vs {actual!r}"
    if type(expected) is not type(actual):
        return f"{where}: {type(expected).__name__} vs {type(actual).__name__}"
    if isinstance(expected, torch.Tensor):
        if expected.dtype != actual.dtype or expected.shape != actual.shape:
            return f"{where}: {expected.dtype}{tuple(expected.shape)} vs " \
                   f"{actual.dtype}{tuple(actual.shape)}"
        if expected.dtype.is_floating_point:
            ok = torch.allclose(expected, actual, rtol=1e-5, atol=1e-6, equal_nan=True)
        else:
            ok = torch.equal(expected, actual)
        return None if ok else f"{where}: values differ"
    if isinstance(expected, float):
        same = math.isclose(expected, actual, rel_tol=1e-6, abs_tol=1e-9) or (
            math.isnan(expected) and math.isnan(actual))
        return None if same else f"{where}: {expected} vs {actual}"
    if isinstance(expected, (list, tuple)):
        if len(expected) != len(actual):
            return f"{where}: length {len(expected)} vs {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = difference(e, a, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, dict):
        if expected.keys() != actual.keys():
            return f"{where}: keys {sorted(expected)} vs {sorted(actual)}"
        for key in expected:
            found = difference(expected[key], actual[key], f"{where}[{key!r}]")
            if found:
                return found
        return None
    return None if expected == actual else f"{where}: {expected!r} vs {actual!r}"


def prove(reference: Mapping[str, Any], source: str, probes: Mapping[str, Probe]) -> str | None:
    """None when `source` gives the reference's results on every probe, else where not."""
    try:
        results = run_probes(source, probes)
    except Exception as exc:  # the module itself fails: not the same function
        return f"the module does not run: {type(exc).__name__}: {exc}"
    for name in probes:
        found = difference(reference[name], results[name], name)
        if found:
            return found
    return None


# ---------------------------------------------------------------- generating the corpus
def variant_source(reference: str, spec: VariantSpec, function: str, steps: Sequence[str],
                   rng: random.Random) -> tuple[str, tuple[str, ...]] | None:
    """Apply `steps` (those that apply) to `function`; None when none applied."""
    module = ast.parse(reference)
    ctx = Context(module, rng, spec)
    applied = []
    for step in steps:
        if step in MODULE_TRANSFORMS:
            done = MODULE_TRANSFORMS[step](ctx)
        else:
            done = TRANSFORMS[step](ctx, ctx.function(function))
        if done:
            applied.append(step)
    if not any(s in TRANSFORMS for s in applied):
        return None
    return unparse(module), tuple(applied)


def generate(reference: str, spec: VariantSpec, limit: int | None = None) -> Corpus:
    """Up to `spec.count` proved variants per function (in total at most `limit`).

    The k-th variant of a function leads with its k-th allowed transform (round-robin, so
    every transform is exercised on every function it is allowed on), then up to
    `spec.max_steps - 1` random others; an import style joins about a third of them."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is faster, and fair to shared cores
    try:
        return _generate(reference, spec, limit)
    finally:
        torch.set_num_threads(threads)


def _generate(reference: str, spec: VariantSpec, limit: int | None) -> Corpus:
    expected = run_probes(reference, spec.probes)
    unknown = {t for ts in spec.functions.values() for t in ts} - set(TRANSFORMS)
    unknown |= set(spec.module_transforms) - set(MODULE_TRANSFORMS)
    if unknown:
        raise ValueError(f"unknown transforms in the variant spec: {sorted(unknown)}")
    seen = {unparse(ast.parse(reference))}
    variants: list[Variant] = []
    dropped: list[tuple[str, str]] = []
    for function, allowed in spec.functions.items():
        rng = random.Random(f"{spec.seed}:{function}")
        made, wanted = 0, spec.counts.get(function, spec.count)
        for attempt in range(wanted * 8):
            if made >= wanted:
                break
            lead = allowed[attempt % len(allowed)]
            others = [t for t in allowed if t != lead]
            steps = [lead, *rng.sample(others, min(len(others), rng.randint(0, spec.max_steps - 1)))]
            if spec.module_transforms and rng.random() < 0.3:
                steps.insert(0, rng.choice(list(spec.module_transforms)))
            result = variant_source(reference, spec, function, steps, rng)
            if result is None or result[0] in seen:
                continue
            text, applied = result
            seen.add(text)
            name = f"var_{function.strip('_')}_{made + 1:02d}"
            why = prove(expected, text, spec.probes)
            if why is not None:
                dropped.append((f"{name}: {' + '.join(applied)}", why[:300]))
                continue
            variants.append(Variant(name, function, applied, text))
            made += 1
    if limit is not None:
        variants = _spread(variants, limit)
    return Corpus(variants, dropped)


def _spread(variants: list[Variant], limit: int) -> list[Variant]:
    """`limit` variants taken round-robin over the functions (every function early)."""
    by_function: dict[str, list[Variant]] = {}
    for v in variants:
        by_function.setdefault(v.function, []).append(v)
    chosen: list[Variant] = []
    queues = list(by_function.values())
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


# ---------------------------------------------------------------- the lab's corpus
_CACHE: dict[tuple[str, str], Corpus] = {}


def lab_corpus(lab: Any) -> Corpus:
    """The lab's generated variants (`<lab>_checks/variants.py`, `VARIANTS`); an empty
    corpus for a lab without one. Cached per process: generation proves every variant."""
    if not (lab.checks / "variants.py").is_file():
        return Corpus([], [])
    reference = lab.reference.read_text(encoding="utf-8")
    key = (str(lab.root), reference)
    if key not in _CACHE:
        from autograder.selftest.library import lab_attribute

        _CACHE[key] = generate(reference, lab_attribute(lab, "variants", "VARIANTS"))
    return _CACHE[key]


def as_alternatives(corpus: Corpus, limit: int | None = None) -> list[Any]:
    """The variants as selftest alternatives (each must score full marks)."""
    from autograder.selftest.library import Alternative

    chosen = corpus.variants if limit is None else _spread(list(corpus.variants), limit)
    return [Alternative(v.name, (v.function,), _constant(v.source), generated=v.steps)
            for v in chosen]


def _constant(text: str) -> Callable[[str], str]:
    def transform(_reference: str) -> str:
        return text
    return transform
