"""A mistakes review's (twenty-second round) reports, held in-process on the reference with one
function rewritten: a result rounded before it is returned is caught and named, and an
input accepted is named once."""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_c_metrics as part_c
from test_helper_blame import edited, failed, namespace, verdicts


def test_an_accuracy_rounded_to_three_decimals_is_caught_and_named() -> None:
    """Every size the values check used divided 1000: round(accuracy, 3) was exact on all of
    them and kept its points; round(..., 2) was told only "a wrong value"."""
    for digits in (2, 3, 4):
        found = verdicts(namespace(edited(
            "accuracy", "return int((preds == targets).sum()) / preds.numel()",
            f"return round(int((preds == targets).sum()) / preds.numel(), {digits})")),
            "accuracy")
        assert set(failed(found)) == {part_c.ACC_VALUES}, digits
        message = failed(found)[part_c.ACC_VALUES].message
        assert f"rounds its result to {digits} decimals" in message, message


def test_a_rounded_macro_f1_is_named() -> None:
    found = verdicts(namespace(edited("macro_f1", "return sum(per_class) / num_classes",
                                      "return round(sum(per_class) / num_classes, 4)")),
                     "macro_f1")
    assert set(failed(found)) == {part_c.MACRO_VALUES}
    assert "rounds its result to 4 decimals" in failed(found)[part_c.MACRO_VALUES].message


def test_a_loss_without_validation_is_told_of_each_input_once() -> None:
    """Its first failure said "(N, 1) with (N,)" and the list of the others it accepts said
    "a (5, 1) input with a (5,) target" again: one input, named once."""
    found = verdicts(namespace('''
def mse_loss(pred, target, reduction="mean"):
    d = (pred - target) ** 2
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d
'''), "mse_loss")
    message = failed(found)[part_a.MSE_ERRORS].message
    assert message.count("(5, 1)") == 1 and "(N, 1)" not in message, message
    assert "It also accepts" in message, message
