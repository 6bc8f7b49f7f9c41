"""Self-checks never contradict the grade: every selftest notebook through the public tests.

Why: a public test stricter than the hidden check (1e-12 where the grade allows float32
rounding) tells a correct student "failed"; one that never touches the lesson's central
case tells a wrong one "passed". Here the reference, every mutant and every alternative of
the selftest library run through `assignment/tests/*.py` in-process (our own code, no
sandbox needed), and their public verdicts are compared with the hidden verdicts the
library declares — declarations `selftest` proves against the real grader (a mutant fails
exactly its expected check and declared extras; an alternative fails nothing):

* a public test that fails means a hidden check of the function it is written for fails
  too (not only one of a helper it calls: the test tells a helper's mistake from its own);
* a mutant that makes one of the lesson's central mistakes (±1e4 logits, an empty class,
  the (N, 1)-vs-(N,) trap, 0/0) fails the public test written for that case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autograder.assign.build import BuildError, apply_tolerances
from autograder.config import load_config
from autograder.lab import Lab
from autograder.selftest import agreement, source
from autograder.selftest.library import resolve_answers

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
MUTANTS, ALTERNATIVES = LAB.selftest_library()
REFERENCE = source.reference_source(LAB)
ANSWERS = source.reference_answers(LAB)

# The lesson's central mistakes and the public test written to show each before submission.
CENTRAL = {
    "mutant_ce_log_of_softmax": "test_cross_entropy_extreme_logits",
    "mutant_ce_log_eps": "test_cross_entropy_extreme_logits",
    "mutant_bce_no_shape_check": "test_binary_cross_entropy_rejects_n1_vs_n",
    "mutant_macro_f1_present_classes_only": "test_macro_f1_per_class_mean",
    "mutant_prf_nan_on_zero_division": "test_precision_recall_f1_zero_division",
    # fresh eyes 13: these two passed every public test, against the README's claim
    "mutant_softmax_no_max_shift": "test_softmax_extreme_logits",
    "mutant_softmax_global_max": "test_softmax_extreme_logits",
    "mutant_classifier_softmax_at_end": "test_build_classifier_outputs_logits",
    "mutant_log_softmax_no_max_shift": "test_log_softmax_extreme_logits",
    "mutant_log_softmax_log_of_softmax": "test_log_softmax_extreme_logits",
}

PUBLIC = agreement.public_tests(LAB.assignment / "tests")
_VERDICTS: dict[str, bool] = {}  # a verdict per (test, reachable code): mutants share most
_namespace = agreement.namespace_of
_tested = agreement.tested
_hidden_functions = agreement.checked_functions


def _public_failures(namespace: dict[str, Any], code: str = "") -> dict[str, list[str]]:
    """Failing public test -> the graded names it calls (its parameters)."""
    return agreement.public_failures(PUBLIC, namespace, code, _VERDICTS)


NOTEBOOKS = ([("reference", source.unchanged, {}, set(), False)]
             + [(a.name, a.transform, {}, set(), a.known_gap) for a in ALTERNATIVES]
             + [(m.name, m.transform, dict(m.answers), {m.expected_check, *m.also_fails},
                 m.known_gap) for m in MUTANTS])


@pytest.mark.parametrize(("name", "transform", "answers", "hidden", "gap"), NOTEBOOKS,
                         ids=[n[0] for n in NOTEBOOKS])
def test_a_failing_self_check_means_a_failing_hidden_check(name, transform, answers, hidden,
                                                           gap) -> None:
    mutant = next((m for m in MUTANTS if m.name == name), None)
    answers = resolve_answers(mutant, ANSWERS) if mutant else ANSWERS
    code = transform(REFERENCE)
    failed = _public_failures(_namespace(code, answers), code)
    graded = _hidden_functions(hidden)
    # A public test fails only where a hidden check of the function it is written for fails:
    # a softmax built on a wrong log_softmax, right for it, shows ✓ as its grade is full (the
    # hidden checks charge log_softmax, once; fresh eyes 7-9's cross marks on functions with
    # full marks, through a helper's nan, crash or tensor).
    contradictions = {test: params for test, params in failed.items()
                      if not _tested(test, params) & graded}
    assert not contradictions, (
        f"{name}: public tests {sorted(contradictions)} fail, but no hidden check of "
        f"{sorted(set().union(*contradictions.values()))} does")
    if name in CENTRAL and not gap:
        assert CENTRAL[name] in failed, f"{name}: the public test {CENTRAL[name]} passes it"


def test_central_cases_name_existing_mutants_and_public_tests() -> None:
    assert set(CENTRAL) <= {m.name for m in MUTANTS}
    assert set(CENTRAL.values()) <= {name for name, _ in PUBLIC}


def test_public_tests_carry_the_configs_tolerances() -> None:
    tolerances = load_config(LAB.config).tolerances
    text = (LAB.assignment / "tests" / "accuracy.py").read_text(encoding="utf-8")
    assert f"rtol, atol = {tolerances.metric.rtol!r}, {tolerances.metric.atol!r}" in text
    changed = apply_tolerances(text, {"metric": (0.5, 0.25)})
    assert "rtol, atol = 0.5, 0.25" in changed
    with pytest.raises(BuildError, match=r"tolerances\.metric"):
        apply_tolerances(text, {"float32": (1e-4, 1e-5)})


def test_float32_metrics_pass_their_self_checks() -> None:
    alternative = next(a for a in ALTERNATIVES if a.name == "alt_accuracy_float32_mean")
    assert not _public_failures(_namespace(alternative.transform(REFERENCE), ANSWERS))


def test_an_upper_case_answer_passes_its_self_check_as_it_passes_grading() -> None:
    namespace = _namespace(REFERENCE, {**ANSWERS, "q_logits": ANSWERS["q_logits"].upper()})
    assert "test_q_logits_is_a_letter" not in _public_failures(namespace)


def test_a_nan_from_a_helper_shows_its_cross_on_the_helper_only() -> None:
    """A log_softmax that gives nan (expm1 for exp: the log of a negative sum), with softmax
    and cross_entropy built right on it: their hidden checks run them over PyTorch's or judge
    them right for it, so their self-checks show ✓ (nan where the helper's output is nan
    too), and only log_softmax's shows ✗ (a generated mutant's contradiction)."""
    code = source.chain(
        source.edit("log_softmax", "shifted.exp()", "shifted.expm1()"),
        source.rewrite('''
def softmax(logits, dim=-1):
    return torch.exp(log_softmax(logits, dim=dim))
'''))(REFERENCE)
    failed = _public_failures(_namespace(code, ANSWERS))
    assert failed
    assert {f for test, params in failed.items() for f in _tested(test, params)} == \
        {"log_softmax"}, sorted(failed)


@pytest.mark.parametrize("definitions", [
    # fresh eyes 11's b41: a matrix sized by its labels, macro_f1 averaging over its classes
    ('''
def confusion_matrix(preds, targets, num_classes):
    size = int(max(preds.max(), targets.max())) + 1
    return torch.bincount(targets * size + preds, minlength=size * size).reshape(size, size)
''', '''
def macro_f1(preds, targets, num_classes):
    m = confusion_matrix(preds, targets, num_classes)
    tp = m.diagonal()
    f1 = 2 * tp / (m.sum(dim=0) + m.sum(dim=1)).clamp(min=1)
    return float(f1.mean())
'''),
    # fresh eyes 11's b93: the three values in a list (graded as the tuple's values)
    ('''
def precision_recall_f1(preds, targets, positive_class=1):
    return list(_reference_prf(preds, targets, positive_class))
''',),
])
def test_a_self_check_agrees_with_the_grade_on_fresh_eyes_11s_contradictions(
        definitions) -> None:
    if any("_reference_prf" in d for d in definitions):  # (the reference's, renamed)
        code = REFERENCE.replace("def precision_recall_f1(", "def _reference_prf(", 1) \
            + "".join(definitions)
    else:
        code = source.rewrite(*definitions)(REFERENCE)
    failed = _public_failures(_namespace(code, ANSWERS))
    tested = {f for test, params in failed.items() for f in _tested(test, params)}
    assert not tested & {"macro_f1", "precision_recall_f1"}, sorted(failed)
