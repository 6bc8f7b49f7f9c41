"""Fresh eyes 58's vague messages, held here in-process on the reference with one function
rewritten: a softmax shifting by the maximum along `dim` but summing along another dim, and a
cross_entropy reading every sample's entry from the first row (an index of shape (1, N)),
were each told only that the values were wrong."""

from __future__ import annotations

from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import edited, failed, namespace, verdicts


def test_a_sum_along_another_dim_than_the_maximum_is_named() -> None:
    for function, check, old, new in (
            ("softmax", part_b.SOFTMAX_VALUES, "exps.sum(dim=dim, keepdim=True)",
             "exps.sum(dim=0, keepdim=True)"),
            ("log_softmax", part_b.LOG_SOFTMAX_VALUES, "shifted.exp().sum(dim=dim, keepdim=True)",
             "shifted.exp().sum(dim=0, keepdim=True)")):
        found = failed(verdicts(namespace(edited(function, old, new)), function))[check]
        assert found.mistake == "sum-wrong-dim", found.message
        assert "same dim as the maximum" in found.message


def test_a_maximum_along_another_dim_is_still_named_as_such() -> None:
    source = edited("softmax", "logits.amax(dim=dim, keepdim=True)",
                    "logits.amax(dim=0, keepdim=True)")
    found = failed(verdicts(namespace(source), "softmax"))[part_b.SOFTMAX_VALUES]
    assert found.mistake == "shift-wrong-dim", found.message


def test_cross_entropy_reading_every_sample_from_the_first_row_is_named() -> None:
    source = edited("cross_entropy", "log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
                    "log_probs.gather(1, targets.long().view(1, -1)).view(-1)")
    found = failed(verdicts(namespace(source), "cross_entropy"))[part_b.CE_VALUES]
    assert found.mistake == "first-row-indexing", found.message
    assert "first row" in found.message


def test_a_pos_weight_added_to_the_positive_term_is_told_where_the_fault_is() -> None:
    """`pos - (pos_weight - 1) * targets`: told only "wrong values with pos_weight"; right
    without pos_weight, its weighting is named and the rule given."""
    source = edited(
        "binary_cross_entropy_with_logits",
        "    weight = 1 + (pos_weight - 1) * targets if pos_weight is not None else 1\n"
        "    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
        "    added = (pos_weight - 1) * targets if pos_weight is not None else 0\n"
        "    return _reduce((1 - targets) * logits + neg_log_sigmoid + added, reduction)")
    found = failed(verdicts(namespace(source), "binary_cross_entropy_with_logits"))
    message = " ".join(v.message for v in found.values())
    assert "right without pos_weight" in message, message
