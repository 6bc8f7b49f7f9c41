"""Correct implementations of lab_tiny unlike the reference: each must score full marks."""

from __future__ import annotations

from autograder.selftest.library import Alternative
from autograder.selftest.source import edit, rewrite

ALTERNATIVES: list[Alternative] = [
    Alternative("alt_standardize_manual_variance", ("standardize",), rewrite('''
def standardize(x):
    if len(x) < 2:
        raise ValueError("need two rows")
    centred = x - x.sum(0) / len(x)
    return centred / (centred ** 2).mean(0).sqrt()
''')),
    Alternative("alt_squared_error_pow", ("squared_error",),
                edit("squared_error", "((pred - target) ** 2).mean()",
                     "(pred - target).pow(2).sum() / pred.numel()")),
    Alternative("alt_train_step_model_zero_grad", ("train_step",),
                edit("train_step", "optimizer.zero_grad()", "model.zero_grad(set_to_none=True)")),
]
