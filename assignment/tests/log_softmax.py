from otter.test_files import test_case

OK_FORMAT = False

name = "log_softmax"
points = None

@test_case(points=None, hidden=False)
def test_log_softmax_matches_torch(log_softmax):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return torch.allclose(a, b, rtol=rtol, atol=atol)
    logits = torch.tensor([[3.2, 5.1, -1.7], [1.0, 2.0, 3.0]])
    assert close(log_softmax(logits, dim=-1), torch.log_softmax(logits, dim=-1)), 'log_softmax: values differ from torch.log_softmax'
