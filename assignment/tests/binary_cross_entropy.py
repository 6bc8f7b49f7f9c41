from otter.test_files import test_case

OK_FORMAT = False

name = "binary_cross_entropy"
points = None

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_matches_torch(binary_cross_entropy):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    import torch.nn.functional as F
    probs = torch.tensor([0.9, 0.2, 0.6, 0.01])
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert close(binary_cross_entropy(probs, targets), F.binary_cross_entropy(probs, targets)), 'binary_cross_entropy: value differs from F.binary_cross_entropy'

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_clamps_the_log(binary_cross_entropy):
    import torch
    loss = binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0]))
    assert torch.isfinite(loss) and abs(loss.item() - 100.0) < 0.0001, 'binary_cross_entropy: p=0, y=1 should cost 100 (log clamped at -100), not inf'

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_rejects_n1_vs_n(binary_cross_entropy):
    import torch
    try:
        binary_cross_entropy(torch.full((4, 1), 0.5), torch.ones(4))
    except ValueError:
        pass
    else:
        raise AssertionError('binary_cross_entropy: probabilities (4, 1) and targets (4,) should raise ValueError')
