"""Fresh eyes 49's reports, held here in-process on the reference with one function
rewritten: a caught mistake whose message was generic is named for what the function does."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, excused, failed, verdicts
from test_helper_blame import namespace as with_definitions
from test_part_d_diagnoses import namespace as edited_reference
from test_part_d_diagnoses import verdicts as part_d_verdicts


def test_a_fit_returning_the_last_epochs_figures_is_told_to_return_the_lists() -> None:
    """`{k: v[-1] for k, v in history.items()}` was told to check which loader each call gets."""
    ns = edited_reference("fit", "    return history\n",
                          "    return {k: v[-1] for k, v in history.items()}\n")
    verdict = part_d_verdicts(ns, "fit")[part_d.FIT]
    assert verdict.mistake == "fit-history-shape", verdict.message
    assert "one number for each key (the last epoch's figures), not a list" in verdict.message


def test_an_evaluate_weighting_by_the_loaders_batch_size_is_named() -> None:
    """Named for train_one_epoch already; evaluate was told "likely the weighting by batch
    size, the divisor, or ..."."""
    ns = edited_reference("evaluate", "total_loss += loss_fn(logits, y).item() * x.shape[0]",
                          "total_loss += loss_fn(logits, y).item() * loader.batch_size")
    verdict = part_d_verdicts(ns, "evaluate")[part_d.EVAL_VALUES]
    assert verdict.mistake == "eval-loader-batch-size", verdict.message


@pytest.mark.parametrize(("function", "check", "source"), [
    ("softmax", part_b.SOFTMAX_EXTREME, """
def softmax(logits, dim=-1):
    e = torch.exp(logits - logits.mean(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)
"""),
    ("log_softmax", part_b.LOG_SOFTMAX_EXTREME, """
def log_softmax(logits, dim=-1):
    s = logits - logits.mean(dim=dim, keepdim=True)
    return s - torch.log(torch.exp(s).sum(dim=dim, keepdim=True))
"""),
])
def test_a_shift_by_the_mean_is_named_as_a_shift_below_the_max(function, check,
                                                               source) -> None:
    found = failed(verdicts(with_definitions(source), function))
    assert set(found) == {check}, {k: v.message for k, v in found.items()}
    assert found[check].mistake == "min-shift", found[check].message


@pytest.mark.parametrize("eps", ["1e-12", "1e-10"])
def test_an_eps_in_cross_entropys_log_is_charged_once(eps: str) -> None:
    """−log(softmax + eps): charged by the values check ("nearly-right") and by the ±1e4 check
    (its values and gradients there); one mistake, charged by the values check alone. (A
    larger eps, 1e-8, also moves the float64 gradients the gradient check compares: charged
    there as well, by that check's rule — left.)"""
    found = verdicts(with_definitions(edited(
        "cross_entropy", "    log_probs = log_softmax(logits, dim=1)\n",
        f"    log_probs = torch.log(softmax(logits, dim=1) + {eps})\n")), "cross_entropy")
    assert set(failed(found)) == {part_b.CE_VALUES}, {k: v.message for k, v in failed(found).items()}
    assert excused(found)[part_b.CE_EXTREME] == part_b.CE_VALUES
