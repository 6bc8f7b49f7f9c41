"""Fresh eyes 56's reports, held here in-process on the reference with one function
rewritten: a shape rule a function kept only by chance, and two messages that said less
than the run showed."""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from test_helper_blame import edited, failed, namespace, verdicts


def test_cross_entropy_making_a_single_row_a_batch_of_one_is_charged() -> None:
    """`logits.unsqueeze(0)` for 1-D logits: the spec asks for a ValueError for a single row
    of shape (C,), which the one case with four targets raised by chance (N differs)."""
    source = edited("cross_entropy", "    _check_reduction(reduction)\n",
                    "    _check_reduction(reduction)\n"
                    "    if logits.ndim == 1:\n        logits = logits.unsqueeze(0)\n")
    found = failed(verdicts(namespace(source), "cross_entropy"))
    assert set(found) == {part_b.CE_ERRORS}, found
    assert "1-D logits of shape (3,) with one target" in found[part_b.CE_ERRORS].message


def test_a_result_flattened_is_told_so_with_its_size() -> None:
    """`reduction='none'` returned `.view(-1)`: the size, (20,), is the expected shape's own
    count of values (quoted), and the message says the values were reshaped."""
    source = edited("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                    "out = _reduce((pred - target).abs(), reduction)\n"
                    "    return out.reshape(-1) if reduction == 'none' else out")
    found = failed(verdicts(namespace(source), "mae_loss"))[part_a.MAE_VALUES]
    assert found.mistake == "wrong-shape", found.message
    assert "(20,)" in found.message and "don't flatten" in found.message


def test_another_wrong_shape_keeps_the_reduction_words() -> None:
    """A result of another count of values (one per row) is not told it was reshaped."""
    source = edited("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                    "out = _reduce((pred - target).abs(), reduction)\n"
                    "    return out.mean(-1) if reduction == 'none' and out.ndim > 1 else out")
    found = failed(verdicts(namespace(source), "mae_loss"))[part_a.MAE_VALUES]
    assert "check which dimensions it reduces" in found.message, found.message
    assert "don't flatten" not in found.message


def test_accuracy_reshaping_before_its_shape_check_is_told_not_to() -> None:
    """`preds.reshape(-1)` before comparing shapes: (5, 1) against (5,) accepted; the
    message asks for the check before anything, with no reshaping (it said "broadcasting")."""
    source = edited("accuracy", "    if preds.shape != targets.shape:",
                    "    preds, targets = preds.reshape(-1), targets.reshape(-1)\n"
                    "    if preds.shape != targets.shape:")
    found = failed(verdicts(namespace(source), "accuracy"))[part_c.ACC_ERRORS]
    assert "no reshaping" in found.message, found.message


def test_a_history_with_a_misspelled_key_is_told_which_key_it_lacks() -> None:
    """`history["val_acc"]` for `"val_accuracy"`: told only the whole shape of the history."""
    from lab05_checks import test_part_d_training as part_d
    from test_part_d_diagnoses import namespace as edited_namespace
    from test_part_d_diagnoses import verdicts as part_d_verdicts

    ns = edited_namespace("fit", '"val_accuracy": []}', '"val_acc": []}',
                          ('history["val_accuracy"]', 'history["val_acc"]'))
    found = part_d_verdicts(ns, "fit")[part_d.FIT]
    assert not found.passed and found.mistake == "fit-history-shape", found.message
    assert "no 'val_accuracy' key" in found.message, found.message


def test_a_bare_no_grad_line_is_told_it_does_nothing() -> None:
    """`torch.no_grad()` on a line of its own, then the loop: told to wrap the loop, not why
    the line did nothing (the run shows gradients on; the source picks the words)."""
    from lab05_checks import test_part_d_training as part_d
    from test_helper_blame import verdict

    source = edited("evaluate", "with torch.no_grad():", "if True:\n        torch.no_grad()")
    found = verdict(namespace(source), part_d.EVAL_NO_GRAD, source)
    assert not found.passed and found.mistake == "no-no-grad", found.message
    assert "on a line of its own does nothing" in found.message, found.message


def test_a_missing_no_grad_keeps_its_words() -> None:
    """With no bare call in the source, the message is the usual one."""
    from lab05_checks import test_part_d_training as part_d
    from test_helper_blame import verdict

    source = edited("evaluate", "with torch.no_grad():", "if True:")
    found = verdict(namespace(source), part_d.EVAL_NO_GRAD, source)
    assert not found.passed and found.message == part_d.NO_NO_GRAD, found.message
