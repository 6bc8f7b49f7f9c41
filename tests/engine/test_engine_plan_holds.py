"""The lab's own plan holds: once the judge rehearsed on the lab's solution (`Grader.rehearse`),
a correct notebook gets its calls in the requests sent ahead, and its checks take nearly
every answer from there; and the plan is the lab's alone, whoever is graded after.

Why: a plan that fails falls back to one request a call, and nothing a student sees
changes (by design: `StudentSession._prefetch`), so no other test notices. A frame holding
an empty tensor whose name sorted after its neighbour's was refused by the worker, and
every submission's remaining ~400 calls went one by one — 2.5 times its cost — for a day
before a benchmark showed it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.config import GradingConfig
from autograder.grader import Grader
from autograder.sandbox.session import StudentSession
from tests.engine.conftest import FIXTURES, LAB, fast_config_text


@pytest.mark.slow
def test_a_correct_notebook_gets_its_calls_from_the_plan(zygote,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[int, int]] = []  # (calls in a request sent ahead, results it returned)
    answered: list[bool] = []  # per call or scenario the checks made: from the plan?
    prefetch, planned = StudentSession._prefetch, StudentSession._planned

    def counted_prefetch(self: StudentSession, calls: list, *rest: object) -> int:
        done = prefetch(self, calls, *rest)  # type: ignore[arg-type]
        sent.append((len(calls), done))
        return done

    def counted_planned(self: StudentSession, key, request):  # type: ignore[no-untyped-def]
        ready = planned(self, key, request)
        answered.append(bool(ready))
        return ready

    text = fast_config_text()
    notebook: Path = FIXTURES / "reference_code.ipynb"
    with Grader(GradingConfig.model_validate(yaml.safe_load(text)), text, zygote.connect(),
                LAB) as grader:
        grader.rehearse()
        monkeypatch.setattr(StudentSession, "_prefetch", counted_prefetch)
        monkeypatch.setattr(StudentSession, "_planned", counted_planned)
        result = grader.grade(notebook, "c")
    assert result.score == result.max_score
    assert sent and all(done == calls for calls, done in sent), sent
    assert sum(calls for calls, _ in sent) >= 200
    # (most: the edge checks' and no-library checks' inputs are drawn afresh on purpose,
    # never planned — ~22 % of the calls since the edge ladder; a broken plan gives none)
    assert sum(answered) >= 0.7 * len(answered), (sum(answered), len(answered))


@pytest.mark.slow
def test_the_plan_is_learned_from_the_solution_alone(zygote) -> None:
    """An outside red team's notebook read, from which of its calls came sent ahead, what the
    checks had called for the classmates graded before it (the plan was learned from the last
    two students whose check passed): its row scored 135 after two honest classmates and 131
    after two failing ones. Now the plan is the rehearsal's, frozen: students graded after it,
    right or wrong, change nothing of it, and a judge that did not rehearse sends nothing
    ahead, whatever it graded."""
    text = fast_config_text()
    config = GradingConfig.model_validate(yaml.safe_load(text))

    def planned(grader: Grader) -> list[tuple[str, object]]:
        return [(check, call.key) for check, call in grader.plans.ahead()]

    with Grader(config, text, zygote.connect(), LAB) as grader, \
            Grader(config, text, zygote.connect(), LAB) as unrehearsed:
        grader.rehearse()
        rehearsed = planned(grader)
        assert len(rehearsed) >= 200
        for student, notebook in (("a", "reference_code"), ("b", "reference_code"),
                                  ("c", "mutant_mse_sum_for_mean"), ("d", "mutant_mse_sum_for_mean")):
            grader.grade(FIXTURES / f"{notebook}.ipynb", student)
            assert planned(grader) == rehearsed, student
        for student in ("a", "b"):
            unrehearsed.grade(FIXTURES / "reference_code.ipynb", student)
        assert planned(unrehearsed) == []
