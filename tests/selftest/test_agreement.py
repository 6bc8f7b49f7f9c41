"""The self-check agreement in selftest (autograder/selftest/agreement.py): a public test that
fails where no hidden check of the function it is written for failed is a contradiction."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.selftest import agreement

TESTS = '''from otter.test_files import test_case

@test_case(points=None, hidden=False)
def test_double_value(double):
    assert double(2) == 4, "double: 2 doubled is 4"

@test_case(points=None, hidden=False)
def test_quadruple_on_double(quadruple, double):
    assert quadruple(1) == 4

@test_case(points=None, hidden=False)
def test_slow(double):
    while True:
        pass
'''
RIGHT = '''
def double(x):
    return 2 * x

def quadruple(x):
    return double(double(x))
'''


@pytest.fixture
def tests(tmp_path: Path) -> list[agreement.PublicTest]:
    (tmp_path / "double.py").write_text(TESTS, encoding="utf-8")
    found = agreement.public_tests(tmp_path)
    return [t for t in found if t[0] != "test_slow"]


def test_public_tests_are_read_without_otter(tests) -> None:
    assert [name for name, _ in tests] == ["test_double_value", "test_quadruple_on_double"]


def test_a_test_is_written_for_the_function_its_name_starts_with() -> None:
    assert agreement.tested("test_quadruple_on_double", ["quadruple", "double"]) == {"quadruple"}
    assert agreement.tested("test_central_case", ["a", "b"]) == {"a", "b"}


def test_a_helper_mistake_is_a_contradiction_only_where_the_caller_grade_is_full(tests) -> None:
    wrong = RIGHT.replace("return 2 * x", "return 3 * x")
    failed = agreement.public_failures(tests, agreement.namespace_of(wrong, {}), wrong, {})
    assert set(failed) == {"test_double_value", "test_quadruple_on_double"}
    # the hidden checks charged double only: quadruple's self-check contradicts its grade
    assert agreement.contradictions(failed, ["double: values"]) == ["test_quadruple_on_double"]
    assert agreement.contradictions(failed, ["double: values", "quadruple: values"]) == []


def test_right_code_fails_nothing_and_verdicts_are_reused(tests) -> None:
    verdicts: dict[str, bool] = {}
    assert agreement.public_failures(tests, agreement.namespace_of(RIGHT, {}), RIGHT,
                                     verdicts) == {}
    assert len(verdicts) == 2
    # the same reachable code again: answered from the cache, not run (a namespace that
    # would fail every test shows it)
    assert agreement.public_failures(tests, {"double": None, "quadruple": None}, RIGHT,
                                     verdicts) == {}


def test_a_test_past_its_limit_has_no_verdict(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "double.py").write_text(TESTS, encoding="utf-8")
    slow = [t for t in agreement.public_tests(tmp_path) if t[0] == "test_slow"]
    monkeypatch.setattr(agreement, "SECONDS", 0.2)
    with pytest.raises(agreement.SelfCheckTimeout):
        agreement.public_failures(slow, agreement.namespace_of(RIGHT, {}), RIGHT, {})


def test_a_notebooks_prints_and_warnings_stay_off_the_terminal(
        tests, capfd: pytest.CaptureFixture[str]) -> None:
    """A lab author's selftest printed an alternative's `UserWarning` (`float(loss)`) on the
    instructor's terminal: the notebook's code and the public tests run quietly."""
    noisy = ("import sys, warnings\nwarnings.warn('NOISY-CELL')\nprint('NOISY-PRINT')\n"
             "sys.stderr.write('NOISY-ERR\\n')\n" + RIGHT.replace(
                 "return 2 * x", "warnings.warn('NOISY-CALL')\n    return 2 * x"))
    failed = agreement.public_failures(tests, agreement.namespace_of(noisy, {}), noisy, {})
    assert failed == {}
    out, err = capfd.readouterr()
    assert "NOISY" not in out + err, out + err
