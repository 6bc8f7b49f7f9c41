"""Fresh-eyes round 5: one mistake, one cost, and hints that pass their own check.

- The BCE hint the notebook gives (and every code the clamp check's messages recommend)
  passes the clamp check; the check names which case failed (p of exactly 0 or 1, or a tiny
  p whose log is below -100).
- Huber's gradient at |d| = delta exactly, where the pieces meet: any value a tie broken by
  minimum, maximum, clamp or relu gives (0 to 2·delta, the sign of d) is accepted, as the
  notebook says; PyTorch's everywhere else; the message names the point that failed.
- Part A, as Part B: a values mistake confined to part of the input (one Huber branch, one
  sign of d) is charged by the values check once; the error and no-library checks are then
  not assessed separately, and keep their points only while the values check charges it
  (`settle_attributions`). A stub still scores neither.
- A float32 computation is charged by the values check alone (not again by the extreme and
  gradient checks); a result cut off from its input by the gradient check alone, in words
  that say what happened.

The hidden checks run in-process on the reference with functions rewritten
(tests/check/test_helper_blame.py's session), verdicts settled as the engine settles them.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks.blame import held_to_float32
from test_helper_blame import CHECKS, REFERENCE, namespace, verdict
from test_helper_blame import verdicts as run_checks

from autograder.check.plugin import Verdict, settle_attributions
from autograder.check.registry import CheckFailed

ROOT = Path(__file__).resolve().parents[2]
OURS = {part_a.__name__, part_b.__name__}
CHECK_MODULE = {spec.name: test.__module__ for spec, test in CHECKS}


def verdicts(ns: dict[str, Any], *functions: str) -> dict[str, Verdict]:
    """The Part A/B checks of `functions`, run in-process (`test_helper_blame.verdicts`),
    settled as the engine does."""
    found = {name: verdict for name, verdict in run_checks(ns, *functions).items()
             if CHECK_MODULE[name] in OURS}
    assert found
    return settle_attributions(found)


def failed(found: dict[str, Verdict]) -> dict[str, Verdict]:
    return {name: v for name, v in found.items() if not v.passed}


def attributed(found: dict[str, Verdict]) -> dict[str, str]:
    return {name: v.assessed_by for name, v in found.items() if v.passed and v.assessed_by}


def define(code: str) -> dict[str, Any]:
    return namespace(textwrap.dedent(code))


# ---------------------------------------------------------------- 1. the BCE hint
def _notebook_markdown(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def _bce_from_clamped_log(expression: str) -> dict[str, Any]:
    """binary_cross_entropy built on `expression` (a clamped log of `p`), used for p and for
    1 − p, as the hint says."""
    return define(f'''
        def binary_cross_entropy(probs, targets, reduction="mean"):
            _check_reduction(reduction)
            _check_same_shape(probs, targets)

            def clamped_log(p):
                return {expression}

            values = -(targets * clamped_log(probs) + (1 - targets) * clamped_log(1 - probs))
            return _reduce(values, reduction)
        ''')


@pytest.mark.parametrize("notebook", ["solutions/lab05.ipynb", "assignment/lab05.ipynb"])
def test_the_notebook_bce_hint_is_the_checks_and_passes_it(notebook: str) -> None:
    text = _notebook_markdown(ROOT / notebook).replace("\n", " ")
    hints = [code for code in re.findall(r"`([^`]+)`", text) if "-100" in code
             and "torch.where(p > 0" in code]
    assert hints == [part_b.BCE_CLAMP_HINT], hints
    found = verdicts(_bce_from_clamped_log(hints[0]), "binary_cross_entropy")
    assert not failed(found), {n: v.message for n, v in failed(found).items()}
    assert not attributed(found)


def test_the_old_hint_without_a_clamp_fails_naming_the_tiny_p() -> None:
    old = "torch.where(p > 0, torch.log(torch.where(p > 0, p, 1)), -100.)"
    verdict = failed(verdicts(_bce_from_clamped_log(old), "binary_cross_entropy"))
    assert set(verdict) == {part_b.BCE_CLAMP}
    assert verdict[part_b.BCE_CLAMP].mistake == "no-clamp-tiny"
    assert "tiny p whose log is below -100" in verdict[part_b.BCE_CLAMP].message


CLAMP_MISTAKES = {
    "no clamp": "torch.log(p)",
    "clamp only": "torch.clamp(torch.log(p), min=-100)",
    "where only": "torch.where(p > 0, torch.log(torch.where(p > 0, p, 1)), -100.)",
    "eps": "torch.log(p + 1e-12)",
    "clipped p": "torch.log(p.clamp(1e-7, 1 - 1e-7))",
}


@pytest.mark.parametrize("mistake", sorted(CLAMP_MISTAKES))
def test_the_clamp_check_never_recommends_code_that_fails_it(mistake: str) -> None:
    found = failed(verdicts(_bce_from_clamped_log(CLAMP_MISTAKES[mistake]),
                            "binary_cross_entropy"))
    message = found[part_b.BCE_CLAMP].message
    assert part_b.BCE_CLAMP_HINT in message, message
    recommended = verdicts(_bce_from_clamped_log(part_b.BCE_CLAMP_HINT), "binary_cross_entropy")
    assert not failed(recommended)


# ---------------------------------------------------------------- 2. Huber at |d| = delta
HUBER_HEAD = '''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be positive")
    a = (pred - target).abs()
'''
HUBER_STYLES = {  # their gradient at |d| = delta: 0.5, 1, 1 and 2 times PyTorch's
    "minimum + relu": "m = torch.minimum(a, torch.full_like(a, delta))\n"
                      "    return _reduce(0.5 * m ** 2 + delta * F.relu(a - delta), reduction)",
    "clamp + relu": "return _reduce(0.5 * a.clamp(max=delta) ** 2 + delta * F.relu(a - delta), "
                    "reduction)",
    "maximum": "cap = torch.full_like(a, delta)\n"
               "    return _reduce(0.5 * torch.minimum(a, cap) ** 2\n"
               "                   + delta * (torch.maximum(a, cap) - delta), reduction)",
    "two clamps": "return _reduce(0.5 * a.clamp(max=delta) ** 2\n"
                  "                   + delta * (a - delta).clamp(min=0), reduction)",
}


@pytest.mark.parametrize("style", sorted(HUBER_STYLES))
def test_huber_ties_at_the_junction_score_full_marks(style: str) -> None:
    found = verdicts(define(HUBER_HEAD + "    " + HUBER_STYLES[style] + "\n"), "huber_loss")
    assert not failed(found), {n: v.message for n, v in failed(found).items()}


def _huber_with_seam_gradient(factor: float) -> dict[str, Any]:
    """Right values everywhere; at |d| = delta exactly the gradient is `factor`·PyTorch's."""
    return define(HUBER_HEAD + f'''
    right = torch.where(a < delta, 0.5 * a ** 2, delta * (a - 0.5 * delta))
    seam = 0.5 * delta ** 2 + {factor} * delta * (a - delta)
    return _reduce(torch.where(a == delta, seam, right), reduction)
''')


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0])
def test_a_junction_gradient_from_0_to_twice_delta_is_accepted(factor: float) -> None:
    assert not failed(verdicts(_huber_with_seam_gradient(factor), "huber_loss"))


