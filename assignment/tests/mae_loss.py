from otter.test_files import test_case

OK_FORMAT = False

name = "mae_loss"
points = None

@test_case(points=None, hidden=False)
def test_mae_loss_matches_torch(mae_loss):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    import torch.nn.functional as F
    pred = torch.tensor([0.5, -1.0, 2.0, 3.0])
    target = torch.tensor([1.0, -1.0, 0.0, 3.5])
    assert close(mae_loss(pred, target), F.l1_loss(pred, target)), 'mae_loss: the mean of the absolute differences is wrong'
    assert close(mae_loss(pred, target, reduction='sum'), F.l1_loss(pred, target, reduction='sum')), "mae_loss: reduction='sum' should add the absolute differences"

@test_case(points=None, hidden=False)
def test_mae_loss_rejects_shape_mismatch(mae_loss):
    import torch
    try:
        mae_loss(torch.zeros(4, 1), torch.zeros(4))
    except ValueError:
        pass
    else:
        raise AssertionError('mae_loss: shapes (4, 1) and (4,) should raise ValueError')
