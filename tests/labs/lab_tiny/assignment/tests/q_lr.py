from otter.test_files import test_case

OK_FORMAT = False

name = "q_lr"
points = None

@test_case(points=None, hidden=False)
def test_q_lr_is_a_letter(q_lr):
    assert q_lr in ('a', 'b', 'c'), "q_lr: set q_lr to one lowercase letter ('a', 'b' or 'c')"
