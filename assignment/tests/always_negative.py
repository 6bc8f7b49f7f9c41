from otter.test_files import test_case

OK_FORMAT = False

name = "always_negative"
points = None

@test_case(points=None, hidden=False)
def test_always_negative_accuracy_is_a_fraction(always_negative_accuracy, accuracy):
    import torch
    if isinstance(always_negative_accuracy, torch.Tensor):
        try:
            if isinstance(accuracy(torch.tensor([0, 1]), torch.tensor([0, 1])), torch.Tensor):
                return
        except Exception:
            pass
    assert isinstance(always_negative_accuracy, (int, float)) and (not isinstance(always_negative_accuracy, bool)), 'always_negative_accuracy: set it to a number computed with your accuracy()'
    assert 0.0 <= always_negative_accuracy <= 1.0, 'always_negative_accuracy: must be in [0, 1]'

@test_case(points=None, hidden=False)
def test_always_negative_f1_is_a_fraction(always_negative_f1, precision_recall_f1):
    import math
    import torch
    if not (isinstance(always_negative_f1, float) and (not math.isnan(always_negative_f1))):
        try:
            own = precision_recall_f1(torch.tensor([0, 0]), torch.tensor([1, 0]))
            if not all((isinstance(v, float) and (not math.isnan(v)) for v in own)):
                return
        except Exception:
            pass
    assert isinstance(always_negative_f1, (int, float)) and (not isinstance(always_negative_f1, bool)), 'always_negative_f1: set it to a number computed with your precision_recall_f1()'
    assert 0.0 <= always_negative_f1 <= 1.0, 'always_negative_f1: must be in [0, 1]'
