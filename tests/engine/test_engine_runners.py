"""The two check runners give the same verdicts; the direct one is chosen only when it can.

`DirectRunner` calls the checks itself (no pytest protocol per check); `SuiteRunner` runs them
in one pytest session. A suite that needs more of pytest than the plugin's fixtures (its own
fixture, a parametrized check) must get the pytest session, and be graded by it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from autograder.check import runner
from autograder.config import GradingConfig
from autograder.grader import Grader
from tests.engine.conftest import FIXTURES, LAB, fast_config_text

# a correct notebook, several kinds of mistake (values, training, tamper) and a crash
NOTEBOOKS = ("reference_code", "mutant_softmax_before_ce", "mutant_no_zero_grad",
             "mutant_evaluate_no_no_grad", "hostile_patches_allclose", "hostile_os_exit",
             "mutant_huber_calls_library")


def _grader(zygote, suite: Path | None = None) -> Grader:
    text = fast_config_text()
    return Grader(GradingConfig.model_validate(yaml.safe_load(text)), text, zygote.connect(),
                  LAB, suite=suite)


def test_lab05_suite_runs_directly() -> None:
    checks = runner.direct_checks(LAB.checks)
    assert checks is not None
    assert [spec.name for spec, _, _ in checks] == runner.suite_names(LAB.checks)
    assert isinstance(runner.runner_for(LAB.checks), runner.DirectRunner)


def test_direct_and_pytest_runners_give_the_same_verdicts(zygote) -> None:
    with _grader(zygote) as direct, _grader(zygote) as pytest_session:
        pytest_session._runner = runner.SuiteRunner(LAB.checks)
        for name in NOTEBOOKS:
            path = FIXTURES / f"{name}.ipynb"
            a, b = direct.grade(path, name), pytest_session.grade(path, name)
            assert isinstance(direct._runner, runner.DirectRunner)
            assert a.score == b.score, name
            assert [(t.name, t.passed, t.output, t.mistake, t.assessed_by) for t in a.tests] \
                == [(t.name, t.passed, t.output, t.mistake, t.assessed_by) for t in b.tests], name
            assert a.tampering == b.tampering and a.notes == b.notes, name


SUITE_WITH_OWN_FIXTURE = '''
import pytest
from autograder.check.registry import check

@pytest.fixture
def offset():
    return 1

@check("mse_loss: anything", "feedback")
def test_uses_own_fixture(student, offset):
    assert offset == 1
'''

SUITE_PARAMETRIZED = '''
import pytest
from autograder.check.registry import check

@check("mse_loss: anything", "feedback")
@pytest.mark.parametrize("k", [1])
def test_parametrized(student, k):
    assert k == 1
'''


@pytest.mark.parametrize("source", [SUITE_WITH_OWN_FIXTURE, SUITE_PARAMETRIZED])
def test_a_suite_needing_pytest_gets_the_pytest_session(tmp_path: Path, source: str) -> None:
    suite = tmp_path / f"suite_{abs(hash(source))}_checks"
    suite.mkdir()
    (suite / "__init__.py").write_text("")
    (suite / "test_one.py").write_text(textwrap.dedent(source))
    assert runner.direct_checks(suite) is None
    chosen = runner.runner_for(suite)
    try:
        assert isinstance(chosen, runner.SuiteRunner)
    finally:
        chosen.close()


def test_a_check_not_named_test_is_not_run_directly(tmp_path: Path) -> None:
    suite = tmp_path / "odd_name_checks"
    suite.mkdir()
    (suite / "__init__.py").write_text("")
    (suite / "test_one.py").write_text(textwrap.dedent('''
        from autograder.check.registry import check

        @check("mse_loss: anything", "feedback")
        def helper_check(student):
            pass
        '''))
    assert runner.direct_checks(suite) is None  # pytest would not collect it: neither do we


def test_a_check_that_raises_on_its_own_is_the_instructors_row_not_the_students(zygote) -> None:
    """A bug in a lab's check (a NameError in its code, an unknown scenario): the check says
    it was not graded, never that the student erred, and the row is `crashed` with the
    internal grader error as its reason — the instructor's to look at, graded again by the
    next run (batch.run regrades such rows)."""
    from autograder.score.results import GRADER_ERROR, INTERNAL_ERROR, Status

    with _grader(zygote) as grader:
        checks = grader._checks()
        assert isinstance(checks, runner.DirectRunner)
        spec, _, names = checks.checks[0]

        def broken(**fixtures: object) -> None:
            raise NameError("name 'math' is not defined")

        checks.checks[0] = (spec, broken, names)
        result = grader.grade(FIXTURES / "reference_code.ipynb", "broken_check")
    assert result.status is Status.CRASHED and result.reason.startswith(INTERNAL_ERROR)
    assert "NameError" in result.reason and spec.name in result.reason
    by_name = {t.name: t for t in result.tests}
    assert by_name[spec.name].mistake == GRADER_ERROR
    assert "not because of your code" in by_name[spec.name].output
    assert all(t.passed for name, t in by_name.items() if name != spec.name)
