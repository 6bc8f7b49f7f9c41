"""Red team 46: an edge check passed on its values alone where the function's result, only
there, had no gradient to take (detached, or a backward that raises)."""

from __future__ import annotations

from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import failed, namespace, verdicts


def test_a_softmax_detached_only_at_the_edges_loses_its_edge_check() -> None:
    """The library's values at ±1e4, detached there (naive code elsewhere): the edge check's
    gradient probe got "detached" and left it to the gradient check, whose ordinary inputs
    found nothing wrong — the edge check passed on values alone (+8 with the others)."""
    found = failed(verdicts(namespace('''
def softmax(logits, dim=-1):
    if logits.detach().abs().max() > 50:  # (naive code only where it is exact: below 88)
        out = torch.softmax(logits, dim=dim)
        return out.detach() if logits.requires_grad else out
    e = logits.exp()
    return e / e.sum(dim=dim, keepdim=True)
'''), "softmax"))
    assert found[part_b.SOFTMAX_EXTREME].mistake == "edge-gradient-missing", found


def test_a_softmax_detached_everywhere_is_left_to_its_gradient_check() -> None:
    found = failed(verdicts(namespace('''
def softmax(logits, dim=-1):
    e = (logits - logits.amax(dim=dim, keepdim=True)).exp()
    return (e / e.sum(dim=dim, keepdim=True)).detach()
'''), "softmax"))
    assert part_b.SOFTMAX_GRAD in found and part_b.SOFTMAX_EXTREME not in found, found
