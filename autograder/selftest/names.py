"""The check names the selftest library refers to (exactly as in grading_config.yaml).

`python -m autograder selftest` stops with a clear message when one of these is not a
check of the config it grades with, so a renamed check cannot make a mutant look missed.
"""

from __future__ import annotations

BCEL = "binary_cross_entropy_with_logits"

# ---------------------------------------------------------------- Part A
MSE_VALUES = "mse_loss: matches F.mse_loss for every reduction (float32 and float64)"
MSE_GRAD = "mse_loss: backward gives the reference gradients (float64, gradcheck)"
MSE_ERRORS = "mse_loss: raises ValueError on mismatched shapes or an unknown reduction"
MSE_NO_LIB = "mse_loss: implemented without F.mse_loss"
MAE_VALUES = "mae_loss: matches F.l1_loss for every reduction (float32 and float64)"
MAE_GRAD = "mae_loss: backward gives the reference gradients (float64, gradcheck)"
MAE_ERRORS = "mae_loss: raises ValueError on mismatched shapes or an unknown reduction"
MAE_NO_LIB = "mae_loss: implemented without F.l1_loss"
HUBER_VALUES = ("huber_loss: matches F.huber_loss for every reduction and delta "
                "(float32 and float64)")
HUBER_GRAD = "huber_loss: backward gives the reference gradients (float64, gradcheck)"
HUBER_ERRORS = ("huber_loss: raises ValueError on mismatched shapes, unknown reduction or "
                "delta <= 0")
HUBER_NO_LIB = "huber_loss: implemented without F.huber_loss"

# ---------------------------------------------------------------- Part B
SOFTMAX_VALUES = "softmax: matches torch.softmax along every dim (float32 and float64)"
SOFTMAX_EXTREME = "softmax: finite and exact for logits of ±1e4"
SOFTMAX_GRAD = "softmax: backward gives the reference gradients (float64, gradcheck)"
SOFTMAX_NO_LIB = "softmax: implemented without torch.softmax / log_softmax / logsumexp"
LOG_SOFTMAX_VALUES = ("log_softmax: matches torch.log_softmax along every dim "
                      "(float32 and float64)")
LOG_SOFTMAX_EXTREME = "log_softmax: finite and exact for logits of ±1e4"
LOG_SOFTMAX_GRAD = "log_softmax: backward gives the reference gradients (float64, gradcheck)"
LOG_SOFTMAX_NO_LIB = ("log_softmax: implemented without torch.log_softmax / softmax / "
                      "logsumexp")
CE_VALUES = "cross_entropy: matches F.cross_entropy for every reduction (float32 and float64)"
CE_EXTREME = "cross_entropy: finite and exact for logits of ±1e4"
CE_RAW = "cross_entropy: takes raw logits (softmax is not applied twice)"
CE_GRAD = "cross_entropy: backward gives the reference gradients (float64, gradcheck)"
CE_ERRORS = ("cross_entropy: raises ValueError for targets outside [0, C) or an unknown "
             "reduction")
CE_NO_LIB = "cross_entropy: implemented without F.cross_entropy / F.nll_loss"
BCE_VALUES = ("binary_cross_entropy: matches F.binary_cross_entropy for every reduction "
              "(float32 and float64)")
BCE_CLAMP = "binary_cross_entropy: clamps each log at -100 (p=0 with y=1 gives 100, not inf)"
BCE_GRAD = "binary_cross_entropy: backward gives the reference gradients (float64, gradcheck)"
BCE_ERRORS = ("binary_cross_entropy: raises ValueError on mismatched shapes or an unknown "
              "reduction")
BCE_NO_LIB = "binary_cross_entropy: implemented without F.binary_cross_entropy"
BCEL_VALUES = f"{BCEL}: matches F.{BCEL} for every reduction (float32 and float64)"
BCEL_POS_WEIGHT = f"{BCEL}: matches F.{BCEL} including pos_weight"
BCEL_EXTREME = f"{BCEL}: finite and exact for logits of ±1e4"
BCEL_GRAD = f"{BCEL}: backward gives the reference gradients (float64, gradcheck)"
BCEL_ERRORS = f"{BCEL}: raises ValueError on mismatched shapes or an unknown reduction"
BCEL_NO_LIB = f"{BCEL}: implemented without F.{BCEL}"

# ---------------------------------------------------------------- Part C
ACC_VALUES = "accuracy: fraction of correct predictions as a Python float"
ACC_ERRORS = "accuracy: raises ValueError for N = 0 or mismatched shapes"
CM_VALUES = "confusion_matrix: int64 (C, C) with rows = true class, columns = predicted class"
CM_ABSENT = "confusion_matrix: size fixed by num_classes even when a class is absent"
PRF_BINARY = "precision_recall_f1: matches sklearn for binary labels (positive_class=1)"
PRF_MULTI = "precision_recall_f1: one-vs-rest on positive_class for multiclass input"
PRF_ZERO = ("precision_recall_f1: 0 instead of nan when there are no predicted or true "
            "positives")
MACRO_VALUES = "macro_f1: mean of per-class F1 over num_classes (sklearn average='macro')"
MACRO_ABSENT = "macro_f1: absent classes count as F1 = 0 (divide by num_classes)"

# ---------------------------------------------------------------- Part D
TRAIN_ORDER = "train_one_epoch: zero_grad → forward → loss → backward → step on every batch"
TRAIN_LOGITS = "train_one_epoch: hands raw logits to the loss (no softmax before it)"
TRAIN_MODE = "train_one_epoch: puts the model in train mode"
TRAIN_RETURN = "train_one_epoch: returns the sample-weighted mean loss as a float"
TRAIN_DEVICE = ("train_one_epoch: moves inputs and labels to the device argument "
                "(GPU emulated or real)")
EVAL_MODE = "evaluate: switches to eval mode (Dropout off, BatchNorm statistics unchanged)"
EVAL_VALUES = "evaluate: returns sample-weighted loss and accuracy as floats"
EVAL_NO_GRAD = "evaluate: computes no gradients (torch.no_grad)"
EVAL_DEVICE = ("evaluate: moves inputs and labels to the device argument "
               "(GPU emulated or real)")
FIT = "fit: trains then evaluates every epoch and returns the history"
CLS_ARCH = "build_classifier: Linear → ReLU → Linear with the requested sizes"
CLS_LOGITS = "build_classifier: outputs raw logits (no softmax at the end)"
GET_DEVICE = "get_device: returns cuda when available, otherwise cpu"

# ---------------------------------------------------------------- Part E
ALWAYS_NEGATIVE_ACC = "always_negative_accuracy: accuracy of the always-negative classifier"
ALWAYS_NEGATIVE_F1 = "always_negative_f1: F1 of the always-negative classifier"
Q_LOGITS = "q_logits: why raw logits go to cross-entropy"
