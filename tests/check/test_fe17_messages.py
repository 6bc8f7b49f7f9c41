"""Fresh eyes 17's reports on the softmax family computed partly in float32, held here
in-process on the reference with one function rewritten: the float32 step is named by the
values check, charged once, and never taken for the library used outside the no-library
check (exact at ±1e4, float32's rounding on that check's fresh inputs)."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from lab05_checks.test_gpu_inputs import ON_GPU
from test_helper_blame import edited, excused, failed, namespace, reference_source, verdicts

FLOAT32_INSIDE = {
    "log_softmax: one sum in float32": ("log_softmax", '''
        def log_softmax(logits, dim=-1):
            shifted = logits - logits.amax(dim=dim, keepdim=True)
            return shifted - torch.log(torch.exp(shifted.float()).sum(dim=dim, keepdim=True)
                                       ).to(logits.dtype)
        '''),
    "log_softmax: sum with dtype=float32": ("log_softmax", '''
        def log_softmax(logits, dim=-1):
            shifted = logits - logits.amax(dim=dim, keepdim=True)
            total = shifted.exp().sum(dim=dim, keepdim=True, dtype=torch.float32)
            return shifted - total.log().to(logits.dtype)
        '''),
    "log_softmax: all of it in float32": ("log_softmax", '''
        def log_softmax(logits, dim=-1):
            x = logits.float()
            shifted = x - x.amax(dim=dim, keepdim=True)
            return (shifted - shifted.exp().sum(dim=dim, keepdim=True).log()).to(logits.dtype)
        '''),
    "softmax: exp in float32": ("softmax", '''
        def softmax(logits, dim=-1):
            e = torch.exp((logits - logits.amax(dim=dim, keepdim=True)).float())
            return (e / e.sum(dim=dim, keepdim=True)).to(logits.dtype)
        '''),
}


@pytest.mark.parametrize("case", sorted(FLOAT32_INSIDE))
def test_a_float32_step_is_named_once_and_is_no_library_call(case) -> None:
    function, source = FLOAT32_INSIDE[case]
    found = verdicts(namespace(source), function)
    values = part_b.FAMILY_VALUES[function]
    assert set(failed(found)) == {values}, {k: v.message for k, v in failed(found).items()}
    assert failed(found)[values].mistake == "float32-precision"
    assert "float32" in failed(found)[values].message
    assert all(check == values for check in excused(found).values())


def test_smooth_l1_for_huber_is_named_as_such() -> None:
    """Both branches of smooth L1 (Huber divided by delta): named, not the quadratic branch
    alone."""
    found = verdicts(namespace(edited(
        "huber_loss", "quadratic = 0.5 * diff**2\n    linear = delta * (abs_diff - 0.5 * delta)",
        "quadratic = 0.5 * diff**2 / delta\n    linear = abs_diff - 0.5 * delta")), "huber_loss")
    verdict = failed(found)[part_a.HUBER_VALUES]
    assert verdict.mistake == "smooth-l1" and "smooth L1" in verdict.message


def test_pos_weight_ignored_in_one_reduction_says_which() -> None:
    """pos_weight dropped in the 'sum' branch only: the message says where, and that the
    other reductions are right."""
    found = verdicts(namespace(edited(
        "binary_cross_entropy_with_logits",
        "return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)",
        "if reduction == 'sum':\n        weight = 1\n"
        "    return _reduce((1 - targets) * logits + weight * neg_log_sigmoid, reduction)")),
        "binary_cross_entropy_with_logits")
    verdict = failed(found)[part_b.BCEL_POS_WEIGHT]
    assert verdict.mistake == "pos-weight-ignored"
    assert "reduction='sum'" in verdict.message and "right with 'mean'" in verdict.message


@pytest.mark.parametrize(("function", "check"), [
    ("train_one_epoch", part_d.TRAIN_LOGITS), ("evaluate", part_d.EVAL_VALUES)])
def test_logits_squeezed_are_seen_on_a_batch_of_one_sample(function, check) -> None:
    """`model(x).squeeze()` hands the loss 1-D logits on a last batch of one sample: full
    marks while every graded loader's last batch held two. Charged by the check of what the
    loss is handed, named, once."""
    found = verdicts(namespace(edited(function, "logits = model(x)",
                                      "logits = model(x).squeeze()")), function)
    assert set(failed(found)) == {check}
    assert failed(found)[check].mistake == "squeezed-logits"
    assert ".squeeze()" in failed(found)[check].message


@pytest.mark.parametrize(("function", "taken", "check"), [
    ("mse_loss", "reduction = reduction.lower()", part_a.MSE_ERRORS),
    ("binary_cross_entropy", "reduction = 'none' if reduction is None else reduction",
     part_b.BCE_ERRORS),
])
def test_an_unknown_reduction_in_another_case_or_none_is_refused(function, taken, check) -> None:
    """"Mean" taken for 'mean' (`.lower()` first) or None for 'none': the spec refuses every
    value but the three names, as PyTorch does (fresh eyes 17: full marks)."""
    found = verdicts(namespace(edited(function, "    _check_reduction(reduction)",
                                      f"    {taken}\n    _check_reduction(reduction)")),
                     function)
    assert set(failed(found)) == {check}
    assert failed(found)[check].mistake == "no-reduction-check"


def test_a_default_positive_class_of_zero_is_named_once() -> None:
    """`positive_class: int = 0` in the signature: class 0's precision and recall were class
    1's swapped on the probe, so it was told it swapped them, and charged twice."""
    source = reference_source("precision_recall_f1").replace(
        "positive_class: int = 1", "positive_class: int = 0")
    found = verdicts(namespace(source), "precision_recall_f1")
    assert set(failed(found)) == {part_c.PRF_BINARY}
    assert failed(found)[part_c.PRF_BINARY].mistake == "default-positive-class"


