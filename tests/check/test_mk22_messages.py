"""A mistakes review's (twenty-second round) reports, held in-process on the reference with one
function rewritten: a result rounded before it is returned is caught and named, and an
input accepted is named once."""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
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


def test_a_wrong_bce_formula_is_not_told_its_clamp_is_wrong() -> None:
    """`log1p(p)` for `log1p(-p)`, its clamp at -100 right: the clamp check said "wrong values
    for probabilities of exactly 0 and 1". It is judged where the formula is right (targets
    of 1) and held to the values check, which names the formula."""
    found = verdicts(namespace(edited("binary_cross_entropy", "torch.log1p(-safe_q)",
                                      "torch.log1p(safe_q)")), "binary_cross_entropy")
    assert part_b.BCE_VALUES in failed(found)
    assert part_b.BCE_CLAMP not in failed(found), failed(found)[part_b.BCE_CLAMP].message


def test_a_hard_targets_only_bce_with_logits_is_charged_by_its_values_check() -> None:
    """`where(targets == 1, ...)`: right for 0/1 targets, wrong for soft ones. Its pos_weight
    and ±1e4 checks said "wrong values" there too (8 points for one mistake): judged where
    the formula is right (the hard targets), they are held to the values check."""
    found = verdicts(namespace(edited(
        "binary_cross_entropy_with_logits",
        "return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
        "hard = torch.where(targets == 1, weight * neg_log_sigmoid, logits + neg_log_sigmoid)\n"
        "    return _reduce(hard, reduction)")), "binary_cross_entropy_with_logits")
    assert part_b.BCEL_VALUES in failed(found)
    assert not {part_b.BCEL_POS_WEIGHT, part_b.BCEL_EXTREME} & set(failed(found)), \
        {k: v.message for k, v in failed(found).items()}


def test_a_loop_raising_on_the_cpu_too_is_not_told_the_gpu_failed() -> None:
    """`loss_fn(logits, y.float())` raises a dtype error on every device: its device check
    said "failed on the (emulated) GPU device"; it now says the error as the other checks do."""
    found = verdicts(namespace(edited("train_one_epoch", "loss = loss_fn(logits, y)",
                                      "loss = loss_fn(logits, y.float())")), "train_one_epoch")
    message = failed(found)[part_d.TRAIN_DEVICE].message
    assert "GPU" not in message and "target dtype" in message, message


def test_an_edge_check_is_not_kept_by_being_wrong_on_every_position_it_is_about() -> None:
    """Red team 24: a BCE-with-logits with no positive term at all (so no pos_weight code) was
    "judged where it is right" — the negative targets, where pos_weight changes nothing — and
    kept its pos_weight check. Judged only on the positions an edge is about, it is charged."""
    found = verdicts(namespace(edited(
        "binary_cross_entropy_with_logits",
        "return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
        "return _reduce((1 - targets) * (logits + neg_log_sigmoid), reduction)")),
        "binary_cross_entropy_with_logits")
    assert {part_b.BCEL_VALUES, part_b.BCEL_POS_WEIGHT} <= set(failed(found)), \
        {k: v.message for k, v in failed(found).items()}



def test_a_loop_handing_the_loss_detached_logits_is_told_so() -> None:
    """`loss_fn(logits.detach(), y)`: backward() raises PyTorch's "element 0 of tensors does
    not require grad", and the loop was told only that (a mistakes review, 24)."""
    found = verdicts(namespace(edited("train_one_epoch", "loss = loss_fn(logits, y)",
                                      "loss = loss_fn(logits.detach(), y)")), "train_one_epoch")
    messages = {v.message for v in failed(found).values()}
    assert messages and all("cut from the graph" in m for m in messages), messages


def test_a_rounded_precision_recall_f1_is_named() -> None:
    """The rounding is named for every metric that returns floats, precision_recall_f1's
    three included (the class, not only accuracy and macro_f1)."""
    found = verdicts(namespace(edited(
        "precision_recall_f1", "return precision, recall, f1",
        "return round(precision, 3), round(recall, 3), round(f1, 3)")), "precision_recall_f1")
    messages = " ".join(v.message for v in failed(found).values())
    assert "rounds its result to 3 decimals" in messages, messages
