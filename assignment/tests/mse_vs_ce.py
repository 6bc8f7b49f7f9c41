from otter.test_files import test_case

OK_FORMAT = False

name = "mse_vs_ce"
points = None

@test_case(points=None, hidden=False)
def test_q_mse_vs_ce_is_a_letter(q_mse_vs_ce):
    answer = q_mse_vs_ce if isinstance(q_mse_vs_ce, str) else ''
    assert answer.strip().strip('().').strip().lower() in ('a', 'b', 'c', 'd'), "q_mse_vs_ce: set q_mse_vs_ce to one letter ('a', 'b', 'c' or 'd')"
