from otter.test_files import test_case

OK_FORMAT = False

name = "train_step"
points = None

@test_case(points=None, hidden=False)
def test_train_step_returns_a_float(train_step):
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = train_step(model, torch.randn(4, 2), torch.randn(4, 1), nn.MSELoss(), optimizer)
    assert isinstance(loss, float), 'train_step: return loss.item(), a Python float'
