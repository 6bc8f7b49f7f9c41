"""Mistakes review 29: an accuracy on a scale of its own (a percentage, the error rate) also
cost the Part E answer computed with it, and the error rate went unnamed.

The answer built on the student's own accuracy is that accuracy's mistake, charged once,
where the accuracy measures agreement on a fixed scale (a * acc + b, a != 0: it reads both
its inputs); a constant is no such scale, and still earns the answer nothing.
"""

from __future__ import annotations

import pytest
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import edited, failed, namespace, verdicts

PERCENT = edited("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                 "return 100 * int((preds == targets).sum()) / preds.numel()")
ERROR_RATE = edited("accuracy", "return int((preds == targets).sum()) / preds.numel()",
                    "return int((preds != targets).sum()) / preds.numel()")


@pytest.mark.parametrize(("source", "mistake"), [(PERCENT, "percentage"),
                                                 (ERROR_RATE, "error-rate")])
def test_an_answer_built_on_a_scaled_accuracy_is_that_accuracys_mistake(source: str,
                                                                        mistake: str) -> None:
    found = verdicts(namespace(source), "accuracy", "always_negative_accuracy")
    assert failed(found)[part_c.ACC_VALUES].mistake == mistake
    assert part_e.ALWAYS_NEGATIVE_ACC not in failed(found), found[part_e.ALWAYS_NEGATIVE_ACC]


def test_an_answer_built_on_a_constant_accuracy_is_still_charged() -> None:
    found = verdicts(namespace('''
        def accuracy(preds, targets):
            return 0.5
        '''), "accuracy", "always_negative_accuracy")
    assert part_e.ALWAYS_NEGATIVE_ACC in failed(found)


@pytest.mark.parametrize(("old", "new", "mistake"), [
    ("train_one_epoch(model, train_loader,", "train_one_epoch(model, val_loader,",
     "fit-train-loader"),
    ("evaluate(model, val_loader,", "evaluate(model, train_loader,", "fit-val-loader"),
])
def test_fit_names_the_call_given_the_wrong_loader(old: str, new: str, mistake: str) -> None:
    found = verdicts(namespace(edited("fit", old, new)), "fit")
    assert [v.mistake for v in failed(found).values()] == [mistake]


def test_an_answer_kept_as_a_percentage_is_told_so() -> None:
    """Fresh eyes of stop 50: the answer ×100 beside an accuracy() that is right, told only
    to predict all zeros with the targets' shape."""
    right = namespace()["always_negative_accuracy"]
    found = verdicts(namespace(always_negative_accuracy=100 * right),
                     "always_negative_accuracy")
    verdict = failed(found)[part_e.ALWAYS_NEGATIVE_ACC]
    assert verdict.mistake == "percentage" and "a fraction in [0, 1]" in verdict.message
