"""NaN and inf never pass a value check.

`abs(nan - x) > atol` is false, so a metric returning nan used to pass
`precision_recall_f1` and `macro_f1`. The comparison helpers are tested directly, and
notebooks whose metrics return nan or inf are graded through the real engine (the hidden
suite narrowed to Part C): each fails its value checks with a message that says nan/inf.
"""

from __future__ import annotations

import functools
import math
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
import torch
from lab05_checks.test_part_c_metrics import (
    ACC_VALUES,
    MACRO_ABSENT,
    MACRO_VALUES,
    PRF_BINARY,
    PRF_MULTI,
    PRF_ZERO,
)

from autograder.check.compare import close, close_float, expect_float, expect_tensor, matches
from autograder.check.registry import CheckFailed
from autograder.config import Tolerance, load_config
from autograder.grader import Grader, hidden_paths
from autograder.lab import Lab
from autograder.sandbox.client import Zygote
from autograder.score.results import Status, SubmissionResult
from autograder.selftest import source

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
TOLERANCES = load_config(LAB.config).tolerances  # the lab's own, as a judge has them
NAN, INF = math.nan, math.inf
TOL = Tolerance(rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- the helpers
@pytest.mark.parametrize(("got", "want", "ok"), [
    (0.5, 0.5, True), (0.5 + 1e-12, 0.5, True), (0.6, 0.5, False),
    (NAN, 0.5, False), (INF, 0.5, False), (-INF, 0.5, False), (10**400, 0.5, False),
    (NAN, NAN, True), (0.5, NAN, False), (INF, INF, True), (-INF, INF, False),
    (0.5, INF, False), (NAN, INF, False), (True, 1.0, False), ("0.5", 0.5, False),
])
def test_close_float_requires_the_reference_finiteness(got, want, ok) -> None:
    assert close_float(got, want, 1e-9) is ok


def test_expect_float_rejects_nan_and_inf_where_the_reference_is_finite() -> None:
    for bad in (NAN, INF, -INF):
        with pytest.raises(CheckFailed, match=r"returned (nan|inf|-inf)") as caught:
            expect_float(bad, 0.75, 1e-9, "macro_f1", "for 3 classes")
        assert caught.value.mistake == "not-finite"
    assert expect_float(0.75, 0.75, 1e-9, "macro_f1", "for 3 classes") == 0.75
    assert math.isnan(expect_float(NAN, NAN, 1e-9, "f", "here"))  # nan where nan is right
    with pytest.raises(CheckFailed):
        expect_float(0.0, NAN, 1e-9, "f", "here")


def test_tensor_comparisons_require_the_same_non_finite_pattern() -> None:
    want = torch.tensor([0.5, INF, NAN, -INF])
    assert close(want.clone(), want, TOL)
    for got in (torch.tensor([NAN, INF, NAN, -INF]), torch.tensor([0.5, INF, 0.5, -INF]),
                torch.tensor([0.5, -INF, NAN, -INF]), torch.tensor([0.5, 1e30, NAN, -INF])):
        assert not close(got, want, TOL), got
    finite = torch.tensor([0.5, 1.0])
    assert not matches(torch.tensor([0.5, NAN]), finite, 1e-6, 1e-9)
    assert not matches([0.5, 1.0], finite, 1e-6, 1e-9)
    tol = TOLERANCES
    with pytest.raises(CheckFailed, match="returned nan") as caught:
        expect_tensor(torch.tensor([0.5, NAN]), finite, tol, "mse_loss", "for reduction='none'")
    assert caught.value.mistake == "not-finite"
    with pytest.raises(CheckFailed, match="returned inf"):
        expect_tensor(torch.tensor([INF, 0.5, INF]), torch.tensor([INF, 0.5, 1.0]), tol,
                      "binary_cross_entropy", "here")



def test_an_identical_value_is_close_and_any_other_goes_the_long_way() -> None:
    """The shortcut for a value equal to the reference (same dtype, same bits) changes no
    verdict: signed zeros are equal, another dtype or shape is compared as before."""
    want = torch.tensor([0.1, -0.0, 2.5], dtype=torch.float64)
    assert close(want.clone(), want, TOL)
    assert close(torch.tensor([0.1, 0.0, 2.5], dtype=torch.float64), want, TOL)
    assert close(want.to(torch.float32), want, Tolerance(rtol=1e-6, atol=1e-7))
    assert not close(want.to(torch.float32), want, Tolerance(rtol=0.0, atol=0.0))
    assert not close(want.reshape(3, 1), want, TOL)
    tol = TOLERANCES
    assert torch.equal(expect_tensor(want.clone(), want, tol, "f", "here"), want)
    with pytest.raises(CheckFailed, match="float32") as caught:
        expect_tensor(want.to(torch.float32), want, tol, "f", "here")
    assert caught.value.mistake == "wrong-dtype"

# ---------------------------------------------------------------- through the engine
REFERENCE = source.reference_source()
NOTEBOOKS = {
    "reference": REFERENCE,
    "prf_nan": source.rewrite(
        "def precision_recall_f1(preds, targets, positive_class=1):\n"
        "    return float('nan'), float('nan'), float('nan')")(REFERENCE),
    # right precision and recall, nan F1 (0/0 computed in torch on every input)
    "prf_f1_nan": source.edit(
        "precision_recall_f1", "return precision, recall, f1",
        "return precision, recall, float('nan')")(REFERENCE),
    "macro_nan": source.rewrite(
        "def macro_f1(preds, targets, num_classes):\n    return float('nan')")(REFERENCE),
    "accuracy_inf": source.rewrite(
        "def accuracy(preds, targets):\n    return float('inf')")(REFERENCE),
}


@pytest.fixture(scope="module")
def grade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], SubmissionResult]]:
    work = tmp_path_factory.mktemp("nan_values")
    suite = work / "lab05_checks_nan"  # a package of its own: the narrowed suite
    suite.mkdir()
    (suite / "__init__.py").touch()
    shutil.copy(LAB.checks / "test_part_c_metrics.py", suite / "test_part_c_metrics.py")
    config_path = ROOT / "grading_config.yaml"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with Zygote([Path(p) for p in hidden_paths([], LAB)], worker_modules=LAB.worker_modules) as zygote, \
            Grader(load_config(config_path), config_path.read_text(encoding="utf-8"),
                   zygote.connect(), LAB, suite=suite) as grader:

        @functools.cache
        def run(key: str) -> SubmissionResult:
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(NOTEBOOKS[key])]
            path = work / f"{key}.ipynb"
            nbformat.write(nb, path)
            return grader.grade(path, key)

        try:
            yield run
        finally:
            torch.set_num_threads(threads)


