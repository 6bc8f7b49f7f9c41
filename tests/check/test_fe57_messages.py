"""Fresh eyes 57's report, held here in-process on the reference with one function
rewritten: an accuracy divided by the loader's nominal size was told it averaged the
batches' accuracies, which this loader cannot tell from it."""

from __future__ import annotations

from lab05_checks import test_part_d_training as part_d
from test_part_d_diagnoses import namespace as edited_namespace
from test_part_d_diagnoses import verdicts as part_d_verdicts


def test_an_accuracy_over_the_nominal_size_is_not_told_only_mean_of_batch_means() -> None:
    ns = edited_namespace("evaluate", '"accuracy": correct / total_samples}',
                          '"accuracy": correct / (len(loader) * loader.batch_size)}')
    found = part_d_verdicts(ns, "evaluate")[part_d.EVAL_VALUES]
    assert not found.passed, found.message
    assert "batches × batch_size" in found.message, found.message


def test_the_mean_of_batch_accuracies_is_still_named() -> None:
    ns = edited_namespace(
        "evaluate", "correct += int((logits.argmax(dim=1) == y).sum())",
        "correct += (logits.argmax(dim=1) == y).float().mean().item()",
        ('"accuracy": correct / total_samples}', '"accuracy": correct / len(loader)}'))
    found = part_d_verdicts(ns, "evaluate")[part_d.EVAL_VALUES]
    assert not found.passed and found.mistake == "eval-accuracy-mean-of-batch-means", \
        found.message
