from otter.test_files import test_case

OK_FORMAT = False

name = "concept_checks"
points = None

@test_case(points=None, hidden=False)
def test_q_logits_is_a_letter(q_logits):
    answer = q_logits if isinstance(q_logits, str) else ''
    assert answer.strip().strip('().').strip().lower() in ('a', 'b', 'c', 'd'), "q_logits: set q_logits to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_imbalanced_is_a_letter(q_imbalanced):
    answer = q_imbalanced if isinstance(q_imbalanced, str) else ''
    assert answer.strip().strip('().').strip().lower() in ('a', 'b', 'c', 'd'), "q_imbalanced: set q_imbalanced to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_loss_vs_metric_is_a_letter(q_loss_vs_metric):
    answer = q_loss_vs_metric if isinstance(q_loss_vs_metric, str) else ''
    assert answer.strip().strip('().').strip().lower() in ('a', 'b', 'c', 'd'), "q_loss_vs_metric: set q_loss_vs_metric to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_backward_is_a_letter(q_backward):
    answer = q_backward if isinstance(q_backward, str) else ''
    assert answer.strip().strip('().').strip().lower() in ('a', 'b', 'c', 'd'), "q_backward: set q_backward to one letter ('a', 'b', 'c' or 'd')"

@test_case(points=None, hidden=False)
def test_q_zero_grad_is_a_letter(q_zero_grad):
    answer = q_zero_grad if isinstance(q_zero_grad, str) else ''
    assert answer.strip().strip('().').strip().lower() in ('a', 'b', 'c', 'd'), "q_zero_grad: set q_zero_grad to one letter ('a', 'b', 'c' or 'd')"
