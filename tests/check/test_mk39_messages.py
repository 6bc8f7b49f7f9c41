"""Mistakes review 39: mistakes that went free or cost checks the notebook's "work first"
rule leaves them. Judged in-process on the reference with the change."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import failed, namespace, verdicts


@pytest.mark.parametrize(("function", "values"), [
    ("mse_loss", part_a.MSE_VALUES),
    ("binary_cross_entropy", part_b.BCE_VALUES),
    ("binary_cross_entropy_with_logits", part_b.BCEL_VALUES),
])
def test_per_element_losses_squeezed_to_a_vector_are_charged(function, values) -> None:
    """reduction='none' returning `.squeeze()` of the per-element losses: right on every
    1-D and 2-D input, it went free (no probe had a dimension of size 1)."""
    found = failed(verdicts(namespace(f'''
_reference_{function} = {function}

def {function}(*args, reduction="mean", **kwargs):
    value = _reference_{function}(*args, reduction=reduction, **kwargs)
    return value.squeeze() if reduction == "none" else value
'''), function))
    assert set(found) == {values}, {k: v.message for k, v in found.items()}
    assert "expected (5, 1)" in found[values].message


@pytest.mark.parametrize(("function", "source"), [
    ("softmax", '''
def softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=0, keepdim=True)
'''),
    ("log_softmax", '''
def log_softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum().log()
'''),
])
def test_a_family_member_right_on_vectors_only_loses_its_values_check_alone(function,
                                                                              source) -> None:
    """A normaliser summed over dim 0 or over every element: right on every vector, wrong on
    matrices. It lost its ±1e4, backward and no-library checks as "not working" (6 of 7
    points); the notebook's rule judges those where the function is right, on vectors."""
    found = verdicts(namespace(source), function)
    assert set(failed(found)) == {part_b.FAMILY_VALUES[function]}, {
        k: v.message for k, v in failed(found).items()}


def test_a_family_member_right_on_vectors_only_is_still_judged_there() -> None:
    """... and where it is wrong on vectors too (no max shift: inf at ±1e4), the ±1e4 check
    still charges that second mistake."""
    found = failed(verdicts(namespace('''
def softmax(logits, dim=-1):
    exps = logits.exp()
    return exps / exps.sum(dim=0, keepdim=True)
'''), "softmax"))
    assert set(found) == {part_b.SOFTMAX_VALUES, part_b.SOFTMAX_EXTREME}, {
        k: v.message for k, v in found.items()}
    assert found[part_b.SOFTMAX_EXTREME].mistake == "no-max-shift"
