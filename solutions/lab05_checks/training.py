"""Judge-side reference training loops, correct and with known mistakes.

The judge replays the epoch the worker ran, from the same initial state and
data, once for every combination of the classic mistakes. Whichever replay the
student's resulting parameters match says *which* mistake was made, so each
mistake costs exactly its own check, and the verdict rests on parameters the
judge recomputed itself rather than on anything the worker reported.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from autograder.sandbox import probes
from autograder.sandbox.rng import seed_rngs

ZERO_GRAD = ("ok", "missing", "after_backward", "step_first")
LOGITS = ("ok", "softmax")
MODE = ("ok", "no_train")


@dataclass(frozen=True)
class Variant:
    zero_grad: str = "ok"
    logits: str = "ok"
    mode: str = "ok"


@dataclass
class Replay:
    variant: Variant
    state: dict[str, torch.Tensor]
    losses: list[float]
    sizes: list[int]


def make_data(seed: int, n: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, probes.IN_FEATURES, generator=gen)
    y = torch.randint(0, probes.NUM_CLASSES, (n,), generator=gen)
    return x, y


def initial_state(arch: str, seed: int) -> dict[str, torch.Tensor]:
    """The freshly built model's state, and torch's generator left as building it leaves it
    (a check may draw from it next). Built once per judge (`_built`); a copy each call."""
    state, generator = _built(arch, seed)
    torch.default_generator.set_state(generator)
    return {k: v.clone() for k, v in state.items()}


@functools.lru_cache(maxsize=32)
def _built(arch: str, seed: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    seed_rngs(seed)
    state = {k: v.clone() for k, v in probes.build(arch).state_dict().items()}
    return state, torch.default_generator.get_state()


def replay(arch: str, state: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor,
           batch_size: int, lr: float, start_train: bool, variant: Variant, seed: int,
           momentum: float = 0.0, label_smoothing: float = 0.0,
           optimizer_kind: str = "sgd") -> Replay:
    """One epoch as `variant` trains it, with SGD(lr, momentum) (or, `optimizer_kind`
    "asgd", torch's averaged SGD: an optimizer that is not an SGD) and a cross-entropy of
    that label smoothing (the counterfactual runs change both, so an epoch that trains with
    an optimizer or loss of its own shows it)."""
    model = probes.build(arch)
    model.load_state_dict(state)
    model.train(start_train)
    if variant.mode == "ok":
        model.train()
    optimizer = make_optimizer(optimizer_kind, model, lr, momentum)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    seed_rngs(seed)
    losses, sizes = _epoch(model, optimizer, loss_fn, x, y, batch_size, variant)
    state_after = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return Replay(variant, state_after, losses, sizes)


@functools.lru_cache(maxsize=32)
def called_again_replay(arch: str, seed: int, n: int, batch_size: int, lr: float,
                        variant: Variant, epochs: int = 3, momentum: float = 0.0) -> Replay:
    """`epochs` epochs on one model and one SGD of `momentum` (the worker's `called_again`:
    the model starts in eval mode and is set to eval mode again between the epochs, as
    evaluate leaves it), from `initial_state(arch, seed)` on `make_data(seed, n)`, as
    `variant` trains each: the state after the last and the last epoch's losses (computed
    once per judge)."""
    x, y = make_data(seed, n)
    model = probes.build(arch)
    model.load_state_dict(initial_state(arch, seed))
    optimizer = make_optimizer("sgd", model, lr, momentum)
    loss_fn = nn.CrossEntropyLoss()
    seed_rngs(seed)
    losses: list[float] = []
    sizes: list[int] = []
    for _ in range(epochs):
        model.train(False)
        if variant.mode == "ok":
            model.train()
        losses, sizes = _epoch(model, optimizer, loss_fn, x, y, batch_size, variant)
    state_after = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return Replay(variant, state_after, losses, sizes)


def _epoch(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
           x: torch.Tensor, y: torch.Tensor, batch_size: int,
           variant: Variant) -> tuple[list[float], list[int]]:
    """One epoch over (x, y) in order, as `variant` trains it: each batch's loss and size."""
    losses, sizes = [], []
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False):
        if variant.zero_grad in ("ok", "step_first", "after_backward"):
            optimizer.zero_grad() if variant.zero_grad != "after_backward" else None
        logits = model(xb)
        if variant.logits == "softmax":
            logits = torch.softmax(logits, dim=1)
        loss = loss_fn(logits, yb)
        if variant.zero_grad == "step_first":
            optimizer.step()
        loss.backward()
        if variant.zero_grad == "after_backward":
            optimizer.zero_grad()
        if variant.zero_grad != "step_first":
            optimizer.step()
        losses.append(loss.item())
        sizes.append(len(xb))
    return losses, sizes


