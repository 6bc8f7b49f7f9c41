"""The reference losses (Parts A and B) match torch.nn.functional.

Values for every reduction in float32 and float64 (result dtype and device equal the
input's), edge cases (extreme logits, p = 0/1 in BCE, ties, N = 1, C = 1), input
validation, inputs left unmodified, and float64 gradients equal to PyTorch's, with
``torch.autograd.gradcheck`` on every smooth loss.
"""

from __future__ import annotations

from collections.abc import Callable

import lab05_reference as ref
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

REDUCTIONS = ("mean", "sum", "none")
NP_DTYPES = (np.float32, np.float64)
TORCH_DTYPES = (torch.float32, torch.float64)

VALUES = settings(max_examples=50, deadline=None)
GRADS = settings(max_examples=30, deadline=None)
GRADCHECK = settings(max_examples=12, deadline=None)

reductions = st.sampled_from(REDUCTIONS)
np_dtypes = st.sampled_from(NP_DTYPES)
small_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


def floats_for(dtype: type, lo: float, hi: float) -> st.SearchStrategy[float]:
    width = 32 if dtype is np.float32 else 64
    lo, hi = float(dtype(lo)), float(dtype(hi))  # bounds representable at that width
    return st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False)


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array)  # a copy, with the array's dtype


def assert_unchanged(*pairs: tuple[torch.Tensor, torch.Tensor]) -> None:
    for before, after in pairs:
        assert torch.equal(before, after), "the loss modified one of its inputs"


