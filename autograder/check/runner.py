"""Run the hidden suite against one submission and collect one verdict per check."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from autograder.check.context import CheckContext
from autograder.check.plugin import GradingPlugin, Verdict

SUITE = Path(__file__).resolve().parent / "suite"


class SuiteError(Exception):
    """The hidden suite and the configuration disagree: a harness error."""


def suite_names(suite: Path = SUITE) -> list[str]:
    """Every check name the suite declares, read from its `@check` marks without running it."""
    names: list[str] = []
    for path in sorted(suite.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_suite_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", []):
                if mark.name == "grading":
                    names.append(mark.kwargs["spec"].name)
    return names


def validate(config_names: list[str], suite: Path = SUITE) -> None:
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


def run_suite(context: CheckContext, suite: Path = SUITE) -> dict[str, Verdict]:
    plugin = GradingPlugin(context)
    args = [
        str(suite), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:warnings",
        "-p", "no:randomly", "-p", "no:xdist",
        # its gc.collect() after every session costs ~0.4 s per submission, for nothing here
        "-p", "no:unraisableexception", "--import-mode=importlib",
        "-o", "addopts=", "-c", os.devnull, "--rootdir", str(suite),
    ]
    code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise SuiteError(f"the hidden check suite could not run (pytest exit {int(code)})")
    expected = set(context.config.tests)
    found = set(plugin.verdicts)
    if found - expected:
        raise SuiteError("checks missing from grading_config.yaml: " + "; ".join(sorted(found - expected)))
    return plugin.verdicts
