from otter.test_files import test_case

OK_FORMAT = False

name = "binary_cross_entropy_with_logits"
points = None

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_with_logits_matches_torch(binary_cross_entropy_with_logits):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    import torch.nn.functional as F
    logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert close(binary_cross_entropy_with_logits(logits, targets), F.binary_cross_entropy_with_logits(logits, targets)), 'binary_cross_entropy_with_logits: value differs from PyTorch'

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_with_logits_pos_weight_and_large_logits(binary_cross_entropy_with_logits):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    import torch.nn.functional as F
    logits = torch.tensor([30.0, -30.0, 2.0, -1.5])
    targets = torch.tensor([0.0, 1.0, 1.0, 0.0])
    pos_weight = torch.tensor([3.0])
    assert close(binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight), F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight)), 'binary_cross_entropy_with_logits: value differs from PyTorch with pos_weight and logits of ±30'

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_with_logits_rejects_n1_vs_n(binary_cross_entropy_with_logits):
    import torch
    try:
        binary_cross_entropy_with_logits(torch.zeros(4, 1), torch.ones(4))
    except ValueError:
        pass
    else:
        raise AssertionError('binary_cross_entropy_with_logits: logits (4, 1) and targets (4,) should raise ValueError')
