"""Realistic student mistakes ("mutants"): the reference with ONE function changed.

Each mutant must lose points, and its `expected_check` must fail with a message containing
`keyword` (a word that names the actual mistake, so the student knows what to fix).
Ideally it fails that check only; `also_fails` lists checks that may fail too, each for a
reason given in `why` (the mistake truly breaks a second checked property). A mutant the
checks do not catch yet is marked `known_gap=True` with a `reason`: selftest then reports
it as a known gap instead of failing, until the checks are fixed.

Adding one: pick the function, write the change with `edit` (snippet → snippet inside that
function) or `rewrite` (a whole new definition), name the check that should catch it and a
word its message should contain, then run `python -m autograder selftest --only NAME`.
"""

from __future__ import annotations

from autograder.selftest.library import Mutant
from autograder.selftest.source import chain, edit, rewrite, unchanged
from lab05_checks.alternatives import FIT_TRAIN_EACH_EPOCH
from lab05_checks.devices_library import DEVICE_MUTANTS
from lab05_checks.test_gpu_inputs import ON_GPU
from lab05_checks.test_part_a_regression import (
    HUBER_ERRORS,
    HUBER_GRAD,
    HUBER_NO_LIB,
    HUBER_VALUES,
    MAE_ERRORS,
    MAE_GRAD,
    MAE_VALUES,
    MSE_ERRORS,
    MSE_GRAD,
    MSE_VALUES,
)
from lab05_checks.test_part_b_classification import (
    BCE_CLAMP,
    BCE_ERRORS,
    BCE_GRAD,
    BCE_VALUES,
    BCEL_ERRORS,
    BCEL_EXTREME,
    BCEL_GRAD,
    BCEL_NO_LIB,
    BCEL_POS_WEIGHT,
    BCEL_VALUES,
    CE_ERRORS,
    CE_EXTREME,
    CE_GRAD,
    CE_NO_LIB,
    CE_RAW,
    CE_VALUES,
    LOG_SOFTMAX_EXTREME,
    LOG_SOFTMAX_GRAD,
    LOG_SOFTMAX_NO_LIB,
    LOG_SOFTMAX_VALUES,
    SOFTMAX_EXTREME,
    SOFTMAX_GRAD,
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
from lab05_checks.test_part_d_training import (
    CLS_ARCH,
    CLS_LOGITS,
    EVAL_DEVICE,
    EVAL_MODE,
    EVAL_NO_GRAD,
    EVAL_VALUES,
    FIT,
    GET_DEVICE,
    TRAIN_DEVICE,
    TRAIN_LOGITS,
    TRAIN_MODE,
    TRAIN_ORDER,
    TRAIN_RETURN,
)
from lab05_checks.test_part_e_experiments import (
    ALWAYS_NEGATIVE_F1,
    Q_LOGITS,
)

# The reference's two logs (safe where p is 0 or 1, so the gradient stays finite there).
BCE_LOGS = ("safe_p = torch.where(probs > 0, probs, 1.0)\n"
            "    safe_q = torch.where(probs < 1, probs, 0.0)\n"
            "    log_p = torch.clamp(torch.where(probs > 0, torch.log(safe_p), -100.0), min=-100)\n"
            "    log_1mp = torch.clamp(torch.where(probs < 1, torch.log1p(-safe_q), -100.0), "
            "min=-100)")

GATE = ("the error / no-library checks count only once the function returns correct values "
        "on valid input (no free points for a broken function)")
# (a float32 computation is charged once, by the values check: the gradient check, whose
# gradcheck it fails, is then attributed to it — lab05_checks.blame.held_to_float32)

# A second contract clause the same line breaks: what the GPU-input checks charge.
_GPU_NEW_TENSOR = ("torch.tensor(...) of the value is a new tensor made on the CPU: with GPU "
                   "inputs the result is left there, which the GPU-input check charges")
_GPU_CPU_MATRIX = ("the matrix is made on the CPU (torch.zeros without device=): with GPU inputs "
                   "it is left there, which the GPU-input check charges")
_GPU_NUMPY = ".numpy() of a GPU tensor fails on a GPU, which the GPU-input check charges"

# fit training in eval mode after its first epoch (model.train() once, before the loop)
_EACH_EPOCH, _ONCE = ("    for _ in range(epochs):\n        model.train()\n",
                     "    model.train()\n    for _ in range(epochs):\n")
assert _EACH_EPOCH in FIT_TRAIN_EACH_EPOCH
FIT_TRAIN_MODE_ONCE = FIT_TRAIN_EACH_EPOCH.replace(_EACH_EPOCH, _ONCE)

MUTANTS: list[Mutant] = [
    # ================================================================ Part A: regression losses
    Mutant("mutant_mse_sum_for_mean", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "values = (pred - target) ** 2\n"
                '    return values.sum() if reduction != "none" else values'),
           MSE_VALUES, "mean"),
    Mutant("mutant_mae_detached", "mae_loss",
           edit("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                "return _reduce((pred - target).abs(), reduction).detach()"),
           MAE_GRAD, "detached"),
    Mutant("mutant_huber_calls_library", "huber_loss",
           edit("huber_loss", "return _reduce(torch.where(",
                "return F.huber_loss(pred, target, delta=delta, reduction=reduction)\n"
                "    return _reduce(torch.where("),
           HUBER_NO_LIB, "F.huber_loss"),
    Mutant("mutant_mse_no_shape_check", "mse_loss",
           edit("mse_loss", "    _check_same_shape(pred, target)\n", ""),
           MSE_ERRORS, "broadcasting"),
    Mutant("mutant_mae_accepts_unknown_reduction", "mae_loss", rewrite('''
def mae_loss(pred, target, reduction="mean"):
    _check_same_shape(pred, target)
    values = (pred - target).abs()
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values
'''), MAE_ERRORS, "reduction='avg'"),
    Mutant("mutant_huber_branches_swapped", "huber_loss",
           edit("huber_loss", "torch.where(abs_diff < delta, quadratic, linear)",
                "torch.where(abs_diff < delta, linear, quadratic)"),
           HUBER_VALUES, "swapped",
           why="wrong everywhere, but the whole formula of its own the checks know "
               "(OWN_MODELS): the gradient, error and no-library checks judge it on that "
               "formula (mistakes review 30), and the values check names the swap"),
    Mutant("mutant_huber_smooth_l1_linear_branch", "huber_loss",
           edit("huber_loss", "linear = delta * (abs_diff - 0.5 * delta)",
                "linear = abs_diff - 0.5 * delta"),
           HUBER_VALUES, "linear branch"),
    Mutant("mutant_huber_ignores_delta", "huber_loss",
           edit("huber_loss", "linear = delta * (abs_diff - 0.5 * delta)",
                "linear = abs_diff - 0.5", "torch.where(abs_diff < delta,",
                "torch.where(abs_diff < 1.0,"),
           HUBER_VALUES, "delta"),
    Mutant("mutant_huber_no_delta_check", "huber_loss",
           edit("huber_loss", "    if delta <= 0:\n"
                '        raise ValueError(f"delta must be positive, got {delta}")\n', ""),
           HUBER_ERRORS, "delta <= 0"),
    Mutant("mutant_mse_modifies_target_in_place", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "return _reduce(target.sub_(pred) ** 2, reduction)"),
           MSE_VALUES, "in place"),  # (gradcheck then fails too: one mistake, red team 31)
    Mutant("mutant_mse_float64_output", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "return _reduce((pred.double() - target.double()) ** 2, reduction)"),
           MSE_VALUES, "dtype"),
    Mutant("mutant_mse_item_for_mean", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "values = (pred - target) ** 2\n"
                '    if reduction == "mean":\n'
                "        return values.mean().item()\n"
                "    return _reduce(values, reduction)"),
           MSE_VALUES, ".item()"),
    Mutant("mutant_mse_mean_rewrapped_in_new_tensor", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "values = (pred - target) ** 2\n"
                '    if reduction == "mean":\n'
                "        return torch.tensor(values.mean().item(), dtype=pred.dtype)\n"
                "    return _reduce(values, reduction)"),
           MSE_GRAD, "detached",
           also_fails=frozenset({f"mse_loss: {ON_GPU}"}),
           why=_GPU_NEW_TENSOR),
    # ================================================================ Part B: softmax family
    Mutant("mutant_softmax_no_max_shift", "softmax", rewrite('''
def softmax(logits, dim=-1):
    exps = logits.exp()
    return exps / exps.sum(dim=dim, keepdim=True)
'''), SOFTMAX_EXTREME, "subtract the max"),
    Mutant("mutant_softmax_global_max", "softmax",
           edit("softmax", "logits.amax(dim=dim, keepdim=True)", "logits.max()"),
           SOFTMAX_EXTREME, "whole tensor"),
    Mutant("mutant_softmax_wrong_dim", "softmax",
           edit("softmax", "logits.amax(dim=dim, keepdim=True)", "logits.amax(dim=-1, keepdim=True)",
                "exps.sum(dim=dim, keepdim=True)", "exps.sum(dim=-1, keepdim=True)"),
           SOFTMAX_VALUES, "dim"),
    Mutant("mutant_softmax_calls_library", "softmax", rewrite('''
def softmax(logits, dim=-1):
    return torch.softmax(logits, dim=dim)
'''), SOFTMAX_NO_LIB, "torch.softmax"),
    Mutant("mutant_log_softmax_log_of_softmax", "log_softmax", rewrite('''
def log_softmax(logits, dim=-1):
    return torch.log(softmax(logits, dim=dim))
'''), LOG_SOFTMAX_EXTREME, "log(softmax(x))"),
    Mutant("mutant_log_softmax_no_max_shift", "log_softmax", rewrite('''
def log_softmax(logits, dim=-1):
    return logits - logits.exp().sum(dim=dim, keepdim=True).log()
'''), LOG_SOFTMAX_EXTREME, "max"),
    Mutant("mutant_log_softmax_calls_logsumexp", "log_softmax", rewrite('''
def log_softmax(logits, dim=-1):
    return logits - torch.logsumexp(logits, dim=dim, keepdim=True)
'''), LOG_SOFTMAX_NO_LIB, "torch.logsumexp"),
    # ================================================================ Part B: cross_entropy
    Mutant("mutant_ce_double_softmax", "cross_entropy",
           edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                "log_probs = log_softmax(softmax(logits, dim=1), dim=1)"),
           CE_RAW, "already probabilities"),
    Mutant("mutant_ce_sum_for_mean", "cross_entropy",
           edit("cross_entropy", "return _reduce(nll, reduction)",
                'return nll if reduction == "none" else nll.sum()'),
           CE_VALUES, "summed"),
    Mutant("mutant_ce_mean_over_classes", "cross_entropy",
           edit("cross_entropy",
                "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)\n"
                "    return _reduce(nll, reduction)",
                "onehot = torch.zeros_like(log_probs).scatter(1, targets.long().unsqueeze(1), 1.0)\n"
                "    per_logit = -onehot * log_probs\n"
                '    if reduction == "none":\n        return per_logit.sum(dim=1)\n'
                '    return per_logit.mean() if reduction == "mean" else per_logit.sum()'),
           CE_VALUES, "N·C"),
    Mutant("mutant_ce_detached_tolist", "cross_entropy",
           edit("cross_entropy", "return _reduce(nll, reduction)",
                "return torch.tensor(_reduce(nll, reduction).tolist(), dtype=logits.dtype)"),
           CE_GRAD, "detached",
           also_fails=frozenset({f"cross_entropy: {ON_GPU}"}),
           why=_GPU_NEW_TENSOR),
    Mutant("mutant_ce_log_of_softmax", "cross_entropy",
           edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                "log_probs = torch.log(softmax(logits, dim=1))"),
           CE_EXTREME, "log(softmax"),
    Mutant("mutant_ce_log_eps", "cross_entropy",
           edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                "log_probs = torch.log(softmax(logits, dim=1) + 1e-8)"),
           CE_EXTREME, "eps"),  # (charged once: the values and gradient checks, inexact at
    # float64 precision by ~1e-5 relative, are attributed to the ±1e4 check that names the eps)
    Mutant("mutant_ce_mean_rewrapped_in_new_tensor", "cross_entropy",
           edit("cross_entropy", "return _reduce(nll, reduction)",
                'if reduction == "mean":\n'
                "        return torch.tensor(nll.mean().item(), dtype=logits.dtype)\n"
                "    return _reduce(nll, reduction)"),
           CE_GRAD, "detached",
           also_fails=frozenset({f"cross_entropy: {ON_GPU}"}),
           why=_GPU_NEW_TENSOR),
    Mutant("mutant_ce_no_target_check", "cross_entropy",
           edit("cross_entropy",
                "    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= "
                "num_classes):\n"
                '        raise ValueError(f"targets must be class indices in [0, {num_classes})")\n',
                ""),
           CE_ERRORS, "target"),
    Mutant("mutant_ce_calls_nll_loss", "cross_entropy",
           edit("cross_entropy", "return _reduce(nll, reduction)",
                "return F.nll_loss(log_probs, targets, reduction=reduction)"),
           CE_NO_LIB, "F.nll_loss"),
    Mutant("mutant_ce_log_softmax_wrong_dim", "cross_entropy",
           edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                "log_probs = log_softmax(logits, dim=0)"),
           CE_VALUES, "dim",
           also_fails=frozenset({CE_EXTREME, CE_RAW, CE_GRAD, CE_ERRORS, CE_NO_LIB}),
           why="a softmax over the batch is a different function: values, extremes and gradients "
               "differ, and " + GATE),
    Mutant("mutant_ce_argmax_instead_of_target", "cross_entropy",
           edit("cross_entropy", "log_probs.gather(1, targets.long().unsqueeze(1))",
                "log_probs.gather(1, log_probs.argmax(dim=1, keepdim=True))"),
           CE_VALUES, "target",
           also_fails=frozenset({CE_EXTREME, CE_RAW, CE_GRAD, CE_ERRORS, CE_NO_LIB,
                                 f"cross_entropy: {ON_GPU}"}),
           why="the loss of the predicted class is a different function: values, extremes and "
               "gradients differ, and " + GATE + "; a loss that never reads its targets does "
               "no work the GPU check could credit"),
    # ================================================================ Part B: binary cross-entropy
    Mutant("mutant_bce_no_clamp", "binary_cross_entropy",
           edit("binary_cross_entropy",
                BCE_LOGS,
                "log_p = torch.log(probs)\n    log_1mp = torch.log(1 - probs)"),
           BCE_CLAMP, "clamp each log at -100"),
    Mutant("mutant_bce_log_eps", "binary_cross_entropy",
           edit("binary_cross_entropy",
                BCE_LOGS,
                "log_p = torch.log(probs + 1e-8)\n    log_1mp = torch.log(1 - probs + 1e-8)"),
           BCE_CLAMP, "epsilon"),  # (charged once: the values check, inexact at float64
    # precision by ~1e-7 relative, is attributed to the clamp check that names the eps)
    Mutant("mutant_bce_clips_probabilities", "binary_cross_entropy",
           edit("binary_cross_entropy", "    safe_p = torch.where(probs > 0, probs, 1.0)\n",
                "    probs = probs.clamp(1e-7, 1 - 1e-7)\n"
                "    safe_p = torch.where(probs > 0, probs, 1.0)\n"),
           BCE_CLAMP, "clipping p"),
    Mutant("mutant_bce_no_shape_check", "binary_cross_entropy",
           edit("binary_cross_entropy", "_check_same_shape(probs, targets)", "pass"),
           BCE_ERRORS, "broadcasting"),
    Mutant("mutant_bce_via_numpy", "binary_cross_entropy", rewrite('''
def binary_cross_entropy(probs, targets, reduction="mean"):
    import numpy as np

    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    p, y = probs.numpy(), targets.numpy()
    with np.errstate(divide="ignore"):
        values = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))
    return _reduce(torch.from_numpy(values), reduction)
'''), BCE_GRAD, "numpy",
           also_fails=frozenset({f"binary_cross_entropy: {ON_GPU}"}),
           why=_GPU_NUMPY),
    Mutant("mutant_bcel_naive_sigmoid_log", "binary_cross_entropy_with_logits", rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    p = torch.sigmoid(logits)
    weight = pos_weight if pos_weight is not None else 1.0
    loss = -(weight * targets * torch.log(p) + (1 - targets) * torch.log(1 - p))
    return _reduce(loss, reduction)
'''), BCEL_EXTREME, "log(sigmoid(x))"),
    # (fresh eyes 50: both were told only that the values were wrong)
    Mutant("mutant_bcel_sigmoid_twice", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits", "neg_log_sigmoid = -F.logsigmoid(logits)",
                "logits = torch.sigmoid(logits)\n    neg_log_sigmoid = -F.logsigmoid(logits)"),
           BCEL_VALUES, "twice",
           also_fails=frozenset({BCEL_POS_WEIGHT, BCEL_EXTREME, BCEL_GRAD, BCEL_ERRORS,
                                 BCEL_NO_LIB}),
           why="the loss of σ(x) is a different function of the logits: its values with "
               "pos_weight, at ±1e4 and its gradients differ, and " + GATE),
    Mutant("mutant_bcel_mean_over_the_weights", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
                "    loss = (1 - targets) * logits + weight * neg_log_sigmoid\n"
                "    if reduction == \"mean\" and pos_weight is not None:\n"
                "        return loss.sum() / (1 + (pos_weight - 1) * targets).sum()\n"
                "    return _reduce(loss, reduction)"),
           BCEL_POS_WEIGHT, "sum of the weights"),
    Mutant("mutant_bcel_pos_weight_ignored", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1",
                "weight = 1"),
           BCEL_POS_WEIGHT, "ignores pos_weight"),
    Mutant("mutant_bcel_pos_weight_on_whole_loss", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
                "scale = pos_weight if pos_weight is not None else 1\n"
                "    return _reduce(((1 - targets) * logits + neg_log_sigmoid) * scale, reduction)"),
           BCEL_POS_WEIGHT, "whole loss"),
    # ================================================================ Part C: metrics
    Mutant("mutant_accuracy_returns_tensor", "accuracy",
           edit("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                "return (preds == targets).double().mean()"),
           ACC_VALUES, "returned a tensor"),
    Mutant("mutant_accuracy_mean_of_bool", "accuracy",
           edit("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                "return (preds == targets).mean().item()"),
           ACC_VALUES, "Bool", also_fails=frozenset({ACC_ERRORS}), why=GATE),
    Mutant("mutant_accuracy_rounded_to_3_decimals", "accuracy",
           edit("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                "return round(int((preds == targets).sum()) / preds.numel(), 3)"),
           ACC_VALUES, "rounds its result to 3 decimals"),
    Mutant("mutant_accuracy_no_empty_check", "accuracy",
           edit("accuracy", "    if preds.numel() == 0:\n"
                '        raise ValueError("accuracy of an empty set is undefined")\n', ""),
           ACC_ERRORS, "N = 0"),
    Mutant("mutant_confusion_transposed", "confusion_matrix",
           edit("confusion_matrix", "index = targets.long() * num_classes + preds.long()",
                "index = preds.long() * num_classes + targets.long()"),
           CM_VALUES, "transposed"),
    Mutant("mutant_confusion_size_from_labels", "confusion_matrix",
           edit("confusion_matrix", "index = targets.long()",
                "num_classes = int(torch.unique(torch.cat([preds, targets])).numel())\n"
                "    index = targets.long()"),
           CM_ABSENT, "num_classes"),
    # fresh eyes 8: the size taken from the labels by bincount itself, charged once
    Mutant("mutant_confusion_bincount_without_minlength", "confusion_matrix",
           edit("confusion_matrix", "torch.bincount(index.flatten(), minlength=num_classes * "
                "num_classes)", "torch.bincount(index.flatten())"),
           CM_ABSENT, "size it by num_classes"),
    Mutant("mutant_confusion_float_counts", "confusion_matrix", rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    matrix = torch.zeros(num_classes, num_classes)
    for t, p in zip(targets.tolist(), preds.tolist()):
        matrix[t, p] += 1
    return matrix
'''), CM_VALUES, "int64",
           also_fails=frozenset({f"confusion_matrix: {ON_GPU}"}),
           why=_GPU_CPU_MATRIX),
    Mutant("mutant_prf_precision_recall_swapped", "precision_recall_f1",
           edit("precision_recall_f1", "return precision, recall, f1",
                "return recall, precision, f1"),
           PRF_BINARY, "swapped"),
    Mutant("mutant_prf_nan_on_zero_division", "precision_recall_f1",
           edit("precision_recall_f1", "precision = _safe_ratio(tp, tp + fp)",
                "precision = (torch.tensor(tp) / torch.tensor(tp + fp)).item()"),
           PRF_ZERO, "0/0"),
    Mutant("mutant_prf_f1_divides_by_zero", "precision_recall_f1",
           edit("precision_recall_f1", "f1 = _safe_ratio(2 * tp, 2 * tp + fp + fn)",
                "f1 = 2 * precision * recall / (precision + recall)"),
           PRF_ZERO, "0/0"),
    Mutant("mutant_prf_always_class_one", "precision_recall_f1",
           edit("precision_recall_f1",
                "predicted_pos = preds == positive_class\n    actual_pos = targets == positive_class",
                "predicted_pos = preds == 1\n    actual_pos = targets == 1"),
           PRF_MULTI, "one-vs-rest"),
    Mutant("mutant_prf_threshold_ge_positive_class", "precision_recall_f1",
           edit("precision_recall_f1",
                "predicted_pos = preds == positive_class\n    actual_pos = targets == positive_class",
                "predicted_pos = preds >= positive_class\n"
                "    actual_pos = targets >= positive_class"),
           PRF_MULTI, "one-vs-rest"),
    # fresh eyes 7: one numpy habit, charged once — by the metric that returns numpy values,
    # not again by macro_f1 built on it nor by the experiment's answer computed with it
    Mutant("mutant_prf_numpy_values_macro_built_on_it", "precision_recall_f1", rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    predicted_pos = preds == positive_class
    actual_pos = targets == positive_class
    tp = int((predicted_pos & actual_pos).sum())
    fp = int((predicted_pos & ~actual_pos).sum())
    fn = int((~predicted_pos & actual_pos).sum())
    ratios = (_safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn),
              _safe_ratio(2 * tp, 2 * tp + fp + fn))
    return tuple(torch.tensor(r).numpy() for r in ratios)  # float32 0-d arrays
