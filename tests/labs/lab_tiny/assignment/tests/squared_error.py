from otter.test_files import test_case

OK_FORMAT = False

name = "squared_error"
points = None

@test_case(points=None, hidden=False)
def test_squared_error_value(squared_error):
    import torch
    value = squared_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
    assert torch.isclose(value, torch.tensor(2.0)), 'squared_error: the mean of (1-1)**2 and (2-4)**2 is 2'
