from otter.test_files import test_case

OK_FORMAT = False

name = "concept_checks"
points = None

@test_case(points=None, hidden=False)
def test_q_logits_is_a_letter(q_logits):
    assert q_logits in ('a', 'b', 'c', 'd'), "q_logits: set q_logits to one lowercase letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_imbalanced_is_a_letter(q_imbalanced):
    assert q_imbalanced in ('a', 'b', 'c', 'd'), "q_imbalanced: set q_imbalanced to one lowercase letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_loss_vs_metric_is_a_letter(q_loss_vs_metric):
    assert q_loss_vs_metric in ('a', 'b', 'c', 'd'), "q_loss_vs_metric: set q_loss_vs_metric to one lowercase letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_backward_is_a_letter(q_backward):
    assert q_backward in ('a', 'b', 'c', 'd'), "q_backward: set q_backward to one lowercase letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_zero_grad_is_a_letter(q_zero_grad):
    assert q_zero_grad in ('a', 'b', 'c', 'd'), "q_zero_grad: set q_zero_grad to one lowercase letter ('a', 'b', 'c' or 'd')"
