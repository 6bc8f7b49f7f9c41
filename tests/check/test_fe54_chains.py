"""Fresh eyes 54's reports: a function built on the student's own earlier one, right given
that function's output, charged again for the earlier function's mistake (the notebook:
"a mistake in the earlier function is charged once, by its own checks"). Held here in-process
on the reference with functions rewritten, with controls where the later function is wrong
on its own."""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks.test_gpu_inputs import ON_GPU
from test_helper_blame import excused, failed, namespace, verdicts

LOG_SOFTMAX_IN_FLOAT32 = '''
def log_softmax(logits, dim=-1):
    x = logits.float()
    m = x.max(dim=dim, keepdim=True).values
    return x - m - torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
'''
SOFTMAX_ON_LOG_SOFTMAX = '''
def softmax(logits, dim=-1):
    return log_softmax(logits, dim).exp()
'''


def test_softmax_on_a_float32_log_softmax_is_not_charged_its_dtype() -> None:
    found = verdicts(namespace(LOG_SOFTMAX_IN_FLOAT32, SOFTMAX_ON_LOG_SOFTMAX),
                     "softmax", "log_softmax")
    charged = failed(found)
    assert part_b.LOG_SOFTMAX_VALUES in charged
    assert part_b.SOFTMAX_VALUES not in charged, charged[part_b.SOFTMAX_VALUES].message
    assert excused(found)[part_b.SOFTMAX_VALUES] == part_b.LOG_SOFTMAX_VALUES


def test_a_softmax_in_float32_of_its_own_is_still_charged() -> None:
    """Control: the cast in softmax itself, over a right log_softmax."""
    found = verdicts(namespace('''
def softmax(logits, dim=-1):
    return log_softmax(logits.float(), dim).exp()
'''), "softmax")
    assert failed(found)[part_b.SOFTMAX_VALUES].mistake == "wrong-dtype"


LOG_SOFTMAX_WITH_A_CPU_TENSOR = '''
def log_softmax(logits, dim=-1):
    m = logits.amax(dim=dim, keepdim=True)
    shifted = logits - m + torch.zeros(1)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
'''


def test_functions_on_a_log_softmax_failing_on_the_gpu_are_not_charged_it_again() -> None:
    """log_softmax adds a tensor made on the CPU; softmax calls it: the GPU error raised in
    log_softmax's own line is charged by log_softmax's GPU check alone (fresh eyes 54: by
    softmax's and cross_entropy's too)."""
    ns = namespace(LOG_SOFTMAX_WITH_A_CPU_TENSOR, SOFTMAX_ON_LOG_SOFTMAX)
    found = verdicts(ns, "softmax", "log_softmax")
    charged = failed(found)
    assert f"log_softmax: {ON_GPU}" in charged
    assert f"softmax: {ON_GPU}" not in charged, charged[f"softmax: {ON_GPU}"].message
    assert excused(found)[f"softmax: {ON_GPU}"] == f"log_softmax: {ON_GPU}"


def test_a_softmax_making_its_own_cpu_tensor_is_still_charged_on_the_gpu() -> None:
    """Control: the CPU tensor in softmax's own line, over a right log_softmax."""
    found = verdicts(namespace('''
def softmax(logits, dim=-1):
    return log_softmax(logits, dim).exp() + torch.zeros(1)
'''), "softmax")
    assert failed(found)[f"softmax: {ON_GPU}"].mistake == "device"


MSE_IN_FLOAT32 = '''
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError("shapes differ")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    loss = ((pred - target) ** 2).float()
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
'''
HUBER_ON_MSE_AND_MAE = '''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError("shapes differ")
    if reduction not in ("mean", "sum", "none") or delta <= 0:
        raise ValueError("bad argument")
    a = mae_loss(pred, target, reduction="none")
    loss = torch.where(a < delta, 0.5 * mse_loss(pred, target, reduction="none"),
                       delta * (a - 0.5 * delta))
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
'''


def test_huber_on_a_float32_mse_loss_keeps_its_gradient_check() -> None:
    found = verdicts(namespace(MSE_IN_FLOAT32, HUBER_ON_MSE_AND_MAE), "huber_loss", "mse_loss")
    charged = failed(found)
    assert part_a.MSE_VALUES in charged
    assert part_a.HUBER_GRAD not in charged, charged[part_a.HUBER_GRAD].message
    assert excused(found)[part_a.HUBER_GRAD] == part_a.MSE_VALUES


def test_huber_cutting_its_own_gradient_is_still_charged() -> None:
    """Control: the same huber detaching its linear branch, over the same float32 mse_loss:
    wrong with PyTorch's helpers too, so its gradient check charges it."""
    found = verdicts(namespace(MSE_IN_FLOAT32, HUBER_ON_MSE_AND_MAE.replace(
        "delta * (a - 0.5 * delta)", "delta * (a.detach() - 0.5 * delta)")), "huber_loss")
    assert part_a.HUBER_GRAD in failed(found)


