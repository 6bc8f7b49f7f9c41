"""Fresh eyes 47's reports, held here in-process on the reference with one function
rewritten: each mistake named for what the function does, once."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from test_helper_blame import edited, failed, namespace, verdicts


@pytest.mark.parametrize(("function", "check"), [
    ("mse_loss", part_a.MSE_ERRORS), ("mae_loss", part_a.MAE_ERRORS),
    ("huber_loss", part_a.HUBER_ERRORS)])
def test_an_assert_for_the_shapes_is_told_to_raise_value_error(function, check) -> None:
    """`assert pred.shape == target.shape` refuses the mismatch with AssertionError: it was
    told to "fix this error first: this check needs mse_loss to run to the end"."""
    found = verdicts(namespace(edited(function, "    _check_same_shape(pred, target)",
                                      "    assert pred.shape == target.shape")), function)
    assert set(failed(found)) == {check}, {k: v.message for k, v in failed(found).items()}
    verdict = failed(found)[check]
    assert verdict.mistake == "no-shape-check"
    assert (f"{function} raised AssertionError for a (5, 1) input with a (5,) target (an "
            "assert raises AssertionError), where the spec asks for ValueError") in verdict.message
    assert "fix this error first" not in verdict.message


def test_a_lookup_of_the_reduction_is_told_to_raise_value_error() -> None:
    """A dict of the three reductions looked up by name raises KeyError for any other."""
    found = verdicts(namespace(edited(
        "mse_loss", "    _check_reduction(reduction)",
        '    {"mean": 0, "sum": 0, "none": 0}[reduction]')), "mse_loss")
    assert set(failed(found)) == {part_a.MSE_ERRORS}
    verdict = failed(found)[part_a.MSE_ERRORS]
    assert verdict.mistake == "no-reduction-check"
    assert "mse_loss raised KeyError for reduction=" in verdict.message
    assert "where the spec asks for ValueError" in verdict.message
