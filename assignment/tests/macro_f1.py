from otter.test_files import test_case

OK_FORMAT = False

name = "macro_f1"
points = None

@test_case(points=None, hidden=False)
def test_macro_f1_small_example(macro_f1):
    import torch
    "tolerances.metric: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-06, 1e-09
    preds = torch.tensor([0, 0, 1, 1, 2, 2])
    targets = torch.tensor([0, 0, 1, 2, 2, 2])
    expected = (1.0 + 2 / 3 + 0.8) / 3
    assert abs(macro_f1(preds, targets, num_classes=3) - expected) <= atol + rtol * expected, 'macro_f1: should be the mean of the per-class F1 scores'

@test_case(points=None, hidden=False)
def test_macro_f1_empty_class(macro_f1):
    import torch
    "tolerances.metric: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-06, 1e-09
    preds = torch.tensor([0, 0, 1, 1, 2, 2])
    targets = torch.tensor([0, 0, 1, 2, 2, 2])
    expected = (1.0 + 2 / 3 + 0.8 + 0.0) / 4
    assert abs(macro_f1(preds, targets, num_classes=4) - expected) <= atol + rtol * expected, 'macro_f1: average over all num_classes classes; an absent class has F1 = 0'
