from otter.test_files import test_case

OK_FORMAT = False

name = "cross_entropy"
points = None

@test_case(points=None, hidden=False)
def test_cross_entropy_matches_torch(cross_entropy, log_softmax):
    import torch
    "tolerances.float32: the grader's own, from grading_config.yaml"
    rtol, atol = 0.0001, 1e-05

    def close(a, b):
        return a.dtype == b.dtype and torch.allclose(a, b, rtol=rtol, atol=atol)
    import torch.nn.functional as F
    logits = torch.tensor([[3.2, 5.1, -1.7], [0.5, 0.2, 2.0], [1.0, 1.0, 1.0]])
    targets = torch.tensor([0, 2, 1])
    try:
        own = -log_softmax(logits, dim=1)[torch.arange(3), targets].mean()
    except Exception as error:
        own = error
    try:
        loss = cross_entropy(logits, targets)
    except Exception as error:
        if isinstance(own, Exception) and type(own) is type(error) and (str(own) == str(error)):
            return
        raise
    if not isinstance(own, Exception) and (not close(own, F.cross_entropy(logits, targets))) and torch.allclose(loss, own, rtol=rtol, atol=atol, equal_nan=True):
        return
    assert close(loss, F.cross_entropy(logits, targets)), 'cross_entropy: value differs from F.cross_entropy on raw logits'
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

@test_case(points=None, hidden=False)
def test_cross_entropy_extreme_logits(cross_entropy, log_softmax):
    import torch
    import torch.nn.functional as F
    "tolerances.float64: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-07, 1e-09
    logits = torch.tensor([[10000.0, -10000.0, 0.0], [-10000.0, 10000.0, 5.0]], dtype=torch.float64)
    targets = torch.tensor([1, 2])
    expected = F.cross_entropy(logits, targets, reduction='none')
    try:
        own = -log_softmax(logits, dim=1)[torch.arange(2), targets]
    except Exception as error:
        own = error
    try:
        loss = cross_entropy(logits, targets, reduction='none')
    except Exception as error:
        if isinstance(own, Exception) and type(own) is type(error) and (str(own) == str(error)):
            return
        raise
    if not isinstance(own, Exception) and (not torch.allclose(own, expected, rtol=rtol, atol=atol)) and torch.allclose(loss, own, rtol=rtol, atol=atol, equal_nan=True):
        return
    assert torch.isfinite(loss).all(), 'cross_entropy: inf/nan for logits of ±1e4: subtract the row max before exp (log-sum-exp)'
    assert loss.dtype == logits.dtype, "cross_entropy: float64 logits give a result of another dtype: keep the input's dtype"
    assert torch.allclose(loss, expected, rtol=rtol, atol=atol), 'cross_entropy: inexact for logits of ±1e4 (an eps inside the log, or the log of a softmax, caps the loss)'
