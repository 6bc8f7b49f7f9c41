"""The Part B / Part C hidden checks, judged by notebooks built on the fly.

Each notebook is the reference solution with one function swapped for a mutant (one
realistic mistake) or an alternative correct implementation. They are graded through the
real engine (sandboxed worker, hidden pytest suite, scoring), with the suite narrowed to
Parts B and C so the module stays fast. A mutant must fail exactly its intended check(s),
with a message that names the mistake; the reference and the alternatives must pass every
Part B/C check.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
import torch
from lab05_checks.test_gpu_inputs import ON_GPU
from lab05_checks.test_part_b_classification import (
    BCE_CLAMP,
    BCE_ERRORS,
    BCEL_EXTREME,
    BCEL_POS_WEIGHT,
    CE_ERRORS,
    CE_EXTREME,
    CE_GRAD,
    CE_NO_LIB,
    CE_RAW,
    CE_VALUES,
    LOG_SOFTMAX_EXTREME,
    LOG_SOFTMAX_NO_LIB,
    SOFTMAX_EXTREME,
    SOFTMAX_NO_LIB,
    SOFTMAX_VALUES,
)
from lab05_checks.test_part_c_metrics import (
    ACC_ERRORS,
    ACC_VALUES,
    CM_ABSENT,
    CM_VALUES,
    MACRO_ABSENT,
    MACRO_VALUES,
    PRF_BINARY,
    PRF_MULTI,
    PRF_ZERO,
)

from autograder.check.runner import suite_names
from autograder.config import load_config
from autograder.grader import Grader, hidden_paths
from autograder.lab import Lab
from autograder.sandbox.client import Zygote
from autograder.score.results import Status, SubmissionResult
from autograder.selftest import source

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
REFERENCE = (ROOT / "solutions" / "reference.py").read_text()
SUITE_FILES = ("test_part_b_classification.py", "test_part_c_metrics.py", "test_gpu_inputs.py")

PART_BC = frozenset({"softmax", "log_softmax", "cross_entropy", "binary_cross_entropy",
                     "binary_cross_entropy_with_logits", "accuracy", "confusion_matrix",
                     "precision_recall_f1", "macro_f1"})


# ---------------------------------------------------------------- building notebooks
def edit_function(name: str, old: str, new: str) -> str:
    """The reference with one snippet of function `name` rewritten."""
    return source.edit(name, old, new)(REFERENCE)


def rewrite(*definitions: str) -> str:
    """The reference with each given function definition put in place of its namesake."""
    return source.rewrite(*definitions)(REFERENCE)


# fixture -> (source, the check names it must fail, a phrase the first one's message holds)
MUTANTS: dict[str, tuple[str, set[str], str]] = {
    # ---- softmax / log_softmax
    "softmax_no_max_shift": (rewrite('''
def softmax(logits, dim=-1):
    exps = logits.exp()
    return exps / exps.sum(dim=dim, keepdim=True)
'''), {SOFTMAX_EXTREME}, "subtract the max along dim"),
    "softmax_global_max": (edit_function(
        "softmax", "logits.amax(dim=dim, keepdim=True)", "logits.max()"),
        {SOFTMAX_EXTREME}, "max of the whole tensor"),
    "softmax_ignores_dim": (edit_function(
        "softmax", "shifted = logits - logits.amax(dim=dim, keepdim=True)\n"
        "    exps = shifted.exp()\n    return exps / exps.sum(dim=dim, keepdim=True)",
        "shifted = logits - logits.amax(dim=-1, keepdim=True)\n"
        "    exps = shifted.exp()\n    return exps / exps.sum(dim=-1, keepdim=True)"),
        {SOFTMAX_VALUES}, "ignores its dim argument"),
    "softmax_calls_library": (rewrite('''
def softmax(logits, dim=-1):
    return torch.softmax(logits, dim=dim)
'''), {SOFTMAX_NO_LIB}, "torch.softmax"),
    "log_softmax_log_of_softmax": (rewrite('''
def log_softmax(logits, dim=-1):
    return torch.log(softmax(logits, dim=dim))
'''), {LOG_SOFTMAX_EXTREME}, "log(softmax(x))"),
    "log_softmax_calls_logsumexp": (rewrite('''
def log_softmax(logits, dim=-1):
    return logits - torch.logsumexp(logits, dim=dim, keepdim=True)
'''), {LOG_SOFTMAX_NO_LIB}, "torch.logsumexp"),
    # ---- cross_entropy
    "ce_double_softmax": (edit_function(
        "cross_entropy", "log_probs = log_softmax(logits, dim=1)",
        "log_probs = log_softmax(softmax(logits, dim=1), dim=1)"),
        {CE_RAW}, "already probabilities"),
    "ce_sum_for_mean": (edit_function(
        "cross_entropy", "return _reduce(nll, reduction)",
        'return nll if reduction == "none" else nll.sum()'), {CE_VALUES}, "you summed"),
    "ce_mean_over_classes": (edit_function(
        "cross_entropy", "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)\n"
        "    return _reduce(nll, reduction)",
        "onehot = torch.zeros_like(log_probs).scatter(1, targets.long().unsqueeze(1), 1.0)\n"
        "    per_logit = -onehot * log_probs\n"
        '    if reduction == "none":\n        return per_logit.sum(dim=1)\n'
        '    return per_logit.mean() if reduction == "mean" else per_logit.sum()'),
        {CE_VALUES}, "N·C"),
    "ce_detached_item": (edit_function(
        "cross_entropy", "return _reduce(nll, reduction)",
        "return torch.tensor(_reduce(nll, reduction).tolist(), dtype=logits.dtype)"),
        # (torch.tensor(...) of the value is also made on the CPU: on a GPU it is left there)
        {CE_GRAD, f"cross_entropy: {ON_GPU}"}, "detached"),
    "ce_log_of_softmax": (edit_function(
        "cross_entropy", "log_probs = log_softmax(logits, dim=1)",
        "log_probs = torch.log(softmax(logits, dim=1))"), {CE_EXTREME}, "inf/nan"),
    "ce_no_target_check": (edit_function(
        "cross_entropy",
        "    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= num_classes):"
        '\n        raise ValueError(f"targets must be class indices in [0, {num_classes})")\n', ""),
        {CE_ERRORS}, "raise ValueError"),
    "ce_calls_nll_loss": (edit_function(
        "cross_entropy", "return _reduce(nll, reduction)",
        "return F.nll_loss(log_probs, targets, reduction=reduction)"), {CE_NO_LIB},
        "F.nll_loss"),
    # ---- binary_cross_entropy(_with_logits)
    "bce_no_clamp": (edit_function(
        "binary_cross_entropy",
        "safe_p = torch.where(probs > 0, probs, 1.0)\n"
        "    safe_q = torch.where(probs < 1, probs, 0.0)\n"
        "    log_p = torch.clamp(torch.where(probs > 0, torch.log(safe_p), -100.0), min=-100)\n"
        "    log_1mp = torch.clamp(torch.where(probs < 1, torch.log1p(-safe_q), -100.0), "
        "min=-100)",
        "log_p = torch.log(probs)\n    log_1mp = torch.log(1 - probs)"),
        {BCE_CLAMP}, "clamp each log at -100"),
    "bce_broadcasts": (edit_function("binary_cross_entropy", "_check_same_shape(probs, targets)",
                                     "pass"), {BCE_ERRORS}, "(5, 1)"),
    "bcel_naive_sigmoid_log": (rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    p = torch.sigmoid(logits)
    weight = pos_weight if pos_weight is not None else 1.0
    loss = -(weight * targets * torch.log(p) + (1 - targets) * torch.log(1 - p))
    return _reduce(loss, reduction)
'''), {BCEL_EXTREME}, "log(sigmoid(x))"),
    "bcel_pos_weight_ignored": (edit_function(
        "binary_cross_entropy_with_logits",
        "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1",
        "weight = 1"), {BCEL_POS_WEIGHT}, "ignores pos_weight"),
    "bcel_pos_weight_on_whole_loss": (edit_function(
        "binary_cross_entropy_with_logits",
        "return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
        "scale = pos_weight if pos_weight is not None else 1\n"
        "    return _reduce(((1 - targets) * logits + neg_log_sigmoid) * scale, reduction)"),
        {BCEL_POS_WEIGHT}, "whole loss"),
    # ---- metrics
    "accuracy_returns_tensor": (edit_function(
        "accuracy", "return int((preds == targets).sum()) / preds.numel()",
        "return (preds == targets).double().mean()"), {ACC_VALUES}, "returned a tensor"),
    "accuracy_no_empty_check": (edit_function(
        "accuracy", '    if preds.numel() == 0:\n'
        '        raise ValueError("accuracy of an empty set is undefined")\n', ""),
        {ACC_ERRORS}, "N = 0"),
    "confusion_transposed": (edit_function(
        "confusion_matrix", "index = targets.long() * num_classes + preds.long()",
        "index = preds.long() * num_classes + targets.long()"), {CM_VALUES}, "transposed"),
    "confusion_size_from_labels": (edit_function(
        "confusion_matrix", "index = targets.long()",
        "num_classes = int(torch.unique(torch.cat([preds, targets])).numel())\n"
        "    index = targets.long()"), {CM_ABSENT}, "size the matrix by num_classes"),
    "prf_swapped": (edit_function(
        "precision_recall_f1", "return precision, recall, f1", "return recall, precision, f1"),
        {PRF_BINARY}, "swapped"),
    "prf_nan_on_zero_division": (edit_function(
        "precision_recall_f1", "precision = _safe_ratio(tp, tp + fp)",
        "precision = (torch.tensor(tp) / torch.tensor(tp + fp)).item()"),
        {PRF_ZERO}, "0/0"),
    "prf_always_class_one": (edit_function(
        "precision_recall_f1",
        "predicted_pos = preds == positive_class\n    actual_pos = targets == positive_class",
        "predicted_pos = preds == 1\n    actual_pos = targets == 1"), {PRF_MULTI},
        "one-vs-rest"),
    "macro_harmonic_mean": (rewrite('''
def macro_f1(preds, targets, num_classes):
    matrix = confusion_matrix(preds, targets, num_classes)
    tp = matrix.diagonal()
    precision = sum(_safe_ratio(int(tp[c]), int(matrix[:, c].sum()))
                    for c in range(num_classes)) / num_classes
    recall = sum(_safe_ratio(int(tp[c]), int(matrix[c].sum()))
                 for c in range(num_classes)) / num_classes
    return _safe_ratio(2 * precision * recall, precision + recall)
'''), {MACRO_VALUES}, "harmonic mean"),
    "macro_micro": (rewrite('''
def macro_f1(preds, targets, num_classes):
    return int((preds == targets).sum()) / preds.numel()
'''), {MACRO_VALUES}, "micro-F1"),
    "macro_present_classes_only": (edit_function(
        "macro_f1", "return sum(per_class) / num_classes",
        "present = torch.unique(torch.cat([preds, targets])).numel()\n"
        "    return sum(per_class) / present"), {MACRO_ABSENT}, "classes present"),
}

ALTERNATIVES: dict[str, str] = {
    "ce_logsumexp_own_ops": rewrite('''
def cross_entropy(logits, targets, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    if logits.dim() != 2 or targets.shape != logits.shape[:1]:
        raise ValueError("logits must be (N, C) and targets (N,)")
    n, c = logits.shape
    if ((targets < 0) | (targets >= c)).any():
        raise ValueError("targets must lie in [0, C)")
    m = logits.max(dim=1, keepdim=True).values
    lse = (logits - m).exp().sum(dim=1).log() + m.squeeze(1)
    losses = lse - logits[torch.arange(n), targets]
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
'''),
    "softmax_as_exp_of_log_softmax": rewrite('''
def log_softmax(logits, dim=-1):
    m = logits.amax(dim=dim, keepdim=True)
    return logits - m - torch.log(torch.sum(torch.exp(logits - m), dim=dim, keepdim=True))
''', '''
def softmax(logits, dim=-1):
    return torch.exp(log_softmax(logits, dim))
'''),
    "bce_with_logits_relu_form": rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("bad reduction")
    if logits.shape != targets.shape:
        raise ValueError(f"shapes {tuple(logits.shape)} and {tuple(targets.shape)} differ")
    # (torch.maximum, not clamp or relu: its gradient at a logit of exactly 0 splits the tie,
    # as the smooth loss's does; a clamp's is one-sided, test_helper_blame)
    neg_log_sigmoid = (torch.maximum(-logits, torch.zeros_like(logits))
                       + torch.log1p(torch.exp(-logits.abs())))
    if pos_weight is None:
        loss = (1 - targets) * logits + neg_log_sigmoid
    else:
        loss = (1 - targets) * logits + (1 + (pos_weight - 1) * targets) * neg_log_sigmoid
    return {"mean": loss.mean, "sum": loss.sum}.get(reduction, lambda: loss)()
'''),
    "metrics_loops_and_float32": rewrite('''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("need two non-empty tensors of the same shape")
    return (preds == targets).float().mean().item()
''', '''
def confusion_matrix(preds, targets, num_classes):
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.long, device=preds.device)
    for t, p in zip(targets.tolist(), preds.tolist()):
        matrix[t, p] += 1
    return matrix
''', '''
def precision_recall_f1(preds, targets, positive_class=1):
    predicted, actual = preds == positive_class, targets == positive_class
    tp = (predicted & actual).sum()
    fp = (predicted & ~actual).sum()
    fn = (~predicted & actual).sum()
    precision = (tp / (tp + fp)).item() if tp + fp > 0 else 0.0
    recall = (tp / (tp + fn)).item() if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1
''', '''
def macro_f1(preds, targets, num_classes):
    scores = [precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)]
    return sum(scores) / num_classes
'''),
}


# Plausible-looking constants of the right type: must earn no Part B/C check either.
CONSTANT_STUBS = rewrite(
    "def softmax(logits, dim=-1):\n    return torch.zeros_like(logits)",
    "def log_softmax(logits, dim=-1):\n    return torch.zeros_like(logits)",
    'def cross_entropy(logits, targets, reduction="mean"):\n'
    "    return torch.tensor(50.0, dtype=logits.dtype)",
    'def binary_cross_entropy(probs, targets, reduction="mean"):\n'
    "    return torch.zeros((), dtype=probs.dtype)",
    'def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):\n'
    "    return torch.zeros((), dtype=logits.dtype)",
    "def accuracy(preds, targets):\n    return 0.5",
    "def confusion_matrix(preds, targets, num_classes):\n"
    "    return torch.zeros(num_classes, num_classes, dtype=torch.int64)",
    "def precision_recall_f1(preds, targets, positive_class=1):\n    return 0.0, 0.0, 0.0",
    "def macro_f1(preds, targets, num_classes):\n    return 0.0",
)


# ---------------------------------------------------------------- grading
def _is_part_bc(name: str) -> bool:
    return name.split(":", 1)[0] in PART_BC


@pytest.fixture(scope="module")
def grade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], SubmissionResult]]:
    """Grade a named source through the engine, with the hidden suite narrowed to B and C."""
    work = tmp_path_factory.mktemp("parts_bc")
    suite = work / "lab05_checks_bc"  # a package of its own: the narrowed suite
    suite.mkdir()
    (suite / "__init__.py").touch()
    for name in SUITE_FILES:
        shutil.copy(LAB.checks / name, suite / name)
    config_path = ROOT / "grading_config.yaml"
    sources = {"reference": REFERENCE, **{k: v[0] for k, v in MUTANTS.items()},
               **{f"alt_{k}": v for k, v in ALTERNATIVES.items()},
               "stubs": _stubbed(REFERENCE, PART_BC), "constants": CONSTANT_STUBS}
    # The judge's tensors are tiny: one thread avoids thread-pool contention (tens of times
    # faster on a busy machine).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with Zygote([Path(p) for p in hidden_paths([], LAB)], worker_modules=LAB.worker_modules) as zygote, \
            Grader(load_config(config_path), config_path.read_text(encoding="utf-8"),
                   zygote.connect(), LAB, suite=suite) as grader:

        @functools.cache
        def run(key: str) -> SubmissionResult:
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(sources[key])]
            path = work / f"{key}.ipynb"
            nbformat.write(nb, path)
            return grader.grade(path, key)

        try:
            yield run
        finally:
            torch.set_num_threads(threads)


def _stubbed(code: str, names: frozenset[str]) -> str:
    for name in names:
        header = source.function_source(code, name).split(":\n", 1)[0] + ":\n"
        code = source.replace(name, header + '    raise NotImplementedError("todo")')(code)
    return code


def failed_bc(result: SubmissionResult) -> dict[str, str]:
    assert result.status is Status.GRADED, result.reason
    return {t.name: t.output for t in result.tests if _is_part_bc(t.name) and not t.passed}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")
def test_suite_files_declare_every_config_name() -> None:
    config = load_config(ROOT / "grading_config.yaml")
    declared = [n for n in suite_names(LAB.checks) if _is_part_bc(n)]
    assert len(declared) == len(set(declared)) >= 30
    assert set(declared) <= set(config.tests)
    assert {n for n in config.tests if _is_part_bc(n)} == set(declared)
    for names in (MUTANTS.values()):
        assert names[1] <= set(declared), names[1] - set(declared)


def test_reference_passes_every_part_bc_check(grade) -> None:
    result = grade("reference")
    assert failed_bc(result) == {}
    assert sum(1 for t in result.tests if _is_part_bc(t.name)) >= 30


def test_unimplemented_functions_earn_nothing(grade) -> None:
    """No check passes vacuously: stubs raising NotImplementedError fail every B/C check."""
    result = grade("stubs")
    bc = [t for t in result.tests if _is_part_bc(t.name)]
    assert bc and not any(t.passed for t in bc), [t.name for t in bc if t.passed]
    assert all("not implemented yet" in t.output for t in bc), [t.output for t in bc]


def test_constant_stubs_earn_nothing(grade) -> None:
    """Error, no-library and edge-case checks count only once the function works."""
    result = grade("constants")
    passed = [t.name for t in result.tests if _is_part_bc(t.name) and t.passed]
    assert passed == []


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(grade, mutant: str) -> None:
    _, expected, phrase = MUTANTS[mutant]
    failed = failed_bc(grade(mutant))
    assert set(failed) == expected, failed
    message = failed[sorted(expected)[0]]
    assert phrase in message, message


@pytest.mark.parametrize("alternative", sorted(ALTERNATIVES))
def test_alternative_implementation_passes(grade, alternative: str) -> None:
    assert failed_bc(grade(f"alt_{alternative}")) == {}


def test_double_softmax_marks_the_checks_it_did_not_assess(grade) -> None:
    """The values, extreme and gradient checks hold a double softmax to the function the
    student wrote and keep their points, but say so: not assessed separately, see CE_RAW."""
    result = grade("ce_double_softmax")
    waived = {t.name: t.assessed_by for t in result.tests if t.waived}
    # (the GPU check holds it to its own values, whose check points on: each pass names the
    # check that charges the mistake, fe14)
    assert waived == {CE_VALUES: CE_RAW, CE_EXTREME: CE_RAW, CE_GRAD: CE_RAW,
                      f"cross_entropy: {ON_GPU}": CE_RAW}
    assert all("Not assessed separately" in t.output for t in result.tests if t.waived)
    assert not [t.name for t in grade("reference").tests if t.assessed_by]
