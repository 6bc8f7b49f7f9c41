"""Lab 5's contract for `python -m autograder assign`: which definitions the master's
solution cells must hold (graded functions, then the helpers students get in full), the
section comments of reference.py, and the answer variables of Part E."""

from __future__ import annotations

from collections.abc import Mapping

TITLE = "Lab 5 (Loss Functions & Metrics)"

#: Graded functions, in the order the notebook (and reference.py) defines them.
GRADED_FUNCTIONS: tuple[str, ...] = (
    "mse_loss",
    "mae_loss",
    "huber_loss",
    "log_softmax",
    "softmax",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "accuracy",
    "confusion_matrix",
    "precision_recall_f1",
    "macro_f1",
    "get_device",
    "build_classifier",
    "train_one_epoch",
    "evaluate",
    "fit",
)

#: Provided (ungraded) helpers that students get in full and reference.py also defines.
HELPERS: tuple[str, ...] = (
    "REDUCTIONS",
    "_check_reduction",
    "_check_same_shape",
    "_reduce",
    "_safe_ratio",
)

#: Section comment emitted in reference.py before the first function of each part.
SECTIONS: Mapping[str, str] = {
    "mse_loss": "Part A",
    "softmax": "Part B",
    "accuracy": "Part C",
    "get_device": "Part D",
}

#: Multiple-choice answer variables (one lowercase letter each) and their allowed letters.
MC_CHOICES: Mapping[str, str] = {
    "q_logits": "abcd",
    "q_imbalanced": "abcd",
    "q_loss_vs_metric": "abcd",
    "q_backward": "abcd",
    "q_zero_grad": "abcd",
    "q_mse_vs_ce": "abcd",
    "q_outliers": "abcd",
}

#: Numeric Part E answers, computed in the master with the reference functions.
NUMERIC_ANSWERS: tuple[str, ...] = ("always_negative_accuracy", "always_negative_f1")
