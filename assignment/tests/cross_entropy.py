from otter.test_files import test_case

OK_FORMAT = False

name = "cross_entropy"
points = None

@test_case(points=None, hidden=False)
def test_cross_entropy_matches_torch(cross_entropy):
    import torch
    import torch.nn.functional as F
    logits = torch.tensor([[3.2, 5.1, -1.7], [0.5, 0.2, 2.0], [1.0, 1.0, 1.0]])
    targets = torch.tensor([0, 2, 1])
    assert torch.allclose(cross_entropy(logits, targets), F.cross_entropy(logits, targets)), 'cross_entropy: value differs from F.cross_entropy on raw logits'
    per_sample = cross_entropy(logits, targets, reduction='none')
    assert per_sample.shape == (3,), "cross_entropy: reduction='none' gives one loss per sample"

@test_case(points=None, hidden=False)
def test_cross_entropy_rejects_bad_reduction(cross_entropy):
    import torch
    try:
        cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), reduction='avg')
    except ValueError:
        pass
    else:
        raise AssertionError("cross_entropy: reduction='avg' should raise ValueError")
