"""Checks are total: whatever a student's function returns or raises, every hidden check
ends in a student-facing verdict, never an internal check error.

Why a property test: the values a wrong function can return are endless (a tensor of
another shape or dtype, a numpy array, a list, None, a string, nan, an exception), and a
check that crashes on one of them turns a student's mistake into "internal check error"
and the diagnosis it meant to give into nothing. Hypothesis feeds every check of the lab
arbitrary returns through a fake session, no zygote: each call returns either the
reference's value (exact or perturbed) or an arbitrary value, or raises; each scenario
returns the reference's in-process outcome with arbitrary fields replaced. The check's
exception is mapped by the plugin's own `verdict_for`, which must give no harness error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.check.context import Reference
from autograder.check.plugin import verdict_for
from autograder.check.runner import suite_checks
from autograder.check.static import SourceFacts
from autograder.config import load_config
from autograder.lab import Lab
from autograder.sandbox import harness
from autograder.sandbox.protocol import MetaTensor, NumpyArray, Opaque
from autograder.sandbox.session import CallResult, CallTimeout, MissingFunction, StudentError

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
TOLERANCES = load_config(LAB.config).tolerances  # the lab's own, as a judge has them
REFERENCE = Reference.load(LAB.solutions)
CHECKS = suite_checks(LAB.checks)
harness.load_lab_modules(LAB.worker_modules)

DTYPES = (torch.float32, torch.float64, torch.int64, torch.bool, torch.float16)
ERRORS = ("ValueError", "NotImplementedError", "RuntimeError", "ZeroDivisionError",
          "TypeError", "IndexError", "KeyError", "LibraryBlocked")


def tensors() -> st.SearchStrategy[torch.Tensor]:
    shape = st.lists(st.integers(0, 5), min_size=0, max_size=3)
    fill = st.sampled_from(("randn", "nan", "inf", "zeros", "big"))

    def make(args: tuple[list[int], torch.dtype, str, int]) -> torch.Tensor:
        dims, dtype, how, seed = args
        x = torch.randn(dims, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        x = {"randn": x, "nan": x * math.nan, "inf": x.sign() * math.inf, "zeros": x * 0,
             "big": x * 1e30}[how]
        return x.to(dtype)

    return st.tuples(shape, st.sampled_from(DTYPES), fill, st.integers(0, 99)).map(make)


def arbitrary() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
                        st.just(Opaque("generator", "<generator>")),
                        st.just(MetaTensor([3, 2], "float32")))
    leaves = st.one_of(scalars, tensors(), tensors().map(NumpyArray))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(("loss", "accuracy", "train_loss", "val_loss",
                                         "val_accuracy", "x")), inner, max_size=4)),
        max_leaves=6)


def perturbed(value: Any, how: str) -> Any:
    """The reference's value, slightly or grossly wrong, in another type or shape."""
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point():
            return {"scale": value * 2, "noise": value + 1, "type": value.tolist(),
                    "shape": value.reshape(-1)[:1], "dtype": value.double()}[how]
        return {"scale": value * 100, "noise": value + 1e-3, "type": value.tolist(),
                "shape": value.unsqueeze(0), "dtype": value.to(torch.float16)}[how]
    if isinstance(value, float):
        return {"scale": value * 100, "noise": value + 1e-3, "type": torch.tensor(value),
                "shape": [value], "dtype": int(value)}[how]
    if isinstance(value, tuple):
        return {"scale": value[::-1], "noise": tuple(perturbed(v, how) for v in value),
                "type": list(value), "shape": value[:2], "dtype": value}[how]
    return value