''', '''
def macro_f1(preds, targets, num_classes):
    total = 0.0
    for c in range(num_classes):
        total += precision_recall_f1(preds, targets, positive_class=c)[2]
    return total / num_classes
'''), PRF_BINARY, "numpy"),
    Mutant("mutant_macro_f1_harmonic_mean", "macro_f1", rewrite('''
def macro_f1(preds, targets, num_classes):
    matrix = confusion_matrix(preds, targets, num_classes)
    tp = matrix.diagonal()
    precision = sum(_safe_ratio(int(tp[c]), int(matrix[:, c].sum()))
                    for c in range(num_classes)) / num_classes
    recall = sum(_safe_ratio(int(tp[c]), int(matrix[c].sum()))
                 for c in range(num_classes)) / num_classes
    return _safe_ratio(2 * precision * recall, precision + recall)
'''), MACRO_VALUES, "harmonic mean"),
    Mutant("mutant_macro_f1_rounded_to_4_decimals", "macro_f1",
           edit("macro_f1", "return sum(per_class) / num_classes",
                "return round(sum(per_class) / num_classes, 4)"),
           MACRO_VALUES, "rounds its result to 4 decimals"),
    Mutant("mutant_macro_f1_is_micro", "macro_f1", rewrite('''
def macro_f1(preds, targets, num_classes):
    return int((preds == targets).sum()) / preds.numel()