def test_a_loss_fn_called_with_options_is_told_in_the_students_words() -> None:
    """evaluate calling loss_fn(logits, y, reduction="sum"): the error named the grader's own
    loss class; it says what loss_fn is and how to call it."""
    found = verdicts(namespace(edited("evaluate", "loss_fn(logits, y)",
                                      'loss_fn(logits, y, reduction="sum")')), "evaluate")
    messages = [verdict.message for verdict in failed(found).values()]
    assert messages and all("loss_fn(logits, y)" in m and "Loss" not in m.split(":")[0]
                            for m in messages)
    assert not any("DeviceLoss" in m or "InstrumentedLoss" in m for m in messages)


FIT_HISTORY = '{"train_loss": [], "val_loss": [], "val_accuracy": []}'


@pytest.mark.parametrize(("function", "old", "new", "mistake", "words"), [
    ("fit", FIT_HISTORY, 'dict.fromkeys(["train_loss", "val_loss", "val_accuracy"], [])',
     "fit-shared-list", "one and the same list"),
    ("fit", 'history["train_loss"].append(train_one_epoch(',
     'history["train_loss"].append(torch.tensor(train_one_epoch(', "fit-history-types",
     "tensors in 'train_loss'"),
    ("train_one_epoch", "loss.backward()\n",
     "loss.backward()\n        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.01)\n",
     "update-changed", "between backward() and step()"),
])
def test_fit_and_training_mistakes_are_named_for_what_they_are(function, old, new, mistake,
                                                               words) -> None:
    """Fresh eyes 17: a shared history list was told to run `epochs` epochs, a history of
    tensors in one list that its wiring was wrong, gradient clipping that its calls were in
    the wrong order."""
    source = reference_source(function).replace(old, new)
    if function == "fit" and "torch.tensor(" in new:
        source = source.replace("device))  # noqa", "device)))  # noqa")
    assert source != reference_source(function)
    found = verdicts(namespace(source), function)
    verdict = next(v for v in failed(found).values() if v.mistake == mistake)
    assert words in verdict.message


def test_an_answer_left_a_tensor_is_told_to_convert_it() -> None:
    """`always_negative_accuracy = (preds == targets).float().mean()`: a 0-d tensor, told to
    run the experiment cell (fresh eyes 17); it says to convert it."""
    import torch

    found = verdicts(namespace(always_negative_accuracy=torch.tensor(0.95)),
                     "always_negative_accuracy")
    (verdict,) = failed(found).values()
    assert verdict.mistake == "not-a-number" and ".item()" in verdict.message


def test_as_tensor_of_a_gpu_tensor_stays_on_the_gpu() -> None:
    """`torch.as_tensor(pred)` of a GPU tensor is that tensor on CUDA: a correct function
    starting so kept its GPU check, and one then mixing it with a CPU tensor loses it
    (outside red team 19: the emulation gave a CPU tensor, both ways wrong)."""
    correct = reference_source("mse_loss").replace(
        "    _check_reduction(reduction)",
        "    pred, target = torch.as_tensor(pred), torch.asarray(target)\n"
        "    _check_reduction(reduction)", 1)
    assert not failed(verdicts(namespace(correct), "mse_loss"))
    mixed = reference_source("mse_loss").replace(
        "return _reduce((pred - target) ** 2, reduction)",
        "pred = torch.as_tensor(pred)\n"
        "    return _reduce((pred - target) ** 2 * torch.ones(pred.shape), reduction)")
    verdict = failed(verdicts(namespace(mixed), "mse_loss"))[f"mse_loss: {ON_GPU}"]
    assert verdict.mistake == "device"


def test_an_eps_inside_bces_log_is_charged_once_by_the_clamp_check() -> None:
    """`log(p + 1e-7)`: the values check said "computes in float32" (a mean has too few
    numbers to tell rounding from an offset), the gradient check "although the values are
    right", and the clamp check named the eps: one mistake, three charges (fresh eyes 17)."""
    found = verdicts(namespace('''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    return _reduce(-(targets * torch.log(probs + 1e-7)
                     + (1 - targets) * torch.log(1 - probs + 1e-7)), reduction)
'''), "binary_cross_entropy")
    assert set(failed(found)) == {part_b.BCE_CLAMP}
    assert failed(found)[part_b.BCE_CLAMP].mistake == "eps-not-clamp"
    assert set(excused(found).values()) == {part_b.BCE_CLAMP}


def test_an_error_check_names_every_invalid_input_the_function_accepts() -> None:
    """A huber_loss checking neither its reduction nor its delta was told of the reduction
    only, and its self-check of the delta only: fixing either still lost the check (fresh
    eyes 17). The failure names the first and lists the others."""
    source = reference_source("huber_loss").replace("    _check_reduction(reduction)\n", "")
    source = source.replace(
        '    if delta <= 0:\n        raise ValueError(f"delta must be positive, got {delta}")\n',
        "")
    verdict = failed(verdicts(namespace(source), "huber_loss"))[part_a.HUBER_ERRORS]
    assert verdict.mistake == "no-reduction-check"
    assert "reduction='avg'" in verdict.message and "delta=0.0" in verdict.message