def assert_matches(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Same dtype, device and shape as PyTorch's result, and the same values."""
    assert isinstance(actual, torch.Tensor)
    assert actual.dtype == expected.dtype
    assert actual.device == expected.device
    assert actual.shape == expected.shape
    torch.testing.assert_close(actual, expected, equal_nan=False)


@st.composite
def same_shape_pairs(draw, lo: float = -100.0, hi: float = 100.0):
    dtype = draw(np_dtypes)
    shape = draw(small_shapes)
    elements = floats_for(dtype, lo, hi)
    a = draw(hnp.arrays(dtype, shape, elements=elements))
    b = draw(hnp.arrays(dtype, shape, elements=elements))
    return as_tensor(a), as_tensor(b)


# ======================================================================= Part A
REGRESSION = {
    "mse_loss": (ref.mse_loss, F.mse_loss),
    "mae_loss": (ref.mae_loss, F.l1_loss),
    "huber_loss": (ref.huber_loss, F.huber_loss),
}


@pytest.mark.parametrize("name", ["mse_loss", "mae_loss"])
@VALUES
@given(pair=same_shape_pairs(), reduction=reductions)
def test_mse_mae_loss_match_torch_for_every_reduction_and_dtype(name, pair, reduction):
    ours, theirs = REGRESSION[name]
    pred, target = pair
    pred0, target0 = pred.clone(), target.clone()
    out = ours(pred, target, reduction=reduction)
    assert_matches(out, theirs(pred, target, reduction=reduction))
    assert_unchanged((pred0, pred), (target0, target))


@VALUES
@given(
    pair=same_shape_pairs(-10.0, 10.0),
    delta=st.floats(0.05, 5.0, allow_nan=False),
    reduction=reductions,
)
def test_huber_loss_matches_torch_with_delta_for_every_reduction_and_dtype(pair, delta, reduction):
    pred, target = pair
    pred0, target0 = pred.clone(), target.clone()
    out = ref.huber_loss(pred, target, delta=delta, reduction=reduction)
    assert_matches(out, F.huber_loss(pred, target, reduction=reduction, delta=delta))
    assert_unchanged((pred0, pred), (target0, target))


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_loss_exact_at_the_delta_boundary_and_both_branches(dtype, delta):
    # |d| == delta exactly (the tie), inside and outside the quadratic zone.
    target = torch.zeros(6, dtype=dtype)
    pred = torch.tensor([delta, -delta, 0.25 * delta, -0.25 * delta, 3 * delta, -3 * delta])
    pred = pred.to(dtype)
    out = ref.huber_loss(pred, target, delta=delta, reduction="none")
    assert_matches(out, F.huber_loss(pred, target, reduction="none", delta=delta))
    expected = torch.tensor(
        [0.5 * delta**2] * 2 + [0.5 * (0.25 * delta) ** 2] * 2 + [2.5 * delta**2] * 2,
        dtype=dtype,
    )
    torch.testing.assert_close(out, expected)


def test_huber_loss_default_delta_is_one():
    pred = torch.tensor([0.0, 0.5, 3.0], dtype=torch.float64)
    target = torch.zeros(3, dtype=torch.float64)
    out = ref.huber_loss(pred, target, reduction="none")
    torch.testing.assert_close(out, torch.tensor([0.0, 0.125, 2.5], dtype=torch.float64))


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("dtype", TORCH_DTYPES)
@pytest.mark.parametrize("shape", [(1,), (1, 1), ()])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_single_element(name, dtype, shape, reduction):
    ours, theirs = REGRESSION[name]
    pred = torch.full(shape, 2.5, dtype=dtype)
    target = torch.full(shape, -1.0, dtype=dtype)
    assert_matches(
        ours(pred, target, reduction=reduction), theirs(pred, target, reduction=reduction)
    )


@pytest.mark.parametrize("name", sorted(REGRESSION))
def test_regression_losses_reject_column_vs_flat_shapes_naming_both(name):
    ours, _ = REGRESSION[name]
    column, flat = torch.zeros(4, 1), torch.zeros(4)
    with pytest.raises(ValueError) as info:
        ours(column, flat)
    assert "(4, 1)" in str(info.value) and "(4,)" in str(info.value)
    with pytest.raises(ValueError) as info:
        ours(flat, column)
    assert "(4, 1)" in str(info.value) and "(4,)" in str(info.value)
    with pytest.raises(ValueError):
        ours(torch.zeros(3), torch.zeros(4))


@pytest.mark.parametrize("delta", [0, 0.0, -1.0, -1e-12])
def test_huber_loss_rejects_non_positive_delta(delta):
    with pytest.raises(ValueError):
        ref.huber_loss(torch.zeros(3), torch.ones(3), delta=delta)


# ======================================================================= Part B
@st.composite
def logits_and_dim(draw, lo: float = -50.0, hi: float = 50.0):
    dtype = draw(np_dtypes)
    shape = draw(small_shapes)
    elements = floats_for(dtype, lo, hi)
    logits = as_tensor(draw(hnp.arrays(dtype, shape, elements=elements)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return logits, dim


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(ref.softmax, torch.softmax), (ref.log_softmax, torch.log_softmax)],
    ids=["softmax", "log_softmax"],
)
@VALUES
@given(case=logits_and_dim())
def test_softmax_log_softmax_match_torch_along_any_dim(ours, theirs, case):
    logits, dim = case
    logits0 = logits.clone()
    assert_matches(ours(logits, dim=dim), theirs(logits, dim=dim))
    assert_unchanged((logits0, logits))


@VALUES
@given(
    logits=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
        elements=st.floats(-5.0, 5.0),
    )
)
def test_softmax_log_softmax_default_dim_is_last(logits):
    x = as_tensor(logits)
    assert_matches(ref.softmax(x), torch.softmax(x, dim=-1))
    assert_matches(ref.log_softmax(x), torch.log_softmax(x, dim=-1))


# width=32 so that every drawn value is exactly representable in float32 and float64.
extreme_elements = st.one_of(st.sampled_from([-1e4, 0.0, 1e4]), st.floats(-1e4, 1e4, width=32))


