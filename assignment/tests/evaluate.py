from otter.test_files import test_case

OK_FORMAT = False

name = "evaluate"
points = None

@test_case(points=None, hidden=False)
def test_evaluate_returns_loss_and_accuracy(evaluate, accuracy):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    data = TensorDataset(torch.randn(9, 3), torch.randint(0, 2, (9,)))
    result = evaluate(model, DataLoader(data, batch_size=4), F.cross_entropy, torch.device('cpu'))
    assert isinstance(result, dict), 'evaluate: return a dict'
    assert {'loss', 'accuracy'} <= set(result), "evaluate: should return 'loss' and 'accuracy'"
    assert isinstance(result['loss'], float), 'evaluate: the loss is a float (use .item())'
    if not isinstance(result['accuracy'], float):
        try:
            own = accuracy(torch.tensor([0, 1]), torch.tensor([0, 1]))
        except Exception:
            own = None
        assert isinstance(own, torch.Tensor), 'evaluate: the accuracy is a float'
        return
    assert 0.0 <= result['accuracy'] <= 1.0, 'evaluate: accuracy is a fraction in [0, 1]'

@test_case(points=None, hidden=False)
def test_evaluate_in_eval_mode_without_gradients(evaluate):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(0)
    seen = []

    class Probe(nn.Module):

        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 2)

        def forward(self, x):
            seen.append((self.training, torch.is_grad_enabled()))
            return self.linear(x)
    model = Probe().train()
    data = TensorDataset(torch.randn(9, 3), torch.randint(0, 2, (9,)))
    evaluate(model, DataLoader(data, batch_size=4), F.cross_entropy, torch.device('cpu'))
    assert seen, 'evaluate: run the model on every batch of the loader'
    assert not any((training for training, _ in seen)), 'evaluate: call model.eval() before the loop (Dropout off, BatchNorm statistics frozen)'
    assert not any((grad for _, grad in seen)), 'evaluate: run the loop under torch.no_grad() (evaluation needs no gradients)'
