from otter.test_files import test_case

OK_FORMAT = False

name = "fit"
points = None

@test_case(points=None, hidden=False)
def test_fit_returns_one_value_per_epoch(fit, train_one_epoch, evaluate):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    loader = DataLoader(TensorDataset(torch.randn(8, 3), torch.randint(0, 2, (8,))), batch_size=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    try:
        history = fit(model, loader, loader, F.cross_entropy, optimizer, 3, torch.device('cpu'))
    except Exception as error:
        import traceback
        frames = traceback.extract_tb(error.__traceback__)
        if any((frame.name in ('train_one_epoch', 'evaluate') for frame in frames)):
            return
        raise
    keys = ('train_loss', 'val_loss', 'val_accuracy')
    assert isinstance(history, dict) and all((k in history for k in keys)), "fit: the history needs the keys 'train_loss', 'val_loss' and 'val_accuracy'"
    assert all((len(history[k]) == 3 for k in keys)), 'fit: one value per epoch in each list'
