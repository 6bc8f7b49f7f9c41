"""Mistakes review 32: mistakes that kept their points, or were caught under words that
pointed elsewhere.

Each test is one of the review's notebooks' mistakes, judged in-process on the reference
with that one change.
"""

from __future__ import annotations

from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import failed, namespace, verdicts

LOSS_CLAMPED = '''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    p_ok, q_ok = probs > 0, probs < 1
    log_p = torch.where(p_ok, torch.log(torch.where(p_ok, probs, 1.0)), -100.0)
    log_q = torch.where(q_ok, torch.log1p(-torch.where(q_ok, probs, 0.0)), -100.0)
    loss = -(targets * log_p + (1 - targets) * log_q)
    return _reduce(loss.clamp(max=100.0), reduction)
'''


def test_a_bce_clamping_the_loss_instead_of_each_log_fails_the_clamp_check() -> None:
    """Right for a hard target (the loss of p = 1e-50 with y = 1 is 115, capped to 100 as the
    log is); with a soft target and p below e^-100, y · 115 is not y · 100."""
    found = failed(verdicts(namespace(LOSS_CLAMPED), "binary_cross_entropy"))
    assert set(found) == {part_b.BCE_CLAMP}, set(found)
    assert found[part_b.BCE_CLAMP].mistake == "no-clamp-tiny", found[part_b.BCE_CLAMP].message
    assert "nor the loss as a whole" in found[part_b.BCE_CLAMP].message


HISTOGRAM_COUNTS = '''
def confusion_matrix(preds, targets, num_classes):
    C = num_classes
    flat = (targets * C + preds).float()
    return torch.histc(flat, bins=C * C, min=0, max=C * C - 1).long().view(C, C)
'''


def test_counts_from_a_float_histogram_fail_on_many_classes() -> None:
    """Exact on 13 classes, not on 100: histc's bin edges are float32."""
    found = failed(verdicts(namespace(HISTOGRAM_COUNTS), "confusion_matrix"))
    assert part_c.CM_VALUES in found, set(found)
    assert found[part_c.CM_VALUES].mistake == "wrong-value"
    assert "num_classes=100" in found[part_c.CM_VALUES].message


INLINE_VALIDATION = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer,
                                                     device))
        model.eval()
        losses, accs = [], []
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                out = model(x)
                losses.append(loss_fn(out, y).item())
                accs.append((out.argmax(1) == y).float().mean().item())
        history["val_loss"].append(sum(losses) / len(losses))
        history["val_accuracy"].append(sum(accs) / len(accs))
    return history
'''


def test_an_inline_validation_of_batch_means_is_told_its_figures_not_its_shape() -> None:
    """Its stand-in run gives no history (an inline loop on the stand-ins' meta device); the
    real run's has the right shape and wrong validation figures."""
    found = failed(verdicts(namespace(INLINE_VALIDATION), "fit"))
    assert set(found) == {part_d.FIT}, set(found)
    assert found[part_d.FIT].mistake == "fit-validation-values", found[part_d.FIT].message
    assert "val_loss, val_accuracy" in found[part_d.FIT].message


MEAN_OF_NON_ZERO = '''
def cross_entropy(logits, targets, reduction="mean"):
    _check_reduction(reduction)
    if logits.dim() != 2 or targets.dim() != 1 or logits.size(0) != targets.size(0):
        raise ValueError(f"bad shapes {tuple(logits.shape)} {tuple(targets.shape)}")
    if targets.numel() and (targets.min() < 0 or targets.max() >= logits.size(1)):
        raise ValueError("targets out of range")
    nll = -log_softmax(logits, dim=1).gather(1, targets.view(-1, 1)).squeeze(1)
    if reduction == "mean":
        return nll.sum() / (nll != 0).sum().clamp(min=1)
    return _reduce(nll, reduction)
'''


def test_a_mean_over_the_non_zero_losses_is_told_its_reduction_not_the_log() -> None:
    """Per-sample losses of exactly 0 occur only at ±1e4: there its mean is wrong, its
    log-softmax exact."""
    found = failed(verdicts(namespace(MEAN_OF_NON_ZERO), "cross_entropy"))
    assert part_b.CE_EXTREME in found, set(found)
    verdict = found[part_b.CE_EXTREME]
    assert verdict.mistake == "reduction-mean", verdict.message
    assert "log-sum-exp" not in verdict.message and "every sample counts" in verdict.message
