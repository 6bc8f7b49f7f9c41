"""Self-checks never contradict the grade, on every notebook selftest grades.

Why: the public tests a student runs before submitting (`assignment/tests/*.py`, otter's
format) show ✓ or ✗ per function. A public test that fails where no hidden check of the
function it is written for fails shows ✗ on a function whose grade is full — the student
rewrites code that was right. The library's declarations are held to this by a test of the
lab; here each notebook's *real* grade is, mechanical mutants included, which nobody picked
(one such mutant, a log_softmax giving nan, showed ✗ on cross_entropy built right on it).

The public tests run here, in-process: the notebooks are the reference's own code with one
change (selftest builds them), not students' uploads.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import signal
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

PublicTest = tuple[str, Callable[..., Any]]
SECONDS = 20.0  # a public test's limit here (a mutant may loop where the grader timed it out)


class SelfCheckTimeout(BaseException):
    """A public test ran past `SECONDS` (a BaseException: the test's own `except Exception`
    does not take it for a failure)."""


@contextlib.contextmanager
def _limited(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(*_: Any) -> None:
        raise SelfCheckTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def public_tests(folder: Path) -> list[PublicTest]:
    """The test functions of an assignment's public test files (otter's `test_case`
    decorator taken off), in file order."""
    tests: list[PublicTest] = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8").replace(
            "from otter.test_files import test_case", "")
        namespace: dict[str, Any] = {"test_case": lambda **_: (lambda test: test)}
        exec(compile(text, str(path), "exec"), namespace)
        tests += [(name, fn) for name, fn in namespace.items()
                  if name.startswith("test_") and name != "test_case" and callable(fn)]
    return tests


def namespace_of(code: str, answers: dict[str, Any]) -> dict[str, Any]:
    """The notebook's names: its code run as a module, then its answers."""
    namespace: dict[str, Any] = {"__name__": "submission"}
    with _quiet():
        exec(compile(code, "submission", "exec"), namespace)
    namespace.update(answers)
    return namespace


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The notebook's prints and warnings kept off the instructor's terminal (a lab author's
    selftest printed an alternative's `UserWarning` from `float(loss)` there)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _definitions(code: str) -> dict[str, tuple[str, set[str]]]:
    """Top-level definition -> (its source, the names it refers to)."""
    found = {}
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            found[node.name] = (ast.unparse(node), names)
    return found


def _key(test: str, params: list[str], definitions: dict[str, tuple[str, set[str]]],
         namespace: dict[str, Any]) -> str:
    """What a public test's verdict depends on: the definitions it can reach, the answers."""
    seen, todo = set(), [p for p in params if p in definitions]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [n for n in definitions[name][1] if n in definitions]
    answers = [repr(namespace.get(p)) for p in params if p not in definitions]
    return "\n".join([test, *answers, *(definitions[n][0] for n in sorted(seen))])


def public_failures(tests: Iterable[PublicTest], namespace: dict[str, Any], code: str = "",
                    verdicts: dict[str, bool] | None = None) -> dict[str, list[str]]:
    """Failing public test -> the graded names it calls (its parameters). With `code` and a
    `verdicts` cache, a test whose reachable code and answers were seen before is not run
    again (mutants share most of theirs). A test that runs past `SECONDS` raises
    `SelfCheckTimeout` (its verdict is not known)."""
    import torch

    failed: dict[str, list[str]] = {}
    definitions = _definitions(code) if code else {}
    cache = verdicts if verdicts is not None and code else {}
    for name, fn in tests:
        params = list(inspect.signature(fn).parameters)
        key = _key(name, params, definitions, namespace) if code else name
        if key not in cache:
            grad_mode, dtype = torch.is_grad_enabled(), torch.get_default_dtype()
            try:
                with _quiet(), _limited(SECONDS):
                    fn(**{p: namespace[p] for p in params})
                cache[key] = True
            except Exception:
                cache[key] = False
            finally:  # (a mutant's code may leave them changed for the next test)
                torch.set_grad_enabled(grad_mode)
                torch.set_default_dtype(dtype)
        if not cache[key]:
            failed[name] = params
    return failed


def tested(test: str, params: list[str]) -> set[str]:
    """The function a public test is written for (its first parameter, which its name
    starts with), not the helpers it also calls to tell their mistakes from its own."""
    first = [p for p in params if test.startswith(f"test_{p}")]
    return set(first[:1]) or set(params)


def checked_functions(checks: Iterable[str]) -> set[str]:
    """The functions whose checks these are (a check is named "function: what it checks")."""
    return {check.split(":", 1)[0] for check in checks}


def contradictions(failed: dict[str, list[str]], hidden_failed: Iterable[str]) -> list[str]:
    """The failing public tests whose function no failing hidden check is about."""
    charged = checked_functions(hidden_failed)
    return sorted(test for test, params in failed.items() if not tested(test, params) & charged)
