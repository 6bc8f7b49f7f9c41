"""Run the hidden suite against one submission and collect one verdict per check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.check.context import CheckContext
from autograder.check.plugin import GradingPlugin, Verdict

SUITE = Path(__file__).resolve().parent / "suite"


class SuiteError(Exception):
    """The hidden suite and the configuration disagree: a harness error."""


def run_suite(context: CheckContext, suite: Path = SUITE) -> dict[str, Verdict]:
    plugin = GradingPlugin(context)
    args = [
        str(suite), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:warnings",
        "-p", "no:randomly", "-p", "no:xdist", "--import-mode=importlib",
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
