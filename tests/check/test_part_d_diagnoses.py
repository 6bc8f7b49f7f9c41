"""Part D names two mistakes only when the worker's recorders saw them (issue 15).

A loss called as loss_fn(y, logits) raises inside PyTorch (a Long dtype error that reads
like "not implemented"), and a backward on a detached copy of the loss trains nothing,
which the replays cannot tell from a step() that sees no gradient. The training and
evaluation scenarios run here in-process on the reference with one edit, and the hidden
Part D checks grade their outcomes: each mistake is named, and nothing else is.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import torch
from lab05_checks import test_part_d_training as part_d
from torch import nn

from autograder.check.context import Reference
from autograder.check.plugin import Verdict, verdict_for
from autograder.check.registry import take_attribution
from autograder.check.runner import suite_checks
from autograder.check.static import SourceFacts
from autograder.config import load_config
from autograder.lab import Lab
from autograder.sandbox import harness

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
TOLERANCES = load_config(LAB.config).tolerances  # the lab's own, as a judge has them
REFERENCE = Reference.load(LAB.solutions)
CHECKS = suite_checks(LAB.checks)
harness.load_lab_modules(LAB.worker_modules)


class InProcessStudent:
    """A session whose scenarios run the harness's own code on a namespace, here."""

    cuda_available = False

    def __init__(self, ns: dict[str, Any]) -> None:
        self.ns = ns

    def ahead(self, *asks: Any) -> None:
        pass  # (the session's round-trip saving: nothing a check can observe)

    def blocked_in_its_cells(self, function: str) -> list[tuple[str, str]]:
        return []  # (no evidence worker ran the notebook's cells)

    def scenario(self, name: str, params: dict[str, Any], timeout: float | None = None,
                 record: bool = True, evidence: tuple[str, ...] = (),
                 block: tuple[str, ...] = ()) -> dict[str, Any]:
        return dict(harness.SCENARIOS[name](self.ns, params))


def namespace(function: str, old: str, new: str, *more: tuple[str, str]) -> dict[str, Any]:
    """The reference's namespace with `old` replaced by `new` in `function` (and each further
    pair of `more` after it)."""
    ns = dict(vars(REFERENCE.module))
    source = inspect.getsource(getattr(REFERENCE.module, function))
    for before, after in ((old, new), *more):
        assert before in source
        source = source.replace(before, after)
    # the test's own edit of the reference, compiled as the worker compiles a cell
    exec(compile(source, "<cell 1>", "exec"), ns)
    return ns


def verdicts(ns: dict[str, Any], function: str) -> dict[str, Verdict]:
    memo: dict[str, Any] = {}
    values = {"student": InProcessStudent(ns), "memo": memo, "tol": TOLERANCES,
              "source": SourceFacts()}
    found = {}
    for spec, test in CHECKS:
        if not spec.name.startswith(function + ":"):
            continue
        names = test.__code__.co_varnames[:test.__code__.co_argcount]
        try:
            test(**{name: values[name] for name in names})
            error = None
        except Exception as exc:
            error = exc
        found[spec.name] = verdict_for(spec, error, take_attribution())
    assert found
    return found


def train_outcome(ns: dict[str, Any]) -> dict[str, Any]:
    return harness.SCENARIOS["train_one_epoch"](ns, part_d._train_params(lr=0.5, start_train=False))


# ---------------------------------------------------------------- the recorders
def test_swapped_is_labels_first_then_scores_over_the_classes() -> None:
    logits, labels = torch.randn(4, 3), torch.tensor([0, 2, 1, 1])
    assert harness.swapped(labels, logits)
    assert not harness.swapped(logits, labels)
    assert not harness.swapped(logits, torch.softmax(logits, 1))  # soft targets, right order
    assert not harness.swapped(labels.float(), logits)  # float first: not labels
    assert not harness.swapped(labels[:2], logits)  # not the same batch
    assert not harness.swapped(labels, "logits")


