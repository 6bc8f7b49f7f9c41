"""The reference model, training loop and evaluation (Part D) do what the spec says.

The training loop is checked against a hand-written SGD loop (explicit
``torch.autograd.grad`` and ``p -= lr * g``, no optimizer, no ``zero_grad``), so any
accumulation of gradients, a misplaced ``zero_grad`` or a ``step`` before
``backward`` would show as different parameters.
"""

from __future__ import annotations

import copy

import lab05_reference as ref
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CPU = torch.device("cpu")
N_SAMPLES, IN_FEATURES, HIDDEN, NUM_CLASSES, BATCH = 10, 3, 8, 3, 4  # batches of 4, 4, 2
LR = 0.1


def make_loader(seed: int = 0, n: int = N_SAMPLES, batch_size: int = BATCH) -> DataLoader:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, IN_FEATURES, generator=generator, dtype=torch.float64)
    y = torch.randint(0, NUM_CLASSES, (n,), generator=generator)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)


def make_classifier(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return ref.build_classifier(IN_FEATURES, HIDDEN, NUM_CLASSES).double()


def full_batch(loader: DataLoader) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = loader.dataset.tensors
    return x, y


class RecordingLoss:
    """F.cross_entropy that records each batch's loss, size and grad mode."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.sizes: list[int] = []
        self.grad_enabled: list[bool] = []
        self.logits_require_grad: list[bool] = []

    def __call__(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(logits, y)
        self.losses.append(loss.item())
        self.sizes.append(int(y.shape[0]))
        self.grad_enabled.append(torch.is_grad_enabled())
        self.logits_require_grad.append(logits.requires_grad)
        return loss

    def weighted_mean(self) -> float:
        total = sum(loss * n for loss, n in zip(self.losses, self.sizes, strict=True))
        return total / sum(self.sizes)

    def unweighted_mean(self) -> float:
        return sum(self.losses) / len(self.losses)


class ModeProbe(nn.Module):
    """Identity that records whether it ran in training mode."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(self.training)
        return x


def hand_written_sgd_epoch(model: nn.Module, loader: DataLoader, lr: float) -> float:
    """One epoch of plain SGD with explicit gradients; returns the sample-weighted loss."""
    params = list(model.parameters())
    total, count = 0.0, 0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p.sub_(lr * g)
        total += loss.item() * y.shape[0]
        count += y.shape[0]
    return total / count


def assert_same_state(a: nn.Module, b: nn.Module, exact: bool = False) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        if exact:
            assert torch.equal(sa[key], sb[key]), key
        else:
            torch.testing.assert_close(sa[key], sb[key], msg=key)


# -------------------------------------------------------------------- get_device
def test_get_device_matches_cuda_availability_here():
    device = ref.get_device()
    assert isinstance(device, torch.device)
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_get_device_is_cuda_when_cuda_is_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    device = ref.get_device()
    assert isinstance(device, torch.device)
    assert device.type == "cuda"


def test_get_device_is_cpu_when_cuda_is_not_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    device = ref.get_device()
    assert isinstance(device, torch.device)
    assert device.type == "cpu"


# -------------------------------------------------------------- build_classifier
@pytest.mark.parametrize(
    ("in_features", "hidden", "num_classes"), [(3, 8, 3), (5, 2, 1), (1, 16, 7)]
)
def test_build_classifier_is_linear_relu_linear_with_right_shapes(in_features, hidden, num_classes):
    model = ref.build_classifier(in_features, hidden, num_classes)
    assert isinstance(model, nn.Module)
    leaves = [m for m in model.modules() if not list(m.children())]
    assert [type(m) for m in leaves] == [nn.Linear, nn.ReLU, nn.Linear]
    first, _, last = leaves
    assert (first.in_features, first.out_features) == (in_features, hidden)
    assert (last.in_features, last.out_features) == (hidden, num_classes)
    out = model(torch.randn(4, in_features))
    assert out.shape == (4, num_classes)


def test_build_classifier_outputs_raw_logits_not_probabilities():
    torch.manual_seed(0)
    model = ref.build_classifier(4, 6, 3)
    first, _, last = (m for m in model.modules() if not list(m.children()))
    with torch.no_grad():
        last.weight.mul_(20.0)  # spread the logits well outside [0, 1]
    x = torch.randn(16, 4)
    logits = model(x)
    expected = F.linear(torch.relu(F.linear(x, first.weight, first.bias)), last.weight, last.bias)
    torch.testing.assert_close(logits, expected)
    assert (logits < 0).any() and (logits > 1).any()
    assert not torch.allclose(logits.sum(dim=1), torch.ones(16))
    forbidden = (nn.Softmax, nn.LogSoftmax, nn.Sigmoid, nn.Softmin)
    assert not any(isinstance(m, forbidden) for m in model.modules())


# --------------------------------------------------------------- train_one_epoch
def test_train_one_epoch_returns_sample_weighted_mean_with_uneven_last_batch():
    model, loader = make_classifier(), make_loader()
    loss_fn = RecordingLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    value = ref.train_one_epoch(model, loader, loss_fn, optimizer, CPU)
    assert type(value) is float
    assert loss_fn.sizes == [4, 4, 2]
    assert value == pytest.approx(loss_fn.weighted_mean(), rel=1e-12)
    # The weighting matters on this data: the plain mean of batch losses differs.
    assert abs(loss_fn.weighted_mean() - loss_fn.unweighted_mean()) > 1e-6
    assert all(loss_fn.grad_enabled) and all(loss_fn.logits_require_grad)


def test_train_one_epoch_updates_parameters_exactly_like_hand_written_sgd():
    model, loader = make_classifier(seed=1), make_loader(seed=1)
    twin = copy.deepcopy(model)
    before = copy.deepcopy(model)
    value = ref.train_one_epoch(
        model, loader, F.cross_entropy, torch.optim.SGD(model.parameters(), lr=LR), CPU
    )
    expected = hand_written_sgd_epoch(twin, loader, LR)
    assert value == pytest.approx(expected, rel=1e-12)
    assert_same_state(model, twin)
    # and it really trained: every parameter moved
    for p_after, p_before in zip(model.parameters(), before.parameters(), strict=True):
        assert not torch.equal(p_after, p_before)


def test_train_one_epoch_hands_raw_logits_to_the_loss():
    model, loader = make_classifier(seed=2), make_loader(seed=2)
    seen: list[torch.Tensor] = []

    def loss_fn(logits, y):
        seen.append(logits.detach().clone())
        return F.cross_entropy(logits, y)

    reference_model = copy.deepcopy(model)
    first_x, _ = next(iter(loader))
    ref.train_one_epoch(model, loader, loss_fn, torch.optim.SGD(model.parameters(), lr=LR), CPU)
    # The first batch is seen before any update: its logits are the untouched model's output.
    torch.testing.assert_close(seen[0], reference_model(first_x).detach())
    assert [s.shape for s in seen] == [(4, NUM_CLASSES), (4, NUM_CLASSES), (2, NUM_CLASSES)]


def test_train_one_epoch_puts_the_model_in_train_mode():
    torch.manual_seed(3)
    probe = ModeProbe()
    model = nn.Sequential(
        nn.Linear(IN_FEATURES, HIDDEN), probe, nn.ReLU(), nn.Linear(HIDDEN, NUM_CLASSES)
    ).double()
    model.eval()
    ref.train_one_epoch(
        model, make_loader(), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=LR), CPU
    )
    assert probe.seen == [True, True, True]
    assert model.training and all(m.training for m in model.modules())


