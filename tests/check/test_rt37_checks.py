"""Red team 37: points for work not done, by recognising the check.

`get_device` returning `cuda:7` (a GPU a one-GPU machine does not have) took the device
point: only the part before the colon was compared.
"""

from __future__ import annotations

from lab05_checks.test_part_d_training import GET_DEVICE
from test_helper_blame import failed, namespace, verdicts

AN_INDEX_OF_ITS_OWN = '''
def get_device():
    return torch.device("cuda:7" if torch.cuda.is_available() else "cpu")
'''

THE_FIRST_GPU = '''
def get_device():
    return torch.device("cuda:0" if torch.cuda.is_available() else "cpu:0")
'''


def test_a_gpu_the_machine_may_not_have_is_the_wrong_device() -> None:
    found = verdicts(namespace(AN_INDEX_OF_ITS_OWN), "get_device")
    assert GET_DEVICE in failed(found), found[GET_DEVICE]
    assert "cuda:7" in found[GET_DEVICE].message


def test_the_first_gpu_by_its_index_is_the_right_device() -> None:
    found = verdicts(namespace(THE_FIRST_GPU), "get_device")
    assert GET_DEVICE not in failed(found), found[GET_DEVICE]
