"""Fresh eyes 67's vaguely named mistakes (154 of 154 caught, 4 told only that a value was
wrong), held here in-process on the reference with one function or answer rewritten (see
test_helper_blame), each beside its control."""

from __future__ import annotations

from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_d_training as part_d
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import edited, failed, namespace, reference_source, verdicts


def test_a_log_sum_exp_over_the_whole_tensor_is_named() -> None:
    source = edited("log_softmax", "shifted.exp().sum(dim=dim, keepdim=True).log()",
                    "shifted.exp().sum().log()")
    found = failed(verdicts(namespace(source), "log_softmax"))
    assert found[part_b.LOG_SOFTMAX_VALUES].mistake == "whole-tensor", found
    assert part_b.LOG_SOFTMAX_VALUES not in failed(verdicts(
        namespace(reference_source("log_softmax")), "log_softmax"))


def test_a_last_layer_one_class_short_is_named() -> None:
    source = edited("build_classifier", "nn.Linear(hidden, num_classes)",
                    "nn.Linear(hidden, num_classes - 1)")
    found = failed(verdicts(namespace(source), "build_classifier"))
    assert found[part_d.CLS_ARCH].mistake == "wrong-sizes", found
    assert "last layer outputs 4 logits where num_classes is 5" in (
        found[part_d.CLS_ARCH].message)


def test_an_accuracy_of_the_largest_logits_values_is_named() -> None:
    source = edited("evaluate", "logits.argmax(dim=1) == y", "logits.max(dim=1)[0] == y")
    found = failed(verdicts(namespace(source), "evaluate"))
    assert found[part_d.EVAL_VALUES].mistake == "eval-accuracy-max-values", found
    # (another accuracy of 0.0, integer division, keeps its own name)
    floored = edited("evaluate", '"accuracy": correct / total_samples',
                     '"accuracy": correct // total_samples')
    found = failed(verdicts(namespace(floored), "evaluate"))
    assert found[part_d.EVAL_VALUES].mistake == "eval-accuracy-integer-division", found


def test_the_error_rate_as_the_accuracy_is_named() -> None:
    right = float(namespace()["always_negative_accuracy"])
    found = failed(verdicts(namespace(always_negative_accuracy=1 - right),
                            "always_negative_accuracy"))
    assert found[part_e.ALWAYS_NEGATIVE_ACC].mistake == "error-rate", found
    assert not failed(verdicts(namespace(always_negative_accuracy=right),
                               "always_negative_accuracy"))
