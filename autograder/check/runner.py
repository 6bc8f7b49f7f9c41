"""Run the hidden suite against submissions and collect one verdict per check.

Checks are pytest functions of the plugin's fixtures (`student`, `ref`, `answers`, `source`,
`tol`, `memo`), marked by `@check`. Two runners give them the same verdicts:

- `DirectRunner` calls each check with those fixtures, in pytest's collection order, and
  turns what it raised into a verdict exactly as the plugin's report hook does. Per check it
  costs a function call: pytest's protocol (three phases, a dozen hooks, fixture requests and
  a report per check) was a third of the judge's own time per submission.
- `SuiteRunner` keeps ONE pytest session open in a thread of the judge: the suite is
  collected once and its items are run again for each submission with fresh fixtures (as
  pytest-rerunfailures does). It is used when a suite needs more of pytest than that (a
  fixture of its own, a parametrized or skipped check): `runner_for` chooses.
"""

from __future__ import annotations

import importlib
import inspect
import os
import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from autograder.check.context import CheckContext
from autograder.check.plugin import (
    GradingPlugin,
    Verdict,
    seed_check,
    settle_attributions,
    verdict_for,
)
from autograder.check.registry import CheckSpec, take_attribution
from autograder.check.tamper import take_declared


class SuiteError(Exception):
    """The hidden suite and the configuration disagree: a harness error."""


def import_suite(suite: Path) -> list[Any]:
    """The suite's `test_*.py` modules, imported as submodules of its package (the folder's
    name; its parent joins sys.path of this judge-side process), so that checks, their
    helpers and the lab's selftest library share one copy of each module."""
    parent = str(suite.resolve().parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
        importlib.invalidate_caches()
    return [importlib.import_module(f"{suite.name}.{path.stem}")
            for path in sorted(suite.glob("test_*.py"))]


def suite_checks(suite: Path) -> list[tuple[CheckSpec, Callable[..., Any]]]:
    """Every check the suite declares, as (spec, test function) in file order, found from its
    `@check` marks without pytest (for validation, and for the benchmark's no-isolation floor)."""
    checks: list[tuple[CheckSpec, Callable[..., Any]]] = []
    for module in import_suite(suite):
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", []):
                if mark.name == "grading":
                    checks.append((mark.kwargs["spec"], value))
    return checks


def suite_names(suite: Path) -> list[str]:
    """Every check name the suite declares, without running it."""
    return [spec.name for spec, _ in suite_checks(suite)]


def validate(config_names: list[str], suite: Path) -> None:
    """Suite and config must name the same checks, before anything is graded."""
    declared = suite_names(suite)
    missing = sorted(set(declared) - set(config_names))
    unknown = sorted(set(config_names) - set(declared))
    problems = []
    if missing:
        problems.append("checks without points in the config: " + "; ".join(missing))
    if unknown:
        problems.append("config entries that match no check: " + "; ".join(unknown))
    if problems:
        raise SuiteError("grading_config.yaml and the hidden checks disagree — "
                         + " | ".join(problems))


def pytest_args(suite: Path) -> list[str]:
    """A quiet, self-contained session: no user config, no plugins but ours and pytest's core."""
    return [
        str(suite), "--disable-plugin-autoload", "-p", "no:cacheprovider", "-p", "no:terminal",
        "-p", "no:warnings", "-p", "no:logging", "-p", "no:randomly", "-p", "no:xdist",
        # signal handlers can only be installed from the main thread, and the session runs in
        # another; nothing here writes to the judge's stdout, so there is nothing to capture
        "-p", "no:faulthandler", "--capture=no",
        # its gc.collect() after every session costs ~0.4 s per submission, for nothing here
        "-p", "no:unraisableexception", "--import-mode=importlib",
        "-o", "addopts=", "-c", os.devnull, "--rootdir", str(suite),
        # a lab folder may sit inside another project (tests/labs/): its conftest.py files
        # above the suite are not the suite's
        "--confcutdir", str(suite),
    ]


_STOP = object()


def _configured(verdicts: dict[str, Verdict], context: CheckContext) -> dict[str, Verdict]:
    """The verdicts, when every check that ran has its points in the config, with every
    attributed pass confirmed (`settle_attributions`)."""
    unknown = set(verdicts) - set(context.config.tests)
    if unknown:
        raise SuiteError("checks missing from grading_config.yaml: "
                         + "; ".join(sorted(unknown)))
    return settle_attributions(verdicts)


class _Loop:
    """pytest plugin: instead of running the collected items once, run them for each context
    the runner hands over, and hand back the verdicts."""

    def __init__(self, grading: GradingPlugin, requests: queue.Queue[Any],
                 replies: queue.Queue[Any]) -> None:
        self.grading = grading
        self.requests = requests
        self.replies = replies

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if session.testsfailed:
            self.replies.put(SuiteError(f"the hidden check suite could not be collected "
                                        f"({session.testsfailed} errors)"))
            return True
        items = list(session.items)
        while (context := self.requests.get()) is not _STOP:
            try:
                self.grading.use(context)
                for index, item in enumerate(items):
                    if isinstance(item, pytest.Function):
                        item._initrequest()  # fresh fixtures, as for a first run
                    following = items[index + 1] if index + 1 < len(items) else None
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
                self.replies.put(dict(self.grading.verdicts))
            except BaseException as exc:  # reported to the judge, which raises it
                self.replies.put(SuiteError(f"the hidden check suite failed: "
                                            f"{type(exc).__name__}: {exc}"))
        return True


class SuiteRunner:
    """One pytest session of the hidden suite, reused for every submission of a judge."""

    def __init__(self, suite: Path) -> None:
        self.suite = suite
        import_suite(suite)  # the package on sys.path: pytest imports the modules as its own
        self._requests: queue.Queue[Any] = queue.Queue()
        self._replies: queue.Queue[Any] = queue.Queue()
        self._grading = GradingPlugin()
        self._exit_code: int | None = None
        self._thread = threading.Thread(target=self._session, name="hidden-check-suite",
                                        daemon=True)
        self._thread.start()

    def _session(self) -> None:
        loop = _Loop(self._grading, self._requests, self._replies)
        self._exit_code = int(pytest.main(pytest_args(self.suite),
                                          plugins=[self._grading, loop]))

    def run(self, context: CheckContext) -> dict[str, Verdict]:
        if not self._thread.is_alive():
            raise SuiteError(f"the hidden check suite is not running (pytest exit "
                             f"{self._exit_code})")
        self._requests.put(context)
        while True:
            try:
                reply = self._replies.get(timeout=0.5)
                break
            except queue.Empty:
                if not self._thread.is_alive():
                    raise SuiteError(f"the hidden check suite could not run (pytest exit "
                                     f"{self._exit_code})") from None
        if isinstance(reply, SuiteError):
            raise reply
        return _configured(reply, context)

    def close(self) -> None:
        if self._thread.is_alive():
            self._requests.put(_STOP)
            self._thread.join()

    def __enter__(self) -> SuiteRunner:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


# The plugin's fixtures, by name: what each is for one submission (`DirectRunner` hands
# them to a check).
_FIXTURES: dict[str, Callable[[CheckContext], Any]] = {
    "student": lambda c: c.session, "ref": lambda c: c.reference.module,
    "answers": lambda c: c.reference.answers, "source": lambda c: c.facts,
    "tol": lambda c: c.config.tolerances, "memo": lambda c: c.memo,
}
FIXTURES = frozenset(_FIXTURES)


def fixtures_of(context: CheckContext) -> dict[str, Any]:
    return {name: value(context) for name, value in _FIXTURES.items()}


def direct_checks(suite: Path) -> list[tuple[CheckSpec, Callable[..., Any], tuple[str, ...]]] | None:
    """The suite's checks with the fixtures each asks for, when every one is a plain function
    of the plugin's fixtures with no mark but `@check`; None when pytest must run the suite."""
    checks: list[tuple[CheckSpec, Callable[..., Any], tuple[str, ...]]] = []
    for spec, fn in suite_checks(suite):
        # (pytest collects functions named test*, each once)
        if not getattr(fn, "__name__", "").startswith("test") or any(
                spec.name == other.name for other, _, _ in checks):
            return None
        try:
            parameters = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            return None
        names = tuple(parameters)
        if (not set(names) <= FIXTURES
                or any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                       or p.default is not p.empty for p in parameters.values())
                or any(mark.name != "grading" for mark in getattr(fn, "pytestmark", []))):
            return None
        checks.append((spec, fn, names))
    return checks


