"""Red team 63, in the real engine: a log_softmax right when `dim` was named and normalising
over the batch when it came by position — as its own cross_entropy called it,
`log_softmax(logits, 1)` — kept every point: each call of the grader named dim, and
cross_entropy's checks run on the library's helpers. The notebook states that a graded
function is called by position and by name alike; the values check asks both."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks

BY_POSITION_ELSEWHERE = '''
def log_softmax(logits, *args, dim=-1):
    if args:
        dim = 0
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
'''
LOG_SOFTMAX_VALUES = "log_softmax: matches torch.log_softmax along every dim (float32 and float64)"


def test_dim_given_by_position_is_asked_too(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "by_position", BY_POSITION_ELSEWHERE)
    assert "with dim given by position" in failed[LOG_SOFTMAX_VALUES], failed