# ---------------------------------------------------------------------- evaluate
def make_bn_dropout_model() -> nn.Module:
    torch.manual_seed(4)
    model = nn.Sequential(
        nn.Linear(IN_FEATURES, HIDDEN),
        nn.BatchNorm1d(HIDDEN),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(HIDDEN, NUM_CLASSES),
    ).double()
    # Give BatchNorm non-trivial running statistics, then leave it in train mode.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, IN_FEATURES, dtype=torch.float64) * 3 + 1)
    for p in model.parameters():
        p.grad = None
    return model


def test_evaluate_switches_to_eval_mode_and_changes_no_parameter_or_buffer():
    model, loader = make_bn_dropout_model(), make_loader(seed=5)
    snapshot = copy.deepcopy(model)
    ref.evaluate(model, loader, F.cross_entropy, CPU)
    assert not model.training and not any(m.training for m in model.modules())
    assert_same_state(model, snapshot, exact=True)  # weights, running stats, batch counter
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_runs_without_autograd():
    model, loader = make_bn_dropout_model(), make_loader(seed=6)
    loss_fn = RecordingLoss()
    ref.evaluate(model, loader, loss_fn, CPU)
    assert loss_fn.grad_enabled == [False, False, False]
    assert loss_fn.logits_require_grad == [False, False, False]


