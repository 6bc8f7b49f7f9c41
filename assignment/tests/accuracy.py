from otter.test_files import test_case

OK_FORMAT = False

name = "accuracy"
points = None

@test_case(points=None, hidden=False)
def test_accuracy_simple_case(accuracy):
    import torch
    "tolerances.metric: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-06, 1e-09
    preds = torch.tensor([0, 1, 1, 2, 0])
    targets = torch.tensor([0, 1, 2, 2, 1])
    value = accuracy(preds, targets)
    assert isinstance(value, float), 'accuracy: return a Python float (not a tensor)'
    assert abs(value - 0.6) <= atol + rtol * 0.6, 'accuracy: 3 of 5 correct should give 0.6'