@VALUES
@given(
    dtype=np_dtypes,
    shape=hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
    data=st.data(),
)
def test_softmax_log_softmax_finite_and_exact_for_logits_of_1e4(dtype, shape, data):
    logits = as_tensor(data.draw(hnp.arrays(dtype, shape, elements=extreme_elements)))
    dim = data.draw(st.sampled_from([0, 1, -1]))
    probs, log_probs = ref.softmax(logits, dim=dim), ref.log_softmax(logits, dim=dim)
    assert torch.isfinite(probs).all() and torch.isfinite(log_probs).all()
    assert_matches(probs, torch.softmax(logits, dim=dim))
    assert_matches(log_probs, torch.log_softmax(logits, dim=dim))


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_softmax_log_softmax_explicit_extremes_ties_and_single_class(dtype):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [7.0, 7.0, 7.0]], dtype=dtype)
    probs = ref.softmax(logits)
    log_probs = ref.log_softmax(logits)
    expected_probs = torch.tensor(
        [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3]], dtype=dtype
    )
    torch.testing.assert_close(probs, expected_probs)
    assert_matches(log_probs, torch.log_softmax(logits, dim=-1))
    torch.testing.assert_close(log_probs[0], torch.tensor([0.0, -2e4, -1e4], dtype=dtype))
    # Single class: probability 1, log-probability 0, whatever the logit.
    single = torch.tensor([[1e4], [-1e4], [0.3]], dtype=dtype)
    torch.testing.assert_close(ref.softmax(single), torch.ones(3, 1, dtype=dtype))
    torch.testing.assert_close(ref.log_softmax(single), torch.zeros(3, 1, dtype=dtype))


@st.composite
def classification_batches(draw, elements=None, max_n: int = 8, max_c: int = 6):
    dtype = draw(np_dtypes)
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(1, max_c))
    elements = elements if elements is not None else floats_for(dtype, -30.0, 30.0)
    logits = as_tensor(draw(hnp.arrays(dtype, (n, c), elements=elements)))
    targets = torch.tensor(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    assert targets.dtype == torch.int64
    return logits, targets


@VALUES
@given(batch=classification_batches(), reduction=reductions)
def test_cross_entropy_matches_torch_for_every_reduction_and_dtype(batch, reduction):
    logits, targets = batch
    logits0, targets0 = logits.clone(), targets.clone()
    out = ref.cross_entropy(logits, targets, reduction=reduction)
    assert_matches(out, F.cross_entropy(logits, targets, reduction=reduction))
    assert_unchanged((logits0, logits), (targets0, targets))


@VALUES
@given(batch=classification_batches(elements=extreme_elements), reduction=reductions)
def test_cross_entropy_finite_and_exact_for_logits_of_1e4(batch, reduction):
    logits, targets = batch
    out = ref.cross_entropy(logits, targets, reduction=reduction)
    assert torch.isfinite(out).all()
    assert_matches(out, F.cross_entropy(logits, targets, reduction=reduction))


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_cross_entropy_explicit_extremes_ties_single_sample_and_single_class(dtype):
    logits = torch.tensor([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4]], dtype=dtype)
    targets = torch.tensor([1, 1, 0])
    out = ref.cross_entropy(logits, targets, reduction="none")
    expected = torch.tensor([2e4, 0.0, float(np.log(2.0))], dtype=dtype)
    torch.testing.assert_close(out, expected)
    assert_matches(out, F.cross_entropy(logits, targets, reduction="none"))
    # Ties over C classes: loss log(C) whatever the target.
    tied = torch.full((4, 5), 3.0, dtype=dtype)
    out = ref.cross_entropy(tied, torch.tensor([0, 1, 2, 4]), reduction="none")
    torch.testing.assert_close(out, torch.full((4,), float(np.log(5.0)), dtype=dtype))
    # N = 1.
    one = torch.tensor([[0.5, -1.0, 2.0]], dtype=dtype)
    for reduction in REDUCTIONS:
        assert_matches(
            ref.cross_entropy(one, torch.tensor([2]), reduction=reduction),
            F.cross_entropy(one, torch.tensor([2]), reduction=reduction),
        )
    # C = 1: the only class is always right, loss 0.
    single = torch.tensor([[1e4], [-3.0]], dtype=dtype)
    out = ref.cross_entropy(single, torch.tensor([0, 0]), reduction="sum")
    assert_matches(out, F.cross_entropy(single, torch.tensor([0, 0]), reduction="sum"))
    assert out.item() == 0.0


def test_cross_entropy_takes_logits_feeding_probabilities_gives_a_different_loss():
    # The lesson's trap: softmax applied twice. The reference equals F.cross_entropy on
    # logits, and the same function fed probabilities does not.
    logits = torch.tensor([[4.0, -2.0, 0.5], [0.0, 3.0, -1.0]], dtype=torch.float64)
    targets = torch.tensor([0, 1])
    on_logits = ref.cross_entropy(logits, targets)
    on_probs = ref.cross_entropy(torch.softmax(logits, dim=1), targets)
    torch.testing.assert_close(on_logits, F.cross_entropy(logits, targets))
    assert abs(on_probs.item() - on_logits.item()) > 0.1