def test_reaches_follows_the_graph_to_the_parameters_only() -> None:
    model = nn.Linear(3, 2)
    params = {id(p) for p in model.parameters()}
    loss = nn.functional.cross_entropy(model(torch.randn(4, 3)), torch.tensor([0, 1, 1, 0]))
    assert harness.reaches(loss, params)
    assert not harness.reaches(loss.detach().requires_grad_(), params)
    assert not harness.reaches(torch.tensor(loss.item(), requires_grad=True), params)
    assert not harness.reaches(loss.detach().requires_grad_() * 2, params)  # a graph, not theirs
    assert not harness.reaches(loss, set())


def test_backward_recorder_records_only_while_it_is_on_and_puts_the_switch_back() -> None:
    model, log = nn.Linear(3, 2), harness.Log()
    model(torch.randn(2, 3)).sum().backward()  # before: nothing to record it in
    with harness.BackwardRecorder(model, log):
        installed = torch.autograd.backward
        model(torch.randn(2, 3)).sum().backward()
        torch.autograd.backward([model(torch.randn(2, 3)).sum().detach().requires_grad_()])
    assert harness.SWITCHES.backward is None
    model(torch.randn(2, 3)).sum().backward()  # after: not recorded either
    assert torch.autograd.backward is installed  # installed once, never swapped per scenario
    # (no instrumented loss returned either tensor: neither is the loss's output)
    assert log.backward_calls == [{"graph": True, "loss_output": False},
                                  {"graph": False, "loss_output": False}]
    assert model.weight.grad is not None  # the real backward still ran


def test_the_reference_epoch_records_no_swap_and_backwards_on_its_graph() -> None:
    outcome = train_outcome(dict(vars(REFERENCE.module)))
    assert outcome["error"] is None
    assert outcome["loss_calls"] and not any(c["swapped"] for c in outcome["loss_calls"])
    # 50 samples, batches of 16: each backward on its graph, on the loss's own output
    assert outcome["backward_calls"] == [{"graph": True, "loss_output": True}] * 4


# ---------------------------------------------------------------- the messages
SWAPPED = "arguments swapped, loss_fn(targets, outputs)"


def test_swapped_loss_arguments_are_named_in_every_check_they_break() -> None:
    """train_one_epoch raises at its first loss, before any step(): no check has a run."""
    ns = namespace("train_one_epoch", "loss_fn(logits, y)", "loss_fn(y, logits)")
    found = verdicts(ns, "train_one_epoch")
    assert all(not v.passed for v in found.values())  # it raises: nothing can be graded
    for name, verdict in found.items():
        assert SWAPPED in verdict.message, (name, verdict.message)
        assert verdict.mistake == "loss-arguments-swapped"
        assert "not implemented" not in verdict.message


def test_swapped_loss_arguments_in_evaluate_are_named_once() -> None:
    """evaluate ran the model before its loss raised: its values check names the swap, once;
    its mode, no_grad and device checks judge what ran and are held to it."""
    ns = namespace("evaluate", "loss_fn(logits, y)", "loss_fn(y, logits)")
    found = verdicts(ns, "evaluate")
    values = found.pop(part_d.EVAL_VALUES)
    assert not values.passed and values.mistake == "loss-arguments-swapped"
    assert SWAPPED in values.message and "not implemented" not in values.message
    assert all(v.passed and v.assessed_by == part_d.EVAL_VALUES for v in found.values())


def test_an_error_without_a_swap_stays_the_students_own_error() -> None:
    ns = namespace("train_one_epoch", "loss = loss_fn(logits, y)",
                   "loss = loss_fn(logits, y)\n        raise NotImplementedError")
    for verdict in verdicts(ns, "train_one_epoch").values():
        assert verdict.mistake == "not-implemented", verdict.message
        assert SWAPPED not in verdict.message


@pytest.mark.parametrize("backward", ["loss.detach().requires_grad_().backward()",
                                      "torch.tensor(loss.item(), requires_grad=True).backward()"])
def test_a_backward_cut_from_the_graph_costs_the_order_check_only(backward) -> None:
    ns = namespace("train_one_epoch", "loss.backward()", backward)
    outcome = train_outcome(ns)
    assert outcome["error"] is None and "backward" not in outcome["events"]
    assert outcome["backward_calls"] and not any(c["graph"] for c in outcome["backward_calls"])
    found = verdicts(ns, "train_one_epoch")
    failed = {name: v for name, v in found.items() if not v.passed}
    assert set(failed) == {part_d.TRAIN_ORDER}
    verdict = failed[part_d.TRAIN_ORDER]
    assert verdict.mistake == "backward-detached"
    assert "cut from the graph" in verdict.message and "step() runs before" not in verdict.message