'''), MACRO_VALUES, "micro-F1"),
    Mutant("mutant_macro_f1_weighted_by_support", "macro_f1",
           edit("macro_f1", "return sum(per_class) / num_classes",
                "support = [int(s) for s in matrix.sum(dim=1)]\n"
                "    return sum(f * s for f, s in zip(per_class, support)) / sum(support)"),
           MACRO_VALUES, "support"),
    Mutant("mutant_macro_f1_present_classes_only", "macro_f1",
           edit("macro_f1", "return sum(per_class) / num_classes",
                "present = torch.unique(torch.cat([preds, targets])).numel()\n"
                "    return sum(per_class) / present"),
           MACRO_ABSENT, "classes present"),
    # fe14: beside a precision_recall_f1 that ignores positive_class (every class one F1),
    # macro_f1's own average over the classes present was excused as the helper's
    Mutant("mutant_fe14_macro_present_beside_prf_class_one", "macro_f1", rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    predicted_pos, actual_pos = preds == 1, targets == 1
    tp = int((predicted_pos & actual_pos).sum())
    fp = int((predicted_pos & ~actual_pos).sum())
    fn = int((~predicted_pos & actual_pos).sum())
    return (_safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn),
            _safe_ratio(2 * tp, 2 * tp + fp + fn))
''', '''
def macro_f1(preds, targets, num_classes):
    present = torch.unique(torch.cat([preds, targets])).tolist()
    scores = [precision_recall_f1(preds, targets, positive_class=c)[2] for c in present]
    return sum(scores) / len(scores)
'''), MACRO_ABSENT, "num_classes", also_fails=frozenset({PRF_MULTI}),
           why="its precision_recall_f1 ignores positive_class (charged there; macro_f1's "
               "values check, built on it, is not assessed separately)"),
    # fe17: the signature's default positive class changed to 0 (told it swapped P and R)
    Mutant("mutant_fe17_prf_default_class_zero", "precision_recall_f1",
           edit("precision_recall_f1", "positive_class: int = 1", "positive_class: int = 0"),
           PRF_BINARY, "default must be positive_class=1"),
    # fe17: a loop that starts at class 1 (class 0 left out), divided by num_classes or by
    # the classes kept: named, and charged once (the absent-class check judges its own model)
    Mutant("mutant_fe17_macro_skips_class0", "macro_f1", rewrite('''
def macro_f1(preds, targets, num_classes):
    scores = [precision_recall_f1(preds, targets, positive_class=c)[2]
              for c in range(1, num_classes)]
    return sum(scores) / num_classes
'''), MACRO_VALUES, "leaves class 0 out"),
    Mutant("mutant_fe17_macro_skips_last_class_mean", "macro_f1", rewrite('''
def macro_f1(preds, targets, num_classes):
    scores = [precision_recall_f1(preds, targets, positive_class=c)[2]
              for c in range(num_classes - 1)]
    return sum(scores) / len(scores)
'''), MACRO_VALUES, "leaves the last class out"),
    # ================================================================ Part D: model and training
    # fe17: the logits squeezed, full marks while every graded loader's last batch held two
    Mutant("mutant_fe17_train_squeezes_logits", "train_one_epoch",
           edit("train_one_epoch", "logits = model(x)", "logits = model(x).squeeze()"),
           TRAIN_LOGITS, "batch of one sample"),
    Mutant("mutant_fe17_eval_squeezes_logits", "evaluate",
           edit("evaluate", "logits = model(x)", "logits = model(x).squeeze()"),
           EVAL_VALUES, "batch of one sample"),
    Mutant("mutant_softmax_before_ce", "train_one_epoch",
           edit("train_one_epoch", "loss = loss_fn(logits, y)",
                "loss = loss_fn(torch.softmax(logits, dim=1), y)"),
           TRAIN_LOGITS, "raw logits"),
    Mutant("mutant_classifier_softmax_at_end", "build_classifier",
           edit("build_classifier", "nn.Linear(hidden, num_classes),",
                "nn.Linear(hidden, num_classes),\n        nn.Softmax(dim=1),"),
           CLS_LOGITS, "softmax"),
    Mutant("mutant_classifier_sigmoid_activation", "build_classifier",
           edit("build_classifier", "nn.ReLU(),", "nn.Sigmoid(),"),
           CLS_ARCH, "activation"),
    Mutant("mutant_no_zero_grad", "train_one_epoch",
           edit("train_one_epoch", "        optimizer.zero_grad()\n", ""),
           TRAIN_ORDER, "never called"),
    Mutant("mutant_zero_grad_after_backward", "train_one_epoch",
           edit("train_one_epoch", "loss.backward()\n",
                "loss.backward()\n        optimizer.zero_grad()\n"),
           TRAIN_ORDER, "between backward() and step()"),
    Mutant("mutant_zero_grad_once_before_loop", "train_one_epoch",
           edit("train_one_epoch", "        optimizer.zero_grad()\n", "",
                "    for x, y in loader:\n", "    optimizer.zero_grad()\n    for x, y in loader:\n"),
           TRAIN_ORDER, "every batch"),
    Mutant("mutant_step_before_backward", "train_one_epoch",
           edit("train_one_epoch", "loss.backward()\n        optimizer.step()",
                "optimizer.step()\n        loss.backward()"),
           TRAIN_ORDER, "step() runs before backward()"),
    Mutant("mutant_no_train_mode", "train_one_epoch",
           edit("train_one_epoch", "    model.train()\n", ""),
           TRAIN_MODE, "model.train()"),
    Mutant("mutant_mean_of_batch_means", "train_one_epoch",
           edit("train_one_epoch",
                "total_loss += loss.item() * x.shape[0]\n        total_samples += x.shape[0]",
                "total_loss += loss.item()\n        total_samples += 1"),
           TRAIN_RETURN, "mean of the batch means"),
    Mutant("mutant_loss_accumulated_as_tensor", "train_one_epoch",
           edit("train_one_epoch", "total_loss += loss.item() * x.shape[0]",
                "total_loss += loss * x.shape[0]"),
           TRAIN_RETURN, "returned a tensor"),
    Mutant("mutant_returns_last_batch_loss", "train_one_epoch",
           edit("train_one_epoch", "return total_loss / total_samples", "return loss.item()"),
           TRAIN_RETURN, "last batch"),
    Mutant("mutant_hardcoded_cuda", "train_one_epoch",
           edit("train_one_epoch", "x, y = x.to(device), y.to(device)",
                'x, y = x.to("cuda"), y.to("cuda")'),
           TRAIN_DEVICE, "hard-codes 'cuda'"),
    Mutant("mutant_labels_not_moved", "train_one_epoch",
           edit("train_one_epoch", "x, y = x.to(device), y.to(device)", "x = x.to(device)"),
           TRAIN_DEVICE, "labels"),
    Mutant("mutant_to_device_not_assigned", "train_one_epoch",
           edit("train_one_epoch", "x, y = x.to(device), y.to(device)",
                "x.to(device)\n        y = y.to(device)"),
           TRAIN_DEVICE, "assign"),
    Mutant("mutant_device_argument_ignored", "train_one_epoch",
           edit("train_one_epoch", "x, y = x.to(device), y.to(device)",
                "x, y = x.to(get_device()), y.to(get_device())"),
           TRAIN_DEVICE, "device argument"),
    Mutant("mutant_get_device_always_cpu", "get_device",
           edit("get_device",
                'return torch.device("cuda" if torch.cuda.is_available() else "cpu")',
                'return torch.device("cpu")'),
           GET_DEVICE, "expected cuda"),
    Mutant("mutant_get_device_always_cuda", "get_device",
           edit("get_device",
                'return torch.device("cuda" if torch.cuda.is_available() else "cpu")',
                'return torch.device("cuda")'),
           GET_DEVICE, "expected cpu"),
    # ================================================================ Part D: evaluation, fit
    Mutant("mutant_evaluate_no_eval", "evaluate",
           edit("evaluate", "    model.eval()\n", ""),
           EVAL_MODE, "model.eval()"),
    Mutant("mutant_evaluate_no_no_grad", "evaluate",
           edit("evaluate", "with torch.no_grad():", "if True:"),
           EVAL_NO_GRAD, "no_grad"),
    Mutant("mutant_evaluate_forward_method_no_no_grad", "evaluate",
           edit("evaluate", "with torch.no_grad():", "if True:",
                "logits = model(x)", "logits = model.forward(x)"),
           EVAL_NO_GRAD, "no_grad"),
    Mutant("mutant_evaluate_calls_backward", "evaluate",
           edit("evaluate", "with torch.no_grad():", "if True:",
                "total_loss += loss_fn(logits, y).item() * x.shape[0]",
                "loss = loss_fn(logits, y)\n            loss.backward()\n"
                "            total_loss += loss.item() * x.shape[0]"),
           EVAL_NO_GRAD, "backward"),
    Mutant("mutant_evaluate_mean_of_batch_means", "evaluate",
           edit("evaluate", "total_loss += loss_fn(logits, y).item() * x.shape[0]",
                "total_loss += loss_fn(logits, y).item()",
                '"loss": total_loss / total_samples', '"loss": total_loss / len(loader)'),
           EVAL_VALUES, "weight each batch"),
    Mutant("mutant_evaluate_accuracy_tensor", "evaluate",
           edit("evaluate", "correct += int((logits.argmax(dim=1) == y).sum())",
                "correct += (logits.argmax(dim=1) == y).sum()"),
           EVAL_VALUES, ".item()"),
    Mutant("mutant_evaluate_argmax_without_dim", "evaluate",
           edit("evaluate", "logits.argmax(dim=1)", "logits.argmax()"),
           EVAL_VALUES, "argmax(dim=1)"),
    Mutant("mutant_evaluate_labels_not_moved", "evaluate",
           edit("evaluate", "x, y = x.to(device), y.to(device)", "x = x.to(device)"),
           EVAL_DEVICE, "labels"),
    Mutant("mutant_fit_evaluates_train_loader", "fit",
           edit("fit", "evaluate(model, val_loader,", "evaluate(model, train_loader,"),
           FIT, "loader"),
    # ================================================================ Part E: answers
    Mutant("mutant_wrong_concept_answer", "q_logits", unchanged, Q_LOGITS, "not the best answer",
           answers={"q_logits": "__wrong__"}),
    Mutant("mutant_always_negative_f1_is_accuracy", "always_negative_f1", unchanged,
           ALWAYS_NEGATIVE_F1, "true positives", answers={"always_negative_f1": 0.95}),
]