@pytest.mark.parametrize("bad", [[-1, 0], [0, 3], [5, 1]])
def test_cross_entropy_rejects_targets_outside_zero_to_c(bad):
    with pytest.raises(ValueError):
        ref.cross_entropy(torch.zeros(2, 3), torch.tensor(bad))


# ------------------------------------------------------------------- BCE
prob_elements = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
target_elements = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


@st.composite
def bce_batches(draw, prob_elems=prob_elements):
    dtype = draw(np_dtypes)
    shape = draw(small_shapes)
    probs = as_tensor(draw(hnp.arrays(dtype, shape, elements=prob_elems)).astype(dtype))
    targets = as_tensor(draw(hnp.arrays(dtype, shape, elements=target_elements)).astype(dtype))
    return probs, targets


@VALUES
@given(batch=bce_batches(), reduction=reductions)
def test_binary_cross_entropy_matches_torch_for_every_reduction_and_dtype(batch, reduction):
    probs, targets = batch
    probs0, targets0 = probs.clone(), targets.clone()
    out = ref.binary_cross_entropy(probs, targets, reduction=reduction)
    assert torch.isfinite(out).all()
    assert_matches(out, F.binary_cross_entropy(probs, targets, reduction=reduction))
    assert_unchanged((probs0, probs), (targets0, targets))


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_binary_cross_entropy_clamps_each_log_at_minus_100(dtype):
    probs = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0], dtype=dtype)
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5, 0.5], dtype=dtype)
    out = ref.binary_cross_entropy(probs, targets, reduction="none")
    expected = torch.tensor([100.0, 100.0, 0.0, 0.0, 50.0, 50.0], dtype=dtype)
    assert torch.equal(out, expected)
    assert_matches(out, F.binary_cross_entropy(probs, targets, reduction="none"))
    assert ref.binary_cross_entropy(probs[:1], targets[:1]).item() == 100.0


@st.composite
def bce_logit_batches(draw, elements=None):
    dtype = draw(np_dtypes)
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 4))
    elements = elements if elements is not None else floats_for(dtype, -40.0, 40.0)
    logits = as_tensor(draw(hnp.arrays(dtype, (n, c), elements=elements)))
    targets = as_tensor(draw(hnp.arrays(dtype, (n, c), elements=target_elements)).astype(dtype))
    kind = draw(st.sampled_from(["none", "per-class", "full"]))
    pos_weight = None
    if kind != "none":
        shape = (c,) if kind == "per-class" else (n, c)
        weights = hnp.arrays(dtype, shape, elements=floats_for(dtype, 0.1, 10.0))
        pos_weight = as_tensor(draw(weights))
    return logits, targets, pos_weight


@VALUES
@given(batch=bce_logit_batches(), reduction=reductions)
def test_binary_cross_entropy_with_logits_matches_torch_with_and_without_pos_weight(
    batch, reduction
):
    logits, targets, pos_weight = batch
    inputs = [t for t in (logits, targets, pos_weight) if t is not None]
    before = [t.clone() for t in inputs]
    out = ref.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=pos_weight, reduction=reduction
    )
    expected = F.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=pos_weight, reduction=reduction
    )
    assert_matches(out, expected)
    assert_unchanged(*zip(before, inputs, strict=True))


@VALUES
@given(batch=bce_logit_batches(elements=extreme_elements), reduction=reductions)
def test_binary_cross_entropy_with_logits_finite_and_exact_for_logits_of_1e4(batch, reduction):
    logits, targets, pos_weight = batch
    out = ref.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=pos_weight, reduction=reduction
    )
    assert torch.isfinite(out).all()
    expected = F.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=pos_weight, reduction=reduction
    )
    assert_matches(out, expected)


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_binary_cross_entropy_with_logits_explicit_extremes(dtype):
    logits = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype)
    targets = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0], dtype=dtype)
    out = ref.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    expected = torch.tensor([0.0, 1e4, 1e4, 0.0, float(np.log(2.0))], dtype=dtype)
    torch.testing.assert_close(out, expected)
    assert_matches(out, F.binary_cross_entropy_with_logits(logits, targets, reduction="none"))
    pos_weight = torch.tensor(3.0, dtype=dtype)
    weighted = ref.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=pos_weight, reduction="none"
    )
    expected = torch.tensor([0.0, 3e4, 1e4, 0.0, 3 * float(np.log(2.0))], dtype=dtype)
    torch.testing.assert_close(weighted, expected)
    assert_matches(
        weighted,
        F.binary_cross_entropy_with_logits(
            logits, targets, pos_weight=pos_weight, reduction="none"
        ),
    )


