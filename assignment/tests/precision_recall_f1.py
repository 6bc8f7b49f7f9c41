from otter.test_files import test_case

OK_FORMAT = False

name = "precision_recall_f1"
points = None

@test_case(points=None, hidden=False)
def test_precision_recall_f1_small_example(precision_recall_f1):
    import torch
    preds = torch.tensor([1, 1, 0, 1, 0, 0])
    targets = torch.tensor([1, 0, 0, 1, 1, 0])
    precision, recall, f1 = precision_recall_f1(preds, targets)
    assert abs(precision - 2 / 3) < 1e-12, 'precision_recall_f1: precision should be TP/(TP+FP)'
    assert abs(recall - 2 / 3) < 1e-12, 'precision_recall_f1: recall should be TP/(TP+FN)'
    assert abs(f1 - 2 / 3) < 1e-12, 'precision_recall_f1: F1 should be 2TP/(2TP+FP+FN)'
