"""A notebook's own logging set-up and its use of `typing` are no tampering: red team 83's
fixes put the loggers on torch's path back silently before the grader's runs, and watch the
standard library's classes on the training path for replacement only. Graded end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
from make_fixtures import REFERENCE, answers, notebook  # noqa: E402

LOGGING_AND_TYPING = '''
import logging
import typing
from typing import NamedTuple, Optional

logging.basicConfig(level=logging.INFO)
logging.getLogger("torch").setLevel(logging.ERROR)
logging.getLogger("torch.autograd.graph").setLevel(logging.DEBUG)
logging.disable(logging.CRITICAL)


class Batch(NamedTuple):
    x: Optional[torch.Tensor]
    y: typing.Any
'''


def test_a_notebooks_own_logging_and_typing_is_no_tampering(grader, tmp_path: Path) -> None:
    path = tmp_path / "logging_and_typing.ipynb"
    nbformat.write(notebook(REFERENCE, LOGGING_AND_TYPING, answers()), path)
    result = grader.grade(path, "logging_and_typing")
    failing = {t.name: t.output for t in result.tests if not t.passed}
    assert not failing and not result.tampered, failing