# ------------------------------------------------------- validation, all losses
def _two(shape_a, shape_b, dtype=torch.float32):
    return torch.full(shape_a, 0.5, dtype=dtype), torch.full(shape_b, 1.0, dtype=dtype)


LOSS_CALLS: dict[str, Callable[..., torch.Tensor]] = {
    "mse_loss": lambda a, b, **kw: ref.mse_loss(a, b, **kw),
    "mae_loss": lambda a, b, **kw: ref.mae_loss(a, b, **kw),
    "huber_loss": lambda a, b, **kw: ref.huber_loss(a, b, delta=1.0, **kw),
    "binary_cross_entropy": lambda a, b, **kw: ref.binary_cross_entropy(a, b, **kw),
    "binary_cross_entropy_with_logits": (
        lambda a, b, **kw: ref.binary_cross_entropy_with_logits(a, b, **kw)
    ),
}


@pytest.mark.parametrize("name", sorted(LOSS_CALLS))
@pytest.mark.parametrize("reduction", ["avg", "MEAN", "", "batchmean", "elementwise_mean", None])
def test_losses_reject_an_unknown_reduction(name, reduction):
    a, b = _two((3,), (3,))
    with pytest.raises(ValueError):
        LOSS_CALLS[name](a, b, reduction=reduction)


@pytest.mark.parametrize("reduction", ["avg", "MEAN", "", None])
def test_cross_entropy_rejects_an_unknown_reduction(reduction):
    with pytest.raises(ValueError):
        ref.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 2]), reduction=reduction)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize(("shape_a", "shape_b"), [((4, 1), (4,)), ((4,), (4, 1)), ((3,), (4,))])
def test_binary_cross_entropy_losses_reject_shape_mismatch(name, shape_a, shape_b):
    a, b = _two(shape_a, shape_b)
    with pytest.raises(ValueError):
        LOSS_CALLS[name](a, b)


@pytest.mark.parametrize(
    ("logits_shape", "targets_shape"), [((4, 3), (3,)), ((4, 3), (4, 1)), ((12,), (12,))]
)
def test_cross_entropy_rejects_shapes_other_than_n_c_and_n(logits_shape, targets_shape):
    with pytest.raises(ValueError):
        ref.cross_entropy(torch.zeros(logits_shape), torch.zeros(targets_shape, dtype=torch.long))


# =================================================================== gradients
def _backward(fn, inputs, grad_seed):
    """Backpropagate ``fn(*inputs)`` with a seeded random upstream gradient.

    ``inputs`` is a list of (tensor, requires_grad). Returns the output and the
    gradients of the inputs that require one.
    """
    leaves = [t.detach().clone().requires_grad_(flag) for t, flag in inputs]
    out = fn(*leaves)
    assert out.requires_grad, "the loss left the autograd graph"
    generator = torch.Generator().manual_seed(grad_seed)
    upstream = torch.randn(out.shape, generator=generator, dtype=out.dtype)
    out.backward(upstream)
    return out.detach(), [leaf.grad for leaf in leaves if leaf.requires_grad]


def assert_same_gradients(ours, theirs, inputs, grad_seed):
    out_ours, grads_ours = _backward(ours, inputs, grad_seed)
    out_theirs, grads_theirs = _backward(theirs, inputs, grad_seed)
    torch.testing.assert_close(out_ours, out_theirs)
    assert len(grads_ours) == len(grads_theirs) > 0
    for g_ours, g_theirs in zip(grads_ours, grads_theirs, strict=True):
        assert g_ours is not None
        torch.testing.assert_close(g_ours, g_theirs)