def test_a_backward_that_raises_on_a_detached_loss_is_named() -> None:
    ns = namespace("train_one_epoch", "loss.backward()", "loss.detach().backward()")
    for verdict in verdicts(ns, "train_one_epoch").values():
        assert not verdict.passed and verdict.mistake == "backward-detached", verdict.message


def test_no_backward_at_all_is_named_as_such() -> None:
    ns = namespace("train_one_epoch", "        loss.backward()\n", "")
    verdict = verdicts(ns, "train_one_epoch")[part_d.TRAIN_ORDER]
    assert verdict.mistake == "no-backward"
    assert "never calls loss.backward()" in verdict.message


def test_a_step_before_backward_keeps_its_own_message() -> None:
    ns = namespace("train_one_epoch", "loss.backward()\n        optimizer.step()",
                   "optimizer.step()\n        loss.backward()")
    verdict = verdicts(ns, "train_one_epoch")[part_d.TRAIN_ORDER]
    assert "step() runs before backward()" in verdict.message
    assert "cut from the graph" not in verdict.message


def test_a_functional_backward_is_correct_work() -> None:
    ns = namespace("train_one_epoch", "loss.backward()", "torch.autograd.backward([loss])")
    assert all(v.passed for v in verdicts(ns, "train_one_epoch").values())


# ---------------------------------------------------------------- values in words
@pytest.mark.parametrize(("function", "old", "new", "check", "words"), [
    ("train_one_epoch", "return total_loss / total_samples", "return None",
     part_d.TRAIN_RETURN, "returned None:"),
    ("evaluate", '"accuracy": correct / total_samples', '"accuracy": "high"',
     part_d.EVAL_VALUES, "accuracy as a string:"),
    ("get_device", 'return torch.device("cuda" if torch.cuda.is_available() else "cpu")',
     "return 0", part_d.GET_DEVICE, "returned a Python number when"),
])
def test_a_wrong_return_is_described_in_words_not_a_class_name(function, old, new, check,
                                                              words) -> None:
    verdict = verdicts(namespace(function, old, new), function)[check]
    assert not verdict.passed and words in verdict.message, verdict.message
    assert "NoneType" not in verdict.message and " str:" not in verdict.message


def test_a_device_decided_once_when_its_cell_ran_is_said_as_such() -> None:
    """Fresh eyes 13's x_ok1: `DEVICE = torch.device(...)` in a cell, `return DEVICE` —
    the notebook states that get_device asks each time it is called; the message says why
    it failed (the same device with and without a GPU)."""
    ns = namespace("get_device", 'return torch.device("cuda" if torch.cuda.is_available() '
                   'else "cpu")', "return DEVICE")
    ns["DEVICE"] = torch.device("cpu")  # (as the cell ran, on a machine without a GPU)
    verdict = verdicts(ns, "get_device")[part_d.GET_DEVICE]
    assert not verdict.passed
    assert "both when" in verdict.message and "expected cuda" in verdict.message
    assert "every time" in verdict.message


def test_a_backward_the_student_replaced_is_left_for_the_integrity_check() -> None:
    original = torch.autograd.backward

    def students(*args: Any, **kwargs: Any) -> None:
        return None

    try:
        with harness.BackwardRecorder(nn.Linear(3, 2), harness.Log()):
            torch.autograd.backward = students
        assert torch.autograd.backward is students  # not hidden by putting torch's back
    finally:
        torch.autograd.backward = original


# ---------------------------------------------------------------- a fresh batch's mistakes
def test_model_train_after_the_loop_is_told_too_late() -> None:
    ns = namespace("train_one_epoch", "    model.train()\n    total_loss", "    total_loss",
                   ("    return total_loss / total_samples",
                    "    model.train()\n    return total_loss / total_samples"))
    verdict = verdicts(ns, "train_one_epoch")[part_d.TRAIN_MODE]
    assert not verdict.passed and "too late" in verdict.message, verdict.message
    assert "never calls" not in verdict.message


