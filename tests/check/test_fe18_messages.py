"""A fresh outside review's (eighteenth round) reports on mistakes charged twice or named
wrongly, held here in-process on the reference with one function rewritten: a helper's
mistake is charged once, by the helper's own check."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from lab05_checks import test_part_e_experiments as part_e
from test_helper_blame import edited, excused, failed, namespace, verdicts

PRF_EDITS_PREDS = '''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    preds[preds != positive_class] = -1
    tp = int(((preds == positive_class) & (targets == positive_class)).sum())
    fp = int(((preds == positive_class) & (targets != positive_class)).sum())
    fn = int(((preds != positive_class) & (targets == positive_class)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0
    return precision, recall, f1


def macro_f1(preds, targets, num_classes):
    return sum(precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)) / num_classes
'''


def test_a_helper_that_edits_the_labels_is_charged_once() -> None:
    """precision_recall_f1 sets the caller's other classes to -1; macro_f1, calling it once a
    class on the same tensors, scores each class after the first on edited labels. The edit
    is precision_recall_f1's in-place mistake, charged by its check; macro_f1's checks
    (values, absent classes) say so instead of charging it again (4 points)."""
    found = verdicts(namespace(PRF_EDITS_PREDS), "precision_recall_f1", "macro_f1")
    assert set(failed(found)) == {part_c.PRF_BINARY}, {k: v.message for k, v in
                                                       failed(found).items()}
    assert failed(found)[part_c.PRF_BINARY].mistake == "in-place"
    assert excused(found).get(part_c.MACRO_VALUES) == part_c.PRF_BINARY
    assert excused(found).get(part_c.MACRO_ABSENT) == part_c.PRF_BINARY


def test_a_default_positive_class_of_0_is_charged_once() -> None:
    """precision_recall_f1 with `positive_class=0` in its signature: the experiment cell,
    calling it without positive_class, gets class 0's F1. The binary check charges the
    default; always_negative_f1 is held to it (it was told "compute the F1 of the positive
    class", and lost 2 points)."""
    found = verdicts(namespace(edited("precision_recall_f1", "positive_class: int = 1",
                                      "positive_class: int = 0")),
                     "precision_recall_f1", "always_negative_f1")
    assert set(failed(found)) == {part_c.PRF_BINARY}, {k: v.message for k, v in
                                                       failed(found).items()}
    assert failed(found)[part_c.PRF_BINARY].mistake == "default-positive-class"
    assert excused(found).get(part_e.ALWAYS_NEGATIVE_F1) == part_c.PRF_BINARY


@pytest.mark.parametrize(("function", "old", "new", "charging"), [
    ("evaluate", "logits.argmax(dim=1) == y", "logits.argmax(dim=0) == y", "EVAL_VALUES"),
    ("train_one_epoch", "total_loss += loss.item() * x.shape[0]",
     "total_loss += loss.item() * y.shape[1]", "TRAIN_RETURN"),
])
def test_a_loop_that_raises_after_running_the_model_is_charged_once(function, old, new,
                                                                      charging) -> None:
    """A fresh outside review's evaluate raising at its accuracy line lost all four of its
    checks (8 points), and a train_one_epoch raising after step() all five (10): the notebook
    says a loop's other checks count once it runs the model on its batches, and these did.
    The check of the figure it never returned charges the crash, naming the error and its
    line; the others judge what ran and are held to it (not shown as passed, points kept) —
    the device check too, where the CPU run raises alike (it said "failed on the (emulated)
    GPU device")."""
    found = verdicts(namespace(edited(function, old, new)), function)
    check = getattr(part_d, charging)
    assert set(failed(found)) == {check}, {k: v.message for k, v in failed(found).items()}
    assert failed(found)[check].mistake == "raised" and "fix this error first" in \
        failed(found)[check].message
    assert set(excused(found)) == set(found) - {check}
    assert set(excused(found).values()) == {check}


def test_a_loop_that_raises_before_running_the_model_earns_nothing() -> None:
    """The rule's other side: a loop that raises before it runs the model does none of the
    work its checks grade, so each of them says the error (as a stub's would)."""
    found = verdicts(namespace(edited("evaluate", "logits = model(x)",
                                      "logits = model(x[0, 0, 0])")), "evaluate")
    assert set(failed(found)) == set(found) and not excused(found)


def test_bce_with_its_two_terms_swapped_is_named() -> None:
    """-(y·log(1 − p) + (1 − y)·log p): told "wrong values with reduction='mean'" and tagged
    as a reduction mistake; it is the loss of the flipped targets, named as such."""
    found = verdicts(namespace(edited(
        "binary_cross_entropy", "-(targets * log_p + (1 - targets) * log_1mp)",
        "-(targets * log_1mp + (1 - targets) * log_p)")), "binary_cross_entropy")
    verdict = failed(found)[part_b.BCE_VALUES]
    assert verdict.mistake == "terms-swapped" and "swapped" in verdict.message


def test_a_wrong_per_element_formula_is_not_called_a_reduction_mistake() -> None:
    """mse_loss with |d|^1.5 per element: every reduction is wrong because each element is;
    the message says the per-element formula, not reduction='mean'."""
    found = verdicts(namespace(edited("mse_loss", "(pred - target) ** 2",
                                      "(pred - target).abs() ** 1.5")), "mse_loss")
    verdict = failed(found)[part_a.MSE_VALUES]
    assert verdict.mistake == "wrong-values", verdict.message
    assert "element by element too (reduction='none')" in verdict.message


@pytest.mark.parametrize(("function", "old", "new", "check", "mistake"), [
    ("evaluate", "model.eval()", "pass", "EVAL_MODE", "no-eval-mode"),
    ("evaluate", "with torch.no_grad():", "if True:", "EVAL_NO_GRAD", "no-no-grad"),
    ("train_one_epoch", "model.train()", "pass", "TRAIN_MODE", "no-train-mode"),
    ("train_one_epoch", "logits = model(x)", "logits = model(x).softmax(dim=1)", "TRAIN_LOGITS",
     "softmax-before-loss"),
])
def test_a_mistake_seen_before_the_crash_is_still_charged(function, old, new, check,
                                                          mistake) -> None:
    """Held to the crash only where the run shows nothing wrong before it: a loop that
    raised after a step (or evaluate after the model ran) is still charged for a mode,
    no_grad or softmax mistake its run showed."""
    crash = {"evaluate": ("logits.argmax(dim=1) == y", "logits.argmax(dim=0) == y"),
             "train_one_epoch": ("total_loss += loss.item() * x.shape[0]",
                                 "total_loss += loss.item() * y.shape[1]")}[function]
    source = edited(function, *crash).replace(old, new)
    found = verdicts(namespace(source), function)
    assert failed(found)[getattr(part_d, check)].mistake == mistake


CUDA_RUNTIME = {
    "get_device": ("return torch.device(\"cuda\" if torch.cuda.is_available() else \"cpu\")",
                   "if torch.cuda.is_available():\n"
                   "        print('GPU:', torch.cuda.get_device_name(0), torch.cuda.current_device())\n"
                   "        torch.cuda.set_device(0)\n"
                   "        return torch.device('cuda')\n"
                   "    return torch.device('cpu')"),
    "train_one_epoch": ("    return total_loss / total_samples",
                        "    if torch.device(device).type == 'cuda':\n"
                        "        torch.cuda.synchronize()\n"
                        "        torch.cuda.max_memory_allocated(device)\n"
                        "    return total_loss / total_samples"),
    "evaluate": ("x, y = x.to(device), y.to(device)",
                 "if torch.device(device).type == 'cuda':\n"
                 "                x = x.pin_memory().to(device, non_blocking=True)\n"
                 "                y = y.pin_memory().to(device, non_blocking=True)\n"
                 "                start = torch.cuda.Event(enable_timing=True)\n"
                 "                start.record()\n"
                 "            else:\n"
                 "                x, y = x.to(device), y.to(device)"),
}


@pytest.mark.parametrize("function", sorted(CUDA_RUNTIME))
def test_the_cuda_runtime_api_behind_a_guard_is_correct_work(function) -> None:
    """Fresh eyes 18: a GPU's name printed in get_device, synchronize() and peak memory after
    a loop, pin_memory() with a non-blocking copy and CUDA events: each valid on any CUDA
    machine, behind `is_available()` or the device argument, and each refused by a CPU build
    under the emulated GPU (2 points each, "fix this error first", "hard-codes 'cuda'")."""
    found = verdicts(namespace(edited(function, *CUDA_RUNTIME[function])), function)
    assert not failed(found), {k: v.message for k, v in failed(found).items()}


def test_accuracy_without_validation_is_told_of_every_input_it_accepts() -> None:
    """No validation at all: the error check named only the empty input; it now names the
    mismatched and the broadcasting shapes too."""
    found = verdicts(namespace('''
def accuracy(preds, targets):
    return (preds == targets).float().mean().item()
'''), "accuracy")
    message = failed(found)[part_c.ACC_ERRORS].message
    assert "empty inputs (N = 0)" in message and "It also accepts" in message
    assert "(5, 1) with targets of shape (5,)" in message


CRASHING_LOOP = """
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
{body}
        total += loss.item() * y.shape[1]
    return total
"""


@pytest.mark.parametrize(("body", "mistake"), [
    ("        logits = model(x)\n        loss = loss_fn(logits, y)\n        loss.backward()\n"
     "        optimizer.zero_grad()\n        optimizer.step()", "zero-grad-after-backward"),
])
def test_an_order_mistake_seen_before_the_crash_is_still_charged(body, mistake) -> None:
    """A loop made to raise after its first step cannot keep the order check for an order
    that step showed wrong (the crash alone would cost the return check only)."""
    found = verdicts(namespace(CRASHING_LOOP.format(body=body)), "train_one_epoch")
    assert failed(found)[part_d.TRAIN_ORDER].mistake == mistake, failed(found)


def test_fit_with_a_compiled_model_trains_the_callers_model() -> None:
    """Fresh eyes 19: `torch.compile(model)` handed to train_one_epoch and evaluate inside fit
    (the caller's parameters, behind a wrapper) was told it trained a model of its own."""
    found = verdicts(namespace(edited(
        "fit", "for _ in range(epochs):",
        "model = torch.compile(model, backend='eager')\n    for _ in range(epochs):")), "fit")
    assert not failed(found), {k: v.message for k, v in failed(found).items()}


def test_a_loop_that_steps_without_running_the_model_earns_nothing_when_it_raises() -> None:
    """Red team 21: `optimizer.step(); raise` kept 8 of 10 points (a step counted as work
    done). Held only after a whole step, forward → loss → backward → step."""
    found = verdicts(namespace(CRASHING_LOOP.format(body="        optimizer.step()")),
                     "train_one_epoch")
    assert set(failed(found)) == set(found) and not excused(found)


@pytest.mark.parametrize(("change", "check"), [
    ("        if len(seen) > 1:\n            logits = logits.softmax(dim=1)", "TRAIN_LOGITS"),
    ("        if len(seen) > 1:\n            model.eval()", "TRAIN_MODE"),
])
def test_a_mistake_from_the_second_batch_on_is_charged_by_its_check(change, check) -> None:
    """Red team 21: softmax before the loss, or eval mode, from the second batch on (no
    replay shows it): the loss's inputs and the forward passes' mode, batch by batch."""
    source = """
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, n, seen = 0.0, 0, []
    for x, y in loader:
        seen.append(1)
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        logits = model(x)
{change}
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        total += loss.item() * x.shape[0]
        n += x.shape[0]
    return total / n
""".format(change=change.replace("model.eval()", "model.eval()\n            logits = model(x)"))
    found = verdicts(namespace(source), "train_one_epoch")
    assert getattr(part_d, check) in failed(found), {k: v.message for k, v in found.items()}


def test_a_cuda_call_the_emulation_lacks_is_not_called_a_hard_coded_device() -> None:
    """A guarded torch.cuda call the emulated GPU does not answer (the RNG state) fails on
    it, named as such: not "hard-codes 'cuda'" (fresh eyes 18)."""
    found = verdicts(namespace(edited(
        "evaluate", "x, y = x.to(device), y.to(device)",
        "x, y = x.to(device), y.to(device)\n"
        "            if torch.device(device).type == 'cuda':\n"
        "                torch.cuda.get_rng_state()")), "evaluate")
    verdict = failed(found)[part_d.EVAL_DEVICE]
    assert verdict.mistake == "cuda-runtime-call", verdict.message
    assert "hard-codes" not in verdict.message


def test_an_extra_pass_in_eval_mode_after_training_is_no_mode_mistake() -> None:
    """Only the forward passes the loop trained on are held to train mode: one that measures
    a training accuracy in eval mode after the loop (and sets train mode back) is correct."""
    found = verdicts(namespace(edited(
        "train_one_epoch", "    return total_loss / total_samples",
        "    model.eval()\n"
        "    with torch.no_grad():\n"
        "        for x, y in loader:\n"
        "            model(x.to(device))\n"
        "    model.train()\n"
        "    return total_loss / total_samples")), "train_one_epoch")
    assert not failed(found), {k: v.message for k, v in failed(found).items()}
