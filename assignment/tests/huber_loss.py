from otter.test_files import test_case

OK_FORMAT = False

name = "huber_loss"
points = None

@test_case(points=None, hidden=False)
def test_huber_loss_matches_torch(huber_loss):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    import torch.nn.functional as F
    pred = torch.tensor([0.5, -1.0, 2.0, 3.0, -4.0])
    target = torch.tensor([1.0, -1.0, 0.0, 3.5, 0.0])
    for delta in (0.5, 1.0, 3.0):
        expected = F.huber_loss(pred, target, delta=delta)
        assert close(huber_loss(pred, target, delta=delta), expected), f'huber_loss: wrong value for delta={delta}'

@test_case(points=None, hidden=False)
def test_huber_loss_rejects_bad_delta(huber_loss):
    import torch
    try:
        huber_loss(torch.zeros(3), torch.zeros(3), delta=0.0)
    except ValueError:
        pass
    else:
        raise AssertionError('huber_loss: delta=0 should raise ValueError')
