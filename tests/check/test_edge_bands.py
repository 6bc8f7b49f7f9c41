"""The edge checks call with every size of logit up to 1e4 (`part_b.BIG_BANDS`): outside red
teams of stop 51 kept the ±1e4 checks with a naive formula wherever the input's largest logit
was below 1000 (float32's exp overflows past 88), and then below 1000 in float64 only (past
709 there). A naive formula used below any threshold past where it fails meets a call that
fails; a correct one passes."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import failed, namespace, verdicts

NAIVE_BELOW = '''
def {function}(logits, dim=-1):
    stable = logits.detach().abs().max() > {threshold} or (
        logits.dtype == torch.float32 and {float32_too} is False)
    shift = logits.amax(dim=dim, keepdim=True) if stable else 0.0
    e = (logits - shift).exp()
    s = e / e.sum(dim=dim, keepdim=True)
    return s if "{function}" == "softmax" else s.log()
'''


# (float64 alone naive: only a threshold past 709 is a mistake, below it the formula is exact)
@pytest.mark.parametrize(("threshold", "float32_too"), [
    (150, True), (400, True), (1000, True), (3000, True), (1000, False), (3000, False)])
def test_a_softmax_naive_below_a_threshold_loses_its_edge_check(threshold, float32_too) -> None:
    ns = namespace(NAIVE_BELOW.format(function="softmax", threshold=threshold,
                                      float32_too=float32_too))
    assert part_b.SOFTMAX_EXTREME in failed(verdicts(ns, "softmax"))


def test_the_ladder_starts_where_each_dtypes_naive_formula_fails() -> None:
    lows = {dtype: sorted(part_b.BIG_BANDS[band][0] for d, band in part_b.EDGE_SCALES
                          if d == dtype) for dtype in {d for d, _ in part_b.EDGE_SCALES}}
    import torch

    assert lows[torch.float32][:3] == [20.0, 50.0, 89.0]  # (log-sigmoid past 17, exp past 88)
    assert lows[torch.float64][0] <= 372 and 710 in lows[torch.float64]  # (spread, exp)
    assert all(high / low <= 1.13 for low, high in part_b.BIG_BANDS[1:])  # (narrow)
