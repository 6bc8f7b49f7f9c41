from otter.test_files import test_case

OK_FORMAT = False

name = "confusion_matrix"
points = None

@test_case(points=None, hidden=False)
def test_confusion_matrix_small_example(confusion_matrix):
    import torch
    preds = torch.tensor([0, 1, 1, 0, 1])
    targets = torch.tensor([0, 1, 0, 0, 1])
    given = (preds.clone(), targets.clone())
    matrix = confusion_matrix(*given, num_classes=3)
    assert torch.equal(given[0], preds) and torch.equal(given[1], targets), 'confusion_matrix: it changed preds or targets in place: compute on new tensors'
    expected = torch.tensor([[2, 1, 0], [0, 2, 0], [0, 0, 0]])
    assert matrix.shape == (3, 3), 'confusion_matrix: the shape is (num_classes, num_classes)'
    assert matrix.dtype == torch.int64, 'confusion_matrix: return an int64 tensor'
    assert torch.equal(matrix, expected), 'confusion_matrix: rows are the true class, columns the predicted class'
