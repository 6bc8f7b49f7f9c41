"""Red team 26: work not done earned points where one mistake is charged once.

A function wrong on the CPU is "not assessed separately" by its GPU check (the values check
charges the mistake), and a caller right over its wrong helper is excused (the helper's
check charges it). Both rules are for a mistake in work done: an input handed back, or a
result that never reads one of its inputs, did none, and earns nothing through them.
"""

from __future__ import annotations

import pytest
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks.test_gpu_inputs import ON_GPU
from test_helper_blame import edited, excused, failed, namespace, verdicts

from autograder.check.plugin import settle_attributions

GPU_MSE = f"mse_loss: {ON_GPU}"


@pytest.mark.parametrize("body", ["return pred", "return pred * 2", "return -pred.abs()",
                                  "return pred.sum()"])
def test_a_loss_that_never_reads_its_target_earns_no_gpu_point(body: str) -> None:
    found = verdicts(namespace(f"def mse_loss(pred, target, reduction='mean'):\n    {body}\n"),
                     "mse_loss")
    verdict = failed(found).get(GPU_MSE)
    assert verdict is not None and verdict.mistake == "not-working", found[GPU_MSE]


def test_a_softmax_that_hands_its_input_back_earns_no_gpu_point() -> None:
    found = verdicts(namespace("def softmax(logits, dim=-1):\n    return logits\n"), "softmax")
    assert failed(found)[f"softmax: {ON_GPU}"].mistake == "not-working"


def test_one_mistake_in_work_done_still_costs_its_values_check_alone_on_the_gpu() -> None:
    # (squares forgotten: wrong everywhere, yet it reads both inputs)
    found = verdicts(namespace(edited("mse_loss", "** 2", ".abs()")), "mse_loss")
    assert GPU_MSE not in failed(found) and found[GPU_MSE].assessed_by, found[GPU_MSE]


STUB_METRICS = '''
def precision_recall_f1(preds, targets, positive_class=1):
    a = float(preds.float().mean())
    return (a, a, a)

def macro_f1(preds, targets, num_classes):
    return float(preds.float().mean())
'''


def test_a_macro_f1_stub_over_a_stub_helper_is_not_the_helpers_mistake() -> None:
    found = settle_attributions(verdicts(namespace(STUB_METRICS), "precision_recall_f1",
                                         "macro_f1"))
    assert {part_c.MACRO_VALUES, part_c.MACRO_ABSENT} <= set(failed(found)), found


def test_a_macro_f1_right_over_its_helper_ignoring_the_class_is_still_excused() -> None:
    # (the helper reads its labels; its mistake stays its own, charged once)
    found = verdicts(namespace('''
        def precision_recall_f1(preds, targets, positive_class=1):
            p, t = preds == 1, targets == 1
            tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
            return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0,
                    2 * tp / (2 * tp + fp + fn) if tp else 0.0)

        def macro_f1(preds, targets, num_classes, _prf=precision_recall_f1):
            scores = [_prf(preds, targets, positive_class=c)[2] for c in range(num_classes)]
            return sum(scores) / num_classes
        '''), "precision_recall_f1", "macro_f1")
    assert not [name for name in failed(found) if name.startswith("macro_f1")], failed(found)
    assert excused(found)[part_c.MACRO_VALUES].startswith("precision_recall_f1")