def test_a_loop_that_skips_the_last_batch_is_charged_once_with_its_count() -> None:
    ns = namespace("train_one_epoch", "    for x, y in loader:\n",
                   "    for i, (x, y) in enumerate(loader):\n"
                   "        if i == len(loader) - 1:\n            break\n")
    found = verdicts(ns, "train_one_epoch")
    failed = {name: v for name, v in found.items() if not v.passed}
    assert set(failed) == {part_d.TRAIN_ORDER}, failed
    assert "3 forward passes for the loader's 4 batches" in failed[part_d.TRAIN_ORDER].message
    assert found[part_d.TRAIN_RETURN].assessed_by == part_d.TRAIN_ORDER


def test_a_fit_one_epoch_short_is_told_its_count() -> None:
    ns = namespace("fit", "for _ in range(epochs):", "for _ in range(1, epochs):")
    verdict = verdicts(ns, "fit")[part_d.FIT]
    assert not verdict.passed and verdict.mistake == "fit-epochs", verdict.message
    assert "5 entries per list for epochs=6" in verdict.message


FRESH_HISTORY = ('    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], '
                 '"val_accuracy": []}\n')


@pytest.mark.parametrize("edits", [
    [("def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device) -> dict:",
      "def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device,\n"
      '        history={"train_loss": [], "val_loss": [], "val_accuracy": []}) -> dict:'),
     (FRESH_HISTORY, "")],
    [(FRESH_HISTORY, "    history = HISTORY\n")],
], ids=["default-argument", "global"])
def test_a_history_kept_between_calls_is_told_so(edits) -> None:
    """Fresh eyes 47: a default-argument (or global) history is right on a first call; no
    check called fit twice, so it kept its point."""
    ns = namespace("fit", *edits[0], *edits[1:])
    ns["HISTORY"] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    verdict = verdicts(ns, "fit")[part_d.FIT]
    assert not verdict.passed and verdict.mistake == "fit-history-kept", verdict.message
    assert "a second call returns the first call's figures followed by its own" in \
        verdict.message


def test_a_fit_that_fails_when_called_again_is_charged() -> None:
    """A fit right on its first call that raises on the second (state kept from the first)."""
    ns = namespace("fit", FRESH_HISTORY,
                   '    if RAN:\n        raise RuntimeError("fit already ran")\n'
                   "    RAN.append(1)\n" + FRESH_HISTORY)
    ns["RAN"] = []
    verdict = verdicts(ns, "fit")[part_d.FIT]
    assert not verdict.passed and verdict.mistake == "fit-called-again", verdict.message
    assert "fit raises RuntimeError" in verdict.message
    assert "when it is called a second time" in verdict.message


def test_one_evaluation_after_the_loop_is_told_its_count() -> None:
    """Fresh eyes 46: evaluate once after the epoch loop, its figures repeated for every
    epoch, was told to check which loader each call gets."""
    ns = namespace("fit", '        metrics = evaluate(model, val_loader, loss_fn, device)\n'
                          '        history["val_loss"].append(metrics["loss"])\n'
                          '        history["val_accuracy"].append(metrics["accuracy"])\n',
                   '    metrics = evaluate(model, val_loader, loss_fn, device)\n'
                   '    history["val_loss"] = [metrics["loss"]] * epochs\n'
                   '    history["val_accuracy"] = [metrics["accuracy"]] * epochs\n')
    verdict = verdicts(ns, "fit")[part_d.FIT]
    assert not verdict.passed and verdict.mistake == "fit-evaluates-once", verdict.message
    assert "fit calls evaluate once for epochs=6, where it trains 6 times" in verdict.message


def test_a_history_with_a_key_of_its_own_is_correct_work() -> None:
    ns = namespace("fit", 'history["val_accuracy"].append(metrics["accuracy"])',
                   'history["val_accuracy"].append(metrics["accuracy"])\n'
                   '        history.setdefault("lr", []).append(0.1)')
    assert verdicts(ns, "fit")[part_d.FIT].passed