class DirectRunner:
    """The suite's checks called one after another in this thread (see the module's doc)."""

    def __init__(self, checks: list[tuple[CheckSpec, Callable[..., Any], tuple[str, ...]]]) -> None:
        self.checks = checks

    def run(self, context: CheckContext) -> dict[str, Verdict]:
        fixtures = fixtures_of(context)
        session = context.session
        verdicts: dict[str, Verdict] = {}
        for spec, fn, names in self.checks:
            take_attribution()  # (none left over from an earlier check)
            take_declared()
            error: BaseException | None = None
            try:
                seed_check(spec.name, context.fresh)  # as the plugin's `_seeded` fixture
                session.begin_check(spec.name)  # as the `student` fixture's set-up
                fn(**{name: fixtures[name] for name in names})
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # as pytest: SystemExit and pytest.fail included
                error = exc
            attributed, rests_on = take_attribution(), take_declared()
            # A passing check made the calls every correct submission needs; a failing one
            # may have made diagnostic calls the next submission would not: learn from passes.
            session.end_check(learn=error is None)
            verdicts[spec.name] = verdict_for(spec, error, attributed, rests_on)
        return _configured(verdicts, context)

    def close(self) -> None:
        pass


def runner_for(suite: Path) -> DirectRunner | SuiteRunner:
    """`DirectRunner` when the suite's checks need nothing more of pytest, else `SuiteRunner`."""
    checks = direct_checks(suite)
    return DirectRunner(checks) if checks is not None else SuiteRunner(suite)