class FakeStudent:
    """A `StudentSession` whose every answer is drawn by hypothesis."""

    cuda_available = False

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def _raise(self, name: str) -> None:
        kind = self.data.draw(st.sampled_from(("student", "missing", "timeout")))
        if kind == "missing":
            raise MissingFunction(name)
        if kind == "timeout":
            raise CallTimeout(f"{name} ran past its 8 s limit")
        raise StudentError(name, {"type": self.data.draw(st.sampled_from(ERRORS)),
                                  "message": "boom", "where": ""})

    def call(self, name: str, *args: Any, grad_args: tuple[int, ...] = (),
             upstream: torch.Tensor | None = None, gradcheck: bool = False, seed: int = 0,
             record: bool = False, block: tuple[str, ...] = (), gpu: bool = False,
             evidence: tuple[str, ...] = (), **kwargs: Any) -> CallResult:
        mode = self.data.draw(st.sampled_from(("reference", "perturbed", "arbitrary", "raise")))
        if mode == "raise":
            self._raise(name)
        value: Any = None
        if mode != "arbitrary":
            try:
                value = getattr(REFERENCE.module, name)(*args, **kwargs)
            except Exception:
                self._raise(name)
            if mode == "perturbed":
                value = perturbed(value, self.data.draw(st.sampled_from(
                    ("scale", "noise", "type", "shape", "dtype"))))
        else:
            value = self.data.draw(arbitrary())
        grads = self.data.draw(st.one_of(
            st.none(), st.just({"problem": "detached"}), st.just({"problem": "x"}),
            st.lists(st.one_of(tensors(), st.none()), max_size=2), arbitrary()))
        return CallResult(value=value, called=self.data.draw(st.lists(st.sampled_from(
            ("softmax", "aten::nll_loss_forward", "exp", "tamper:calls:x")), max_size=2)),
            mutated=self.data.draw(st.lists(st.integers(0, 2), max_size=1)), grads=grads,
            gradcheck=self.data.draw(st.one_of(st.booleans(), st.none(), st.text(max_size=3))),
            recorded=record, devices=self.data.draw(st.lists(st.sampled_from(
                ("gpu", "cpu", "x")), max_size=2)) if gpu else None)

    def ahead(self, *asks: Any) -> None:
        pass  # (the session's round-trip saving: nothing a check can observe)

    def blocked_in_its_cells(self, function: str) -> list[tuple[str, str]]:
        return self.data.draw(st.lists(st.tuples(st.sampled_from(("cell 3", "")), st.sampled_from(
            ("aten::mse_loss", "aten::_softmax", "aten::exp", "", "x"))), max_size=2))

    def scenario(self, name: str, params: dict[str, Any], timeout: float | None = None,
                 record: bool = True, evidence: tuple[str, ...] = (),
                 block: tuple[str, ...] = ()) -> dict[str, Any]:
        if self.data.draw(st.integers(0, 9)) == 0:
            self._raise(name)
        try:
            outcome = dict(harness.SCENARIOS[name](vars(REFERENCE.module), params))
        except Exception:
            outcome = {}
        for key in self.data.draw(st.lists(st.sampled_from(sorted(outcome) or ["returned"]),
                                           max_size=3)):
            outcome[key] = self.data.draw(arbitrary())
        return outcome

    def get_var(self, name: str) -> Any:
        return self.data.draw(arbitrary())


def fixtures(data: st.DataObject) -> dict[str, Any]:
    return {"student": FakeStudent(data), "ref": REFERENCE.module,
            "answers": REFERENCE.answers, "source": SourceFacts(), "tol": TOLERANCES,
            "memo": {}}


def _run(test: Callable[..., Any], values: dict[str, Any]) -> BaseException | None:
    names = test.__code__.co_varnames[:test.__code__.co_argcount]
    try:
        test(**{name: values[name] for name in names})
    except Exception as error:
        return error
    return None


@pytest.mark.parametrize(("spec", "test"), CHECKS, ids=[spec.name[:60] for spec, _ in CHECKS])
def test_every_check_gives_a_student_verdict_whatever_the_student_returns(spec, test) -> None:
    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def property_(data: st.DataObject) -> None:
        verdict = verdict_for(spec, _run(test, fixtures(data)))
        assert not verdict.harness_error, verdict.harness_error

    property_()


# One way of being wrong, the same in every call: what a real notebook does (red team 26's
# `mae_loss` that returned `(pred - target,)` every time, a `cross_entropy` returning a bool
# tensor), where the draws above, new at every call, seldom take a check down the branch
# that meets such a value twice. Every wire dtype, containers around the value, an input
# handed back, the wrong kind altogether.
def _first_input(value: Any, args: tuple[Any, ...]) -> Any:
    return next((a for a in args if isinstance(a, torch.Tensor)), value)