@pytest.mark.parametrize("factor", [-1.0, 3.0])
def test_a_junction_gradient_outside_is_named_at_the_junction(factor: float) -> None:
    found = failed(verdicts(_huber_with_seam_gradient(factor), "huber_loss"))
    assert set(found) == {part_a.HUBER_GRAD}
    message = found[part_a.HUBER_GRAD].message
    assert "at a difference of exactly ±delta" in message and "2·delta" in message, message


def test_huber_nan_at_zero_is_named_at_zero_where_huber_is_smooth() -> None:
    found = failed(verdicts(define(HUBER_HEAD.replace("(pred - target).abs()",
                                                      "torch.sqrt((pred - target) ** 2)") + '''
    return _reduce(torch.where(a < delta, 0.5 * a ** 2, delta * (a - 0.5 * delta)), reduction)
'''), "huber_loss"))
    assert set(found) == {part_a.HUBER_GRAD}
    message = found[part_a.HUBER_GRAD].message
    assert "at a difference of exactly 0" in message and "smooth" in message, message
    assert "±delta" not in message


def test_mae_nan_at_its_kink_is_named_with_the_kink_rule() -> None:
    found = failed(verdicts(namespace(part_a_edit(
        "mae_loss", "(pred - target).abs()", "torch.sqrt((pred - target) ** 2)")), "mae_loss"))
    message = found[part_a.MAE_GRAD].message
    assert "at a difference of exactly 0" in message and "between −1 and 1" in message
    assert "PyTorch's gradient is finite" in message  # (the selftest keyword)


def part_a_edit(function: str, old: str, new: str) -> str:
    import inspect
    source = inspect.getsource(getattr(REFERENCE.module, function))
    assert old in source
    return source.replace(old, new)


# ---------------------------------------------------------------- 3. Part A: charged once
HUBER_MISSING_HALF_DELTA = HUBER_HEAD + '''
    return _reduce(torch.where(a < delta, 0.5 * a ** 2, delta * a), reduction)
'''
MAE_WITHOUT_ABS = '''
def mae_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    return _reduce(pred - target, reduction)
'''


