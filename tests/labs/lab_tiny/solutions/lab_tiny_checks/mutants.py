"""lab_tiny's realistic mistakes ("mutants"): the reference with ONE function changed, each
naming the check that must catch it (by its constant) and a word of that check's message."""

from __future__ import annotations

from autograder.selftest.library import Mutant
from autograder.selftest.source import edit, rewrite, unchanged
from lab_tiny_checks.test_lab_tiny import (
    Q_LR,
    SQUARED_GRAD,
    SQUARED_NO_LIB,
    SQUARED_VALUES,
    STANDARDIZE_ERRORS,
    STANDARDIZE_VALUES,
    TRAIN_RETURN,
    TRAIN_UPDATE,
)

MUTANTS: list[Mutant] = [
    Mutant("mutant_standardize_not_centred", "standardize",
           edit("standardize", "return (x - mean) / std", "return x / std"),
           STANDARDIZE_VALUES, "wrong value"),
    Mutant("mutant_standardize_no_row_check", "standardize",
           edit("standardize", "    if x.shape[0] < 2:\n        raise ValueError(", "    if False:\n"
                "        raise ValueError("),
           STANDARDIZE_ERRORS, "single row"),
    Mutant("mutant_squared_error_sum", "squared_error",
           edit("squared_error", ".mean()", ".sum()"),
           SQUARED_VALUES, "wrong value", also_fails=frozenset({SQUARED_GRAD}),
           why="the sum's gradient is N times the mean's"),
    Mutant("mutant_squared_error_detached", "squared_error",
           edit("squared_error", "return ((pred - target) ** 2).mean()",
                "return torch.tensor(((pred - target) ** 2).mean().item())"),
           SQUARED_GRAD, "backpropagated"),
    Mutant("mutant_squared_error_library", "squared_error", rewrite('''
def squared_error(pred, target):
    return F.mse_loss(pred, target)
'''), SQUARED_NO_LIB, "F.mse_loss"),
    Mutant("mutant_train_step_no_zero_grad", "train_step",
           edit("train_step", "    optimizer.zero_grad()\n", ""),
           TRAIN_UPDATE, "zero_grad"),
    Mutant("mutant_train_step_no_step", "train_step",
           edit("train_step", "    optimizer.step()\n", ""),
           TRAIN_UPDATE, "optimizer.step()"),
    Mutant("mutant_train_step_returns_tensor", "train_step",
           edit("train_step", "return loss.item()", "return loss"),
           TRAIN_RETURN, "Python float"),
    Mutant("mutant_wrong_answer", "q_lr", unchanged, Q_LR, "not the best answer",
           answers={"q_lr": "__wrong__"}),
]
