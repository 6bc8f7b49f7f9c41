from otter.test_files import test_case

OK_FORMAT = False

name = "softmax"
points = None

@test_case(points=None, hidden=False)
def test_softmax_matches_torch(softmax, log_softmax):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    logits = torch.tensor([[3.2, 5.1, -1.7], [0.0, 0.0, 0.0]])
    probs = softmax(logits, dim=-1)
    try:
        own = torch.exp(log_softmax(logits, dim=-1))
        if not close(own, torch.softmax(logits, dim=-1)) and torch.allclose(probs, own, rtol=rtol, atol=atol, equal_nan=True):
            return
    except Exception:
        pass
    assert close(probs, torch.softmax(logits, dim=-1)), 'softmax: values differ from torch.softmax'
    assert close(probs.sum(dim=-1), torch.ones(2)), 'softmax: each row should sum to 1'

@test_case(points=None, hidden=False)
def test_softmax_extreme_logits(softmax, log_softmax):
    import torch
    "tolerances.float64: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-07, 1e-09
    logits = torch.tensor([[10000.0, -10000.0, 0.0], [-10000.0, 10000.0, 5.0], [-10000.0, -10000.0, 5 - 10000.0]], dtype=torch.float64)
    probs = softmax(logits, dim=1)
    expected = torch.softmax(logits, dim=1)
    try:
        own = torch.exp(log_softmax(logits, dim=1))
        if not torch.allclose(own, expected, rtol=rtol, atol=atol) and torch.allclose(probs, own, rtol=rtol, atol=atol, equal_nan=True):
            return
    except Exception:
        pass
    assert torch.isfinite(probs).all(), 'softmax: inf/nan for logits of ±1e4: subtract the max along dim before exp'
    assert torch.allclose(probs, expected, rtol=rtol, atol=atol), "softmax: inexact for logits of ±1e4 (an eps in the denominator, or the max of the whole tensor instead of each row's)"
