"""The lab's own plan holds: once two students' notebooks taught the judge a submission's
calls, the next correct notebook gets them all in the requests sent ahead, and its checks
take nearly every answer from there.

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

    def counted_prefetch(self: StudentSession, calls: list) -> int:
        done = prefetch(self, calls)
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
        for student in ("a", "b"):
            grader.grade(notebook, student)
        monkeypatch.setattr(StudentSession, "_prefetch", counted_prefetch)
        monkeypatch.setattr(StudentSession, "_planned", counted_planned)
        result = grader.grade(notebook, "c")
    assert result.score == result.max_score
    assert sent and all(done == calls for calls, done in sent), sent
    assert sum(calls for calls, _ in sent) >= 200
    assert sum(answered) >= 0.8 * len(answered), (sum(answered), len(answered))
