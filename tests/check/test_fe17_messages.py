"""Fresh eyes 17's reports on the softmax family computed partly in float32, held here
in-process on the reference with one function rewritten: the float32 step is named by the
values check, charged once, and never taken for the library used outside the no-library
check (exact at ±1e4, float32's rounding on that check's fresh inputs)."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import excused, failed, namespace, verdicts

FLOAT32_INSIDE = {
    "log_softmax: one sum in float32": ("log_softmax", '''
        def log_softmax(logits, dim=-1):
            shifted = logits - logits.amax(dim=dim, keepdim=True)
            return shifted - torch.log(torch.exp(shifted.float()).sum(dim=dim, keepdim=True)
                                       ).to(logits.dtype)
        '''),
    "log_softmax: sum with dtype=float32": ("log_softmax", '''
        def log_softmax(logits, dim=-1):
            shifted = logits - logits.amax(dim=dim, keepdim=True)
            total = shifted.exp().sum(dim=dim, keepdim=True, dtype=torch.float32)
            return shifted - total.log().to(logits.dtype)
        '''),
    "log_softmax: all of it in float32": ("log_softmax", '''
        def log_softmax(logits, dim=-1):
            x = logits.float()
            shifted = x - x.amax(dim=dim, keepdim=True)
            return (shifted - shifted.exp().sum(dim=dim, keepdim=True).log()).to(logits.dtype)
        '''),
    "softmax: exp in float32": ("softmax", '''
        def softmax(logits, dim=-1):
            e = torch.exp((logits - logits.amax(dim=dim, keepdim=True)).float())
            return (e / e.sum(dim=dim, keepdim=True)).to(logits.dtype)
        '''),
}


@pytest.mark.parametrize("case", sorted(FLOAT32_INSIDE))
def test_a_float32_step_is_named_once_and_is_no_library_call(case) -> None:
    function, source = FLOAT32_INSIDE[case]
    found = verdicts(namespace(source), function)
    values = part_b.FAMILY_VALUES[function]
    assert set(failed(found)) == {values}, {k: v.message for k, v in failed(found).items()}
    assert failed(found)[values].mistake == "float32-precision"
    assert "float32" in failed(found)[values].message
    assert all(check == values for check in excused(found).values())