# ---------------------------------------------------------------- caught, now named
def test_an_f1_counting_the_true_positives_once_below_is_named() -> None:
    """2·TP / (TP + FP + FN): told only "a wrong value (f1)"."""
    from lab05_checks import test_part_c_metrics as part_c
    from test_helper_blame import edited

    source = edited("precision_recall_f1", "_safe_ratio(2 * tp, 2 * tp + fp + fn)",
                    "_safe_ratio(2 * tp, tp + fp + fn)")
    found = failed(verdicts(namespace(source), "precision_recall_f1"))[part_c.PRF_BINARY]
    assert found.mistake == "f1-tp-once", found.message


def test_pos_weight_times_the_whole_loss_of_positive_targets_is_named() -> None:
    """pos_weight multiplying each element's whole loss where y > 0.5 (right on hard targets
    only): told only "wrong values with pos_weight"."""
    from test_helper_blame import edited

    source = edited(part_b.BCEL, "weight = 1 + (pos_weight - 1) * targets",
                    "weight = torch.where(targets > 0.5, pos_weight, torch.ones_like(targets))")
    source = source.replace("_reduce((1 - targets) * logits + weight * neg_log_sigmoid",
                            "_reduce(weight * ((1 - targets) * logits + neg_log_sigmoid)")
    found = failed(verdicts(namespace(source), part_b.BCEL))[part_b.BCEL_POS_WEIGHT]
    assert found.mistake == "pos-weight-factor", found.message
    assert "where the target is positive" in found.message


# ---------------------------------------------------------------- fresh eyes 55
def test_a_harmonic_mean_of_the_per_class_f1_is_named_not_called_rounding() -> None:
    """`statistics.harmonic_mean` of the per-class F1s was told it "rounds its result to 1
    decimal" (one value matched a rounding by chance): the mean is named, and a rounding is
    named only where a second input shows the same rounding."""
    from lab05_checks import test_part_c_metrics as part_c

    ns = namespace('''
import statistics
def macro_f1(preds, targets, num_classes):
    scores = [precision_recall_f1(preds, targets, positive_class=c)[2]
              for c in range(num_classes)]
    return float(statistics.harmonic_mean(scores))
''')
    found = failed(verdicts(ns, "macro_f1"))[part_c.MACRO_VALUES]
    assert found.mistake == "macro-other-mean", found.message
    assert "harmonic mean" in found.message


def test_a_macro_f1_that_rounds_is_still_named() -> None:
    """Control: a macro_f1 that rounds to 2 decimals shows it on every input."""
    from lab05_checks import test_part_c_metrics as part_c
    from test_helper_blame import reference_source

    source = reference_source("macro_f1")
    body_return = [line for line in source.splitlines() if line.strip().startswith("return")][-1]
    rounded = source.replace(body_return, body_return.replace("return ", "return round(", 1)
                             + ", 2)")
    found = failed(verdicts(namespace(rounded), "macro_f1"))[part_c.MACRO_VALUES]
    assert found.mistake == "rounded", found.message


def test_a_confusion_matrix_counted_in_uint8_is_caught_and_named() -> None:
    """Counts kept in uint8, then `.long()`: a cell past 255 wraps (no cell of the values
    check's inputs reached 255)."""
    from lab05_checks import test_part_c_metrics as part_c

    ns = namespace('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.uint8)
    matrix.index_put_((targets.long(), preds.long()), torch.ones_like(targets, dtype=torch.uint8),
                      accumulate=True)
    return matrix.long()
''')
    found = failed(verdicts(ns, "confusion_matrix"))[part_c.CM_VALUES]
    assert found.mistake == "narrow-counts", found.message


def test_an_accuracy_in_half_precision_is_named() -> None:
    """The mean of a float16 tensor: told only "a wrong value for N = 25"."""
    from lab05_checks import test_part_c_metrics as part_c
    from test_helper_blame import edited

    source = edited("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                    "return float((preds == targets).half().mean())")
    found = failed(verdicts(namespace(source), "accuracy"))[part_c.ACC_VALUES]
    assert found.mistake == "half-precision", found.message


def test_an_eps_in_f1s_denominator_is_named() -> None:
    """2·P·R / (P + R + 1e-5): told only "a wrong value (f1)"."""
    from lab05_checks import test_part_c_metrics as part_c
    from test_helper_blame import edited

    source = edited("precision_recall_f1", "f1 = _safe_ratio(2 * tp, 2 * tp + fp + fn)",
                    "f1 = 2 * precision * recall / (precision + recall + 1e-5)")
    found = failed(verdicts(namespace(source), "precision_recall_f1"))[part_c.PRF_BINARY]
    assert found.mistake == "f1-eps", found.message
