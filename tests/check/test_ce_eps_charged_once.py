"""cross_entropy with an eps guarding the log of its probabilities is one mistake, charged by
the ±1e4 check that names it (fresh eyes 49: the values and gradient checks charged it too,
inexact at float64 precision on ordinary inputs), as binary_cross_entropy's eps is."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import edited, excused, failed, namespace, verdicts

LOG_SOFTMAX = "log_probs = log_softmax(logits, dim=1)"


@pytest.mark.parametrize(("guarded", "inexact_on_ordinary_inputs"), [
    ("log_probs = torch.log(softmax(logits, dim=1) + 1e-8)", True),
    ("log_probs = torch.log(softmax(logits, dim=1) + 1e-10)", None),  # (its gradients exact)
    # (a clamp at 1e-12 moves nothing an ordinary input reaches: those checks simply pass)
    ("log_probs = torch.log(torch.softmax(logits, dim=1).clamp(min=1e-12))", False),
])
def test_an_eps_in_the_log_costs_the_extreme_check_only(
        guarded: str, inexact_on_ordinary_inputs: bool | None) -> None:
    found = verdicts(namespace(edited("cross_entropy", LOG_SOFTMAX, guarded)), "cross_entropy")
    charged = failed(found)
    assert set(charged) == {part_b.CE_EXTREME}, {k: v.message for k, v in charged.items()}
    assert "eps" in charged[part_b.CE_EXTREME].message
    # (where the eps shows on ordinary inputs, the values and gradient checks are shown as not
    # assessed separately, not as passed)
    if inexact_on_ordinary_inputs is None:  # (some of them: each held to it, or passed)
        assert set(excused(found).values()) <= {part_b.CE_EXTREME}
        assert part_b.CE_VALUES in excused(found)
        return
    assert excused(found) == ({part_b.CE_VALUES: part_b.CE_EXTREME,
                               part_b.CE_GRAD: part_b.CE_EXTREME}
                              if inexact_on_ordinary_inputs else {})


def test_an_eps_with_a_second_mistake_is_still_charged_for_the_second() -> None:
    """The eps is excused only where it alone explains the value: summing where the mean was
    asked is the values check's own mistake."""
    source = edited("cross_entropy", LOG_SOFTMAX,
                    "log_probs = torch.log(softmax(logits, dim=1) + 1e-8)")
    source = source.replace("return _reduce(nll, reduction)",
                            "return nll.sum() if reduction == 'mean' else _reduce(nll, reduction)")
    charged = failed(verdicts(namespace(source), "cross_entropy"))
    assert part_b.CE_VALUES in charged, sorted(charged)
