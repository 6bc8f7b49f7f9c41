from otter.test_files import test_case

OK_FORMAT = False

name = "binary_cross_entropy_with_logits"
points = None

@test_case(points=None, hidden=False)
def test_binary_cross_entropy_with_logits_matches_torch(binary_cross_entropy_with_logits):
    import torch
    import torch.nn.functional as F
    logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert torch.allclose(binary_cross_entropy_with_logits(logits, targets), F.binary_cross_entropy_with_logits(logits, targets)), 'binary_cross_entropy_with_logits: value differs from PyTorch'