# ================================================================ what students really write
# (issue 15): each confirmed by a probe whose message names it.
MUTANTS += [
    Mutant("mutant_train_own_optimizer", "train_one_epoch",
           edit("train_one_epoch", "    model.train()\n",
                "    model.train()\n"
                "    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)\n"),
           TRAIN_ORDER, "own optimizer"),
    Mutant("mutant_train_own_loss", "train_one_epoch",
           edit("train_one_epoch", "loss = loss_fn(logits, y)",
                "loss = nn.CrossEntropyLoss()(logits, y)"),
           TRAIN_ORDER, "loss_fn it is given"),
    Mutant("mutant_train_graph_kept_alive", "train_one_epoch",
           chain(edit("train_one_epoch", "total_loss += loss.item() * x.shape[0]",
                      "total_loss = total_loss + loss * x.shape[0]"),
                 edit("train_one_epoch", "return total_loss / total_samples",
                      "return total_loss.item() / total_samples")),
           TRAIN_RETURN, "graph alive"),
    Mutant("mutant_train_divides_by_batches", "train_one_epoch",
           chain(edit("train_one_epoch", "total_samples += x.shape[0]", "total_samples += 1")),
           TRAIN_RETURN, "number of batches"),
    Mutant("mutant_evaluate_loss_on_softmax", "evaluate",
           edit("evaluate", "total_loss += loss_fn(logits, y).item()",
                "total_loss += loss_fn(logits.softmax(dim=1), y).item()"),
           EVAL_VALUES, "softmax outputs"),
    Mutant("mutant_evaluate_percent_accuracy", "evaluate",
           edit("evaluate", '"accuracy": correct / total_samples',
                '"accuracy": 100 * correct / total_samples'),
           EVAL_VALUES, "percentage"),
    Mutant("mutant_evaluate_own_loss", "evaluate",
           edit("evaluate", "total_loss += loss_fn(logits, y).item()",
                "total_loss += F.cross_entropy(logits, y).item()"),
           EVAL_VALUES, "loss_fn it is given"),
    Mutant("mutant_fit_evaluates_before_training", "fit", rewrite('''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        metrics = evaluate(model, val_loader, loss_fn, device)
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer,
                                                     device))
        history["val_loss"].append(metrics["loss"])
        history["val_accuracy"].append(metrics["accuracy"])
    return history
'''), FIT, "before training"),
    Mutant("mutant_fit_own_optimizer", "fit",
           edit("fit", "    for _ in range(epochs):\n",
                "    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                "    for _ in range(epochs):\n"),
           FIT, "own optimizer"),
    # mistakes review 27: each epoch trained from scratch, the stand-ins' history still right
    Mutant("mutant_fit_resets_parameters_each_epoch", "fit",
           edit("fit", "    for _ in range(epochs):\n",
                "    for _ in range(epochs):\n"
                "        for layer in model.modules():\n"
                "            if hasattr(layer, 'reset_parameters'):\n"
                "                layer.reset_parameters()\n"),
           FIT, "between epochs"),
    Mutant("mutant_fit_ignores_device", "fit",
           edit("fit", "    for _ in range(epochs):\n",
                "    device = get_device()\n    for _ in range(epochs):\n"),
           FIT, "device of its own"),
    Mutant("mutant_get_device_returns_string", "get_device",
           edit("get_device",
                'return torch.device("cuda" if torch.cuda.is_available() else "cpu")',
                'return "cuda" if torch.cuda.is_available() else "cpu"'),
           GET_DEVICE, "torch.device"),
    Mutant("mutant_classifier_relu_after_last_layer", "build_classifier",
           edit("build_classifier", "nn.Linear(hidden, num_classes),",
                "nn.Linear(hidden, num_classes),\n        nn.ReLU(),"),
           CLS_ARCH, "after the last Linear"),
]
MUTANTS += [
    Mutant("mutant_mae_sqrt_of_square", "mae_loss",
           edit("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                "return _reduce(torch.sqrt((pred - target) ** 2), reduction)"),
           MAE_GRAD, "PyTorch's gradient is finite"),
]
MUTANTS += [
    Mutant("mutant_log_softmax_global_max_shift", "log_softmax", rewrite('''
def log_softmax(logits, dim=-1):
    shifted = logits - logits.max()
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
'''), LOG_SOFTMAX_EXTREME, "max of the whole tensor"),
    # cross_entropy calls this log_softmax: the mistake must cost log_softmax's checks only.
    # fe14: a missing keepdim raises on every input that is not a vector (or, square, gives
    # wrong values): charged once, by the values check, which names it; the checks whose
    # inputs are matrices are not assessed separately (cross_entropy, which calls it, is
    # graded with PyTorch's log_softmax in its place and keeps its points)
    Mutant("mutant_log_softmax_no_keepdim", "log_softmax", rewrite('''
def log_softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim).log()
'''), LOG_SOFTMAX_VALUES, "keepdim=True"),
    Mutant("mutant_softmax_max_no_keepdim", "softmax", rewrite('''
def softmax(logits, dim=-1):
    exps = (logits - logits.max(dim=dim).values).exp()
    return exps / exps.sum(dim=dim, keepdim=True)
'''), SOFTMAX_VALUES, "keepdim=True"),
    # fe14: a hard-coded dim raised on the values check's vector, told only the error
    Mutant("mutant_softmax_hard_coded_dim", "softmax", rewrite('''
def softmax(logits, dim=-1):
    exps = (logits - logits.amax(dim=1, keepdim=True)).exp()
    return exps / exps.sum(dim=1, keepdim=True)
'''), SOFTMAX_VALUES, "ignores its dim argument"),
    # fe14: pos_weight reshaped to a column raised on every non-square batch, told only that
    Mutant("mutant_bcel_pos_weight_on_rows", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1",
                "weight = 1 + (pos_weight.reshape(-1, 1) - 1) * targets "
                "if pos_weight is not None else 1"),
           BCEL_POS_WEIGHT, "along the rows"),
]
# Part A diagnoses confirmed by probes, and arguments that must count.
MUTANTS += [
    Mutant("mutant_mae_abs_of_mean", "mae_loss",
           edit("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                "return _reduce(pred - target, reduction).abs()"),
           MAE_VALUES, "absolute value after reducing"),
    Mutant("mutant_mae_is_rmse", "mae_loss",
           edit("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                "return torch.sqrt(_reduce((pred - target) ** 2, reduction))"),
           MAE_VALUES, "RMSE", also_fails=frozenset({MAE_GRAD}),
           why="sqrt(d**2) is |d| in value but its gradient is nan at d = 0 (the kink rule)"),
    Mutant("mutant_huber_threshold_on_square", "huber_loss",
           edit("huber_loss", "torch.where(abs_diff < delta,", "torch.where(diff**2 < delta,"),
           HUBER_VALUES, "d² with delta"),
    Mutant("mutant_mse_ignores_reduction", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                'return _reduce((pred - target) ** 2, "none" if reduction == "none" else "mean")'),
           # ('none' right: fe14 found "ignores its reduction argument" too vague for it)
           MSE_VALUES, "with reduction='sum' returns the mean"),
]
# Part B: diagnoses confirmed by probes, gradients at the edges, arguments that must count.
MUTANTS += [
    Mutant("mutant_bce_naive_clamp", "binary_cross_entropy",
           edit("binary_cross_entropy", BCE_LOGS,
                "log_p = torch.clamp(torch.log(probs), min=-100)\n"
                "    log_1mp = torch.clamp(torch.log1p(-probs), min=-100)"),
           BCE_CLAMP, "any finite gradient is accepted"),
    Mutant("mutant_bce_hard_targets_only", "binary_cross_entropy",
           edit("binary_cross_entropy",
                "return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)",
                "return _reduce(-torch.where(targets > 0.5, log_p, log_1mp), reduction)"),
           BCE_VALUES, "soft targets"),  # (its gradient is judged on the hard labels of the
    # gradient check's input, where it is right: one mistake, mistakes review 34)
    Mutant("mutant_bcel_pos_weight_in_targets", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1\n"
                "    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
                "if pos_weight is not None:\n"
                "        targets = targets * pos_weight\n"
                "    return _reduce((1 - targets) * logits + neg_log_sigmoid, reduction)"),
           BCEL_POS_WEIGHT, "multiplies the targets by pos_weight"),
    Mutant("mutant_bcel_where_branches", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "neg_log_sigmoid = -F.logsigmoid(logits)",
                "neg_log_sigmoid = torch.where(logits >= 0, torch.log1p(torch.exp(-logits)),\n"
                "                                  -logits + torch.log1p(torch.exp(logits)))"),
           BCEL_EXTREME, "PyTorch's gradient is finite"),
    Mutant("mutant_ce_guarded_log_of_softmax", "cross_entropy",
           edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                "probs = softmax(logits, dim=1)\n"
                "    log_probs = torch.where(probs > 0, torch.log(probs), "
                "log_softmax(logits, dim=1))"),
           CE_EXTREME, "finite"),  # (right at ±1e4 where the softmax is 0, with a nan
    # gradient there; inexact where it is subnormal, float32 logits of ±50 on the edge
    # ladder, on some draws: either is named, "finite but inexact" or "gradient is finite")
    Mutant("mutant_ce_column_indexing", "cross_entropy",
           edit("cross_entropy", "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
                "nll = -log_probs[:, targets]"),
           CE_VALUES, "N×N"),  # (right for one sample: its other checks hold it to its own
    # function, the values check charging it once — mistakes review 35)
    Mutant("mutant_ce_one_hot_without_num_classes", "cross_entropy",
           edit("cross_entropy", "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
                "nll = -(F.one_hot(targets.long()) * log_probs).sum(dim=1)"),
           CE_VALUES, "num_classes"),
    Mutant("mutant_softmax_one_dim_breaks", "softmax", rewrite('''
def softmax(logits, dim=-1):
    one_dim = logits.ndim == 1
    if one_dim:  # "a single vector is a batch of one"
        logits, dim = logits.unsqueeze(0), 0
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    probs = exps / exps.sum(dim=dim, keepdim=True)
    return probs.squeeze(0) if one_dim else probs
'''), SOFTMAX_VALUES, "single vector"),
    Mutant("mutant_bce_ignores_reduction", "binary_cross_entropy",
           edit("binary_cross_entropy",
                "return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)",
                "values = -(targets * log_p + (1 - targets) * log_1mp)\n"
                "    return values if reduction == \"none\" else values.mean()"),
           BCE_VALUES, "with reduction='sum' returns the mean"),
]
# Part C: F1 as an arithmetic mean, and arguments that must count.
MUTANTS += [
    Mutant("mutant_prf_f1_arithmetic_mean", "precision_recall_f1",
           edit("precision_recall_f1", "f1 = _safe_ratio(2 * tp, 2 * tp + fp + fn)",
                "f1 = (precision + recall) / 2"),
           PRF_BINARY, "arithmetic mean"),
    Mutant("mutant_macro_f1_arithmetic_mean", "macro_f1", rewrite('''
def macro_f1(preds, targets, num_classes):
    scores = []
    for c in range(num_classes):
        precision, recall, _ = precision_recall_f1(preds, targets, positive_class=c)
        scores.append((precision + recall) / 2)
    return sum(scores) / num_classes
'''), MACRO_VALUES, "arithmetic mean"),
    Mutant("mutant_confusion_ignores_num_classes", "confusion_matrix",
           edit("confusion_matrix", "    index = targets.long() * num_classes + preds.long()\n",
                "    num_classes = 4\n    index = targets.long() * num_classes + preds.long()\n"),
           CM_ABSENT, "`num_classes` argument", also_fails=frozenset({CM_VALUES}),
           why="a fixed size is the wrong shape for every other num_classes"),
]
# Part D: the loss's arguments swapped, and a backward that never reaches the model (issue 15).
# An epoch that raises before its first step() leaves none of train_one_epoch's checks a run
# to judge: each names the cause the worker's recorder saw. An evaluate that raises after it
# ran the model is charged once, by its values check, naming the cause; its other checks
# judge what ran before (a fresh outside review's evaluate lost all four checks for one crash).
_TRAIN_RAISES = ("the epoch raises on its first batch, before any step(), so none of "
                 "train_one_epoch's checks can run it; each names the cause the worker's "
                 "recorder saw")
