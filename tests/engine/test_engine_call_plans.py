"""Calls sent ahead (`sandbox.session.CallPlans`) and calls recorded only on request.

A check's calls of the last submission go to the worker in one request when the check
starts; the check's own calls are answered from those results when they are the same
request, and sent as before otherwise. Nothing a student sees may change: the same values,
the same errors, the same time limits, no incident or restart of its own.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch

from autograder.config import Limits
from autograder.load.notebook import Cell, Submission
from autograder.sandbox import protocol
from autograder.sandbox import session as session_module
from autograder.sandbox.client import Zygote
from autograder.sandbox.session import (
    CallPlans,
    CallTimeout,
    PlannedCall,
    StudentError,
    StudentSession,
    UnknownScenario,
    WorkerLost,
    call_key,
)

CODE = """
import os, time, torch
answer = "b"
def double(x):
    return x * 2
def picky(x):
    if x.sum() < 0:
        raise ValueError("negative")
    return x + 1
def sleepy(x):
    if float(x.sum()) > 100:
        while True:
            pass
    return x
def bump(x):
    x.add_(1)                       # in place: a call sharing x's tensor must not see it
    return x.clone()
def crashes(x):
    if float(x.sum()) > 100:
        os._exit(3)
    return x
state = {}
def warms_up_slowly(x):             # (a slow first-time import, say, that leaves a half state)
    if "started" not in state:
        state["started"] = True
        time.sleep(1.0)
        state["ready"] = True
    if "ready" not in state:
        raise RuntimeError("half-initialised")
    return x * 3
"""


@pytest.fixture(scope="module")
def zygote():
    with Zygote([]) as running:
        yield running


_IDS = itertools.count()


def _session(zygote: Zygote, plans: CallPlans, student: str = "",
             **limits: float) -> StudentSession:
    """A session of a notebook of its own (`student`: whose, when not only its own)."""
    submission = Submission(f"plans{next(_IDS)}", Path("plans.ipynb"), (Cell(1, CODE),), "0")
    session = StudentSession(zygote.connect(), submission, Limits(**limits), plans=plans,
                             student=student)
    session.start()
    return session


def _count_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    original = StudentSession._ask

    def ask(self, header, *args, **kwargs):
        sent.append(header["op"])
        return original(self, header, *args, **kwargs)

    monkeypatch.setattr(StudentSession, "_ask", ask)
    return sent


def _graded(zygote: Zygote, plans: CallPlans, run_checks, times: int) -> list:
    """`run_checks` for `times` submissions, one after the other: each one's results."""
    results = []
    for _ in range(times):
        session = _session(zygote, plans)
        try:
            results.append(run_checks(session))
        finally:
            session.close()
    return results


def _learn_then_replay(zygote: Zygote, plans: CallPlans, monkeypatch: pytest.MonkeyPatch,
                       run_checks) -> tuple[list[object], list[object], list[str]]:
    """Two submissions learn the plans (a call is planned once two submissions made it byte
    for byte); a third makes the same calls: the results, and the requests the third sent
    after its start."""
    expected = _graded(zygote, plans, run_checks, 2)[-1]
    sent = _count_requests(monkeypatch)
    second = _session(zygote, plans)
    sent.clear()  # (the start's ping)
    try:
        again = run_checks(second)
    finally:
        second.close()
    return expected, again, sent


def _check(session: StudentSession, inputs: list[torch.Tensor], function: str = "double",
           learn: bool = True, check: str = "a check") -> list[object]:
    session.begin_check(check)
    out: list[object] = []
    try:
        for x in inputs:
            try:
                out.append(session.call(function, x).value)
            except StudentError as error:
                out.append(error.kind)
    finally:
        session.end_check(learn=learn)
    return out


def test_the_third_submission_gets_its_calls_in_one_request(zygote, monkeypatch) -> None:
    plans = CallPlans()
    inputs = [torch.arange(3.0) + i for i in range(5)]
    sent = _count_requests(monkeypatch)
    for planned in (0, 5):  # planned once two submissions made the calls
        first = _session(zygote, plans)
        sent.clear()
        try:
            values = _check(first, inputs)
        finally:
            first.close()
        assert sent[-5:] == ["call"] * 5 and len(plans.get("a check")) == planned
    second = _session(zygote, plans)
    sent.clear()
    try:
        again = _check(second, inputs)
        assert sent == ["calls"]  # one request for the five calls
        # a call the plan does not hold (other bytes) goes as before; what was sent ahead
        # was sent once, for the whole submission
        sent.clear()
        second.begin_check("a check")
        assert torch.equal(second.call("double", torch.ones(2)).value, torch.full((2,), 2.0))
        second.end_check(learn=False)
        assert sent == ["call"]
    finally:
        second.close()
    assert all(torch.equal(a, b) for a, b in zip(values, again, strict=True))