def _tensor_map(how: Callable[[torch.Tensor], Any]) -> Callable[[Any, tuple[Any, ...]], Any]:
    def apply(value: Any, args: tuple[Any, ...]) -> Any:
        if isinstance(value, torch.Tensor):
            return how(value)
        if isinstance(value, tuple):
            return tuple(apply(v, args) for v in value)
        if isinstance(value, float):
            return how(torch.tensor(value))
        return value
    return apply


WAYS: dict[str, Callable[[Any, tuple[Any, ...]], Any]] = {
    **{f"as {dtype}": _tensor_map(lambda t, d=dtype: t.to(d))
       for dtype in (torch.bool, torch.int64, torch.int8, torch.uint8, torch.float16,
                     torch.bfloat16, torch.int32)},
    "in a 1-tuple": lambda value, args: (value,),
    "in a pair": lambda value, args: (value, value),
    "in a list": lambda value, args: [value, value],
    "in a dict": lambda value, args: {"loss": value},
    "an input handed back": lambda value, args: _first_input(value, args),
    "inputs handed back": lambda value, args: tuple(args),
    "a numpy array": _tensor_map(NumpyArray),
    "one more dimension": _tensor_map(lambda t: t.unsqueeze(0)),
    "flattened": _tensor_map(lambda t: t.reshape(-1)),
    "empty": _tensor_map(lambda t: t.reshape(-1)[:0]),
    "nan": _tensor_map(lambda t: t.double() * math.nan),
    "a list of numbers": _tensor_map(lambda t: t.tolist()),
    "a string": lambda value, args: "loss",
    "None": lambda value, args: None,
    "an opaque object": lambda value, args: Opaque("object", "<object>"),
    "a meta tensor": lambda value, args: MetaTensor([3, 2], "float32"),
}


class ConsistentStudent:
    """A `StudentSession` whose functions are the reference's, each value changed one way,
    the same way in every call; scenarios' outcomes the reference's, what the student's
    function returned changed that way too."""

    cuda_available = False

    def __init__(self, way: Callable[[Any, tuple[Any, ...]], Any]) -> None:
        self.way = way

    def call(self, name: str, *args: Any, gpu: bool = False, **kwargs: Any) -> CallResult:
        options = {k: v for k, v in kwargs.items() if k not in (
            "grad_args", "upstream", "gradcheck", "seed", "record", "block", "evidence")}
        try:
            value = getattr(REFERENCE.module, name)(*args, **options)
        except Exception as exc:
            raise StudentError(name, {"type": type(exc).__name__, "message": str(exc),
                                      "where": ""}) from None
        return CallResult(value=self.way(value, args), called=[], mutated=[], grads=None,
                          gradcheck=None, recorded=bool(kwargs.get("record")),
                          devices=["gpu"] if gpu else None)

    def ahead(self, *asks: Any) -> None:
        pass  # (the session's round-trip saving: nothing a check can observe)

    def blocked_in_its_cells(self, function: str) -> list[tuple[str, str]]:
        return []  # (no evidence worker ran the notebook's cells)

    def scenario(self, name: str, params: dict[str, Any], timeout: float | None = None,
                 record: bool = True, evidence: tuple[str, ...] = (),
                 block: tuple[str, ...] = ()) -> dict[str, Any]:
        try:
            outcome = dict(harness.SCENARIOS[name](vars(REFERENCE.module), params))
        except Exception:
            return {}
        for key in ("returned", "value", "result"):
            if key in outcome:
                outcome[key] = self.way(outcome[key], ())
        return outcome

    def get_var(self, name: str) -> Any:
        return self.way(getattr(REFERENCE.module, name, None), ())


@pytest.mark.parametrize(("spec", "test"), CHECKS, ids=[spec.name[:60] for spec, _ in CHECKS])
def test_every_check_gives_a_student_verdict_for_one_mistake_made_every_time(spec, test) -> None:
    problems = []
    for way_name, way in WAYS.items():
        values = {"student": ConsistentStudent(way), "ref": REFERENCE.module,
                  "answers": REFERENCE.answers, "source": SourceFacts(), "tol": TOLERANCES,
                  "memo": {}}
        verdict = verdict_for(spec, _run(test, values))
        if verdict.harness_error:
            problems.append(f"{way_name}: {verdict.harness_error}")
    assert not problems, problems