f64 = np.float64
seeds = st.integers(0, 2**31 - 1)
f64_shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5)
away_from_zero = st.one_of(st.floats(1e-2, 20.0), st.floats(-20.0, -1e-2))


@st.composite
def regression_pairs_away_from_kinks(draw, delta: float | None = None):
    """(pred, target) in float64 with |pred - target| >= 1e-2 and away from ±delta."""
    shape = draw(f64_shapes)
    diffs = away_from_zero
    if delta is not None:
        diffs = diffs.filter(lambda d: abs(abs(d) - delta) > 1e-2)
    pred = draw(hnp.arrays(f64, shape, elements=st.floats(-20.0, 20.0)))
    diff = draw(hnp.arrays(f64, shape, elements=diffs))
    return as_tensor(pred), as_tensor(pred - diff)


@pytest.mark.parametrize("name", ["mse_loss", "mae_loss"])
@GRADS
@given(pair=regression_pairs_away_from_kinks(), reduction=reductions, grad_seed=seeds)
def test_mse_mae_loss_gradients_match_torch_float64(name, pair, reduction, grad_seed):
    ours, theirs = REGRESSION[name]
    inputs = [(pair[0], True), (pair[1], True)]
    assert_same_gradients(
        lambda p, t: ours(p, t, reduction=reduction),
        lambda p, t: theirs(p, t, reduction=reduction),
        inputs,
        grad_seed,
    )


@GRADS
@given(
    delta=st.sampled_from([0.3, 1.0, 2.5]),
    reduction=reductions,
    grad_seed=seeds,
    data=st.data(),
)
def test_huber_loss_gradients_match_torch_float64(delta, reduction, grad_seed, data):
    pred, target = data.draw(regression_pairs_away_from_kinks(delta=delta))
    assert_same_gradients(
        lambda p, t: ref.huber_loss(p, t, delta=delta, reduction=reduction),
        lambda p, t: F.huber_loss(p, t, reduction=reduction, delta=delta),
        [(pred, True), (target, True)],
        grad_seed,
    )


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(ref.softmax, torch.softmax), (ref.log_softmax, torch.log_softmax)],
    ids=["softmax", "log_softmax"],
)
@GRADS
@given(case=logits_and_dim(-20.0, 20.0), grad_seed=seeds)
def test_softmax_log_softmax_gradients_match_torch_float64(ours, theirs, case, grad_seed):
    logits, dim = case
    logits = logits.double()
    assert_same_gradients(
        lambda x: ours(x, dim=dim), lambda x: theirs(x, dim=dim), [(logits, True)], grad_seed
    )


@GRADS
@given(batch=classification_batches(), reduction=reductions, grad_seed=seeds)
def test_cross_entropy_gradients_match_torch_float64(batch, reduction, grad_seed):
    logits, targets = batch
    assert_same_gradients(
        lambda x: ref.cross_entropy(x, targets, reduction=reduction),
        lambda x: F.cross_entropy(x, targets, reduction=reduction),
        [(logits.double(), True)],
        grad_seed,
    )


@GRADS
@given(batch=bce_batches(prob_elems=st.floats(0.01, 0.99)), reduction=reductions, grad_seed=seeds)
def test_binary_cross_entropy_gradients_match_torch_float64(batch, reduction, grad_seed):
    probs, targets = batch
    targets = targets.double()
    assert_same_gradients(
        lambda p: ref.binary_cross_entropy(p, targets, reduction=reduction),
        lambda p: F.binary_cross_entropy(p, targets, reduction=reduction),
        [(probs.double(), True)],
        grad_seed,
    )


