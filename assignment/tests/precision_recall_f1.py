from otter.test_files import test_case

OK_FORMAT = False

name = "precision_recall_f1"
points = None

@test_case(points=None, hidden=False)
def test_precision_recall_f1_small_example(precision_recall_f1, confusion_matrix):
    import torch
    "tolerances.metric: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-06, 1e-09
    preds = torch.tensor([1, 1, 0, 1, 0, 0])
    targets = torch.tensor([1, 0, 0, 1, 1, 0])
    precision, recall, f1 = precision_recall_f1(preds.clone(), targets.clone())
    slack = atol + rtol * 2 / 3
    try:
        m = confusion_matrix(preds.clone(), targets.clone(), 2)
        tp, fp, fn = (int(m[1, 1]), int(m[0, 1]), int(m[1, 0]))
        own = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, 2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        if (tp, fp, fn) != (2, 1, 1) and all((abs(got - want) <= slack for got, want in zip((precision, recall, f1), own, strict=True))):
            return
    except Exception:
        pass
    assert abs(precision - 2 / 3) <= slack, 'precision_recall_f1: precision should be TP/(TP+FP)'
    assert abs(recall - 2 / 3) <= slack, 'precision_recall_f1: recall should be TP/(TP+FN)'
    assert abs(f1 - 2 / 3) <= slack, 'precision_recall_f1: F1 should be 2TP/(2TP+FP+FN)'

@test_case(points=None, hidden=False)
def test_precision_recall_f1_zero_division(precision_recall_f1):
    import torch
    preds = torch.tensor([0, 0, 0, 0])
    targets = torch.tensor([1, 0, 1, 0])
    assert tuple(precision_recall_f1(preds.clone(), targets.clone())) == (0.0, 0.0, 0.0), 'precision_recall_f1: with no predicted positives return 0.0, not nan'
