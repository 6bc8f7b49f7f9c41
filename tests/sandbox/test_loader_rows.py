"""The grader's loaders (`harness.loader`) fetch a batch as columns (`harness.Rows`, one
`index_select` a column) instead of a sample at a time: every batch must be what torch's
own `DataLoader` over a `TensorDataset` with `default_collate` gives — the same values bit
for bit, dtypes, shapes, number and order of batches, in order and shuffled, with a short
last batch — and the dataset must still be a `TensorDataset` a loop can read."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data._utils.collate import default_collate

from autograder.sandbox import harness


def _batches(loader: DataLoader) -> list[list[torch.Tensor]]:
    return [list(batch) for batch in loader]


def _same(ours: list[list[torch.Tensor]], theirs: list[list[torch.Tensor]]) -> None:
    assert len(ours) == len(theirs)
    for got, want in zip(ours, theirs, strict=True):
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert type(a) is torch.Tensor
            assert (a.dtype, a.shape, a.stride()) == (b.dtype, b.shape, b.stride())
            assert a.view(torch.uint8).equal(b.view(torch.uint8)) if a.dtype.is_floating_point \
                else a.equal(b)


def test_batches_in_order_are_torchs_own() -> None:
    x = torch.randn(11, 3, dtype=torch.float64)
    y = torch.randint(0, 4, (11,))
    ours = harness.loader(x, y, 4)
    theirs = DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=default_collate)
    _same(_batches(ours), _batches(theirs))
    assert [len(b[0]) for b in ours] == [4, 4, 3]


def test_shuffled_batches_follow_the_known_order() -> None:
    x, y = torch.randn(10, 2), torch.arange(10)
    ours = harness.loader(x, y, 3, shuffle_seed=5)
    for _ in range(2):  # (each pass its own order, as `Reshuffled` gives it)
        order = harness.probes.shuffled_order(10, 5, ours.sampler.passes)  # type: ignore[attr-defined]
        want = [[x[order[i:i + 3]], y[order[i:i + 3]]] for i in range(0, 10, 3)]
        _same(_batches(ours), want)


def test_the_dataset_is_a_tensor_dataset_and_a_sample_is_torchs() -> None:
    x, y = torch.randn(5, 2), torch.arange(5)
    dataset = harness.loader(x, y, 2).dataset
    assert isinstance(dataset, TensorDataset) and len(dataset) == 5
    assert dataset.tensors[0] is x
    sample = dataset[3]
    assert sample[0].equal(x[3]) and sample[1].equal(y[3])


def test_a_list_of_samples_is_still_stacked() -> None:
    samples = [(torch.tensor([1.0, 2.0]), torch.tensor(0)), (torch.tensor([3.0, 4.0]),
                                                             torch.tensor(1))]
    got = harness.collate(samples)
    assert got[0].equal(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert got[1].equal(torch.tensor([0, 1]))


def test_a_notebooks_own_loader_over_the_graders_dataset_reads_its_samples() -> None:
    """Fresh eyes 59: an `evaluate` that made its own `DataLoader(loader.dataset, ...)` raised
    (torch's `default_collate` read each batch `Rows` fetched as two samples of unequal size):
    a fetched batch is, to any code but the grader's `collate`, the list of its samples."""
    gen = torch.Generator().manual_seed(5)
    x, y = torch.randn(11, 3, generator=gen), torch.randint(0, 3, (11,), generator=gen)
    ours = harness.loader(x, y, 4)
    _same(_batches(DataLoader(ours.dataset, batch_size=4)),
          _batches(DataLoader(TensorDataset(x, y), batch_size=4)))
    raw = next(iter(DataLoader(ours.dataset, batch_size=4, collate_fn=lambda batch: batch)))
    assert len(raw) == 4 and all(type(sample) is tuple and len(sample) == 2 for sample in raw)
    assert torch.equal(raw[1][0], x[1]) and torch.equal(raw[-1][1], y[3])
    assert [s[1] for s in raw[1:3]] == [y[1], y[2]]
