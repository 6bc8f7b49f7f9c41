"""Outside red team 92's breaches, held here in-process on the reference with functions
rewritten (see test_helper_blame), each with the control the red team compared it with."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_d_training as part_d
from lab05_checks.test_gpu_inputs import ON_GPU
from test_helper_blame import edited, failed, namespace, reference_source, verdicts

LOOP = "    for _ in range(epochs):\n"


def test_a_step_skipped_on_the_batch_of_one_is_charged() -> None:
    """The only run whose last batch holds one sample trains with lr 0, and the check counted
    the loss calls alone: a loop computing that batch's loss and skipping its backward() and
    step() kept its points."""
    source = edited("train_one_epoch", "        loss.backward()\n        optimizer.step()\n",
                    "        if x.shape[0] > 1:\n            loss.backward()\n"
                    "            optimizer.step()\n")
    found = failed(verdicts(namespace(source), "train_one_epoch"))
    assert found[part_d.TRAIN_ORDER].mistake == "single-sample-skipped", found


@pytest.mark.parametrize(("old", "new", "mistake"), [
    ("        metrics = evaluate(", "        model.requires_grad_(False)\n        metrics = evaluate(",
     "fit-frozen-model"),
    (LOOP, "    optimizer.state.clear()\n" + LOOP, "fit-optimizer-state"),
    (LOOP, "    for group in optimizer.param_groups:\n        group['weight_decay'] = 1e-4\n"
     + LOOP, "fit-own-lr"),
])
def test_a_fit_that_changes_what_it_is_given_is_charged(old: str, new: str,
                                                         mistake: str) -> None:
    found = failed(verdicts(namespace(edited("fit", old, new)), "fit"))
    assert found[part_d.FIT].mistake == mistake, found[part_d.FIT].message


NO_KEEPDIM_LOG_SOFTMAX = edited(
    "log_softmax", "    shifted = logits - logits.amax(dim=dim, keepdim=True)\n"
    "    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()",
    "    shifted = logits - logits.amax(dim=dim)\n"
    "    return shifted - shifted.exp().sum(dim=dim).log()")
CE_WITH_CPU_WEIGHTS = edited(
    "cross_entropy", "    nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1)",
    "    weights = torch.ones(targets.shape[0], dtype=logits.dtype)\n"
    "    nll = -log_probs.gather(1, targets.long().unsqueeze(1)).squeeze(1) * weights")


def test_a_device_mistake_behind_a_helper_that_raises_is_charged() -> None:
    """cross_entropy's GPU check, every CPU call raising through a wrong log_softmax, blamed
    the helper without trying the GPU: a CPU tensor made inside cross_entropy went free."""
    found = failed(verdicts(namespace(NO_KEEPDIM_LOG_SOFTMAX, CE_WITH_CPU_WEIGHTS),
                            "cross_entropy"))
    assert found[f"cross_entropy: {ON_GPU}"].mistake == "device", found
    control = failed(verdicts(namespace(NO_KEEPDIM_LOG_SOFTMAX, reference_source(
        "cross_entropy")), "cross_entropy"))
    assert f"cross_entropy: {ON_GPU}" not in control


def test_a_device_mistake_behind_a_raise_on_these_inputs_is_charged() -> None:
    """softmax without keepdim raises on the GPU check's inputs and works on a square batch:
    it was excused there without a GPU call, and a CPU tensor it wrote into went free."""
    source = '''
def softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim)
    exps = shifted.exp()
    out = torch.zeros(logits.shape, dtype=logits.dtype)
    out[...] = exps / exps.sum(dim=dim)
    return out
'''
    found = failed(verdicts(namespace(source), "softmax"))
    assert found[f"softmax: {ON_GPU}"].mistake == "device", found
