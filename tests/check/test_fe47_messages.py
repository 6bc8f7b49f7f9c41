"""Fresh eyes 47's reports, held here in-process on the reference with one function
rewritten: each mistake named for what the function does, once."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, failed, namespace, verdict, verdicts


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


@pytest.mark.parametrize(("function", "old", "new", "check", "mistake", "words"), [
    ("mae_loss", "(pred - target).abs()", "(pred - target)", part_a.MAE_VALUES, "no-abs",
     "mae_loss takes no absolute value"),
    ("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
     "sq = (pred - target) ** 2\n    if reduction == 'mean':\n        return sq.mean().sqrt()\n"
     "    return _reduce(sq, reduction)", part_a.MSE_VALUES, "rmse",
     "mse_loss takes the square root of the reduced squared error"),
])
def test_a_formula_mistake_is_named_for_what_it_computes(function, old, new, check, mistake,
                                                        words) -> None:
    """No abs at all was told it takes the abs after the mean (the two agree on a pair whose
    mean difference is positive: the elements decide); the root of the mean, only told its
    'mean' values are wrong."""
    found = verdicts(namespace(edited(function, old, new)), function)
    verdict = failed(found)[check]
    assert verdict.mistake == mistake and words in verdict.message, verdict.message
    assert set(failed(found)) == {check}, {k: v.message for k, v in failed(found).items()}


@pytest.mark.parametrize(("function", "old", "new"), [
    ("softmax", "exps / exps.sum(dim=dim, keepdim=True)", "exps / exps.sum(dim=dim).unsqueeze(-1)"),
    ("log_softmax", "logits - logits.amax(dim=dim, keepdim=True)",
     "logits - logits.amax(dim=dim).unsqueeze(-1)"),
])
def test_a_sum_put_back_at_the_end_is_right_along_the_last_dim_only(function, old, new) -> None:
    """unsqueeze(-1) after a reduction lines up only when dim is the last one: named, not the
    broadcasting error alone with "fix this error first"."""
    found = verdicts(namespace(edited(function, old, new)), function)
    verdict = failed(found)[part_b.FAMILY_VALUES[function]]
    assert verdict.mistake == "last-dim-only", verdict.message
    assert f"{function} is right along the last dimension only: with dim=0" in verdict.message


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_a_default_dim_of_one_is_told_the_default(function) -> None:
    """dim=1 by default raises on a vector: the default named, with the signature."""
    found = verdicts(namespace(edited(function, "dim: int = -1", "dim: int = 1")), function)
    verdict = failed(found)[part_b.FAMILY_VALUES[function]]
    assert verdict.mistake == "default-dim", verdict.message
    assert f"{function}(logits) with no dim raises IndexError" in verdict.message
    assert f"keep the signature {function}(logits, dim=-1)" in verdict.message


@pytest.mark.parametrize(("function", "check"), [
    ("mse_loss", part_a.MSE_VALUES), ("huber_loss", part_a.HUBER_VALUES),
    ("cross_entropy", part_b.CE_VALUES), ("binary_cross_entropy", part_b.BCE_VALUES)])
def test_a_refused_reduction_none_is_told_what_none_returns(function, check) -> None:
    """'none' refused with the function's own ValueError was told to fix that error first."""
    found = verdicts(namespace(edited(
        function, "    _check_reduction(reduction)",
        '    if reduction not in ("mean", "sum"):\n'
        '        raise ValueError("unsupported reduction")')), function)
    verdict = failed(found)[check]
    assert verdict.mistake == "reduction-refused", verdict.message
    assert (f"{function} refuses reduction='none' (it raises ValueError): the spec's "
            "reductions are 'mean', 'sum' and 'none', and 'none' returns them unreduced"
            ) in verdict.message


@pytest.mark.parametrize(("moved", "mistake", "words"), [
    ("    if torch.cuda.is_available():\n        model.to('cuda')\n", "own-device",
     "(torch.cuda.is_available() inside the function)"),
    ("    model.to('cuda')\n", "hard-coded-cuda", "(a hard-coded 'cuda')"),
])
def test_a_model_sent_to_a_gpu_of_its_own_is_told_so_not_to_move_its_inputs(moved, mistake,
                                                                          words) -> None:
    """The batch on the device argument, the model moved to 'cuda' by the function itself:
    told to write x = x.to(device), which it did."""
    source = edited("train_one_epoch", "    model.train()\n", "    model.train()\n" + moved)
    found = verdict(namespace(source), part_d.TRAIN_DEVICE, source)
    assert not found.passed and found.mistake == mistake, found.message
    assert (f"train_one_epoch moves the model to a GPU of its own {words} while the device "
            "argument is cpu") in found.message