MUTANTS += [
    Mutant("mutant_train_loss_arguments_swapped", "train_one_epoch",
           edit("train_one_epoch", "loss = loss_fn(logits, y)", "loss = loss_fn(y, logits)"),
           TRAIN_ORDER, "arguments swapped",
           also_fails=frozenset({TRAIN_LOGITS, TRAIN_MODE, TRAIN_RETURN, TRAIN_DEVICE}),
           why=_TRAIN_RAISES),
    Mutant("mutant_evaluate_loss_arguments_swapped", "evaluate",
           edit("evaluate", "loss_fn(logits, y)", "loss_fn(y, logits)"),
           EVAL_VALUES, "arguments swapped"),
    Mutant("mutant_backward_on_detached_loss", "train_one_epoch",
           edit("train_one_epoch", "loss.backward()", "loss.detach().requires_grad_().backward()"),
           TRAIN_ORDER, "cut from the graph"),
    Mutant("mutant_backward_on_new_tensor", "train_one_epoch",
           edit("train_one_epoch", "loss.backward()",
                "torch.tensor(loss.item(), requires_grad=True).backward()"),
           TRAIN_ORDER, "cut from the graph"),
    Mutant("mutant_backward_on_detached_loss_raises", "train_one_epoch",
           edit("train_one_epoch", "loss.backward()", "loss.detach().backward()"),
           TRAIN_ORDER, "cut from the graph",
           also_fails=frozenset({TRAIN_LOGITS, TRAIN_MODE, TRAIN_RETURN, TRAIN_DEVICE}),
           why=_TRAIN_RAISES),
    Mutant("mutant_no_backward", "train_one_epoch",
           edit("train_one_epoch", "        loss.backward()\n", ""),
           TRAIN_ORDER, "never calls loss.backward()"),
]