@pytest.mark.parametrize(("function", "code", "values"), [
    ("huber_loss", HUBER_MISSING_HALF_DELTA, part_a.HUBER_VALUES),
    ("mae_loss", MAE_WITHOUT_ABS, part_a.MAE_VALUES),
])
def test_a_values_mistake_confined_to_a_region_is_charged_once(function, code, values) -> None:
    found = verdicts(define(code), function)
    assert set(failed(found)) <= {values, part_a.MAE_GRAD}, failed(found)
    assert values in failed(found)
    errors, no_library = (f"{function}: raises ValueError", f"{function}: implemented without")
    excused = attributed(found)
    assert {n for n in excused if n.startswith((errors, no_library))} == {
        n for n in found if n.startswith((errors, no_library))}
    assert set(excused.values()) == {values}
    assert all("Not assessed separately" in found[n].message for n in excused)


def test_the_checks_behind_the_region_still_judge_their_own_rule() -> None:
    """Attributed, but still assessed: no shape check in that Huber fails the error check."""
    code = HUBER_MISSING_HALF_DELTA.replace("    _check_same_shape(pred, target)\n", "")
    found = failed(verdicts(define(code), "huber_loss"))
    assert found[part_a.HUBER_ERRORS].mistake == "no-shape-check"


@pytest.mark.parametrize("body", [
    '    raise NotImplementedError("todo")',
    "    return torch.zeros((), dtype=pred.dtype)",
    "    return (pred - target).sum() * 0",
])
def test_a_stub_still_scores_neither_the_error_nor_the_no_library_check(body: str) -> None:
    found = verdicts(define('def huber_loss(pred, target, delta=1.0, reduction="mean"):\n'
                            + body + "\n"), "huber_loss")
    assert {part_a.HUBER_ERRORS, part_a.HUBER_NO_LIB} <= set(failed(found)), found
    assert not attributed(found)


def test_a_function_wrong_everywhere_is_not_excused() -> None:
    """(Unless it computes a whole formula of its own the checks know, such as the branches
    swapped: `OWN_MODELS`, tests/check/test_rt37_checks.py)"""
    wrong = HUBER_HEAD + '''
    return _reduce(torch.where(a < delta, 3 * a ** 2, delta * a ** 3), reduction)
'''
    found = verdicts(define(wrong), "huber_loss")
    assert failed(found)[part_a.HUBER_ERRORS].mistake == "not-working"
    assert not attributed(found)


def test_an_attributed_pass_keeps_its_points_only_while_the_values_check_charges() -> None:
    """The engine's rule, on these checks: the values check passing takes the points back."""
    found = verdicts(define(HUBER_MISSING_HALF_DELTA), "huber_loss")
    raw = dict(found)
    raw[part_a.HUBER_VALUES] = Verdict(True, "")
    unsettled = {n: v for n, v in raw.items()}
    for name in (part_a.HUBER_ERRORS, part_a.HUBER_NO_LIB):
        unsettled[name] = Verdict(True, "x", assessed_by=part_a.HUBER_VALUES, fallback="own")
    settled = settle_attributions(unsettled)
    assert not settled[part_a.HUBER_ERRORS].passed and not settled[part_a.HUBER_NO_LIB].passed


# ---------------------------------------------------------------- 4. float32, and a cut graph
SOFTMAX_FLOAT32 = '''
def softmax(logits, dim=-1):
    x = logits.float()
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)
'''


def test_softmax_in_float32_is_charged_by_its_values_check_only() -> None:
    found = verdicts(define(SOFTMAX_FLOAT32), "softmax")
    assert set(failed(found)) == {part_b.SOFTMAX_VALUES}
    assert attributed(found) == {part_b.SOFTMAX_EXTREME: part_b.SOFTMAX_VALUES,
                                 part_b.SOFTMAX_GRAD: part_b.SOFTMAX_VALUES}


@pytest.mark.parametrize(("function", "old", "new", "values", "grad"), [
    ("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
     "return _reduce(((pred.float() - target.float()) ** 2).to(pred.dtype), reduction)",
     part_a.MSE_VALUES, part_a.MSE_GRAD),
    ("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
     "log_probs = log_softmax(logits.float(), dim=1).to(logits.dtype)",
     part_b.CE_VALUES, part_b.CE_GRAD),
    # the target alone rounded to float32: the pred gradient is right, gradcheck's finite
    # differences in the target are not (fresh eyes of stop 50)
    ("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
     "return _reduce((pred - target.float()) ** 2, reduction)",
     part_a.MSE_VALUES, part_a.MSE_GRAD),
    ("mae_loss", "return _reduce((pred - target).abs(), reduction)",
     "return _reduce((pred - target.float()).abs(), reduction)",
     part_a.MAE_VALUES, part_a.MAE_GRAD),
    ("huber_loss", "diff = pred - target\n", "diff = pred - target.float()\n",
     part_a.HUBER_VALUES, part_a.HUBER_GRAD),
])
def test_a_float32_step_costs_the_gradient_check_nothing_more(function, old, new, values,
                                                              grad) -> None:
    found = verdicts(namespace(part_a_edit(function, old, new)), function)
    assert set(failed(found)) == {values}, {n: v.message for n, v in failed(found).items()}
    assert failed(found)[values].mistake == "float32-precision"
    assert attributed(found).get(grad) == values