def test_a_plan_sends_each_distinct_tensor_once_and_each_call_gets_its_own(zygote,
                                                                           monkeypatch) -> None:
    """The probe inputs repeat from call to call: one copy of each goes in the frame (bit for
    bit: -0.0 is not 0.0), and a function that edits its argument in place still leaves the
    next call sharing that tensor its own untouched copy."""
    same = torch.arange(3.0)
    inputs = [same, same.clone(), torch.tensor([-0.0, 1.0, 2.0]), same + 1, same.clone()]
    plans = CallPlans()
    expected, again, sent = _learn_then_replay(
        zygote, plans, monkeypatch, lambda session: _check(session, inputs, "bump"))
    assert sent == ["calls"]
    assert [v.tolist() for v in again] == [v.tolist() for v in expected] \
        == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [1.0, 2.0, 3.0]]
    frame = plans.encoded(plans.get("a check"))
    taken = [sub["tensors"] for sub in json.loads(frame.fields["calls"])]
    index = protocol._check_blob(frame.blob, protocol.DEFAULT_CAPS)
    assert len(taken) == 5 and len({t["t0"] for t in taken}) == 3  # 0.0 and -0.0 apart
    assert sorted(k for k in index if k != "__metadata__") == sorted({t["t0"] for t in taken})


def test_every_check_of_a_submission_is_sent_ahead_in_one_request(zygote, monkeypatch) -> None:
    plans = CallPlans()
    first_inputs = [torch.arange(3.0) + i for i in range(3)]
    second_inputs = [-torch.ones(2), torch.ones(2)]

    def run_checks(session: StudentSession) -> list[object]:
        return [*_check(session, first_inputs, "double", check="check one"),
                *_check(session, second_inputs, "picky", check="check two")]

    expected, again, sent = _learn_then_replay(zygote, plans, monkeypatch, run_checks)
    assert list(plans.order) == ["check one", "check two"]
    assert [c for c, _ in plans.ahead()] == ["check one"] * 3 + ["check two"] * 2
    assert sent == ["calls"]  # both checks' five calls, before the first check ran
    assert again[3] == "ValueError"
    assert all(a == b if isinstance(a, str) else torch.equal(a, b)
               for a, b in zip(expected, again, strict=True))


def test_a_variable_read_and_a_single_call_are_sent_ahead_too(zygote, monkeypatch) -> None:
    plans = CallPlans()

    def run_checks(session: StudentSession) -> list[object]:
        out: list[object] = []
        for check, step in (("reads a variable", lambda: session.get_var("answer")),
                            ("one call", lambda: session.call("double", torch.ones(2)).value)):
            session.begin_check(check)
            try:
                out.append(step())
            finally:
                session.end_check()
        return out

    expected, again, sent = _learn_then_replay(zygote, plans, monkeypatch, run_checks)
    assert sent == ["calls"]  # no get_var, no call of its own
    assert expected[0] == again[0] == "b" and torch.equal(again[1], torch.full((2,), 2.0))


def test_a_large_plan_goes_in_several_requests_within_the_caps(zygote, monkeypatch) -> None:
    monkeypatch.setattr(session_module, "AHEAD_CALLS", 4)
    plans = CallPlans()
    inputs = [torch.arange(3.0) + i for i in range(10)]
    values, again, sent = _learn_then_replay(zygote, plans, monkeypatch,
                                             lambda session: _check(session, inputs))
    assert sent == ["calls", "calls", "calls"]  # 4 + 4 + 2
    assert all(torch.equal(a, b) for a, b in zip(values, again, strict=True))


def test_errors_come_back_as_the_call_would_have_raised_them(zygote) -> None:
    plans = CallPlans()
    inputs = [torch.ones(2), -torch.ones(2), torch.zeros(2)]
    for _ in range(3):  # learn (two submissions), then served from the plan
        session = _session(zygote, plans)
        try:
            out = _check(session, inputs, "picky")
        finally:
            session.close()
        assert out[1] == "ValueError"
        assert torch.equal(out[0], torch.full((2,), 2.0)) and torch.equal(out[2], torch.ones(2))