# Round 28: loop mistakes outside the replay catalogue cost the step-order check alone (the
# logits and mode checks judge a single batch, where they cannot show, or are not assessed).
MUTANTS += [
    Mutant("mutant_zero_grad_every_other_batch", "train_one_epoch",
           edit("train_one_epoch",
                "    for x, y in loader:\n", "    for i, (x, y) in enumerate(loader):\n",
                "        optimizer.zero_grad()\n",
                "        if i % 2 == 0:\n            optimizer.zero_grad()\n"),
           TRAIN_ORDER, "zero_grad() runs twice for 4 batches"),
    Mutant("mutant_no_step_on_last_batch", "train_one_epoch",
           edit("train_one_epoch",
                "    for x, y in loader:\n", "    for i, (x, y) in enumerate(loader):\n",
                "        optimizer.step()\n",
                "        if i < len(loader) - 1:\n            optimizer.step()\n"),
           TRAIN_ORDER, "step() runs 3 times for 4 batches"),
]

# Round 28: a diagnosis is named only where its model differs from the other plausible ones
# (a d² threshold fits one probe set that a 2·delta threshold fits too).
MUTANTS += [
    Mutant("mutant_huber_threshold_at_twice_delta", "huber_loss",
           edit("huber_loss", "torch.where(abs_diff < delta,", "torch.where(abs_diff < 2 * delta,"),
           HUBER_VALUES, "condition that selects it"),  # (its other checks: judged where right)
    Mutant("mutant_log_softmax_log_eps", "log_softmax", rewrite('''
def log_softmax(logits, dim=-1):
    return torch.log(softmax(logits, dim=dim) + 1e-8)
'''), LOG_SOFTMAX_EXTREME, "guarded by an eps",
           also_fails=frozenset({LOG_SOFTMAX_VALUES, LOG_SOFTMAX_GRAD}),
           why="the eps moves every log-probability near log(1e-8) (random inputs have some) "
               "and its gradient"),
]

# Round 28: a method written without its parentheses (the run shows the effect; the source
# words it).
MUTANTS += [
    Mutant("mutant_get_device_is_available_uncalled", "get_device", rewrite('''
def get_device():
    return torch.device("cuda" if torch.cuda.is_available else "cpu")
'''), GET_DEVICE, "without parentheses"),
    Mutant("mutant_train_mode_not_called", "train_one_epoch",
           edit("train_one_epoch", "    model.train()\n", "    model.train\n"),
           TRAIN_MODE, "without parentheses"),
    Mutant("mutant_evaluate_eval_not_called", "evaluate",
           edit("evaluate", "    model.eval()\n", "    model.eval\n"),
           EVAL_MODE, "without parentheses"),
]

