from otter.test_files import test_case

OK_FORMAT = False

name = "get_device"
points = None

@test_case(points=None, hidden=False)
def test_get_device_returns_a_device(get_device):
    import torch
    device = get_device()
    assert isinstance(device, torch.device), 'get_device: return a torch.device, not a string'
    expected = 'cuda' if torch.cuda.is_available() else 'cpu'
    assert device.type == expected, f'get_device: expected a {expected} device on this machine'