def test_a_call_that_hangs_is_made_again_with_its_own_limit(zygote, monkeypatch) -> None:
    monkeypatch.setattr(session_module, "PREFETCH_CALL_S", 0.5)
    plans = CallPlans()
    _plan(plans, "a check", [_planned("sleepy", torch.ones(2)),
                             _planned("sleepy", torch.full((2,), 99.0)),
                             _planned("sleepy", torch.full((2,), 1000.0))])
    session = _session(zygote, plans, call_timeout_s=1.5)
    try:
        session.begin_check("a check")
        assert torch.equal(session.call("sleepy", torch.ones(2)).value, torch.ones(2))
        with pytest.raises(CallTimeout, match=r"ran past its [12] s limit"):
            session.call("sleepy", torch.full((2,), 1000.0))
        assert len(session.incidents.timeouts) == 1  # the check's own call, once
        session.end_check(learn=False)
        # slow code: nothing more is sent ahead for this notebook (its time is its own)
        assert session._prefetch_off
        session.begin_check("a check")
        assert session._prefetched == {}
    finally:
        session.close()


def test_a_call_cut_while_sent_ahead_is_made_again_in_a_fresh_worker(zygote,
                                                                     monkeypatch) -> None:
    """Cut at the short limit in the middle of its first run, the function left its process
    half changed: asked again in that process it would fail, so it is asked in a fresh one
    (no restart counted) and gives what it gives when it is not cut."""
    monkeypatch.setattr(session_module, "PREFETCH_CALL_S", 0.3)
    plans = CallPlans()
    _plan(plans, "a check", [_planned("double", torch.ones(2)),
                             _planned("warms_up_slowly", torch.ones(2))])
    session = _session(zygote, plans, call_timeout_s=5)
    try:
        first = session.worker.pid
        session.begin_check("a check")
        assert session._prefetch_off and session.worker.pid != first
        assert torch.equal(session.call("double", torch.ones(2)).value, torch.full((2,), 2.0))
        assert torch.equal(session.call("warms_up_slowly", torch.ones(2)).value,
                           torch.full((2,), 3.0))
        assert session.restarts == 0 and session.incidents.timeouts == []
    finally:
        session.close()


def test_a_worker_lost_while_calls_are_sent_ahead_costs_no_restart(zygote) -> None:
    plans = CallPlans()
    _plan(plans, "a check", [_planned("crashes", torch.ones(2)),
                             _planned("crashes", torch.full((2,), 1000.0))])
    session = _session(zygote, plans)
    try:
        session.begin_check("a check")  # the worker dies during the request sent ahead
        assert session.incidents.crashes == [] and session.restarts == 0
        assert session.worker is not None  # replaced at once, no restart counted
        assert torch.equal(session.call("crashes", torch.ones(2)).value, torch.ones(2))
        with pytest.raises(WorkerLost):  # the check's own call meets the crash, once
            session.call("crashes", torch.full((2,), 1000.0))
        assert len(session.incidents.crashes) == 1
    finally:
        session.close()


def _plan(plans: CallPlans, check: str, calls: list[PlannedCall]) -> None:
    """`calls` planned for `check`: made by two submissions."""
    for submission in (object(), object()):
        plans.learn(check, calls, submission)
    assert plans.get(check) == calls


def _planned(name: str, x: torch.Tensor) -> PlannedCall:
    from autograder.sandbox import protocol

    tensors = protocol.Tensors()
    header = {"op": "call", "name": name, "args": protocol.encode([x], tensors),
              "kwargs": protocol.encode({}, tensors), "grad_args": [], "gradcheck": False,
              "seed": 0, "record": False}
    key = call_key(header, dict(tensors.items))
    assert key is not None
    return PlannedCall(key, header, dict(tensors.items))


def test_the_key_tells_apart_what_the_request_tells_apart() -> None:
    """Plain values in the header: a signed zero, an int, a float and a bool of the same
    value are different requests; the same NaN is the same request."""
    def key(value: object) -> object:
        return call_key({"op": "call", "name": "f", "args": [value], "kwargs": {"__dict__": []}},
                        {})

    keys = [key(0.0), key(-0.0), key(1), key(1.0), key(True), key("1"), key(None)]
    assert len(set(keys)) == len(keys)
    assert key(float("nan")) == key(float("nan")) and key(0.5) == key(0.5)


