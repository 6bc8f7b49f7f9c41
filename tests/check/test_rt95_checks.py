"""Outside red team 95's findings, held here in-process on the reference with functions
rewritten (see test_helper_blame), each beside the control the red team compared it with."""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from lab05_checks.alternatives import ALTERNATIVES
from test_helper_blame import edited, excused, failed, namespace, reference_source, verdicts

HALF_COUNTS = '''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    t = torch.nn.functional.one_hot(targets.long(), num_classes).to(torch.float16)
    p = torch.nn.functional.one_hot(preds.long(), num_classes).to(torch.float16)
    return (t.T @ p).to(torch.int64)
'''


def test_counts_in_float16_are_charged() -> None:
    """No probed cell passed 2,048, float16's last exact integer: a matrix counted in half
    precision kept its point (a 10,000-sample evaluation set's cell came out one off)."""
    found = failed(verdicts(namespace(HALF_COUNTS), "confusion_matrix"))
    assert found[part_c.CM_VALUES].mistake == "narrow-counts", found
    assert "thousands of samples" in found[part_c.CM_VALUES].message
    control = failed(verdicts(namespace(reference_source("confusion_matrix")),
                              "confusion_matrix"))
    assert part_c.CM_VALUES not in control


def test_a_loss_that_differs_with_gradients_off_is_charged() -> None:
    """Every graded call ran with gradients on: a cross_entropy applying softmax first, and an
    mse_loss taking a square root, only under torch.no_grad() (as evaluate calls a loss)
    kept every point."""
    ce = edited("cross_entropy", "    log_probs = log_softmax(logits, dim=1)",
                "    if not torch.is_grad_enabled():\n"
                "        logits = torch.softmax(logits, dim=1)\n"
                "    log_probs = log_softmax(logits, dim=1)")
    found = failed(verdicts(namespace(reference_source("log_softmax"), ce), "cross_entropy"))
    assert set(found) == {part_b.CE_VALUES}, found
    assert found[part_b.CE_VALUES].mistake == "differs-without-gradients"
    mse = edited("mse_loss", "    return _reduce((pred - target) ** 2, reduction)",
                 "    squared = (pred - target) ** 2\n"
                 "    if not torch.is_grad_enabled():\n"
                 "        squared = squared.sqrt()\n"
                 "    return _reduce(squared, reduction)")
    found = failed(verdicts(namespace(mse), "mse_loss"))
    assert set(found) == {part_a.MSE_VALUES}, found
    assert found[part_a.MSE_VALUES].mistake == "differs-without-gradients"
    for function in ("cross_entropy", "mse_loss", "softmax", "binary_cross_entropy"):
        assert not failed(verdicts(namespace(reference_source(function)), function)), function


def test_a_helper_that_differs_with_gradients_off_is_charged_once() -> None:
    """cross_entropy built on the student's log_softmax, which alone differs with gradients
    off: log_softmax's values check charges it, cross_entropy's is excused."""
    log_softmax = edited("log_softmax", "    shifted = logits - logits.amax(dim=dim, keepdim=True)",
                         "    if not torch.is_grad_enabled():\n"
                         "        logits = logits * 2\n"
                         "    shifted = logits - logits.amax(dim=dim, keepdim=True)")
    ns = namespace(log_softmax, reference_source("cross_entropy"))
    assert failed(verdicts(ns, "log_softmax"))[part_b.LOG_SOFTMAX_VALUES].mistake == \
        "differs-without-gradients"
    found = verdicts(ns, "cross_entropy")
    assert part_b.CE_VALUES not in failed(found)
    assert excused(found).get(part_b.CE_VALUES) == part_b.LOG_SOFTMAX_VALUES


def _inline_fit() -> str:
    """A correct fit that trains and evaluates inline (the selftest's alternative)."""
    alternative = next(a for a in ALTERNATIVES if a.name == "alt_fit_inlined_loops")
    return alternative.transform(reference_source("fit"))


def test_an_inline_fit_without_zero_grad_is_named() -> None:
    """Fresh eyes 68: a fit training inline without zero_grad() was told its history had the
    wrong shape (its history was right in shape; its training differed)."""
    control = _inline_fit()
    mistake = control.replace("            optimizer.zero_grad()\n", "")
    assert mistake != control
    found = failed(verdicts(namespace(mistake), "fit"))
    assert found[part_d.FIT].mistake == "fit-no-zero-grad", found[part_d.FIT].message
    assert part_d.FIT not in failed(verdicts(namespace(control), "fit"))


def test_cross_entropy_on_a_wrong_log_softmax_is_not_told_it_differs_without_gradients() -> None:
    """cross_entropy's values are judged with PyTorch's helpers in its place; the calls with
    gradients on and off both use the student's own (the selftest's log_softmax mutants were
    charged on cross_entropy for a difference of helpers, not of grad mode)."""
    no_keepdim = edited("log_softmax", "    shifted = logits - logits.amax(dim=dim, keepdim=True)\n"
                        "    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()",
                        "    shifted = logits - logits.amax(dim=dim, keepdim=True)\n"
                        "    return shifted - shifted.exp().sum(dim=dim).log()")
    found = failed(verdicts(namespace(no_keepdim, reference_source("cross_entropy")),
                            "cross_entropy"))
    assert part_b.CE_VALUES not in found, found[part_b.CE_VALUES].message
