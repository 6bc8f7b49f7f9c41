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