def test_the_key_is_the_request() -> None:
    a = _planned("double", torch.ones(2))
    assert a.key == _planned("double", torch.ones(2)).key
    assert a.key != _planned("double", torch.ones(2, dtype=torch.float64)).key
    assert a.key != _planned("double", torch.tensor([1.0, 1.0 + 1e-7])).key
    assert a.key != _planned("picky", torch.ones(2)).key
    assert call_key({"op": "call"}, {"t0": torch.zeros(2, device="meta")}) is None
    plans = CallPlans()
    _plan(plans, "c", [a])  # one call is worth sending ahead with the others' calls
    plans.learn("c", [a, a], object())
    assert len(plans.get("c")) == 2
    plans.learn("c", [], object())  # a pass that made no call: nothing left to send
    assert plans.get("c") == [] and list(plans.order) == ["c"]


def test_a_call_made_with_fresh_values_each_time_is_not_sent_ahead() -> None:
    """A check's plan keeps the calls it made again for another submission: one with values
    drawn afresh every time would run ahead for nothing (and rebuild the request)."""
    plans = CallPlans()
    a, b = _planned("double", torch.ones(2)), _planned("double", torch.zeros(2))
    plans.learn("c", [a, b], object())  # a first pass: nothing yet
    assert plans.get("c") == []
    fresh = _planned("double", torch.full((2,), 7.0))
    plans.learn("c", [a, fresh], object())
    assert plans.get("c") == [a]
    plans.learn("c", [a, _planned("double", torch.full((2,), 8.0))], object())  # fresh again
    assert plans.get("c") == [a]
    again = _planned("double", torch.full((2,), 8.0))
    plans.learn("c", [a, again], object())  # the same call twice in a row: planned
    assert plans.get("c") == [a, again]


def test_a_call_fed_one_submissions_results_never_reaches_another_students_worker(
        zygote, monkeypatch) -> None:
    """A check that feeds a student's value back (an upstream gradient times the value) makes
    a call holding that student's data: it is planned only when two submissions gave the
    same bytes, so a call sent ahead never carries one student's results to another's
    worker (red team 9: the next student's code read them)."""
    plans = CallPlans()

    def run_checks(session: StudentSession, own: float) -> None:
        session.begin_check("feeds back")
        try:
            value = session.call("double", torch.ones(2)).value
            # an input built from the student's value (`own`: what differs between students)
            session.call("double", value * 3 + own)
        finally:
            session.end_check()

    for own in (1.0, 2.0, 5.0):  # three students
        session = _session(zygote, plans)
        try:
            run_checks(session, own)
        finally:
            session.close()
        # what the next student's worker would be sent ahead: nothing built from this one's
        assert all(torch.equal(tensor, torch.ones(2))
                   for call in plans.get("feeds back") for tensor in call.tensors.values())
    # only the call every submission made alike is planned: the fed-back one never
    planned = plans.get("feeds back")
    assert len(planned) == 1 and torch.equal(planned[0].tensors["t0"], torch.ones(2))
    frame = plans.encoded(planned)
    index = protocol._check_blob(frame.blob, protocol.DEFAULT_CAPS)
    assert len([k for k in index if k != "__metadata__"]) == 1  # the check's own input only


def test_one_students_two_notebooks_never_plan_their_own_values(zygote) -> None:
    """Two notebooks of one student (a further notebook, a group's rows) giving the very
    same bytes are still one student's: a call fed their values back is not planned, so
    it never reaches the next student's worker (a sixteenth outside red team's two
    notebooks did). Two students giving the same bytes share nothing that is one's."""
    plans = CallPlans()

    def run_checks(session: StudentSession) -> None:
        session.begin_check("feeds back")
        try:
            value = session.call("double", torch.ones(2)).value
            session.call("double", value * 3 + 7.0)  # built from the student's value
        finally:
            session.end_check()

    def fed_back_planned() -> bool:
        return any(not torch.equal(tensor, torch.ones(2))
                   for call in plans.get("feeds back") for tensor in call.tensors.values())

    for student in ("lee_1001", "lee_1001", "lee_1001"):  # main notebook, -2, -3
        session = _session(zygote, plans, student=student)
        try:
            run_checks(session)
        finally:
            session.close()
        assert not fed_back_planned()
    session = _session(zygote, plans, student="kim_1002")  # another student, the same bytes
    try:
        run_checks(session)
    finally:
        session.close()
    assert fed_back_planned()


