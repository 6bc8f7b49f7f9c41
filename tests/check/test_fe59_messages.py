"""Fresh eyes 59's misleading message, held here in-process on the reference with one
function rewritten: a cross_entropy whose range check compared the targets with N (the
batch) instead of C raised ValueError on every reduction of a small batch, and was told it
refused reduction='mean'."""

from __future__ import annotations

from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import edited, failed, namespace, verdicts


def test_a_valueerror_on_every_reduction_is_not_called_a_refused_reduction() -> None:
    source = edited("cross_entropy", "int(targets.max()) >= num_classes)",
                    "int(targets.max()) >= logits.shape[0])")
    found = failed(verdicts(namespace(source), "cross_entropy"))[part_b.CE_VALUES]
    assert found.mistake != "reduction-refused", found.message
    assert "refuses reduction" not in found.message, found.message


def test_the_negative_classes_f1_as_the_answer_is_named() -> None:
    """always_negative_f1 computed with positive_class=0 (the F1 of the negative class) was
    told to "think about what predicting no positives means for the true positives"."""
    from lab05_checks import test_part_e_experiments as part_e
    from test_helper_blame import reference_source

    ns = namespace(reference_source("accuracy"))
    ns["always_negative_f1"] = part_e._negative_class_f1()
    found = failed(verdicts(ns, "always_negative_f1"))[part_e.ALWAYS_NEGATIVE_F1]
    assert found.mistake == "negative-class-f1", found.message