@pytest.mark.parametrize(("old", "new", "words"), [
    ("        optimizer.step()\n", "        optimizer.step()\n        optimizer.step()\n",
     "optimizer.step() runs 8 times for 4 batches"),
    ("        logits = model(x)\n", "        with torch.no_grad():\n            model(x)\n"
                                  "        logits = model(x)\n",
     "8 forward passes for the loader's 4 batches"),
])
def test_counts_are_per_batch_of_the_loader(old, new, words) -> None:
    verdict = verdicts(namespace("train_one_epoch", old, new), "train_one_epoch")[part_d.TRAIN_ORDER]
    assert not verdict.passed and words in verdict.message, verdict.message
    assert "zero_grad() runs" not in verdict.message


def test_a_history_of_tensors_is_told_so() -> None:
    ns = namespace("fit", 'history["val_loss"].append(metrics["loss"])',
                   'history["val_loss"].append(torch.tensor(metrics["loss"]))',
                   ('history["train_loss"].append(train_one_epoch(',
                    'history["train_loss"].append(torch.tensor(train_one_epoch('),
                   ("optimizer, device))", "optimizer, device)))"),
                   ('history["val_accuracy"].append(metrics["accuracy"])',
                    'history["val_accuracy"].append(torch.tensor(metrics["accuracy"]))'))
    verdict = verdicts(ns, "fit")[part_d.FIT]
    assert not verdict.passed and verdict.mistake == "fit-history-types", verdict.message


def test_an_evaluation_before_the_first_epoch_is_told_each_lists_count() -> None:
    """Fresh eyes of stop 50: one evaluation more than the epochs, told only that the history
    does not follow train-then-evaluate."""
    ns = namespace("fit", "    for _ in range(epochs):\n",
                   "    first = evaluate(model, val_loader, loss_fn, device)\n"
                   '    history["val_loss"].append(first["loss"])\n'
                   '    history["val_accuracy"].append(first["accuracy"])\n'
                   "    for _ in range(epochs):\n")
    verdict = verdicts(ns, "fit")[part_d.FIT]
    assert not verdict.passed and verdict.mistake == "fit-epochs", verdict.message
    assert "6 for train_loss, 7 for val_loss, 7 for val_accuracy" in verdict.message
    assert "an evaluation before the first epoch" in verdict.message


def test_zero_grad_once_an_epoch_is_said_in_words() -> None:
    ns = namespace("train_one_epoch", "        optimizer.zero_grad()\n", "",
                   ("    for x, y in loader:\n",
                    "    optimizer.zero_grad()\n    for x, y in loader:\n"))
    verdict = verdicts(ns, "train_one_epoch")[part_d.TRAIN_ORDER]
    assert not verdict.passed and "zero_grad() runs once for 4 batches" in verdict.message


def test_a_model_that_raises_is_told_its_layers_widths() -> None:
    """Fresh eyes of stop 50: a second Linear of the wrong width was told only the crash.
    Its layers are judged (the wrong sizes, said with the crash); the logits check, which
    counts once the model runs (work first), has no outputs to judge."""
    ns = namespace("build_classifier", "nn.Linear(hidden, num_classes)",
                   "nn.Linear(in_features, num_classes)")
    found = verdicts(ns, "build_classifier")
    arch = found[part_d.CLS_ARCH]
    assert not arch.passed and arch.mistake == "wrong-sizes", arch.message
    assert "raises when it runs" in arch.message
    assert not found[part_d.CLS_LOGITS].passed and not found[part_d.CLS_LOGITS].assessed_by


def test_a_build_classifier_that_raises_itself_earns_neither_check() -> None:
    """Work first: a stub that raises scores nothing, its logits check included."""
    ns = namespace("build_classifier", "    return nn.Sequential(",
                   "    raise NotImplementedError\n    return nn.Sequential(")
    found = verdicts(ns, "build_classifier")
    assert not found[part_d.CLS_ARCH].passed and not found[part_d.CLS_LOGITS].passed
    assert not found[part_d.CLS_LOGITS].assessed_by


# ---------------------------------------------------------------- red team of stop 50 (third)
def test_a_scaled_softmax_before_the_loss_is_the_logits_checks_alone() -> None:
    """`2 * softmax(logits)` matched no replay and no probabilities test: the step-order
    check took the blame, and its failure for another mistake kept the logits check's
    points. The loss is now seen handed a transform of the model's outputs."""
    ns = namespace("train_one_epoch", "        loss = loss_fn(logits, y)\n",
                   "        loss = loss_fn(2 * torch.softmax(logits, 1), y)\n")
    found = verdicts(ns, "train_one_epoch")
    logits = found[part_d.TRAIN_LOGITS]
    assert not logits.passed and logits.mistake == "softmax-before-loss", logits.message
    assert found[part_d.TRAIN_ORDER].assessed_by == part_d.TRAIN_LOGITS  # (charged once)


