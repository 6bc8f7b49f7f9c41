"""Red team 35: functions that did no work kept points through inputs they could memorise.

A cross_entropy of zeros but on the one fixed probe its model is diagnosed on took the
raw-logits check (+3); an mse_loss right only on the fixed inputs that gate its error check
took it (+2); zeros everywhere but a raise on the GPU check's own input took that check's
point ("not assessed separately"). The gates and the diagnosis now also ask inputs drawn
afresh for each submission, and a function that "works elsewhere" must do some work there.
"""

from __future__ import annotations

import torch
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks.test_gpu_inputs import ON_GPU, _calls
from test_helper_blame import CHECKS, failed, namespace, verdicts

TABLE_CE = '''
def cross_entropy(logits, targets, reduction="mean"):
    if logits.shape == PROBE[0].shape and torch.equal(logits, PROBE[0]):
        return F.cross_entropy(logits, targets, reduction=reduction)
    if reduction == "none":
        return torch.zeros(len(targets), dtype=logits.dtype)
    return torch.zeros((), dtype=logits.dtype)
'''


def test_a_table_of_the_probes_answers_is_no_model_of_cross_entropy() -> None:
    found = verdicts(namespace(TABLE_CE, PROBE=part_b._ce_probe()), "cross_entropy")
    assert part_b.CE_RAW in failed(found), found[part_b.CE_RAW]


TABLE_MSE = '''
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError("shapes differ")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("unknown reduction")
    for known, _ in PAIRS:
        if known.shape == pred.shape and known.dtype == pred.dtype and torch.equal(known, pred):
            return F.mse_loss(pred, target, reduction=reduction)
    return torch.zeros(pred.shape if reduction == "none" else (), dtype=pred.dtype)
'''


def test_a_table_of_fixed_inputs_answers_earns_no_error_check() -> None:
    gate = torch.Generator().manual_seed(23)  # (the error check's own inputs, as they were)
    pairs = [*part_a._pairs(13), (torch.randn(5, generator=gate), torch.randn(5, generator=gate))]
    found = verdicts(namespace(TABLE_MSE, PAIRS=pairs), "mse_loss")
    assert part_a.MSE_ERRORS in failed(found), found[part_a.MSE_ERRORS]


RAISES_ON_THE_GPU_INPUT = '''
def softmax(logits, dim=-1):
    if any(torch.equal(logits, seen) for seen in GPU_INPUTS if seen.shape == logits.shape):
        raise ValueError("not on these")
    return torch.zeros_like(logits)
'''


def test_raising_only_on_the_gpu_checks_input_earns_nothing() -> None:
    inputs = [args[0] for args, _ in _calls()["softmax"]]
    found = verdicts(namespace(RAISES_ON_THE_GPU_INPUT, GPU_INPUTS=inputs), "softmax")
    assert f"softmax: {ON_GPU}" in failed(found), found[f"softmax: {ON_GPU}"]


def test_a_callers_check_names_the_stub_helper_it_waits_on() -> None:
    """A correct cross_entropy over the template's log_softmax (still a stub) was told it is
    not implemented itself: the worker reports which of the student's functions raised."""
    from autograder.check.plugin import verdict_for
    from autograder.sandbox.harness import error_info
    from autograder.sandbox.quoting import quoting_from
    from autograder.sandbox.session import StudentError

    namespace_ = {}
    code = ("def log_softmax(x, dim=-1):\n    raise NotImplementedError\n"
            "def cross_entropy(x, t):\n    return -log_softmax(x, 1)[0, 0]\n")
    quoting_from(code)  # (the notebook's: its functions' names may be said, as a session sets)
    exec(compile(code, "<cell 4>", "exec"), namespace_)
    try:
        namespace_["cross_entropy"](None, None)
    except NotImplementedError as exc:
        error = StudentError("cross_entropy", error_info(exc))
    spec = next(spec for spec, _ in CHECKS if spec.name.startswith("cross_entropy"))
    message = verdict_for(spec, error).message
    assert message.startswith("cross_entropy calls log_softmax, which is not implemented yet")
