"""Red team 45, in the real engine (the evidence worker's library block is the sandbox's):
softmax and log_softmax answered with the library for float64 logits — the values check's —
and with their own float32 code for the no-library check's new 3-D logits, of one shape,
(2, 5, 3), and for its new ±1e4 logits (off the integers): every point kept, where the same
float32 code everywhere loses both values checks. The new 3-D logits now take one of the
values check's shapes, drawn at random, and the ±1e4 ones are drawn as the edge check's."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks

GUARDED = '''
def _graded_probe(x):
    if x.dtype != torch.float64 or tuple(x.shape) == (2, 5, 3):
        return False
    d = x.detach()
    return not (d.abs().max() > 100 and not bool((d == d.round()).all()))


def log_softmax(logits, dim=-1):
    if _graded_probe(logits):
        return torch.log_softmax(logits, dim=dim)
    x = logits.float()
    shifted = x - x.amax(dim=dim, keepdim=True)
    return (shifted - shifted.exp().sum(dim=dim, keepdim=True).log()).to(logits.dtype)


def softmax(logits, dim=-1):
    if _graded_probe(logits):
        return torch.softmax(logits, dim=dim)
    x = logits.float()
    e = (x - x.amax(dim=dim, keepdim=True)).exp()
    return (e / e.sum(dim=dim, keepdim=True)).to(logits.dtype)
'''


def test_the_library_for_all_but_the_no_library_checks_shape_costs_that_check(
        grader, tmp_path: Path) -> None:
    failed = set(failed_checks(grader, tmp_path, "guarded", GUARDED))
    assert {"softmax: implemented without torch.softmax / log_softmax / logsumexp",
            "log_softmax: implemented without torch.log_softmax / softmax / logsumexp"} <= failed