@pytest.mark.parametrize("handed", ["logits.reshape(len(y), -1)", "logits.float()",
                                    "torch.log_softmax(logits, 1)"])
def test_what_gives_the_logits_own_loss_is_not_a_transform(handed: str) -> None:
    ns = namespace("train_one_epoch", "        loss = loss_fn(logits, y)\n",
                   f"        loss = loss_fn({handed}, y)\n")
    assert verdicts(ns, "train_one_epoch")[part_d.TRAIN_LOGITS].passed


def test_batchnorm_set_to_eval_under_a_training_model_is_the_mode_checks() -> None:
    ns = namespace("train_one_epoch", "    model.train()\n",
                   "    model.train()\n    for layer in model.modules():\n"
                   "        if isinstance(layer, nn.BatchNorm1d):\n            layer.eval()\n")
    verdict = verdicts(ns, "train_one_epoch")[part_d.TRAIN_MODE]
    assert not verdict.passed and "some of the model's layers" in verdict.message, \
        verdict.message


@pytest.mark.parametrize(("restored", "charged"), [(False, True), (True, False)])
def test_a_logged_pass_in_eval_mode_is_charged_once_for_the_mode(restored: bool,
                                                                 charged: bool) -> None:
    """Fresh eyes 47: a batch's accuracy logged after model.eval(), the mode never switched
    back, was charged twice — the mode, and the order for its extra pass (which moves nothing
    in eval mode). The mode check alone charges it; switched back, nothing is charged; an
    extra pass in train mode is still the order check's (`extra-forward`)."""
    log = ("        model.eval()\n        with torch.no_grad():\n            _ = model(x)\n"
           + ("        model.train()\n" if restored else ""))
    ns = namespace("train_one_epoch", "        total_samples += x.shape[0]\n",
                   "        total_samples += x.shape[0]\n" + log)
    found = verdicts(ns, "train_one_epoch")
    assert found[part_d.TRAIN_MODE].passed is not charged, found[part_d.TRAIN_MODE].message
    order = found[part_d.TRAIN_ORDER]
    assert order.passed and order.assessed_by == (part_d.TRAIN_MODE if charged else ""), \
        order.message
    in_train_mode = namespace("train_one_epoch", "        total_samples += x.shape[0]\n",
                              "        total_samples += x.shape[0]\n        _ = model(x)\n")
    assert verdicts(in_train_mode, "train_one_epoch")[part_d.TRAIN_ORDER].mistake == \
        "extra-forward"


def test_a_graph_kept_through_the_logits_is_seen() -> None:
    """`kept.append(logits)` holds every batch's graph without reaching the loss's marker:
    full marks before the model's outputs were tagged too."""
    ns = namespace("train_one_epoch", "    total_loss, total_samples = 0.0, 0\n",
                   "    total_loss, total_samples = 0.0, 0\n    kept = []\n",
                   ("        logits = model(x)\n",
                    "        logits = model(x)\n        kept.append(logits)\n"))
    verdict = verdicts(ns, "train_one_epoch")[part_d.TRAIN_RETURN]
    assert not verdict.passed, verdict.message


def test_a_scaled_softmax_at_the_end_of_the_model_is_a_softmax() -> None:
    ns = namespace("build_classifier", "        nn.Linear(hidden, num_classes),\n",
                   "        nn.Linear(hidden, num_classes),\n        nn.Softmax(dim=1),\n",
                   ("    return nn.Sequential(", "    class _Twice(nn.Module):\n"
                    "        def forward(self, x):\n            return 2 * x\n"
                    "    return nn.Sequential("),
                   ("        nn.Softmax(dim=1),\n", "        nn.Softmax(dim=1),\n        _Twice(),\n"))
    verdict = verdicts(ns, "build_classifier")[part_d.CLS_LOGITS]
    assert not verdict.passed and verdict.mistake == "softmax-at-end", verdict.message