# Round 28: float64 input computed in float32 (named where the value carries float32's rounding).
MUTANTS += [
    Mutant("mutant_mse_computes_in_float32", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "return _reduce(((pred.float() - target.float()) ** 2).to(pred.dtype), "
                "reduction)"),
           MSE_VALUES, "float32"),
    # (the target alone rounded: gradcheck's finite differences in the target fail too, one
    # mistake charged once — stop 50)
    Mutant("mutant_mae_target_rounded_to_float32", "mae_loss",
           edit("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                "return _reduce((pred - target.float()).abs(), reduction)"),
           MAE_VALUES, "float32"),
]
MUTANTS += [  # (the same, where a diagnosis of a formula used to misname it: one-hot width, soft targets)
    Mutant("mutant_ce_log_softmax_in_float32", "cross_entropy",
           edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                "log_probs = log_softmax(logits.float(), dim=1).to(logits.dtype)"),
           CE_VALUES, "float32"),
    Mutant("mutant_bce_in_float32", "binary_cross_entropy",
           edit("binary_cross_entropy",
                "return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)",
                "return _reduce(-(targets.float() * log_p.float() + (1 - targets.float())"
                " * log_1mp.float()).to(probs.dtype), reduction)"),
           BCE_VALUES, "float32"),
]
MUTANTS += [  # the spec's equivalent library loss, used where its values are exact
    Mutant("mutant_bcel_bce_on_sigmoid_for_moderate_logits", "binary_cross_entropy_with_logits",
           rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1
    stable = (1 - targets) * logits - weight * F.logsigmoid(logits)
    if pos_weight is None:
        moderate = logits.abs() < 5
        via_bce = F.binary_cross_entropy(torch.sigmoid(logits), targets, reduction="none")
        stable = torch.where(moderate, via_bce, stable)
    return _reduce(stable, reduction)
'''), BCEL_NO_LIB, "F.binary_cross_entropy"),
]
MUTANTS += [  # a formula wrong whatever the classes: charged by the binary check, once
    Mutant("mutant_prf_recall_counts_false_positives", "precision_recall_f1",
           edit("precision_recall_f1", "recall = _safe_ratio(tp, tp + fn)",
                "recall = _safe_ratio(tp, tp + fp + fn)"),
           PRF_BINARY, "recall"),
]
MUTANTS += [  # in-place edits of tensors backward needs: the run's error, with the fix
    Mutant("mutant_softmax_in_place_exp", "softmax", rewrite('''
def softmax(logits, dim=-1):
    shifted = logits - logits.max(dim=dim, keepdim=True).values
    shifted.exp_()
    return shifted.div_(shifted.sum(dim=dim, keepdim=True))
'''), SOFTMAX_GRAD, "in-place"),
]
MUTANTS += [  # a metric that edits the caller's tensors (the notebook's rule for every function)
    Mutant("mutant_accuracy_subtracts_in_place", "accuracy", rewrite('''
def accuracy(preds, targets):
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    if preds.numel() == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return int((preds.sub_(targets) == 0).sum()) / preds.numel()
'''), ACC_VALUES, "in place"),
]
# Round 30 (fresh eyes): a helper's mistake charged once where the caller is built on it, the
# 'mean' over the rows, integer division, and reductions or modes that zeroed a function.
# Each dependency mutant changes the helper (the mistake) and rewrites its caller to a
# correct composition over it: only the helper's check may fail.
_TRANSPOSED_CM = '''
def confusion_matrix(preds, targets, num_classes):
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(targets.tolist(), preds.tolist()):
        matrix[p, t] += 1
    return matrix
'''
_PRF_ON_CM = '''
def precision_recall_f1(preds, targets, positive_class=1):
    matrix = confusion_matrix((preds == positive_class).long(),
                              (targets == positive_class).long(), 2)
    tp, fp, fn = matrix[1, 1].item(), matrix[0, 1].item(), matrix[1, 0].item()
    return (_safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn),
            _safe_ratio(2 * tp, 2 * tp + fp + fn))
'''
_LOG_SOFTMAX_NO_ADD_BACK = '''
def log_softmax(logits, dim=-1):
    m = logits.amax(dim=dim, keepdim=True)
    return logits - torch.log(torch.exp(logits - m).sum(dim=dim, keepdim=True))
'''
_ACCURACY_FLOOR = '''
def accuracy(preds, targets):
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    if preds.numel() == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(int((preds == targets).sum()) // preds.numel())
'''
MUTANTS += [
    Mutant("mutant_r30_cm_transposed_prf_on_it", "confusion_matrix",
           rewrite(_TRANSPOSED_CM, _PRF_ON_CM), CM_VALUES, "transposed",
           also_fails=frozenset({f"confusion_matrix: {ON_GPU}"}),
           why=_GPU_CPU_MATRIX),
    Mutant("mutant_r30_log_softmax_max_not_added_back", "log_softmax",
           rewrite(_LOG_SOFTMAX_NO_ADD_BACK), LOG_SOFTMAX_VALUES, "too high"),
    Mutant("mutant_r30_log_softmax_max_not_added_back_softmax_on_it", "log_softmax",
           rewrite(_LOG_SOFTMAX_NO_ADD_BACK, '''
def softmax(logits, dim=-1):
    return torch.exp(log_softmax(logits, dim=dim))
'''), LOG_SOFTMAX_VALUES, "too high"),
    Mutant("mutant_r30_accuracy_floor_division", "accuracy", rewrite(_ACCURACY_FLOOR),
           ACC_VALUES, "integer (floor) division"),
    Mutant("mutant_r30_accuracy_floor_division_evaluate_on_it", "accuracy",
           rewrite(_ACCURACY_FLOOR, '''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, total_samples, accuracies = 0.0, 0, 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * x.shape[0]
            accuracies += accuracy(logits.argmax(dim=1), y) * x.shape[0]
            total_samples += x.shape[0]
    return {"loss": total_loss / total_samples, "accuracy": accuracies / total_samples}
'''), ACC_VALUES, "integer (floor) division"),
    Mutant("mutant_r30_prf_class_one_macro_on_it", "precision_recall_f1", rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    p, t = preds == 1, targets == 1
    tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
    return (_safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn),
            _safe_ratio(2 * tp, 2 * tp + fp + fn))
''', '''
def macro_f1(preds, targets, num_classes):
    return sum(precision_recall_f1(preds, targets, positive_class=c)[2]
               for c in range(num_classes)) / num_classes
'''), PRF_MULTI, "positive_class"),
    Mutant("mutant_r30_mse_mean_over_rows", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "values = (pred - target) ** 2\n"
                '    return values.sum() / len(values) if reduction == "mean" '
                "else _reduce(values, reduction)"),
           MSE_VALUES, "number of rows"),
    Mutant("mutant_r30_bcel_mean_over_rows", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
                "values = (1 - targets) * logits + weight * neg_log_sigmoid\n"
                '    return values.sum() / values.shape[0] if reduction == "mean" '
                "else _reduce(values, reduction)"),
           BCEL_VALUES, "number of rows"),
    Mutant("mutant_r30_mae_none_returns_mean", "mae_loss",
           edit("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                "values = (pred - target).abs()\n"
                '    return values.mean() if reduction == "none" else _reduce(values, reduction)'),
           MAE_VALUES, "shape"),
    Mutant("mutant_r30_bce_none_sums_last_dim", "binary_cross_entropy",
           edit("binary_cross_entropy",
                "return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)",
                "values = -(targets * log_p + (1 - targets) * log_1mp)\n"
                '    return values.sum(dim=-1) if reduction == "none" and values.dim() > 1 '
                "else _reduce(values, reduction)"),
           BCE_VALUES, "shape"),
    Mutant("mutant_r30_prf_zero_division_one", "precision_recall_f1",
           edit("precision_recall_f1", "precision = _safe_ratio(tp, tp + fp)",
                "precision = _safe_ratio(tp, tp + fp) if tp + fp else 1.0"),
           PRF_ZERO, "must be 0.0"),
    Mutant("mutant_r30_train_eval_mode", "train_one_epoch",
           edit("train_one_epoch", "model.train()", "model.eval()"),
           TRAIN_MODE, "eval mode"),
]
MUTANTS += [  # round 31 (fresh eyes, round 4)
    Mutant("mutant_r31_bcel_clamp_log1p", "binary_cross_entropy_with_logits", rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    neg_log_sigmoid = torch.clamp(-logits, min=0) + torch.log1p(torch.exp(-logits.abs()))
    weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1
    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)
'''), BCEL_GRAD, "exactly 0"),
    Mutant("mutant_r31_bcel_pos_weight_on_negatives", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
                "neg_w = pos_weight if pos_weight is not None else 1\n"
                "    return _reduce(neg_w * (1 - targets) * (logits + neg_log_sigmoid)"
                " + targets * neg_log_sigmoid, reduction)",
                "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1",
                "pass"),
           BCEL_POS_WEIGHT, "negative term"),
    Mutant("mutant_r31_fit_train_mode_once", "fit", rewrite(FIT_TRAIN_MODE_ONCE), FIT,
           "eval mode"),
    Mutant("mutant_r31_prf_fn_counts_true_negatives", "precision_recall_f1", rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    k = positive_class
    tp = int(((preds == k) & (targets == k)).sum())
    fp = int(((preds == k) & (targets != k)).sum())
    fn = int(((preds != k) & (targets != k)).sum())
    return (_safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn),
            _safe_ratio(2 * tp, 2 * tp + fp + fn))
'''), PRF_BINARY, "recall"),
    # Mutants of the alternatives (a mechanical corpus): the model run through model.forward
    # on the batch before it is moved (the model's own hook never sees it; its layers' do)
    Mutant("mutant_eval_forward_before_moving_inputs", "evaluate", edit(
        "evaluate", "            x, y = x.to(device), y.to(device)\n            logits = model(x)",
        "            logits = model.forward(x)\n            x, y = x.to(device), y.to(device)"),
        EVAL_DEVICE, "not on the device"),
    Mutant("mutant_train_forward_before_moving_inputs", "train_one_epoch", edit(
        "train_one_epoch", "        x, y = x.to(device), y.to(device)\n        optimizer.zero_grad()\n"
        "        logits = model(x)",
        "        logits = model.forward(x)\n        x, y = x.to(device), y.to(device)\n"
        "        optimizer.zero_grad()"),
        TRAIN_DEVICE, "not on the device"),
    # ... and the shapes compared after the arithmetic: shapes that do not broadcast raise
    # torch's RuntimeError before the ValueError the spec asks for
    Mutant("mutant_mae_shape_check_after_computing", "mae_loss", rewrite('''
def mae_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    errors = (pred - target).abs()
    _check_same_shape(pred, target)
    return _reduce(errors, reduction)
'''), MAE_ERRORS, "before any arithmetic"),
    Mutant("mutant_bce_shape_check_after_computing", "binary_cross_entropy", edit(
        "binary_cross_entropy", "    _check_same_shape(probs, targets)\n", "",
        "    return _reduce(-(targets * log_p + (1 - targets) * log_1mp), reduction)",
        "    losses = -(targets * log_p + (1 - targets) * log_1mp)\n"
        "    _check_same_shape(probs, targets)\n    return _reduce(losses, reduction)"),
        BCE_ERRORS, "before any arithmetic"),
    # red team 11: a mistake outside the catalogue (a scaled loss) no longer lets the step-order
    # check take the blame for the softmax before the loss (judged on an epoch with lr = 0)
    Mutant("mutant_train_softmax_and_scaled_backward", "train_one_epoch", edit(
        "train_one_epoch", "        loss = loss_fn(logits, y)\n        loss.backward()",
        "        loss = loss_fn(torch.softmax(logits, dim=1), y)\n        (loss * 1.5).backward()"),
        TRAIN_LOGITS, "softmax", also_fails=frozenset({TRAIN_ORDER}),
        why="two mistakes: the scaled backward is the step-order check's"),
    Mutant("mutant_classifier_softmax_in_train_mode_only", "build_classifier", rewrite('''
def build_classifier(in_features, hidden, num_classes):
    class Classifier(nn.Sequential):
        def forward(self, x):
            out = super().forward(x)
            return torch.softmax(out, dim=1) if self.training else out

    return Classifier(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))
'''), CLS_LOGITS, "train mode"),
    # fresh eyes 9: repeated (target, prediction) pairs counted once (index assignment with
    # tensors does not accumulate), precision_recall_f1 built on it: charged once, by the
    # matrix's values check (not its absent-class check, nor prf's 0/0 check)
    Mutant("mutant_confusion_repeated_pairs_once_prf_on_it", "confusion_matrix", rewrite('''
def confusion_matrix(preds, targets, num_classes):
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=preds.device)
    matrix[targets.long(), preds.long()] += 1
    return matrix
''', _PRF_ON_CM), CM_VALUES, "at most once"),
    # red team 11: a missing eval() no longer makes evaluate's figures unjudged (they are
    # judged on a run that starts in eval mode)
    Mutant("mutant_eval_no_eval_mode_and_mean_of_batch_means", "evaluate", rewrite('''
def evaluate(model, loader, loss_fn, device):
    losses, correct, total_samples = [], 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            losses.append(loss_fn(logits, y).item())
            correct += int((logits.argmax(dim=1) == y).sum())
            total_samples += x.shape[0]
    return {"loss": sum(losses) / len(losses), "accuracy": correct / total_samples}
'''), EVAL_VALUES, "mean of the batch means", also_fails=frozenset({EVAL_MODE}),
        why="two mistakes: no model.eval() is the mode check's"),
    Mutant("mutant_r31_train_own_optimizer", "train_one_epoch",
           edit("train_one_epoch", "model.train()",
                "model.train()\n    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)"),
           TRAIN_ORDER, "optimizer of its own"),
]