def test_evaluate_returns_sample_weighted_loss_and_accuracy():
    model, loader = make_bn_dropout_model(), make_loader(seed=7)
    loss_fn = RecordingLoss()
    result = ref.evaluate(model, loader, loss_fn, CPU)
    assert set(result) == {"loss", "accuracy"}
    assert type(result["loss"]) is float and type(result["accuracy"]) is float
    assert loss_fn.sizes == [4, 4, 2]
    assert result["loss"] == pytest.approx(loss_fn.weighted_mean(), rel=1e-12)
    assert abs(loss_fn.weighted_mean() - loss_fn.unweighted_mean()) > 1e-6
    # Weighted batch means equal the loss and accuracy over the whole set, in eval mode.
    x, y = full_batch(loader)
    eval_model = copy.deepcopy(model).eval()
    with torch.no_grad():
        logits = eval_model(x)
    assert result["loss"] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-12)
    expected_accuracy = (logits.argmax(dim=1) == y).sum().item() / len(y)
    assert result["accuracy"] == pytest.approx(expected_accuracy, abs=1e-12)


def test_evaluate_accuracy_is_argmax_of_logits_on_a_known_model():
    # A model whose logits are its input: accuracy is exactly that of argmax(x) vs y.
    model = nn.Sequential(nn.Identity())
    x = torch.tensor(
        [[2.0, 1.0, 0.0], [0.0, 5.0, 1.0], [1.0, 0.0, 3.0], [9.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        dtype=torch.float64,
    )
    y = torch.tensor([0, 1, 1, 2, 2])  # argmax is [0, 1, 2, 0, 2]: 3 of 5 right
    loader = DataLoader(TensorDataset(x, y), batch_size=2, shuffle=False)
    result = ref.evaluate(model, loader, F.cross_entropy, CPU)
    assert result["accuracy"] == pytest.approx(0.6)
    assert result["loss"] == pytest.approx(F.cross_entropy(x, y).item(), rel=1e-12)


# --------------------------------------------------------------------------- fit
def hand_written_eval(model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    x, y = full_batch(loader)
    with torch.no_grad():
        logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).sum().item() / len(y)


@pytest.mark.parametrize("epochs", [1, 3])
def test_fit_returns_one_float_per_epoch_matching_train_then_evaluate(epochs):
    model = make_classifier(seed=8)
    train_loader, val_loader = make_loader(seed=8), make_loader(seed=9, n=7, batch_size=3)
    twin = copy.deepcopy(model)
    history = ref.fit(
        model,
        train_loader,
        val_loader,
        F.cross_entropy,
        torch.optim.SGD(model.parameters(), lr=LR),
        epochs,
        CPU,
    )
    assert set(history) == {"train_loss", "val_loss", "val_accuracy"}
    for key in history:
        assert isinstance(history[key], list) and len(history[key]) == epochs
        assert all(type(v) is float for v in history[key])
    for epoch in range(epochs):
        train_loss = hand_written_sgd_epoch(twin, train_loader, LR)
        val_loss, val_accuracy = hand_written_eval(twin, val_loader)
        assert history["train_loss"][epoch] == pytest.approx(train_loss, rel=1e-10)
        assert history["val_loss"][epoch] == pytest.approx(val_loss, rel=1e-10)
        assert history["val_accuracy"][epoch] == pytest.approx(val_accuracy, abs=1e-12)
    assert_same_state(model, twin)