# ---------------------------------------------------------------- red team of stop 50 (fourth)
@pytest.mark.parametrize(("old", "new"), [
    ("        total_loss += loss.item() * x.shape[0]\n",  # (a second, detached loss call)
     "        total_loss += loss_fn(logits.detach(), y).item() * x.shape[0]\n"),
    ("    return total_loss / total_samples\n",  # (an evaluation after the loop)
     "    evaluate(model, loader, loss_fn, device)\n    return total_loss / total_samples\n"),
])
def test_a_correct_loop_with_more_loss_calls_keeps_no_graph(old: str, new: str) -> None:
    """A batch is told by the optimizer's steps, not by loss calls: these correct loops were
    counted as keeping graphs alive."""
    ns = namespace("train_one_epoch", old, new)
    assert verdicts(ns, "train_one_epoch")[part_d.TRAIN_RETURN].passed


def test_model_forward_hides_neither_a_kept_graph_nor_a_transform() -> None:
    """`model.forward(x)` skips the model's own hooks, not its output layer's."""
    kept = namespace("train_one_epoch", "    total_loss, total_samples = 0.0, 0\n",
                     "    total_loss, total_samples = 0.0, 0\n    kept = []\n",
                     ("        logits = model(x)\n",
                      "        logits = model.forward(x)\n        kept.append(logits)\n"))
    assert not verdicts(kept, "train_one_epoch")[part_d.TRAIN_RETURN].passed
    scaled = namespace("train_one_epoch", "        logits = model(x)\n",
                       "        logits = model.forward(x)\n",
                       ("        loss = loss_fn(logits, y)\n",
                        "        loss = loss_fn(2 * torch.softmax(logits, 1), y)\n"))
    found = verdicts(scaled, "train_one_epoch")
    assert not found[part_d.TRAIN_LOGITS].passed
    assert found[part_d.TRAIN_ORDER].passed  # (charged once: no "0 forward passes")


@pytest.mark.parametrize("body", [
    "torch.device(torch.cuda.current_device() if torch.cuda.is_available() else 'cpu')",
    "(torch.empty(0, device='cuda') if torch.cuda.is_available() else torch.empty(0)).device",
])
def test_get_device_right_on_a_gpu_machine_is_right_under_emulation(body: str) -> None:
    """Fresh eyes of stop 50: an index alone names the GPU on a machine with one, and a
    tensor made on "cuda" is made there; this CPU build refused both (a false positive)."""
    ns = namespace("get_device", 'return torch.device("cuda" if torch.cuda.is_available() '
                                 'else "cpu")', f"return {body}")
    verdict = verdicts(ns, "get_device")[part_d.GET_DEVICE]
    assert verdict.passed, verdict.message
    assert torch.device is not None and isinstance(torch.device("cpu"), torch.device)


def test_a_hard_coded_gpu_index_is_still_wrong_without_one() -> None:
    ns = namespace("get_device", 'return torch.device("cuda" if torch.cuda.is_available() '
                                 'else "cpu")', "return torch.device(0)")
    assert not verdicts(ns, "get_device")[part_d.GET_DEVICE].passed


# ---------------------------------------------------------------- later calls on one model
@pytest.mark.parametrize("from_call", [2, 3])
def test_a_loop_wrong_from_a_later_call_on_its_model_loses_the_order_check(from_call) -> None:
    """Outside red teams of stop 51: loops right on their first call on a model (then their
    second) and without zero_grad after it kept the step-order check: every check's own run
    was a first call, and the second-call run made two. The `called_again` run makes three,
    and the parameters after them must be the reference's."""
    ns = namespace("train_one_epoch", "    model.train()\n",
                   "    seen = model.__dict__.setdefault('_calls', [0])\n"
                   "    seen[0] += 1\n"
                   "    model.train()\n",
                   ("        optimizer.zero_grad()\n",
                    f"        if seen[0] < {from_call}:\n"
                    "            optimizer.zero_grad()\n"))
    found = verdicts(ns, "train_one_epoch")
    assert not found[part_d.TRAIN_ORDER].passed, found[part_d.TRAIN_ORDER]
    assert "called again on the same model" in found[part_d.TRAIN_ORDER].message
    assert [name for name, v in found.items() if not v.passed] == [part_d.TRAIN_ORDER]
