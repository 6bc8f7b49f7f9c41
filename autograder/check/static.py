"""Read the student's source without running it: words for feedback, never a verdict.

The judge has the notebook text as plain data, so facts derived from it (which
library calls a function names, whether it mentions "cuda", whether it uses
`no_grad`) cannot be faked by tampering with the worker. But text is not behaviour:
a docstring that mentions CUDA, a call in a branch never taken, `no_grad` applied in a
helper are all correct code. So a check may use these facts only to choose the words of
a failure the run confirmed, or to decide to run an extra probe; a point is lost only
on what a run showed (the recorders, the forward hook, the judge's replays).
"""

from __future__ import annotations

import ast

from autograder.load.notebook import Submission
from autograder.load.transform import parse

NN_CLASS_TO_FUNCTION = {
    "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss", "MSELoss": "mse_loss",
    "L1Loss": "l1_loss", "HuberLoss": "huber_loss", "SmoothL1Loss": "smooth_l1_loss",
    "BCELoss": "binary_cross_entropy", "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
    "Softmax": "softmax", "LogSoftmax": "log_softmax",
}


class SourceFacts:
    """What the notebook's text says, parsed when a check first asks (most submissions pass
    every check that would: parsing every cell of every notebook was ~4 ms of the judge's)."""

    def __init__(self, sources: tuple[str, ...] = ()) -> None:
        self._sources = sources
        self._functions: dict[str, ast.FunctionDef] | None = None
        self._torch_names: set[str] = set()

    @classmethod
    def from_submission(cls, submission: Submission) -> SourceFacts:
        return cls(tuple(cell.source for cell in submission.cells))

    @property
    def functions(self) -> dict[str, ast.FunctionDef]:
        if self._functions is None:
            self._parse()
        assert self._functions is not None
        return self._functions

    @property
    def torch_imported_names(self) -> set[str]:
        if self._functions is None:
            self._parse()
        return self._torch_names

    def _parse(self) -> None:
        self._functions = {}
        for source in self._sources:
            try:
                tree = parse(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torch"):
                    self._torch_names.update(a.asname or a.name for a in node.names)
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    self._functions[node.name] = node

    def library_calls(self, function: str) -> set[str]:
        """Library function names `function` calls directly (F.x, torch.x, t.x(), nn.XLoss)."""
        node = self.functions.get(function)
        if node is None:
            return set()
        found: set[str] = set()
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            target = call.func
            if isinstance(target, ast.Attribute):
                found.add(NN_CLASS_TO_FUNCTION.get(target.attr, target.attr))
            elif (isinstance(target, ast.Name) and target.id in self.torch_imported_names
                  and target.id not in self.functions):  # the student's own function of that name
                found.add(NN_CLASS_TO_FUNCTION.get(target.id, target.id))
        return found

    def mentions_cuda(self, function: str) -> bool:
        node = self.functions.get(function)
        if node is None:
            return False
        docstrings = {id(sub.value) for sub in ast.walk(node)
                      if isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Constant)}
        for sub in ast.walk(node):
            if id(sub) in docstrings:
                continue  # a docstring (or any bare string) is prose, not a device
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and "cuda" in sub.value:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr == "cuda" and not _is_cuda_module(sub):
                return True
        return False

    def uses_parameter(self, function: str, parameter: str) -> bool:
        node = self.functions.get(function)
        if node is None:
            return False
        return any(isinstance(sub, ast.Name) and sub.id == parameter and isinstance(sub.ctx, ast.Load)
                   for sub in ast.walk(node))

    def compares_text_by_identity(self, function: str) -> bool:
        """`function` compares something with a string constant by `is` or `is not`
        (`reduction is "mean"`): equal strings need not be one object."""
        node = self.functions.get(function)
        if node is None:
            return False
        return any(isinstance(sub, ast.Compare)
                   and any(isinstance(op, (ast.Is, ast.IsNot)) for op in sub.ops)
                   and any(isinstance(side, ast.Constant) and isinstance(side.value, str)
                           for side in (sub.left, *sub.comparators))
                   for sub in ast.walk(node))

    def names_uncalled(self, function: str, attribute: str) -> bool:
        """`function` reads `.attribute` other than as the function of a call: a method written
        without its parentheses (`torch.cuda.is_available` in a condition is always true,
        `model.train` alone is a no-op)."""
        node = self.functions.get(function)
        if node is None:
            return False
        called = {id(sub.func) for sub in ast.walk(node) if isinstance(sub, ast.Call)}
        return any(isinstance(sub, ast.Attribute) and sub.attr == attribute
                   and isinstance(sub.ctx, ast.Load) and id(sub) not in called
                   for sub in ast.walk(node))

    def calls_attribute(self, function: str, attribute: str) -> bool:
        """`function` calls `.attribute(...)` (e.g. `torch.cuda.is_available()`)."""
        node = self.functions.get(function)
        if node is None:
            return False
        return any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                   and sub.func.attr == attribute for sub in ast.walk(node))

    def calls_with_argument(self, function: str, attribute: str, keyword: str,
                            value: object) -> bool:
        """`function` calls `.attribute(...)` with `value` as its first argument or as
        `keyword=value` (e.g. `logits.argmax(dim=0)` or `argmax(0)`), written as a constant."""
        node = self.functions.get(function)
        if node is None:
            return False
        for sub in ast.walk(node):
            if not (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr == attribute):
                continue
            given = [*sub.args[:1], *(k.value for k in sub.keywords if k.arg == keyword)]
            if any(isinstance(g, ast.Constant) and type(g.value) is type(value)
                   and g.value == value for g in given):
                return True
        return False

    def calls_name(self, function: str, name: str) -> bool:
        """`function` calls `name(...)` by its plain name (e.g. the notebook's own
        `get_device()`)."""
        node = self.functions.get(function)
        if node is None:
            return False
        return any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
                   and sub.func.id == name for sub in ast.walk(node))

    def calls_on_its_own(self, function: str, names: tuple[str, ...]) -> bool:
        """`function` has a statement that is only a call of one of `names` (by attribute or
        plain name): `torch.no_grad()` on its own line, a context manager made and dropped."""
        node = self.functions.get(function)
        if node is None:
            return False
        for sub in ast.walk(node):
            if isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Call):
                target = sub.value.func
                name = target.attr if isinstance(target, ast.Attribute) else \
                    getattr(target, "id", "")
                if name in names:
                    return True
        return False

    def disables_grad(self, function: str) -> bool:
        """`with torch.no_grad()`, `inference_mode`, `set_grad_enabled(False)` or the decorators."""
        node = self.functions.get(function)
        if node is None:
            return False
        names = {"no_grad", "inference_mode", "set_grad_enabled"}
        candidates: list[ast.expr] = list(node.decorator_list)
        for sub in ast.walk(node):
            if isinstance(sub, (ast.With, ast.AsyncWith)):
                candidates.extend(item.context_expr for item in sub.items)
        for expr in candidates:
            target = expr.func if isinstance(expr, ast.Call) else expr
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in names:
                return True
        return False


def _is_cuda_module(node: ast.Attribute) -> bool:
    """`torch.cuda.is_available()` mentions the cuda module, not a hard-coded device."""
    return isinstance(node.value, ast.Name) and node.value.id == "torch"
