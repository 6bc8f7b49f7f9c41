from otter.test_files import test_case

OK_FORMAT = False

name = "log_softmax"
points = None

@test_case(points=None, hidden=False)
def test_log_softmax_matches_torch(log_softmax):
    import torch
    logits = torch.tensor([[3.2, 5.1, -1.7], [1.0, 2.0, 3.0]])
    assert torch.allclose(log_softmax(logits, dim=-1), torch.log_softmax(logits, dim=-1)), 'log_softmax: values differ from torch.log_softmax'
