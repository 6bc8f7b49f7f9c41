from otter.test_files import test_case

OK_FORMAT = False

name = "outliers"
points = None

@test_case(points=None, hidden=False)
def test_q_outliers_is_a_letter(q_outliers):
    answer = q_outliers if isinstance(q_outliers, str) else ''
    assert answer.strip().strip('().').strip().lower() in ('a', 'b', 'c', 'd'), "q_outliers: set q_outliers to one letter ('a', 'b', 'c' or 'd')"