def make_optimizer(kind: str, model: nn.Module, lr: float,
                   momentum: float = 0.0) -> torch.optim.Optimizer:
    """The optimizer a run trains with, as the worker's scenario makes it (the same call):
    "asgd" is `train_one_epoch_plain`'s."""
    if kind == "asgd":
        return torch.optim.ASGD(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


@functools.lru_cache(maxsize=256)
def standard_replay(arch: str, seed: int, n: int, batch_size: int, lr: float, start_train: bool,
                    variant: Variant, momentum: float = 0.0,
                    label_smoothing: float = 0.0, optimizer_kind: str = "sgd") -> Replay:
    """`replay` on `make_data(seed, n)` from `initial_state(arch, seed)`, computed once per
    judge: every submission is replayed against the same epochs, so a judge pays for the 24
    variants once, not per submission (callers must not modify the result)."""
    x, y = make_data(seed, n)
    return replay(arch, initial_state(arch, seed), x, y, batch_size, lr, start_train, variant,
                  seed, momentum, label_smoothing, optimizer_kind)


@functools.lru_cache(maxsize=256)
def shuffled_replay(arch: str, seed: int, n: int, batch_size: int, lr: float,
                    start_train: bool, variant: Variant, shuffle_seed: int,
                    shuffle: int) -> Replay:
    """`standard_replay` on the `shuffle`-th pass of a shuffling loader
    (`probes.shuffled_order`), computed once per judge."""
    x, y = make_data(seed, n)
    order = probes.shuffled_order(n, shuffle_seed, shuffle)
    return replay(arch, initial_state(arch, seed), x[order], y[order], batch_size, lr,
                  start_train, variant, seed)


# Loops that take their batches otherwise than one pass of the loader gives them, each as the
# data it trains on (from the shuffled loader's first two passes, `first` and `second`).
BATCH_MISTAKES = ("unpaired", "stored_order", "same_batch", "labels_stored", "inputs_stored")


@functools.lru_cache(maxsize=32)
def batch_mistake_replay(mistake: str, arch: str, seed: int, n: int, batch_size: int,
                         lr: float, start_train: bool, shuffle_seed: int) -> Replay:
    """The correct loop's epoch on the batches one of `BATCH_MISTAKES` trains on: inputs
    from one pass and labels from another (`unpaired`), the dataset in its stored order
    (`stored_order`), the first batch at every step (`same_batch`), or the inputs from the
    loader and the labels from the dataset in its stored order, or the other way round
    (`labels_stored`, `inputs_stored`: fresh eyes 62's `loader.dataset.tensors[1][i*B:(i+1)*B]`
    beside the loader's `x`)."""
    x, y = make_data(seed, n)
    first = probes.shuffled_order(n, shuffle_seed, 0)
    second = probes.shuffled_order(n, shuffle_seed, 1)
    if mistake == "unpaired":
        x, y = x[first], y[second]
    elif mistake == "labels_stored":
        x = x[first]
    elif mistake == "inputs_stored":
        y = y[first]
    elif mistake == "same_batch":
        steps = -(-n // batch_size)
        x, y = x[first[:batch_size]].repeat(steps, 1), y[first[:batch_size]].repeat(steps)
    elif mistake != "stored_order":
        raise ValueError(mistake)
    return replay(arch, initial_state(arch, seed), x, y, batch_size, lr, start_train, Variant(),
                  seed)


def all_variants() -> list[Variant]:
    return [Variant(z, lo, m) for z, lo, m in itertools.product(ZERO_GRAD, LOGITS, MODE)]


def states_match(a: dict[str, torch.Tensor] | None, b: dict[str, torch.Tensor],
                 rtol: float, atol: float) -> bool:
    if not isinstance(a, dict) or set(a) != set(b):
        return False
    for key, expected in b.items():
        got = a[key]
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            return False
        if not torch.allclose(got.to(expected.dtype), expected, rtol=rtol, atol=atol):
            return False
    return True