# fe5: one mistake, one cost — a values mistake confined to part of the input (one Huber
# branch) is charged by the values check only (the error and no-library checks are then not
# assessed separately); a float32 computation by the values check only (not again by the
# extreme and gradient checks); a result cut off from its input by the gradient check only
# (not again by the extreme check). And the point a Huber gradient is wrong at, named; the
# BCE clamp a torch.where alone misses, named.
MUTANTS += [
    Mutant("mutant_fe5_huber_linear_branch_missing_half_delta", "huber_loss",
           edit("huber_loss", "linear = delta * (abs_diff - 0.5 * delta)",
                "linear = delta * abs_diff"),
           HUBER_VALUES, "where |d| >= delta"),
    Mutant("mutant_fe5_huber_abs_as_sqrt_of_square", "huber_loss",
           edit("huber_loss", "abs_diff = diff.abs()", "abs_diff = torch.sqrt(diff ** 2)"),
           HUBER_GRAD, "difference of exactly 0"),
    Mutant("mutant_fe5_softmax_casts_to_float32", "softmax", rewrite('''
def softmax(logits, dim=-1):
    x = logits.float()
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)
'''), SOFTMAX_VALUES, "dtype"),
    Mutant("mutant_fe5_ce_log_probs_new_leaf", "cross_entropy",
           edit("cross_entropy", "log_probs = log_softmax(logits, dim=1)",
                "log_probs = log_softmax(logits, dim=1).detach().requires_grad_(True)"),
           CE_GRAD, "no gradient for the input at all"),
    Mutant("mutant_fe5_bce_where_without_clamp", "binary_cross_entropy",
           edit("binary_cross_entropy", BCE_LOGS,
                "log_p = torch.where(probs > 0, torch.log(torch.where(probs > 0, probs, 1)), "
                "-100.)\n"
                "    log_1mp = torch.where(probs < 1, torch.log1p(-torch.where(probs < 1, probs, "
                "0)), -100.)"),
           BCE_CLAMP, "tiny p whose log is below -100"),
]

# Mutants of the alternatives: a 0/0 test written on the wrong count is wrong only at the edges
# of the counts (a precision of exactly 1, TP = FP), which random labels never showed; the
# metric checks now look there, and macro_f1 built on such a precision_recall_f1 is judged on
# control labels where its helper is right (charged once, to the helper).
MUTANTS += [
    Mutant("mutant_prf_zero_precision_without_false_positives", "precision_recall_f1",
           edit("precision_recall_f1", "precision = _safe_ratio(tp, tp + fp)",
                "precision = tp / (tp + fp) if fp else 0.0"),
           PRF_BINARY, "FP = 0"),
    Mutant("mutant_prf_zero_division_test_on_tp_minus_fp_macro_on_it", "precision_recall_f1",
           rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    p, a = preds == positive_class, targets == positive_class
    tp, fp, fn = int((p & a).sum()), int((p & ~a).sum()), int((~p & a).sum())
    precision = tp / (tp + fp) if tp - fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
''', '''
def macro_f1(preds, targets, num_classes):
    return sum(precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)) / num_classes
'''), PRF_BINARY, "TP = FP = FN"),
    Mutant("mutant_macro_f1_perfect_class_scores_zero", "macro_f1",
           edit("macro_f1", "per_class = [_safe_ratio(int(2 * t), int(2 * t + p + n))",
                "per_class = [_safe_ratio(int(2 * t), int(2 * t + p + n)) if int(p + n) else 0.0"),
           MACRO_VALUES, "predicted perfectly"),
]

# A mutant of an alternative: a loss whose 'sum' is detached (values right) scored full marks
# while only 'none' and the mean were backpropagated
MUTANTS += [
    Mutant("mutant_mse_sum_detached", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "value = _reduce((pred - target) ** 2, reduction)\n"
                '    return value.detach() if reduction == "sum" else value'),
           MSE_GRAD, "reduction='sum'"),
]

# Fresh eyes 11: evaluate switching gradients off for good (full marks; fit's next epoch and
# the notebook's own training cells crashed)
MUTANTS += [
    Mutant("mutant_fe11_evaluate_leaves_gradients_off", "evaluate",
           edit("evaluate", "    model.eval()\n", "    model.eval()\n    torch.set_grad_enabled(False)\n"),
           EVAL_NO_GRAD, "leaves it off"),
]

# Fresh eyes 15: a helper's mistake charged again under the function built on it — an
# unguarded F1 raising ZeroDivisionError (macro_f1 over it raised too, charged as its own 0/0),
# and a log_softmax editing the caller's tensor in place (softmax over it, charged as editing
# its own input)
MUTANTS += [
    Mutant("mutant_fe15_prf_unguarded_f1_macro_on_it", "precision_recall_f1", rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    tp = int(((preds == positive_class) & (targets == positive_class)).sum())
    fp = int(((preds == positive_class) & (targets != positive_class)).sum())
    fn = int(((preds != positive_class) & (targets == positive_class)).sum())
    precision, recall = _safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn)
    return precision, recall, 2 * precision * recall / (precision + recall)
''', '''
def macro_f1(preds, targets, num_classes):
    total = 0.0
    for c in range(num_classes):
        total += precision_recall_f1(preds, targets, positive_class=c)[2]
    return total / num_classes
'''), PRF_ZERO, "ZeroDivisionError"),
    Mutant("mutant_fe15_log_softmax_in_place_softmax_on_it", "log_softmax", rewrite('''
def log_softmax(logits, dim=-1):
    x = logits if not logits.requires_grad else logits.clone()
    x -= x.max(dim=dim, keepdim=True).values
    return x - x.exp().sum(dim=dim, keepdim=True).log()
''', '''
def softmax(logits, dim=-1):
    return log_softmax(logits, dim).exp()
'''), LOG_SOFTMAX_VALUES, "in place"),
    # fresh eyes 14: an edit of the input in place that autograd refuses on a leaf also cost
    # the gradient check (its call raised): one mistake, the values check's
    Mutant("mutant_fe14_log_softmax_sub_in_place", "log_softmax",
           edit("log_softmax", "shifted = logits - logits.amax(dim=dim, keepdim=True)",
                "shifted = logits.sub_(logits.amax(dim=dim, keepdim=True))"),
           LOG_SOFTMAX_VALUES, "in place"),
    # fresh eyes 14's s32: the public macro_f1 self-check handed this matrix its own targets,
    # which it multiplied in place, and showed a cross on a correct macro_f1
    Mutant("mutant_fe14_cm_mutates_targets", "confusion_matrix", rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    index = targets
    index *= num_classes
    index += preds
    return torch.bincount(index.flatten(), minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)
'''), CM_VALUES, "modifies its inputs"),
]

# fresh eyes 28: one mistake each, charged once, named, and no self-check that contradicts it
MUTANTS += [
    # right on a 1-D input: the other checks hold the student to it
    Mutant("mutant_fe28_softmax_sums_every_element", "softmax",
           edit("softmax", "return exps / exps.sum(dim=dim, keepdim=True)",
                "return exps / exps.sum()"),
           SOFTMAX_VALUES, "every element"),
    # exact, in float64 for float32 input: the values check's dtype (the public cross_entropy
    # self-check crashed comparing float64 with float32)
    Mutant("mutant_fe28_log_softmax_float64_not_cast_back", "log_softmax",
           edit("log_softmax", "shifted = logits - logits.amax(dim=dim, keepdim=True)",
                "logits = logits.double()\n"
                "    shifted = logits - logits.amax(dim=dim, keepdim=True)"),
           LOG_SOFTMAX_VALUES, "float64"),
    # whole rows picked: named by the shape of its per-sample losses
    Mutant("mutant_fe28_ce_picks_rows", "cross_entropy",
           edit("cross_entropy", "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
                "nll = -log_probs[targets]"),
           CE_VALUES, "one loss per sample",
           also_fails=frozenset({CE_EXTREME, CE_GRAD, CE_RAW, CE_ERRORS, CE_NO_LIB}),
           why="work first: a cross_entropy right on no valid input earns none of its other "
               "checks"),
    # mistakes review 29: the error rate, named; the Part E answer built on it is excused
    Mutant("mutant_mk29_accuracy_error_rate", "accuracy",
           edit("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                "return int((preds != targets).sum()) / preds.numel()"),
           ACC_VALUES, "error rate",
           also_fails=frozenset({ACC_ERRORS}),
           why="work first: an accuracy right on no valid input earns no error check"),
    # an int from integer division: the public always_negative self-check demanded a float
    Mutant("mutant_fe28_accuracy_integer_division", "accuracy",
           edit("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                "return int((preds == targets).sum()) // preds.numel()"),
           ACC_VALUES, "int"),
]

MUTANTS += DEVICE_MUTANTS  # (tensors made on the CPU beside GPU inputs)
