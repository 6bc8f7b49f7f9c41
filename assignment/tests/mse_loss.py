from otter.test_files import test_case

OK_FORMAT = False

name = "mse_loss"
points = None

@test_case(points=None, hidden=False)
def test_mse_loss_matches_torch(mse_loss):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    import torch.nn.functional as F
    pred = torch.tensor([0.5, -1.0, 2.0, 3.0])
    target = torch.tensor([1.0, -1.0, 0.0, 3.5])
    loss = mse_loss(pred, target)
    assert isinstance(loss, torch.Tensor), 'mse_loss: return a tensor, not a Python number'
    assert close(loss, F.mse_loss(pred, target)), 'mse_loss: the mean of the squared differences is wrong'
    per_element = mse_loss(pred, target, reduction='none')
    assert close(per_element, (pred - target) ** 2), "mse_loss: reduction='none' should return one squared error per element"

@test_case(points=None, hidden=False)
def test_mse_loss_rejects_bad_arguments(mse_loss):
    import torch
    pred = torch.zeros(4)
    try:
        mse_loss(pred, pred, reduction='average')
    except ValueError:
        pass
    else:
        raise AssertionError("mse_loss: reduction='average' should raise ValueError")
    try:
        mse_loss(torch.zeros(4, 1), torch.zeros(4))
    except ValueError:
        pass
    else:
        raise AssertionError('mse_loss: shapes (4, 1) and (4,) should raise ValueError')
