from otter.test_files import test_case

OK_FORMAT = False

name = "train_one_epoch"
points = None

@test_case(points=None, hidden=False)
def test_train_one_epoch_updates_the_model(train_one_epoch):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    before = [p.detach().clone() for p in model.parameters()]
    data = TensorDataset(torch.randn(9, 3), torch.randint(0, 2, (9,)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def loss_fn(input, target):
        assert input.dim() == 2, 'train_one_epoch: hand loss_fn the logits of shape (N, num_classes) for every batch, a batch of one sample too (no .squeeze())'
        return F.cross_entropy(input, target)
    loss = train_one_epoch(model, DataLoader(data, batch_size=4), loss_fn, optimizer, torch.device('cpu'))
    assert isinstance(loss, float), 'train_one_epoch: return the mean loss as a Python float'
    changed = any((not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)))
    assert changed, 'train_one_epoch: the parameters did not change; call optimizer.step() after loss.backward(), with optimizer.zero_grad() before the forward pass (not between backward() and step())'