@GRADS
@given(batch=bce_logit_batches(), reduction=reductions, grad_seed=seeds)
def test_binary_cross_entropy_with_logits_gradients_match_torch_float64(
    batch, reduction, grad_seed
):
    logits, targets, pos_weight = batch
    pos_weight = pos_weight.double() if pos_weight is not None else None
    assert_same_gradients(
        lambda x, t: ref.binary_cross_entropy_with_logits(
            x, t, pos_weight=pos_weight, reduction=reduction
        ),
        lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, pos_weight=pos_weight, reduction=reduction
        ),
        [(logits.double(), True), (targets.double(), True)],
        grad_seed,
    )


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_gradients_at_the_kinks_match_torch(name, reduction):
    # d = 0 (the |d| kink) and |d| = delta (the Huber switch): PyTorch's subgradient.
    ours, theirs = REGRESSION[name]
    pred = torch.tensor([0.0, 1.0, -1.0, 2.0, 0.5], dtype=torch.float64)
    target = torch.tensor([0.0, 0.0, 0.0, 1.0, 0.5], dtype=torch.float64)
    assert_same_gradients(
        lambda p, t: ours(p, t, reduction=reduction),
        lambda p, t: theirs(p, t, reduction=reduction),
        [(pred, True), (target, True)],
        grad_seed=0,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_bce_with_logits_gradients_exact_for_logits_of_1e4(reduction):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    logits = logits.double()
    targets = torch.tensor([1, 2, 0])
    assert_same_gradients(
        lambda x: ref.cross_entropy(x, targets, reduction=reduction),
        lambda x: F.cross_entropy(x, targets, reduction=reduction),
        [(logits, True)],
        grad_seed=1,
    )
    binary = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0], dtype=torch.float64)
    labels = torch.tensor([1.0, 1.0, 0.0, 0.0, 0.5], dtype=torch.float64)
    for pos_weight in (None, torch.tensor(3.0, dtype=torch.float64)):
        assert_same_gradients(
            lambda x, t, w=pos_weight: ref.binary_cross_entropy_with_logits(
                x, t, pos_weight=w, reduction=reduction
            ),
            lambda x, t, w=pos_weight: F.binary_cross_entropy_with_logits(
                x, t, pos_weight=w, reduction=reduction
            ),
            [(binary, True), (labels, True)],
            grad_seed=2,
        )


# --------------------------------------------------------------------- gradcheck
def _leaf(array: np.ndarray) -> torch.Tensor:
    return as_tensor(array).double().requires_grad_(True)


def _gradcheck(fn, *inputs):
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


small_f64 = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4)


@GRADCHECK
@given(case=logits_and_dim(-10.0, 10.0))
def test_softmax_log_softmax_pass_gradcheck(case):
    logits, dim = case
    x = logits.double().requires_grad_(True)
    _gradcheck(lambda t: ref.softmax(t, dim=dim), x)
    _gradcheck(lambda t: ref.log_softmax(t, dim=dim), x)


@GRADCHECK
@given(batch=classification_batches(max_n=4, max_c=4), reduction=reductions)
def test_cross_entropy_passes_gradcheck(batch, reduction):
    logits, targets = batch
    x = logits.double().requires_grad_(True)
    _gradcheck(lambda t: ref.cross_entropy(t, targets, reduction=reduction), x)


@GRADCHECK
@given(pair=regression_pairs_away_from_kinks(delta=1.0), reduction=reductions)
def test_mse_and_huber_loss_pass_gradcheck(pair, reduction):
    pred, target = (t.requires_grad_(True) for t in pair)
    _gradcheck(lambda p, t: ref.mse_loss(p, t, reduction=reduction), pred, target)
    _gradcheck(lambda p, t: ref.huber_loss(p, t, delta=1.0, reduction=reduction), pred, target)


@GRADCHECK
@given(
    probs=hnp.arrays(f64, small_f64, elements=st.floats(0.02, 0.98)),
    reduction=reductions,
    data=st.data(),
)
def test_binary_cross_entropy_passes_gradcheck(probs, reduction, data):
    targets = data.draw(hnp.arrays(f64, probs.shape, elements=st.floats(0.0, 1.0)))
    _gradcheck(
        lambda p, t: ref.binary_cross_entropy(p, t, reduction=reduction),
        _leaf(probs),
        _leaf(targets),
    )


@GRADCHECK
@given(batch=bce_logit_batches(elements=st.floats(-15.0, 15.0, width=32)), reduction=reductions)
def test_binary_cross_entropy_with_logits_passes_gradcheck(batch, reduction):
    logits, targets, pos_weight = batch
    pos_weight = pos_weight.double() if pos_weight is not None else None
    _gradcheck(
        lambda x, t: ref.binary_cross_entropy_with_logits(
            x, t, pos_weight=pos_weight, reduction=reduction
        ),
        logits.double().requires_grad_(True),
        targets.double().requires_grad_(True),
    )