def test_the_plans_learn_from_two_students_not_two_notebooks() -> None:
    plans = CallPlans()
    a = _planned("double", torch.ones(2))
    plans.learn("c", [a], "lee_1001")
    plans.learn("c", [a], "lee_1001")  # their further notebook: still one student
    assert plans.get("c") == []
    plans.learn("c", [a], "kim_1002")
    assert plans.get("c") == [a]


def test_library_calls_are_recorded_only_when_asked(zygote) -> None:
    code = "import torch.nn.functional as F\ndef loss(p, t):\n    return F.mse_loss(p, t)\n"
    submission = Submission("rec", Path("rec.ipynb"), (Cell(1, code),), "0")
    session = StudentSession(zygote.connect(), submission, Limits())
    session.start()
    try:
        plain = session.call("loss", torch.ones(2), torch.zeros(2))
        recorded = session.call("loss", torch.ones(2), torch.zeros(2), record=True)
    finally:
        session.close()
    assert not plain.recorded and plain.called == []
    assert recorded.recorded and "mse_loss" in recorded.called
    assert float(plain.value) == float(recorded.value) == 1.0


def test_workers_ended_back_to_back_keep_the_zygote_answering(zygote) -> None:
    # A finished worker is ended without waiting for its exit; the zygote still answers
    # every request on the connection in turn (an end is one request, one reply).
    connection = zygote.connect()
    for i in range(25):
        submission = Submission(f"s{i}", Path("s.ipynb"), (Cell(1, f"x = {i}"),), "0")
        session = StudentSession(connection, submission, Limits())
        session.start()
        try:
            assert session.get_var("x") == i
        finally:
            session.close()
    connection.close()


EVIDENCE = """
import torch
def get_device():
    torch.cuda.is_available = lambda: False   # tampers with what the scenario relies on
    return torch.device("cpu")
"""


def test_a_scenario_is_sent_ahead_and_what_it_found_still_voids_its_evidence(monkeypatch) -> None:
    """A recorded scenario (evidence) goes ahead with the calls: the worker verifies its
    integrity after it as it would have (`Worker._scenario`), the finding comes back with the
    result, and the check that takes the result is marked as resting on it."""
    from autograder.lab import Lab
    from autograder.sandbox import integrity

    plans = CallPlans()
    def graded() -> tuple[dict[str, object], list[str], dict[str, set[str]]]:
        submission = Submission(f"evidence{next(_IDS)}", Path("evidence.ipynb"),
                                (Cell(1, EVIDENCE),), "0")  # (each its own student)
        session = StudentSession(lab_zygote.connect(), submission, Limits(), plans=plans)
        session.start()
        try:
            session.begin_check("device")  # (two requests: one alone is not sent ahead)
            outcome = session.scenario("get_device", {})
            assert session.scenario("get_device", {}) == outcome
            session.end_check()
            return outcome, session.findings(), session.relied
        finally:
            session.close()

    with Zygote([], worker_modules=Lab.load(Path(__file__).resolve().parents[2]).worker_modules) \
            as lab_zygote:
        first = graded()
        graded()  # (two submissions: planned)
        sent = _count_requests(monkeypatch)
        second = graded()
    assert sent == ["ping", "calls", "verify"]  # no scenario request of its own
    for outcome, markers, relied in (first, second):
        assert outcome["with_cuda"] == outcome["without_cuda"] == "cpu"
        assert any(integrity.is_marker(m) and "torch.cuda.is_available" in m for m in markers)
        assert relied == {"device": {integrity.SCENARIOS}}


def test_a_scenario_given_a_longer_limit_is_not_sent_ahead(zygote) -> None:
    """Expected to run long: sent ahead, it would meet the short limit there."""
    plans = CallPlans()
    session = _session(zygote, plans)
    try:
        session.begin_check("long")
        for _ in range(2):
            with pytest.raises(UnknownScenario):  # (no such scenario in this zygote)
                session.scenario("train", {}, timeout=session.limits.call_timeout_s * 10)
        session.end_check()
    finally:
        session.close()
    assert plans.get("long") == []


def _unknown_scenario(session: StudentSession) -> list[object]:
    session.begin_check("a check")
    out: list[object] = []
    try:
        for _ in range(2):
            try:
                session.scenario("no_such_scenario", {})
            except UnknownScenario as error:
                out.append(str(error))
    finally:
        session.end_check(learn=True)
    return out


