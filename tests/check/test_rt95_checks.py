"""Outside red team 95's findings, held here in-process on the reference with functions
rewritten (see test_helper_blame), each beside the control the red team compared it with."""

from __future__ import annotations

from lab05_checks import test_part_c_metrics as part_c
from test_helper_blame import failed, namespace, reference_source, verdicts

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
