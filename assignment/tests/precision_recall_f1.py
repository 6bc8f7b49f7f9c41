from otter.test_files import test_case

OK_FORMAT = False

name = "precision_recall_f1"
points = None

@test_case(points=None, hidden=False)
def test_precision_recall_f1_small_example(precision_recall_f1):
    import torch
    "tolerances.metric: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-06, 1e-09
    preds = torch.tensor([1, 1, 0, 1, 0, 0])
    targets = torch.tensor([1, 0, 0, 1, 1, 0])
    precision, recall, f1 = precision_recall_f1(preds, targets)
    slack = atol + rtol * 2 / 3
    assert abs(precision - 2 / 3) <= slack, 'precision_recall_f1: precision should be TP/(TP+FP)'
    assert abs(recall - 2 / 3) <= slack, 'precision_recall_f1: recall should be TP/(TP+FN)'
    assert abs(f1 - 2 / 3) <= slack, 'precision_recall_f1: F1 should be 2TP/(2TP+FP+FN)'

@test_case(points=None, hidden=False)
def test_precision_recall_f1_zero_division(precision_recall_f1):
    import torch
    preds = torch.tensor([0, 0, 0, 0])
    targets = torch.tensor([1, 0, 1, 0])
    assert precision_recall_f1(preds, targets) == (0.0, 0.0, 0.0), 'precision_recall_f1: with no predicted positives return 0.0, not nan'
