from otter.test_files import test_case

OK_FORMAT = False

name = "concept_checks"
points = None

@test_case(points=None, hidden=False)
def test_q_logits_is_a_letter(q_logits):
    assert isinstance(q_logits, str) and q_logits.strip().lower() in ('a', 'b', 'c', 'd'), "q_logits: set q_logits to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_imbalanced_is_a_letter(q_imbalanced):
    assert isinstance(q_imbalanced, str) and q_imbalanced.strip().lower() in ('a', 'b', 'c', 'd'), "q_imbalanced: set q_imbalanced to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_loss_vs_metric_is_a_letter(q_loss_vs_metric):
    assert isinstance(q_loss_vs_metric, str) and q_loss_vs_metric.strip().lower() in ('a', 'b', 'c', 'd'), "q_loss_vs_metric: set q_loss_vs_metric to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_backward_is_a_letter(q_backward):
    assert isinstance(q_backward, str) and q_backward.strip().lower() in ('a', 'b', 'c', 'd'), "q_backward: set q_backward to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_zero_grad_is_a_letter(q_zero_grad):
    assert isinstance(q_zero_grad, str) and q_zero_grad.strip().lower() in ('a', 'b', 'c', 'd'), "q_zero_grad: set q_zero_grad to one letter ('a', 'b', 'c' or 'd')"