def test_an_unknown_scenario_is_the_checks_error_not_the_students(zygote) -> None:
    """A check asking for a scenario the lab never registered (a typo in the check) raises
    the grader's own error, which the runner reports to the instructor, never a student's
    exception — made alone and answered from a plan sent ahead alike."""
    plans = CallPlans()
    for out in _graded(zygote, plans, _unknown_scenario, 3):  # (the third from a plan)
        assert len(out) == 2 and all("no worker scenario 'no_such_scenario'" in o for o in out)


# ------------------------------------------------------- a check's calls asked ahead

def test_a_checks_fresh_calls_asked_ahead_go_in_one_request(zygote, monkeypatch) -> None:
    """`StudentSession.ahead`: calls a check will make (inputs drawn for this submission, so
    never planned) go in one request; the check's own calls, made after, are answered from
    it with what they answer alone — values and errors — and a call it did not announce
    (other bytes) is made as ever."""
    inputs = [torch.rand(3) for _ in range(4)] + [-torch.ones(2)]  # (drawn now: fresh)
    alone = _session(zygote, CallPlans())
    try:
        expected = _check(alone, inputs, "picky", learn=False)
    finally:
        alone.close()
    sent = _count_requests(monkeypatch)
    session = _session(zygote, CallPlans())
    sent.clear()
    try:
        session.begin_check("a check")
        session.ahead(*(lambda x=x: session.call("picky", x) for x in inputs))
        assert sent == ["calls"]
        out: list[object] = []
        for x in inputs:
            try:
                out.append(session.call("picky", x).value)
            except StudentError as error:
                out.append(error.kind)
        assert sent == ["calls"]  # every one answered from the request sent ahead
        assert torch.equal(session.call("picky", torch.ones(2)).value, torch.full((2,), 2.0))
        assert sent == ["calls", "call"]
        session.end_check(learn=False)
    finally:
        session.close()
    assert out[-1] == expected[-1] == "ValueError"
    assert all(torch.equal(a, b) for a, b in zip(out[:-1], expected[:-1], strict=True))


def test_calls_asked_ahead_are_used_once_and_only_by_their_check(zygote, monkeypatch) -> None:
    """A result asked ahead answers one call, of the check that asked: the same call made
    twice is made again the second time, and the next check asks for its own."""
    x = torch.arange(3.0)
    sent = _count_requests(monkeypatch)
    session = _session(zygote, CallPlans())
    try:
        session.begin_check("a check")
        session.ahead(lambda: session.call("double", x), lambda: session.call("picky", x))
        sent.clear()
        assert torch.equal(session.call("double", x).value, x * 2)
        assert sent == []
        assert torch.equal(session.call("double", x).value, x * 2)
        assert sent == ["call"]
        session.end_check(learn=False)
        session.begin_check("another check")
        assert torch.equal(session.call("picky", x).value, x + 1)
        assert sent == ["call", "call"]
        session.end_check(learn=False)
    finally:
        session.close()


def test_a_call_asked_ahead_that_hangs_is_made_again_with_its_own_limit(zygote,
                                                                       monkeypatch) -> None:
    monkeypatch.setattr(session_module, "PREFETCH_CALL_S", 0.5)
    session = _session(zygote, CallPlans(), call_timeout_s=1.5)
    try:
        session.begin_check("a check")
        session.ahead(lambda: session.call("sleepy", torch.ones(2)),
                      lambda: session.call("sleepy", torch.full((2,), 1000.0)))
        assert session._prefetch_off and session.incidents.timeouts == []
        assert torch.equal(session.call("sleepy", torch.ones(2)).value, torch.ones(2))
        with pytest.raises(CallTimeout, match=r"ran past its [12] s limit"):
            session.call("sleepy", torch.full((2,), 1000.0))
        assert len(session.incidents.timeouts) == 1  # the check's own call, once
        session.end_check(learn=False)
    finally:
        session.close()


def test_an_evidence_call_is_never_asked_ahead(zygote, monkeypatch) -> None:
    """A call with a library block in the evidence worker comes alone (its inputs drawn
    once the block is in place): `ahead` notes nothing of it and sends nothing."""
    sent = _count_requests(monkeypatch)
    session = _session(zygote, CallPlans())
    try:
        session.begin_check("a check")
        sent.clear()
        x = torch.arange(3.0)
        session.ahead(lambda: session.call("double", x, block=("softmax",),
                                           evidence=("softmax",)),
                      lambda: session.call("double", x, block=("softmax",),
                                           evidence=("softmax",)))
        assert sent == [] and session._prefetched == {}
        session.end_check(learn=False)
    finally:
        session.close()
