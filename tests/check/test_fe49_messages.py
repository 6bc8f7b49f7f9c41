"""Fresh eyes 49's reports, held here in-process on the reference with one function
rewritten: a caught mistake whose message was generic is named for what the function does."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import failed, verdicts
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