def failed(result: SubmissionResult, names: set[str]) -> dict[str, str]:
    assert result.status is Status.GRADED, result.reason
    return {t.name: t.output for t in result.tests if t.name in names and not t.passed}


PART_C = {ACC_VALUES, PRF_BINARY, PRF_MULTI, PRF_ZERO, MACRO_VALUES, MACRO_ABSENT}


def test_the_reference_passes(grade) -> None:
    assert failed(grade("reference"), PART_C) == {}


# notebook -> (the checks it must fail, those of them whose message must say nan/inf; the
# others are gated on the values check and say so)
@pytest.mark.parametrize(("key", "checks", "saying"), [
    ("prf_nan", {PRF_BINARY, PRF_MULTI, PRF_ZERO}, {PRF_BINARY, PRF_MULTI}),
    ("prf_f1_nan", {PRF_BINARY, PRF_MULTI, PRF_ZERO}, {PRF_BINARY, PRF_MULTI}),
    ("macro_nan", {MACRO_VALUES, MACRO_ABSENT}, {MACRO_VALUES, MACRO_ABSENT}),
    ("accuracy_inf", {ACC_VALUES}, {ACC_VALUES}),
])
def test_non_finite_metrics_fail_their_value_checks(grade, key: str, checks: set[str],
                                                    saying: set[str]) -> None:
    failures = failed(grade(key), PART_C)
    assert checks <= set(failures), failures
    for name in saying:
        assert "returned nan" in failures[name] or "returned inf" in failures[name], \
            failures[name]


def test_values_of_the_opposite_sign_are_named_as_such_and_only_they() -> None:
    """A loss with its minus sign dropped (fresh eyes 7: "gives wrong values" and the tags of
    a reduction and a clamp mistake) is named for what the run shows: the values negated."""
    tol = TOLERANCES
    want = torch.tensor([0.7, 1.2, 0.0], dtype=torch.float64)
    with pytest.raises(CheckFailed, match="opposite sign") as caught:
        expect_tensor(-want, want, tol, "binary_cross_entropy", "with reduction='none'",
                      mistake="reduction-mean")
    assert caught.value.mistake == "wrong-sign"
    for other in (want * 2, want + 1, torch.zeros(3, dtype=torch.float64)):
        with pytest.raises(CheckFailed, match="gives wrong values") as caught:
            expect_tensor(other, want, tol, "binary_cross_entropy", "here", mistake="m")
        assert caught.value.mistake == "m"
    zero = torch.zeros(2, dtype=torch.float64)  # (-0 is 0: right, not negated)
    assert torch.equal(expect_tensor(-zero, zero, tol, "f", "here"), -zero)
