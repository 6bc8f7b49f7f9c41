from otter.test_files import test_case

OK_FORMAT = False

name = "binary_cross_entropy"
points = None

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_matches_torch(binary_cross_entropy):
    import torch
    import torch.nn.functional as F
    probs = torch.tensor([0.9, 0.2, 0.6, 0.01])
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert torch.allclose(binary_cross_entropy(probs, targets), F.binary_cross_entropy(probs, targets)), 'binary_cross_entropy: value differs from F.binary_cross_entropy'

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_clamps_the_log(binary_cross_entropy):
    import torch
    loss = binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0]))
    assert torch.isfinite(loss) and abs(loss.item() - 100.0) < 0.0001, 'binary_cross_entropy: p=0, y=1 should cost 100 (log clamped at -100), not inf'