def test_an_eps_in_the_log_is_not_taken_for_float32() -> None:
    found = verdicts(namespace(part_a_edit(
        "cross_entropy", "log_probs = log_softmax(logits, dim=1)",
        "log_probs = torch.log(softmax(logits, dim=1) + 1e-8)")), "cross_entropy")
    # (the eps is named by the ±1e4 check, which charges it once: `test_ce_eps_charged_once`)
    assert attributed(found).get(part_b.CE_GRAD) == part_b.CE_EXTREME
    assert all(v.mistake != "float32-precision" for v in failed(found).values())


def test_gradcheck_names_float32_where_the_values_check_does_not_charge_it() -> None:
    x = torch.randn(4, 5, dtype=torch.float64)
    leaf = x.clone().requires_grad_(True)
    out = torch.softmax(leaf.float(), dim=1)
    upstream = torch.randn(4, 5, dtype=torch.float64)
    (got,) = torch.autograd.grad(out, leaf, grad_outputs=upstream.float())
    with pytest.raises(CheckFailed) as failure:
        held_to_float32("softmax", part_b.SOFTMAX_VALUES, out.detach(), got, (x,),
                        torch.softmax, upstream, torch.softmax(x, dim=1), False, dim=1)
    assert "computes in float32 for float64 input" in failure.value.message
    assert "its result is float32" in failure.value.message


CE_NEW_LEAF = part_a_edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                          "log_probs = log_softmax(logits, dim=1).detach().requires_grad_(True)")


def test_a_cut_graph_is_charged_by_the_gradient_check_in_plain_words() -> None:
    found = verdicts(namespace(CE_NEW_LEAF), "cross_entropy")
    assert set(failed(found)) == {part_b.CE_GRAD}
    message = failed(found)[part_b.CE_GRAD].message
    assert "no gradient for the input at all" in message and ".detach()" in message
    assert "of the input's shape" not in message and "1e4" not in message
    assert attributed(found) == {part_b.CE_EXTREME: part_b.CE_GRAD}


def test_a_bce_clamp_message_names_the_edge_cases_the_run_shows() -> None:
    """Fresh eyes of stop 50: log(1 − p) left unclamped was told of p=0 with y=0, which it
    gets right; the values at p = 1 are what it gets wrong."""
    found = verdicts(namespace(part_a_edit(
        "binary_cross_entropy",
        "log_1mp = torch.clamp(torch.where(probs < 1, torch.log1p(-safe_q), -100.0), min=-100)",
        "log_1mp = torch.log1p(-probs)")), "binary_cross_entropy")
    verdict = failed(found)[part_b.BCE_CLAMP]
    assert "inf for p=1 with y=0 and nan for p=1 with y=1" in verdict.message, verdict.message
    assert "p=0 with y=0" not in verdict.message


BCEL_WHERE_BRANCHES = part_a_edit(
    "binary_cross_entropy_with_logits", "neg_log_sigmoid = -F.logsigmoid(logits)",
    "neg_log_sigmoid = torch.where(logits >= 0, torch.log1p(torch.exp(-logits)),\n"
    "                                  -logits + torch.log1p(torch.exp(logits)))")


def test_a_nan_gradient_from_both_branches_of_where_is_told_so() -> None:
    """Fresh eyes of stop 50: two branches, each stable where it is chosen, have a nan
    gradient at ±1e4 (the other branch overflows); the source picks the words, the run
    showed the nan."""
    found = verdict(namespace(BCEL_WHERE_BRANCHES), part_b.BCEL_EXTREME, BCEL_WHERE_BRANCHES)
    assert not found.passed and found.mistake == "not-finite-gradient", found.message
    assert "torch.where differentiates both of its branches" in found.message
    plain = verdicts(namespace(BCEL_WHERE_BRANCHES), "binary_cross_entropy_with_logits")
    assert "sqrt(d**2)" in failed(plain)[part_b.BCEL_EXTREME].message  # (no source: no words)
