from otter.test_files import test_case

OK_FORMAT = False

name = "standardize"
points = None

@test_case(points=None, hidden=False)
def test_standardize_columns(standardize):
    import torch
    x = torch.tensor([[1.0, 10.0], [3.0, 30.0]])
    z = standardize(x)
    assert torch.allclose(z, torch.tensor([[-1.0, -1.0], [1.0, 1.0]])), 'standardize: each column should have mean 0 and standard deviation 1'
