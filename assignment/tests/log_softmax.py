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
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    logits = torch.tensor([[3.2, 5.1, -1.7], [1.0, 2.0, 3.0]])
    assert close(log_softmax(logits, dim=-1), torch.log_softmax(logits, dim=-1)), 'log_softmax: values differ from torch.log_softmax'

@test_case(points=None, hidden=False)
def test_log_softmax_extreme_logits(log_softmax):
    import torch
    "tolerances.float64: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-07, 1e-09
    logits = torch.tensor([[10000.0, -10000.0, 0.0], [-10000.0, 10000.0, 5.0]], dtype=torch.float64)
    got = log_softmax(logits, dim=1)
    assert torch.isfinite(got).all(), 'log_softmax: inf/nan for logits of ±1e4: subtract the max along dim before exp'
    assert torch.allclose(got, torch.log_softmax(logits, dim=1), rtol=rtol, atol=atol), 'log_softmax: inexact for logits of ±1e4 (the log of a softmax, or an eps inside the log, caps it)'
