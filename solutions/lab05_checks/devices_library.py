"""The selftest library of the GPU-input checks (`test_gpu_inputs.py`): tensors made on the
CPU beside GPU inputs (mutants), and the ways of making them on the input's device that
must keep full marks (alternatives). Joined to `mutants.MUTANTS` and
`alternatives.ALTERNATIVES`."""

from __future__ import annotations

from autograder.selftest.library import Alternative, Mutant
from autograder.selftest.source import edit, rewrite
from lab05_checks.test_gpu_inputs import ON_GPU


def _on_gpu(function: str) -> str:
    return f"{function}: {ON_GPU}"


DEVICE_MUTANTS: list[Mutant] = [
    Mutant("mutant_ce_one_hot_mask_on_cpu", "cross_entropy",
           edit("cross_entropy",
                "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
                "mask = torch.zeros(log_probs.shape, dtype=log_probs.dtype)\n"
                "    mask[torch.arange(len(targets)), targets] = 1\n"
                "    nll = -(log_probs * mask).sum(1)"),
           _on_gpu("cross_entropy"), "device"),
    Mutant("mutant_confusion_matrix_counts_on_cpu", "confusion_matrix", rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(targets.tolist(), preds.tolist()):
        matrix[t, p] += 1
    return matrix
'''), _on_gpu("confusion_matrix"), "CPU"),
    Mutant("mutant_mse_weights_on_cpu", "mse_loss",
           edit("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                "weights = torch.ones(pred.shape, dtype=pred.dtype)\n"
                "    return _reduce(weights * (pred - target) ** 2, reduction)"),
           _on_gpu("mse_loss"), "device"),
    Mutant("mutant_bcel_default_weight_on_cpu", "binary_cross_entropy_with_logits",
           edit("binary_cross_entropy_with_logits",
                "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1",
                "if pos_weight is None:\n"
                "        pos_weight = torch.ones(logits.shape, dtype=logits.dtype)\n"
                "    weight = 1 + (pos_weight - 1) * targets"),
           _on_gpu("binary_cross_entropy_with_logits"), "device"),
]

DEVICE_MUTANTS += [
    Mutant("mutant_confusion_matrix_int_matmul", "confusion_matrix", rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    return F.one_hot(targets.long(), num_classes).T @ F.one_hot(preds.long(), num_classes)
'''), _on_gpu("confusion_matrix"), "not implemented for 'Long'"),
]

DEVICE_ALTERNATIVES: list[Alternative] = [
    Alternative("alt_ce_one_hot_mask_zeros_like", ("cross_entropy",), edit(
        "cross_entropy", "nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
        "mask = torch.zeros_like(log_probs)\n"
        "    mask[torch.arange(len(targets)), targets] = 1\n"
        "    nll = -(log_probs * mask).sum(1)")),
    Alternative("alt_confusion_matrix_loop_on_device", ("confusion_matrix",), rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=preds.device)
    for t, p in zip(targets.tolist(), preds.tolist()):
        matrix[t, p] += 1
    return matrix
''')),
    Alternative("alt_mse_cpu_scalar_and_new_ones", ("mse_loss",), edit(
        "mse_loss", "return _reduce((pred - target) ** 2, reduction)",
        "two = torch.tensor(2.0)  # a CPU scalar: allowed beside GPU tensors\n"
        "    weights = pred.new_ones(pred.shape)\n"
        "    return _reduce(weights * (pred - target) ** two, reduction)")),
    Alternative("alt_bcel_default_weight_on_device", ("binary_cross_entropy_with_logits",), edit(
        "binary_cross_entropy_with_logits",
        "weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1",
        "if pos_weight is None:\n"
        "        pos_weight = torch.tensor(1.0, dtype=logits.dtype, device=logits.device)\n"
        "    weight = 1 + (pos_weight - 1) * targets")),
]
