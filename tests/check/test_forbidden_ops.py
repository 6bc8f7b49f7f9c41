"""Every path to a library loss/softmax is recorded; honest elementary versions are not.

Runs the worker's two recorders in-process (no sandbox needed) and maps what they saw
with the judge's table, so a torch upgrade that renames an op fails here first.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from lab05_checks.forbidden import blocked_ops, library_functions
from lab05_checks.test_part_a_regression import HUBER_FORBIDDEN, MAE_FORBIDDEN, MSE_FORBIDDEN
from lab05_checks.test_part_b_classification import (
    BCE_FORBIDDEN,
    BCEL_FORBIDDEN,
    CE_FORBIDDEN,
    SOFTMAX_FORBIDDEN,
)
from torch import nn

from autograder.sandbox import harness

X = torch.randn(6, 4, requires_grad=True)
Y = torch.tensor([0, 1, 2, 3, 1, 0])
P = torch.rand(6, 4)


def _rows(x: torch.Tensor) -> torch.Tensor:
    return torch.arange(len(x))


LIBRARY: dict[str, tuple[Callable[[], object], str]] = {
    "F.cross_entropy": (lambda: F.cross_entropy(X, Y), "cross_entropy"),
    "nn.CrossEntropyLoss": (lambda: nn.CrossEntropyLoss()(X, Y), "cross_entropy"),
    "torch._C._nn.cross_entropy_loss": (
        lambda: torch._C._nn.cross_entropy_loss(X, Y, None, 1, -100, 0.0), "cross_entropy"),
    "torch.ops.aten.cross_entropy_loss": (
        lambda: torch.ops.aten.cross_entropy_loss(X, Y), "cross_entropy"),
    "alias of F.cross_entropy": (lambda: (lambda f: f(X, Y))(F.cross_entropy), "cross_entropy"),
    "F.nll_loss": (lambda: F.nll_loss(F.log_softmax(X, 1), Y), "nll_loss"),
    "torch.ops.aten.nll_loss_forward": (
        lambda: torch.ops.aten.nll_loss_forward(F.log_softmax(X, 1), Y, None, 1, -100),
        "nll_loss"),
    "torch.softmax": (lambda: torch.softmax(X, 1), "softmax"),
    "Tensor.softmax": (lambda: X.softmax(1), "softmax"),
    "nn.Softmax": (lambda: nn.Softmax(dim=1)(X), "softmax"),
    "torch._softmax": (lambda: torch._softmax(X, 1, False), "softmax"),
    "F.log_softmax": (lambda: F.log_softmax(X, 1), "log_softmax"),
    "torch.logsumexp": (lambda: torch.logsumexp(X, 1), "logsumexp"),
    "F.mse_loss": (lambda: F.mse_loss(X, P), "mse_loss"),
    "nn.MSELoss": (lambda: nn.MSELoss()(X, P), "mse_loss"),
    "torch._C._nn.mse_loss": (lambda: torch._C._nn.mse_loss(X, P), "mse_loss"),
    "F.l1_loss": (lambda: F.l1_loss(X, P), "l1_loss"),
    "nn.L1Loss": (lambda: nn.L1Loss()(X, P), "l1_loss"),
    "F.huber_loss": (lambda: F.huber_loss(X, P), "huber_loss"),
    "torch._C._nn.huber_loss": (lambda: torch._C._nn.huber_loss(X, P, 1, 1.0), "huber_loss"),
    "F.smooth_l1_loss": (lambda: F.smooth_l1_loss(X, P), "smooth_l1_loss"),
    "F.binary_cross_entropy": (lambda: F.binary_cross_entropy(X.sigmoid(), P),
                               "binary_cross_entropy"),
    "nn.BCELoss": (lambda: nn.BCELoss()(X.sigmoid(), P), "binary_cross_entropy"),
    "F.binary_cross_entropy_with_logits": (lambda: F.binary_cross_entropy_with_logits(X, P),
                                           "binary_cross_entropy_with_logits"),
    "nn.BCEWithLogitsLoss": (lambda: nn.BCEWithLogitsLoss()(X, P),
                             "binary_cross_entropy_with_logits"),
}

HONEST: dict[str, tuple[Callable[[], object], set[str]]] = {
    # (implementation, what it may legitimately show)
    "ce from logsumexp": (lambda: (X.logsumexp(1) - X.gather(1, Y[:, None]).squeeze(1)).mean(),
                          {"logsumexp"}),
    "ce from max/exp/log/sum": (lambda: (-(X - X.max(1, keepdim=True).values - (
        X - X.max(1, keepdim=True).values).exp().sum(1, keepdim=True).log())[_rows(X), Y]).mean(),
        set()),
    "ce from log_softmax + gather": (
        lambda: -F.log_softmax(X, 1).gather(1, Y[:, None]).mean(), {"log_softmax"}),
    "softmax from exp/sum": (lambda: (X - X.max(1, keepdim=True).values).exp()
                             / (X - X.max(1, keepdim=True).values).exp().sum(1, keepdim=True),
                             set()),
    "mse from pow/mean": (lambda: ((X - P) ** 2).mean(), set()),
    "mae from abs/mean": (lambda: (X - P).abs().mean(), set()),
    "huber from where": (lambda: torch.where((X - P).abs() < 1, 0.5 * (X - P) ** 2,
                                             (X - P).abs() - 0.5).mean(), set()),
    "bce from log": (lambda: -(P * torch.log(X.sigmoid()) + (1 - P) * torch.log(
        1 - X.sigmoid())).mean(), set()),
    "bce with logits from log1p/exp": (lambda: (X.clamp(min=0) - X * P + torch.log1p(
        torch.exp(-X.abs()))).mean(), set()),
    # (seen as a log-sum-exp of two terms: forbidden in softmax and log_softmax alone)
    "bce with logits from softplus": (lambda: (F.softplus(X) - X * P).mean(),
                                      {"log_sum_exp_pair"}),
    "bce with logits from logsigmoid": (lambda: -(P * F.logsigmoid(X) + (1 - P) * F.logsigmoid(
        -X)).mean(), {"log_sum_exp_pair"}),
}


def _recorded(fn: Callable[[], object]) -> set[str]:
    calls, ops = harness.CallRecorder(), harness.AtenRecorder()
    with calls, ops:
        fn()
        assert harness.recorders_installed(calls, ops)
    return library_functions([*calls.names, *ops.names])


@pytest.mark.parametrize("path", sorted(LIBRARY))
def test_every_path_to_a_library_function_is_recorded(path: str) -> None:
    fn, library = LIBRARY[path]
    assert library in _recorded(fn)


@pytest.mark.parametrize("path", sorted(HONEST))
def test_honest_elementary_versions_are_not_flagged(path: str) -> None:
    fn, allowed = HONEST[path]
    assert _recorded(fn) <= allowed


def test_cross_entropy_paths_are_seen_below_autograd() -> None:
    """After decomposition, F.cross_entropy still shows an nll_loss op at the dispatcher,
    which an honest log_softmax + gather does not."""
    ops = harness.AtenRecorder()
    with ops:
        F.cross_entropy(X, Y)
    assert "aten::nll_loss_forward" in ops.names
    ops = harness.AtenRecorder()
    with ops:
        -F.log_softmax(X, 1).gather(1, Y[:, None]).mean()
    assert not {n for n in ops.names if "nll_loss" in n or "cross_entropy" in n}


def test_popped_recorders_are_noticed() -> None:
    calls, ops = harness.CallRecorder(), harness.AtenRecorder()
    with calls, ops:
        assert harness.recorders_installed(calls, ops)
        from torch.utils._python_dispatch import _pop_mode, _push_mode

        popped = _pop_mode()
        assert not harness.recorders_installed(calls, ops)
        _push_mode(popped)


# Other library routines that compute the same values (an outside red team's): each is a
# library call under the lab's blocks — any PyTorch loss inside a loss, the library's other
# softmax routines inside softmax / log_softmax — and an honest version is not.
SIBLINGS: dict[str, tuple[Callable[[], object], frozenset[str]]] = {
    "mse as 2 * huber with a huge delta": (lambda: 2 * F.huber_loss(X, P, delta=1e30),
                                           MSE_FORBIDDEN),
    "mae as smooth l1 with beta 0": (lambda: F.smooth_l1_loss(X, P, beta=0.0), MAE_FORBIDDEN),
    "bce with logits as soft margin": (lambda: F.soft_margin_loss(X, 2 * P.round() - 1),
                                       BCEL_FORBIDDEN),
    "bce as bce with logits on logit(p)": (
        lambda: F.binary_cross_entropy_with_logits(torch.logit(P.clamp(0.01, 0.99)), P),
        BCE_FORBIDDEN),
    "cross entropy as kl_div": (lambda: F.kl_div(F.log_softmax(X, 1), F.one_hot(Y, 4).float(),
                                                 reduction="batchmean"), CE_FORBIDDEN),
    "softmax as _masked_softmax": (lambda: torch._masked_softmax(X, torch.zeros_like(X).bool(),
                                                                 1, 0), SOFTMAX_FORBIDDEN),
    "log_softmax with logcumsumexp": (lambda: X - X.logcumsumexp(1)[:, -1:], SOFTMAX_FORBIDDEN),
    # a sixteenth red team's: a log-sum-exp of two, folded over the classes
    "log_softmax with logaddexp folded over dim": (
        lambda: X - __import__("functools").reduce(torch.logaddexp, X.unbind(1))[:, None],
        SOFTMAX_FORBIDDEN),
    "log_softmax with logaddexp2": (
        lambda: X - __import__("functools").reduce(torch.logaddexp2, (X / 0.6931471805599453)
                                                   .unbind(1))[:, None] * 0.6931471805599453,
        SOFTMAX_FORBIDDEN),
    # a third outside red team's: losses written in Python over elementary operators (blocked
    # by their code), a family's every routine (sparse softmax), a two-class cross-entropy
    "mse as 2 * gaussian nll with variance 1": (
        lambda: 2 * F.gaussian_nll_loss(X, P, torch.ones_like(X)), MSE_FORBIDDEN),
    "mse through nn.GaussianNLLLoss": (
        lambda: 2 * torch.nn.GaussianNLLLoss()(X, P, torch.ones_like(X)), MSE_FORBIDDEN),
    "mae as margin ranking with the sign": (
        lambda: F.margin_ranking_loss(X, P, torch.sign(X - P)), MAE_FORBIDDEN),
    "bce with logits as multilabel soft margin": (
        lambda: F.multilabel_soft_margin_loss(X.reshape(-1, 1), P.round().reshape(-1, 1)),
        BCEL_FORBIDDEN),
    "bce as a two-class cross-entropy": (
        lambda: F.cross_entropy(torch.stack([torch.log1p(-P), P.log()], -1).reshape(-1, 2),
                                P.round().long().reshape(-1)), BCE_FORBIDDEN),
    "bce with logits as a two-class nll": (
        lambda: F.nll_loss(F.logsigmoid(torch.stack([-X, X], -1)).reshape(-1, 2),
                           P.round().long().reshape(-1)), BCEL_FORBIDDEN),
    "softmax as sparse softmax": (
        lambda: torch.sparse.softmax(X.to_sparse(), 1).to_dense(), SOFTMAX_FORBIDDEN),
    "log_softmax as sparse log_softmax": (
        lambda: torch.sparse.log_softmax(X.to_sparse(), 1).to_dense(), SOFTMAX_FORBIDDEN),
    # a ninth red team's: attention's scores go through a softmax (the CPU flash kernel also
    # returns their log-sum-exp), softmax(x) = attention(query of 0s, keys of 0s, values = I)
    "softmax through scaled dot-product attention": (
        lambda: F.scaled_dot_product_attention(
            torch.zeros(1, 1, 1), torch.zeros(1, 4, 1), torch.eye(4)[None],
            attn_mask=X[0].detach()[None, None]), SOFTMAX_FORBIDDEN),
    "log-sum-exp from the CPU flash attention kernel": (
        lambda: torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
            torch.zeros(1, 1, 6, 4), torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4))[1],
        SOFTMAX_FORBIDDEN),
    # a tenth red team's: under torch.vmap an operator runs its batching rule or a
    # decomposition (never its CPU or composite kernel)
    "cross entropy under vmap": (
        lambda: torch.vmap(lambda x, t: F.cross_entropy(x, t))(X.detach()[None], Y[None]),
        CE_FORBIDDEN),
    "l1 under vmap": (lambda: torch.vmap(F.l1_loss)(X.detach()[None], P[None]), MAE_FORBIDDEN),
    "bce with logits under vmap": (
        lambda: torch.vmap(F.binary_cross_entropy_with_logits)(X.detach()[None], P[None]),
        BCEL_FORBIDDEN),
    "softmax through scipy.special": (
        lambda: torch.from_numpy(__import__("scipy.special").special.softmax(
            X.detach().numpy(), axis=1)), SOFTMAX_FORBIDDEN),
    "log_softmax through scipy.special": (
        lambda: torch.from_numpy(__import__("scipy.special").special.log_softmax(
            X.detach().numpy(), axis=1)), SOFTMAX_FORBIDDEN),
    # a twenty-third red team's: margin losses with margin 0 give d² and |d| with their mean,
    # a Poisson NLL on probabilities gives -log p, and F.linear_cross_entropy's chunked
    # cross-entropy (PyTorch's own, in Python) gives the cross-entropies and log_softmax
    "mse as a multi-margin loss": (
        lambda: F.multi_margin_loss(torch.stack([torch.zeros(24), (X - P).reshape(-1)], -1),
                                    torch.zeros(24, dtype=torch.long), p=2, margin=0.0),
        MSE_FORBIDDEN),
    "mae as a multi-margin loss": (
        lambda: F.multi_margin_loss(torch.stack([torch.zeros(24), (X - P).reshape(-1)], -1),
                                    torch.zeros(24, dtype=torch.long), p=1, margin=0.0),
        MAE_FORBIDDEN),
    "mae as a triplet margin loss": (
        lambda: F.triplet_margin_loss(X.reshape(-1, 1), P.reshape(-1, 1), X.reshape(-1, 1),
                                      margin=1e-12, p=1), MAE_FORBIDDEN),
    "bce's -log p from a poisson nll": (
        lambda: F.poisson_nll_loss(P, torch.ones_like(P), log_input=False, eps=0.0),
        BCE_FORBIDDEN),
    "cross entropy through linear_cross_entropy": (
        lambda: F.linear_cross_entropy(X, torch.eye(4), Y, options=__import__(
            "torch.nn.modules.linear_cross_entropy_options",
            fromlist=["_"]).LinearCrossEntropyOptions(acc_policy="accurate")), CE_FORBIDDEN),
    "log_softmax through linear_cross_entropy": (
        lambda: F.linear_cross_entropy(X, torch.eye(4), Y, reduction="none", options=__import__(
            "torch.nn.modules.linear_cross_entropy_options",
            fromlist=["_"]).LinearCrossEntropyOptions(acc_policy="accurate")),
        SOFTMAX_FORBIDDEN),
    "softmax through nn.MultiheadAttention": (
        lambda: nn.MultiheadAttention(4, 1)(X[None].detach(), X[None].detach(),
                                            X[None].detach()), SOFTMAX_FORBIDDEN),
    # red team 40's: a log-sum-exp of two terms with 0 folded over the classes, stable with no
    # max shift; and any other library loss inside a loss (a triplet loss with a distance of
    # its own gives |d|)
    "log_softmax with softplus folded over dim": (
        lambda: X - __import__("functools").reduce(lambda a, b: a + F.softplus(b - a),
                                                   X.unbind(1))[:, None], SOFTMAX_FORBIDDEN),
    "log_softmax with logsigmoid folded over dim": (
        lambda: X - __import__("functools").reduce(lambda a, b: a - F.logsigmoid(a - b),
                                                   X.unbind(1))[:, None], SOFTMAX_FORBIDDEN),
    "mae as a triplet margin loss with a distance of its own": (
        lambda: F.triplet_margin_with_distance_loss(
            X.reshape(-1, 1), P.reshape(-1, 1), X.reshape(-1, 1),
            distance_function=lambda u, v: (u - v).abs().sum(1), margin=1e-30),
        MAE_FORBIDDEN),
    "log_softmax with mish folded over dim (softplus(d) = atanh(mish(d) / d))": (
        lambda: X - __import__("functools").reduce(
            lambda a, b: torch.maximum(a, b) + torch.atanh(
                F.mish(torch.minimum(a, b) - torch.maximum(a, b) - 1e-9)
                / (torch.minimum(a, b) - torch.maximum(a, b) - 1e-9)),
            X.unbind(1))[:, None], SOFTMAX_FORBIDDEN),
    "mse as a hinge embedding loss": (
        lambda: F.hinge_embedding_loss((X - P) ** 2, torch.ones_like(X)), MSE_FORBIDDEN),
}


@pytest.mark.parametrize("path", sorted(SIBLINGS))
def test_a_sibling_library_routine_is_blocked_and_named(path: str) -> None:
    fn, forbidden = SIBLINGS[path]
    plan = harness.block_plan(blocked_ops(set(forbidden)))
    with pytest.raises(harness.LibraryBlocked) as blocked, harness.LibraryBlock(plan):
        fn()
    fn()  # the library is back after the block
    assert library_functions(str(blocked.value).split()[:1]) & forbidden, path  # named
    # (the recorders see torch only; under vmap see the README: a blocked operator and a
    # recorder after the block)
    if "vmap" not in path and "scipy" not in path:
        assert _recorded(fn) & forbidden, path


@pytest.mark.parametrize("path", sorted(HONEST))
def test_honest_versions_run_under_every_block(path: str) -> None:
    fn, _ = HONEST[path]
    forbidden = set(MSE_FORBIDDEN | MAE_FORBIDDEN | HUBER_FORBIDDEN | BCE_FORBIDDEN
                    | BCEL_FORBIDDEN | CE_FORBIDDEN)
    with harness.LibraryBlock(harness.block_plan(blocked_ops(forbidden))):
        fn()
