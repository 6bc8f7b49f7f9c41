"""Red team 99's findings, held in-process on the reference with one function rewritten (see
test_helper_blame): correct code the emulated GPU answered wrongly, and wrong code that kept
its points."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import failed, namespace, verdicts


@pytest.mark.parametrize("ask", [
    "torch.accelerator.current_accelerator(check_available=True)",
    "(torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None)",
])
def test_get_device_through_torch_accelerator_keeps_its_points(ask: str) -> None:
    """PyTorch's own device-agnostic idiom (its tutorials' since 2.6): the emulated GPU
    answered `torch.cuda.is_available()` only, so `torch.accelerator` said no GPU (-2)."""
    found = verdicts(namespace(f'''
def get_device():
    acc = {ask}
    return torch.device("cuda") if acc is not None and acc.type == "cuda" else torch.device("cpu")
'''), "get_device")
    assert part_d.GET_DEVICE not in failed(found), failed(found)
