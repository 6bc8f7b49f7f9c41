"""Part D — devices, model, training loop, evaluation, fit.

Why this shape: these functions are observed inside the worker (scenarios), where
the notebook's code runs too. Verdicts rest on what the judge recomputes from plain
data (parameters after a replayed epoch, BatchNorm buffers, returned numbers, a
history built from judge-drawn values); in-worker observations (events, grad mode,
devices) come from harness code the worker restored from its snapshot, and any
outcome the worker's integrity check could not vouch for scores 0 as tampering.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import re
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from autograder.check import tamper
from autograder.check.compare import describe
from autograder.check.fresh import fresh_seed
from autograder.check.registry import CheckFailed, attributed_to, check, fail, held_to
from autograder.sandbox import probes
from autograder.sandbox.protocol import MetaTensor, NumpyArray
from autograder.sandbox.quoting import (
    quotable_class,
    quotable_count,
    quotable_message,
    quotable_shape,
)
from autograder.sandbox.session import StudentError, student_error_info
from lab05_checks import training
from lab05_checks.blame import Composition, HelperCall, helper_to_blame
from lab05_checks.test_gpu_inputs import MIXED_DEVICES, NUMPY_ON_GPU
from lab05_checks.test_part_c_metrics import ACC_VALUES


def _raise_student(function: str, outcome: dict, charges: bool = False,
                   seen: Callable[[dict], None] | None = None) -> None:
    """A student exception inside a scenario reads like one from a direct call, unless a
    recorder saw its cause (then the message names that).

    A loop that raised after it did its work on a batch (`_got_going`: a training step, or
    the model run in evaluate) is charged once, by the check of the figure it never
    returned (`_CRASH_CHARGED_BY`; `charges`: the running check is that one); every other
    check judges what its run showed before the error (`seen`, which fails on a mistake
    there) and is otherwise held to that check (a fresh outside review's evaluate raising at
    its accuracy line lost all four of its checks, 8 points, its mode, no_grad and devices
    right as far as it ran)."""
    if outcome.get("error"):
        if not charges and function in _CRASH_CHARGED_BY and _got_going(function, outcome):
            if seen is not None:
                seen(outcome)
            held_to(_CRASH_CHARGED_BY[function])
        _explain_error(function, outcome)
        raise StudentError(function, outcome["error"])


def _got_going(function: str, outcome: dict) -> bool:
    """The loop did its work on at least one batch before it raised: a whole training step,
    forward → loss → backward → step (train_one_epoch: a red team's `optimizer.step();
    raise` kept 8 of 10 points when a step alone counted), the model run and its loss
    computed (evaluate)."""
    events = iter(outcome.get("events", []))
    wanted = ("forward", "loss", "backward", "step") if function == "train_one_epoch" else \
        ("forward", "loss")
    return all(event in events for event in wanted)  # (in this order: one iterator)


SWAPPED_LOSS = ("{function} calls loss_fn with its arguments swapped, loss_fn(targets, "
                "outputs): PyTorch losses take (predictions, targets), so write "
                "loss_fn(model(x), y).")
DETACHED_BACKWARD = ("{function} calls backward() on a tensor cut from the graph (detach(), "
                     ".item(), a new tensor, or a forward pass run under torch.no_grad()), so "
                     "no gradient reaches the parameters: call loss.backward() on the loss "
                     "computed from model(x), with gradients enabled.")
DETACHED_LOGITS = ("{function} gives loss_fn outputs cut from the graph (logits.detach(), or "
                   "the forward pass under torch.no_grad()), so the loss has no gradient to "
                   "the parameters and backward() raises: pass model(x) to loss_fn as it is.")
NO_BACKWARD = ("{function} never calls loss.backward(), so the parameters get no gradient "
               "and optimizer.step() changes nothing: call loss.backward() between the loss "
               "and optimizer.step().")


def _backward_problem(function: str, outcome: dict) -> tuple[str, str] | None:
    """What the backward recorder saw when no gradient ever reached the model although the
    loss was computed from logits that carry a graph: a backward on a tensor whose graph
    does not lead to the parameters, or no backward at all (while the optimizer steps)."""
    events = outcome.get("events", [])
    losses = outcome.get("loss_calls", [])
    calls = outcome.get("backward_calls", [])
    if "backward" in events or not losses or not all(c["requires_grad"] for c in losses):
        return None
    if calls and not any(c["graph"] for c in calls):
        return DETACHED_BACKWARD.format(function=function), "backward-detached"
    if not calls and "step" in events:
        return NO_BACKWARD.format(function=function), "no-backward"
    return None


def _quoted(error: Any) -> str:
    """A scenario's error message as feedback may quote it (`session.quotable_message`)."""
    info = student_error_info(error)
    return quotable_message(info["message"], info["own"])


def _explain_error(function: str, outcome: dict) -> None:
    """The student's function raised, and a recorder saw why: the loss called with its
    arguments swapped (a float/Long dtype error from PyTorch), or backward() on a tensor
    without a graph. The exception decided the verdict; this only names its cause."""
    if not outcome.get("error"):
        return
    losses = outcome.get("loss_calls", [])
    if any(c["swapped"] for c in losses):
        fail(SWAPPED_LOSS.format(function=function), "loss-arguments-swapped")
    message = str((outcome.get("error") or {}).get("message", ""))
    if losses and not any(c["requires_grad"] for c in losses) \
            and "does not require grad" in message:
        # (a mistakes review, 24: told only PyTorch's "element 0 of tensors does not
        # require grad")
        fail(DETACHED_LOGITS.format(function=function), "loss-input-detached")
    problem = _backward_problem(function, outcome)
    if problem is not None and problem[1] == "backward-detached":
        fail(*problem)  # (a missing backward raises nothing: the error is another one)
    if "more than 1 value per channel" in message or "(got 1D input)" in message:
        # (the model's BatchNorm refused what it was given, in train mode: mistakes review
        # 38's loop over loader.dataset was told only PyTorch's words)
        fail(f"{function} feeds the model one sample at a time (PyTorch: "
             f"\"{_quoted(outcome['error'])[:90]}\"), which its BatchNorm layer refuses in "
             "train mode — a loop over loader.dataset, or a batch indexed down to one sample: "
             "iterate over the loader's batches, for x, y in loader.", "single-samples")


def _scenario(student, name: str, params: dict) -> dict:
    """Run a scenario; an outcome the worker's integrity check flagged is not evidence."""
    function = next((f for f in ("fit", "train_one_epoch") if name.startswith(f)), name)
    try:
        outcome = student.scenario(name, params)
    except StudentError as exc:
        tamper.require_untampered_outcome(function, exc.info)
        raise
    tamper.require_untampered_outcome(function, outcome)
    return _well_formed(outcome)


_RECORDS: dict[str, dict[str, Any]] = {
    "loss_calls": {"logits_device": "?", "targets_device": "?", "probs": False,
                   "requires_grad": False, "grad_enabled": False, "swapped": False,
                   "logits_ndim": 2, "transformed": False, "rows": 0},
    "backward_calls": {"graph": True, "loss_output": True},
    "forward": {"input_device": "?", "param_device": "?", "grad_enabled": False,
                "mixed": False},
    "layer_inputs": {"input_device": "?", "param_device": "?"},
}
_TEXTS = ("with_cuda", "without_cuda", "with_cuda_type", "without_cuda_type")


def _as_float(value: int | float) -> float:
    """A Python number as a float; an int beyond float range as inf (never OverflowError)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _well_formed(outcome: Any) -> dict[str, Any]:
    """The outcome with every field the harness writes in the type the harness writes it
    (a list of str, a list of records, a dict of tensors, ...): what a student's code left
    in it cannot make a check crash (checks are total); a field of another type reads as
    absent."""
    if not isinstance(outcome, dict):
        return {}
    clean = dict(outcome)
    events = clean.get("events")
    clean["events"] = [e for e in events if isinstance(e, str)] if isinstance(events, list) else []
    layers = clean.get("layer_calls")
    clean["layer_calls"] = [e for e in layers if isinstance(e, str)] \
        if isinstance(layers, list) else []
    for key, defaults in _RECORDS.items():
        records = clean.get(key)
        clean[key] = ([{**defaults, **{k: v for k, v in r.items()
                                       if isinstance(v, type(defaults.get(k, v)))}}
                       for r in records if isinstance(r, dict)]
                      if isinstance(records, list) else [])
    for key in _TEXTS:
        if key in clean and not isinstance(clean[key], str):
            clean[key] = None
    params = clean.get("params")
    clean["params"] = ([(str(p[0]), p[1]) for p in params if isinstance(p, (list, tuple))
                        and len(p) == 2 and isinstance(p[1], torch.Tensor)
                        and p[1].is_floating_point()]
                       if isinstance(params, list) else [])
    for key in ("error", "forward_error",
                *(f"{label}_error" for label in ("with_cuda", "without_cuda"))):
        if _present(clean.get(key)):
            clean[key] = student_error_info(clean[key])
    if "logits" in clean and not isinstance(clean["logits"], torch.Tensor):
        clean["logits"] = None
    return clean

def _present(value: Any) -> bool:
    """A field that is there: truthy, or of no truth value (an empty tensor in an error's
    place raised in `bool`; checks are total)."""
    try:
        return bool(value)
    except Exception:
        return True


ARCH = "bn_mlp"
SEED = 3
BATCH = 16  # 50 samples: batches of 16, 16, 16 and 2
EPOCH_N = 50
# The plain-objects epoch's samples: more batches than any other run's (seventeen), so a
# loop that stops after a few batches trains otherwise there (red team 44's stopped after
# five: every other loader the checks build holds four at most; red team 91's after nine, as
# many as this loader held then, and a cap of 10 — a debugging leftover — is as likely)
PLAIN_N = 16 * BATCH + 2
EPOCH_BATCHES = -(-EPOCH_N // BATCH)


def _train_params(lr: float, start_train: bool, device: str = "cpu",
                  fake_cuda: bool | None = False, n: int = EPOCH_N) -> dict:
    x, y = training.make_data(SEED, n=n)
    return {"arch": ARCH, "state": training.initial_state(ARCH, SEED), "x": x, "y": y,
            "batch_size": BATCH, "lr": lr, "start_train": start_train, "device": device,
            "fake_cuda": fake_cuda, "seed": SEED}


def _emulated(params: dict) -> dict:
    """A device check's parameters for a run beside the emulated GPU: where inputs, labels
    and the model go does not depend on the layers, and every operation on the emulated GPU
    costs more than on the CPU (each passes through Python), so the model is one linear
    layer, the fewest operations."""
    return {**params, "arch": "linear", "state": training.initial_state("linear", SEED),
            "emulated_gpu": False}


def _on_emulated_gpu(params: dict) -> dict:
    """The GPU run where the worker has no GPU: the device argument is "cuda", the model on
    it, and the call runs on the emulated GPU (`sandbox.devices`, real data: what the loop
    reads back with `.item()`, `.tolist()` or `bool()` is what a GPU gives; fe17's correct
    loops kept their counts on the device and divided by them)."""
    return {**_emulated(params), "device": "cuda", "fake_cuda": True, "emulated_gpu": True}


def _cpu_beside_emulated_gpu(params: dict) -> dict:
    """`_cpu_while_gpu_params` on the emulated GPU: the device argument says cpu while a GPU
    is there, and a "cuda" of the function's own (hard-coded, get_device(),
    torch.cuda.is_available()) reaches it, so the run shows the batch leaving the model's
    device."""
    return {**_emulated(params), "device": "cpu", "fake_cuda": True, "cuda_as_cpu": False,
            "emulated_gpu": True}


def _order_hint(events: list[str], loader_batches: int = EPOCH_BATCHES) -> str:
    """What the worker saw, in words (feedback only; the verdict is from parameters), on the
    epoch of `loader_batches` batches."""
    return _order_diagnosis(events, loader_batches)[0]


def _order_diagnosis(events: list[str],
                     loader_batches: int = EPOCH_BATCHES) -> tuple[str, str | None]:
    """`_order_hint`'s words and the mistake tag the recorded calls show (None where they
    name no particular mistake): the dashboard files a loop under what it did, not under the
    replay its parameters happened to match (a step() before backward() leaves the same
    parameters as a zero_grad() between backward() and step())."""
    if "forward" in events and "loss" not in events:
        return ("the loss_fn it is given is never called: compute loss = loss_fn(model(x), y) "
                "with the loss_fn argument, not a loss of its own."), "ignores-loss-fn"
    if "backward" in events and "step" not in events:
        return ("the optimizer it is given never steps: it trains with an optimizer of its "
                "own (or none) — use the optimizer argument: optimizer.zero_grad() ... "
                "optimizer.step()."), "own-optimizer"
    if "zero_grad" not in events:
        return ("optimizer.zero_grad() is never called, so gradients from earlier batches "
                "accumulate: call it at the start of every batch."), "zero-grad-missing"
    text = " ".join(events)
    if "backward zero_grad step" in text:
        return ("zero_grad() runs between backward() and step(), so step() sees no gradient: "
                "call zero_grad() before the forward pass."), "zero-grad-after-backward"
    if "step backward" in text or text.startswith("zero_grad forward loss step"):
        return ("step() runs before backward(), so each update uses no or stale gradients: "
                "the order is zero_grad → forward → loss → backward → step."), \
            "zero-grad-step-first"
    forwards, zeroed, steps = (events.count(e) for e in ("forward", "zero_grad", "step"))
    batches = loader_batches  # the loader's, not the forward passes (a loop may make two)
    if forwards < batches:
        return (f"the loop makes {forwards} forward passes for the loader's {batches} "
                "batches: go over every batch of the loader exactly once (for x, y in "
                "loader)."), "batches-skipped"
    if zeroed < batches and steps < batches:  # (mistakes review 40: told of zero_grad alone)
        return (f"optimizer.zero_grad() runs {_times(zeroed)} and optimizer.step() "
                f"{_times(steps)} for {batches} batches, so the gradients of several batches "
                "pile up into fewer updates: zero the gradients and step once in every "
                "batch."), "step-count"
    if zeroed < batches:
        return (f"optimizer.zero_grad() runs {_times(zeroed)} for {batches} batches, so "
                "gradients accumulate across the batches in between: call it at the start "
                "of every batch."), "zero-grad-count"
    if steps != batches:
        return (f"optimizer.step() runs {_times(steps)} for {batches} batches: step once after "
                "every batch's backward()"
                + (", so some batches never update the parameters." if steps < batches
                   else ", not more (each extra step moves the weights again).")), "step-count"
    if forwards > batches:
        return (f"the loop makes {forwards} forward passes for the loader's {batches} "
                "batches: compute the loss from one forward pass per batch (a second pass "
                "in train mode moves BatchNorm's statistics again)."), "extra-forward"
    if text.count("zero_grad forward loss backward step") == batches:
        # (fresh eyes 17: gradient clipping between backward() and step() was told the order
        # of its calls was wrong)
        return ("its calls come in the right order (zero_grad → forward → loss → backward → "
                "step on every batch), yet the parameters after the epoch are not that loop's: "
                "something changes the gradients or the parameters between backward() and "
                "step() (clipping, scaling, an edit of .grad or .data) — leave them as "
                "backward() leaves them."), "update-changed"
    return ("the order of calls differs from zero_grad → forward → loss → backward → step on "
            "every batch."), None


# The graded epoch's loader shuffles, as a training loader does (`harness.Reshuffled`): a loop
# that takes inputs and labels from two passes over it, or trains on the dataset in its stored
# order, trains on other batches than the loader's (mistakes review 25: both kept their points
# on a loader in order). A loop may go over the loader before it trains (a count, a peek at
# one batch): it then trains on a later pass, which is as right.
SHUFFLE_SEED = 5
PASSES = 3


def _train_run(student, memo, tol) -> dict:
    """Run the student's epoch once and find which replay it matches (cached per submission)."""
    if "train" in memo:
        return memo["train"]
    params = {**_train_params(lr=0.5, start_train=False), "shuffle_seed": SHUFFLE_SEED}
    outcome = _scenario(student, "train_one_epoch", params)
    matched = None
    if outcome.get("error") is None:
        matched = next((variant for shuffle in range(PASSES)
                        for variant in training.all_variants()
                        if training.states_match(outcome.get("state"), training.shuffled_replay(
                            ARCH, SEED, len(params["x"]), BATCH, 0.5, False, variant,
                            SHUFFLE_SEED, shuffle).state, tol.training.rtol, tol.training.atol)),
                       None)
    memo["train"] = {"outcome": outcome, "matched": matched}
    return memo["train"]


_BATCH_MISTAKE_WORDS = {
    "unpaired": ("takes each batch's inputs and its labels from two different passes over the "
                 "loader, which shuffles (each pass has its own order), so inputs are trained "
                 "with other samples' labels: take x and y together, for x, y in loader.",
                 "batches-unpaired"),
    "stored_order": ("trains on the dataset in its stored order, not on the batches the loader "
                     "gives (it shuffles): iterate over the loader itself, for x, y in loader.",
                     "ignores-loader"),
    "labels_stored": ("takes each batch's inputs from the loader but its labels from the "
                      "dataset in its stored order (the loader shuffles), so inputs are trained "
                      "with other samples' labels: take x and y together, for x, y in loader.",
                      "batches-unpaired"),
    "inputs_stored": ("takes each batch's labels from the loader but its inputs from the "
                      "dataset in its stored order (the loader shuffles), so inputs are trained "
                      "with other samples' labels: take x and y together, for x, y in loader.",
                      "batches-unpaired"),
    "same_batch": ("trains on the same batch at every step (the loader's first): take the next "
                   "batch each step, for x, y in loader.", "same-batch"),
}


def _batch_mistake(outcome: dict, tol) -> tuple[str, str] | None:
    """The words for an epoch trained on other batches than the loader's, where the judge's
    replay of that mistake matches its parameters (None: none does)."""
    for mistake in training.BATCH_MISTAKES:
        replay = training.batch_mistake_replay(mistake, ARCH, SEED, EPOCH_N, BATCH, 0.5, False,
                                               SHUFFLE_SEED)
        if training.states_match(outcome.get("state"), replay.state, tol.training.rtol,
                                 tol.training.atol):
            text, tag = _BATCH_MISTAKE_WORDS[mistake]
            return "train_one_epoch " + text, tag
    return None


def _one_batch_variant(student, memo, tol) -> training.Variant | None:
    """The loop on a single batch, matched against the replays of the logits and mode
    mistakes (None: it matches none of them either; cached per submission).

    Why: an epoch that matches no replay (a mistake outside the catalogue, such as
    zero_grad() on every other batch) shows that the loop is wrong, which the step-order
    check charges; it shows nothing about the logits or the mode. On one batch the gradients
    start empty, so the zero_grad mistakes cannot show, and what the parameters become (the
    judge's own replays, as for the epoch) still tells those two apart."""
    if "one_batch" in memo:
        return memo["one_batch"]  # type: ignore[no-any-return]
    params = _train_params(lr=0.5, start_train=False, n=BATCH)
    outcome = _scenario(student, "train_one_epoch", params)
    matched = None
    if outcome.get("error") is None:
        for variant in (training.Variant(logits=logits, mode=mode)
                        for logits in training.LOGITS for mode in training.MODE):
            replay = training.standard_replay(ARCH, SEED, BATCH, BATCH, 0.5, False, variant)
            if training.states_match(outcome.get("state"), replay.state, tol.training.rtol,
                                     tol.training.atol):
                matched = variant
                break
    memo["one_batch"] = matched
    return matched


def _require_forward(function: str, outcome: dict) -> None:
    """A loop that never runs the model on its batches does none of the work a Part D check
    grades and so shows none of its mistakes (no softmax before a loss it never computes, no
    tensor on a wrong device): it earns nothing there, as a stub does (an outside red team's
    `return 0.0` and `return None` loops took five checks' points)."""
    events = outcome.get("events", [])
    # (the model's own hook misses `model.forward(x)`; its layers' hooks still see it. A
    # loss called on anything but the model's outputs is no run of the model: red team 28's
    # loops called loss_fn on zeros and kept 14 points of checks they never earned)
    if "forward" not in events and not outcome.get("layer_calls"):
        fail(f"{function} never runs the model on the batches it is given: this check counts "
             f"once it does (for each batch of the loader: move x and y to the device, "
             f"model(x), the loss).", "not-working")


def _loop_variant(student, memo, tol,
                  seen: Callable[[dict], None] | None = None) -> training.Variant | None:
    """The variant the logits and mode checks judge: the epoch's match, else the single
    batch's. None when neither matches: the check is then not assessed separately (the
    step-order check charges the loop once) and keeps its points — when the loop ran the
    model at all (`_require_forward`)."""
    run = _train_run(student, memo, tol)
    _raise_student("train_one_epoch", run["outcome"], seen=seen)
    _require_forward("train_one_epoch", run["outcome"])
    if run["matched"] is not None:
        return run["matched"]  # type: ignore[no-any-return]
    variant = _one_batch_variant(student, memo, tol)
    if variant is None:
        variant = _still_epoch_variant(student, memo, tol)
    if variant is None:
        attributed_to(TRAIN_ORDER)
    return variant


def _still_epoch_variant(student, memo, tol) -> training.Variant | None:
    """The logits and mode mistakes on an epoch with lr = 0, for a loop whose epoch and single
    batch both match no replay (cached per submission).

    Why: with lr = 0 nothing the loop does to the gradients moves the parameters — a
    zero_grad() out of place, a scaled loss, an extra backward — so the losses loss_fn
    computed and BatchNorm's statistics (which only a train-mode forward moves) show what
    the model was fed and in which mode, whatever else the loop gets wrong. An outside red
    team's loop with a softmax before the loss, no model.train() and a loss scaled before
    backward() matched no replay, and the step-order check took the blame for all three."""
    if "still_epoch" in memo:
        return memo["still_epoch"]  # type: ignore[no-any-return]
    params = _train_params(lr=0.0, start_train=False)
    outcome = _scenario(student, "train_one_epoch", params)
    own = _run_losses(outcome)
    matched = None
    if outcome.get("error") is None and own is not None:
        for variant in (training.Variant(logits=logits, mode=mode)
                        for logits in training.LOGITS for mode in training.MODE):
            replay = training.standard_replay(ARCH, SEED, len(params["x"]), BATCH, 0.0, False,
                                              variant)
            if len(own[0]) == len(replay.losses) and all(
                    math.isclose(loss, expected, rel_tol=tol.training.rtol,
                                 abs_tol=tol.training.atol)
                    for loss, expected in zip(own[0], replay.losses, strict=True)) \
                    and training.states_match(outcome.get("state"), replay.state,
                                              tol.training.rtol, tol.training.atol):
                matched = variant
                break
    memo["still_epoch"] = matched
    return matched


def _order_seen(outcome: dict) -> None:
    """Before a crash: an order mistake the completed steps show for certain (zero_grad()
    between backward() and step(), step() before backward(), gradients not zeroed between
    two steps), so a loop made to raise after its first step cannot keep this check for an
    order it would be charged for (a zero_grad() at the end of a batch is none: a run whose
    parameters come with gradients shows it, `_same_with_plain_objects`)."""
    events = outcome.get("events", [])
    steps = events.count("step")
    done = events[:len(events) - events[::-1].index("step")] if steps else []
    hint, mistake = _order_diagnosis(done, loader_batches=steps)
    if mistake in ("zero-grad-after-backward", "zero-grad-step-first"):
        fail("train_one_epoch: " + hint, mistake)
    if steps >= 2 and done.count("zero_grad") < steps - 1:
        fail("train_one_epoch: optimizer.zero_grad() is not called between batches, so "
             "gradients from earlier batches accumulate: call it at the start of every batch.",
             "zero-grad-count")


def _require_run(run: dict, tol) -> None:
    outcome = run["outcome"]
    _raise_student("train_one_epoch", outcome, seen=_order_seen)
    if run["matched"] is None:
        problem = _backward_problem("train_one_epoch", outcome) or _batch_mistake(outcome, tol)
        if problem is not None:
            fail(*problem)
        hint, mistake = _order_diagnosis(outcome.get("events", []))
        forwards = _training_forwards(outcome)
        modes = [f.get("training") for f in forwards]
        if mistake in ("update-changed", "extra-forward") and _eval_mode_alone(outcome) and (
                False in modes or any(f.get("mixed") is True for f in forwards)):
            # The calls in the right order on every batch, some forward passes in eval mode
            # (model.eval() inside the loop, or its BatchNorm layers'): the parameters are
            # another model's, which the train-mode check charges (mistakes review 40: told
            # "something changes the gradients between backward() and step()"). So too with
            # an extra pass in eval mode (a batch's accuracy logged after model.eval(), never
            # switched back: fresh eyes 47's loop was charged here for its extra pass, which
            # moves nothing in eval mode, and there for the eval mode)
            held_to(TRAIN_MODE)
        if mistake == "update-changed" and any(
                call.get("transformed") is True for call in outcome.get("loss_calls", [])):
            # ... the loss handed a transform of the logits (a scaled softmax, a sigmoid):
            # the logits check charges it (red team of stop 50)
            held_to(TRAIN_LOGITS)
        if mistake == "update-changed" and _backward_on_another_tensor(outcome):
            # (words only: the run's backward() calls; fresh eyes 64's `loss * x.shape[0]`
            # backpropagated was told something changed the gradients after backward())
            fail("train_one_epoch calls backward() on another tensor than the one loss_fn "
                 "returns (the loss scaled, e.g. by the batch size, or added to), so every "
                 "gradient is scaled with it: call backward() on loss_fn's output itself, and "
                 "weight by the batch size only the figure you add up (loss.item() * len(y)).",
                 "backward-on-scaled-loss")
        fail("train_one_epoch: the parameters after one epoch differ from the reference loop; "
             + hint, mistake or "unknown-trajectory")


def _backward_on_another_tensor(outcome: dict) -> bool:
    """Every backward() the run recorded reached the model, and one was on a tensor the loss
    did not return (`harness.Log.returned`)."""
    calls = outcome.get("backward_calls", [])
    return bool(calls) and all(c.get("graph") is True for c in calls) and any(
        c.get("loss_output") is False for c in calls)


# The counterfactual epoch: another optimizer (momentum, another lr) and another loss (label
# smoothing). A loop that trains with the arguments it is given follows them; one that
# builds its own optimizer or loss (or ignores lr) trains as before.
COUNTERFACTUAL = {"lr": 0.2, "momentum": 0.9, "label_smoothing": 0.2}


def _arguments_followed(student, memo, tol, matched: training.Variant) -> None:
    """The epoch with another optimizer and loss must follow them as the reference loop
    does (with the student's own, already charged, variant)."""
    params = _train_params(lr=COUNTERFACTUAL["lr"], start_train=False)
    params.update(momentum=COUNTERFACTUAL["momentum"],
                  label_smoothing=COUNTERFACTUAL["label_smoothing"])
    outcome = _scenario(student, "train_one_epoch", params)
    _raise_student("train_one_epoch", outcome)
    replay = training.standard_replay(ARCH, SEED, len(params["x"]), BATCH, COUNTERFACTUAL["lr"],
                                      False, matched, COUNTERFACTUAL["momentum"],
                                      COUNTERFACTUAL["label_smoothing"])
    if training.states_match(outcome.get("state"), replay.state, tol.training.rtol,
                             tol.training.atol):
        return
    events = outcome["events"]
    if "forward" in events and "loss" not in events:
        fail("train_one_epoch does not use the loss_fn it is given (given another loss, it "
             "trains as before): compute loss = loss_fn(model(x), y) with the argument.",
             "ignores-loss-fn")
    if "backward" in events and "step" not in events:
        fail("train_one_epoch builds its own optimizer: given SGD with momentum and another "
             "lr, it trains as before — call optimizer.zero_grad() and optimizer.step() on the "
             "optimizer argument.", "own-optimizer")
    fail("train_one_epoch does not follow the optimizer and loss_fn it is given: with SGD "
         "(momentum 0.9, lr 0.2) and a label-smoothed cross-entropy the parameters differ from "
         "the reference loop's; use the model, loss_fn and optimizer arguments as they are "
         "(no optimizer, loss or learning rate of its own).", "ignores-arguments")


TRAIN_ORDER = "train_one_epoch: zero_grad → forward → loss → backward → step on every batch"


@check(TRAIN_ORDER,
       "Call optimizer.zero_grad() at the start of each batch, then forward, loss, "
       "loss.backward(), optimizer.step().",
       clauses=("use the optimizer and loss_fn you are given",
                "zero the gradients, forward, loss, backward, step for every batch"))
def test_train_step_order(student, memo, tol):
    run = _train_run(student, memo, tol)
    _require_run(run, tol)
    if run["matched"].zero_grad != "ok":
        # No gradient reaching the model matches the replays whose step() sees none.
        problem = _backward_problem("train_one_epoch", run["outcome"])
        if problem is not None:
            fail(*problem)
        hint, mistake = _order_diagnosis(run["outcome"].get("events", []))
        fail("train_one_epoch: " + hint,
             mistake or f"zero-grad-{run['matched'].zero_grad.replace('_', '-')}")
    _arguments_followed(student, memo, tol, run["matched"])
    _same_with_plain_objects(student, tol, run["matched"], run["outcome"].get("events", []))
    _same_when_called_again(student, memo, tol, run["matched"])
    _same_by_name(student, memo, tol)
    _every_batch_of_one(student, memo, "train_one_epoch")


def _same_by_name(student, memo, tol) -> None:
    """The loop called with its arguments by name trains as it does by position (red team 63:
    a train_one_epoch that skipped step() when called by name — as its own fit called it —
    kept every point: every run here passed them by position). Parameters renamed from the
    signature's (a TypeError by name) are not judged here."""
    run = _train_run(student, memo, tol)
    params = {**_train_params(lr=0.5, start_train=False), "shuffle_seed": SHUFFLE_SEED,
              "by_name": True}
    named = _scenario(student, "train_one_epoch", params)
    error = named.get("error")
    if error is not None and error.get("type") == "TypeError":
        return
    if error is None and training.states_match(named.get("state"), run["outcome"].get("state"),
                                               tol.training.rtol, tol.training.atol):
        return
    fail("train_one_epoch trains otherwise when its arguments are passed by name "
         "(train_one_epoch(model=model, loader=loader, loss_fn=loss_fn, optimizer=optimizer, "
         "device=device), as a caller may) than by position: keep the signature and use each "
         "argument however it is passed.", "positional-argument")


def _same_when_called_again(student, memo, tol, matched: training.Variant) -> None:
    """The loop called a second time on the same model and optimizer (`_called_again`), as fit
    calls it every epoch: its parameters after the second epoch must be those of the two
    epochs the first call's replay trains (an outside red team's loops were right on their
    first call on a model only — no zero_grad() from the second on — and every check's own
    run is a first call). A softmax or an eval mode the second call shows is its own check's
    to charge."""
    again = _called_again(student, memo, "train_one_epoch")
    if again is None:
        return
    replay = training.called_again_replay(ARCH, SEED, EPOCH_N, BATCH, AGAIN_LR, matched,
                                            AGAIN_CALLS, AGAIN_MOMENTUM)
    if training.states_match(again.get("state"), replay.state, tol.training.rtol,
                             tol.training.atol):
        return
    if any(call.get("probs") or call.get("transformed") is True
           for call in again.get("loss_calls", [])):
        held_to(TRAIN_LOGITS)
    if False in [f.get("training") for f in _training_forwards(again)] \
            or any(f.get("mixed") is True for f in _training_forwards(again)):
        held_to(TRAIN_MODE)
    if again.get("state_reset") is True:
        fail("train_one_epoch starts the optimizer's state afresh when it is called again "
             "(its momentum buffers are new objects after the call): leave optimizer.state "
             "alone, so that an optimizer with momentum carries its state from epoch to epoch, "
             "as fit calls it every epoch.", "optimizer-state-reset")
    # (the later calls' events: two calls, each over the loader's batches)
    hint, mistake = _order_diagnosis(again.get("events", []),
                                     loader_batches=EPOCH_BATCHES * (AGAIN_CALLS - 1))
    fail("train_one_epoch trains otherwise when it is called again on the same model (as fit "
         "calls it every epoch): after three epochs the parameters differ from the reference "
         "loop's; " + hint, mistake or "differs-when-called-again")


def _same_with_plain_objects(student, tol, matched: training.Variant,
                             events: list[str] | None = None) -> None:
    """The epoch again with plain objects (`train_one_epoch_plain`: no hook, no recording, no
    class of the grader's), on more batches of the same kind of data (`PLAIN_N`) in the
    loader's order, with an optimizer that is not an SGD (torch's ASGD: red team 44's loop
    zeroed the gradients for SGD alone, the only optimizer the runs gave it): its parameters
    must be those of the epoch the watched run matched, replayed on them. One loop, whatever
    the objects it is given: red team 41's took the right steps only when the loss or the
    model showed the grader's instruments.

    Where the watched run zeroed the gradients, the parameters come with gradients left from
    before (`stale_grads`): the first batch must not step on them, as every batch starts with
    zero_grad() (mistakes review 39: a loop zeroing after step() alone went free, its graded
    runs starting from none). Where that run differs, it is run again without them, to tell
    that mistake from the others."""
    stale = matched.zero_grad == "ok"
    outcome = _plain_run(student, stale)
    if _plain_matches(outcome, tol, matched):
        return
    if stale and _plain_matches(_plain_run(student, False), tol, matched):
        if _steps_before_backward(events or []):
            # (words only: the watched run's calls; fresh eyes 64's loop stepped at the top of
            # every batch, zero_grad() before its forward pass, and was told to zero there)
            fail("train_one_epoch's first step uses the gradients the parameters already "
                 "had: optimizer.step() runs at the top of the loop, before the batch's "
                 "backward(), so each step uses the previous batch's gradients (the first, "
                 "gradients left from before) — call step() right after loss.backward().",
                 "step-before-backward")
        fail("train_one_epoch's first step uses the gradients the parameters already had: "
             "optimizer.zero_grad() runs after step() (or not before the first backward()), "
             "so an epoch that starts with gradients left from before steps on them — call "
             "zero_grad() at the start of every batch, before the forward pass.",
             "zero-grad-at-end")
    error = outcome.get("error")
    what = (f"it raises {error.get('type', 'an error')} there" if error
            else "the parameters it leaves differ")
    fail("train_one_epoch trains otherwise when it is given a plain model, loss and optimizer "
         f"(torch's own, with nothing watching them) on a loader of {-(-PLAIN_N // BATCH)} "
         f"batches than in the graded runs: {what}. Write one loop, whatever objects it is "
         "given, over every batch of the loader (no cap, no break) — zero_grad, forward, loss, "
         "backward, step on each.", "plain-objects-differ")


def _steps_before_backward(events: list[str]) -> bool:
    """The loop's first step() comes before its first backward() (a step at the top of each
    batch, the last batch's after the loop)."""
    calls = [e for e in events if e in ("step", "backward")]
    return bool(calls) and calls[0] == "step"


def _plain_run(student, stale: bool) -> dict:
    x, y = training.make_data(SEED, n=PLAIN_N)
    return _scenario(student, "train_one_epoch_plain",
                     {"arch": ARCH, "state": training.initial_state(ARCH, SEED), "x": x,
                      "y": y, "batch_size": BATCH, "lr": 0.5, "start_train": False,
                      "seed": SEED, **({"stale_grads": True} if stale else {})})


def _plain_matches(outcome: dict, tol, matched: training.Variant) -> bool:
    replay = training.standard_replay(ARCH, SEED, PLAIN_N, BATCH, 0.5, False, matched,
                                      optimizer_kind="asgd")
    return outcome.get("error") is None and training.states_match(
        outcome.get("state"), replay.state, tol.training.rtol, tol.training.atol)


def _softmax_seen(outcome: dict) -> None:
    """The loss got probabilities (rows of non-negative values summing to 1), or another
    transform of the model's outputs that changes the loss (`harness.InstrumentedLoss`:
    a scaled softmax, a sigmoid); before a crash too. Judged on the run whatever replay the
    loop matches: a red team of stop 50's `2 * softmax(logits)` matched none, and the
    step-order check's failure for another mistake kept this check's points."""
    calls = outcome.get("loss_calls", [])
    if any(call.get("probs") for call in calls):
        fail(SOFTMAX_BEFORE_LOSS, "softmax-before-loss")
    if any(call.get("transformed") is True for call in calls):
        fail("train_one_epoch hands loss_fn something other than the model's outputs (a "
             "softmax, scaled or not, a sigmoid, another transform of them): CrossEntropyLoss "
             "expects the raw logits and applies log-softmax itself; pass model(x) directly.",
             "softmax-before-loss")


SOFTMAX_BEFORE_LOSS = ("train_one_epoch: you applied softmax before the loss — CrossEntropyLoss "
                       "expects raw logits and applies log-softmax itself; pass model(x) "
                       "directly.")


TRAIN_LOGITS = "train_one_epoch: hands raw logits to the loss (no softmax before it)"


@check(TRAIN_LOGITS,
       "Pass the model's raw logits straight to loss_fn; CrossEntropyLoss applies "
       "log-softmax itself.")
def test_train_logits(student, memo, tol):
    variant = _loop_variant(student, memo, tol, seen=_softmax_seen)
    events = _train_run(student, memo, tol)["outcome"].get("events", [])
    if "loss" not in events and "step" not in events:
        # (red team 28: a loop of `model(x)` alone handed nothing to any loss, softmax or not,
        # and its untouched parameters fit a replay of any logits; one that trains with a loss
        # of its own is judged by the replay its steps match)
        fail("train_one_epoch never calls loss_fn on the model's outputs: this check counts "
             "once it does (for each batch: loss = loss_fn(model(x), y)).", "not-working")
    if variant is not None and variant.logits != "ok":
        fail(SOFTMAX_BEFORE_LOSS, "softmax-before-loss")
    # (what the loss got on every batch, beside the replays: red team 21's loop applied
    # softmax from its second batch on, which no replay of the catalogue shows)
    _softmax_seen(_train_run(student, memo, tol)["outcome"])
    again = _called_again(student, memo, "train_one_epoch")
    if again is not None:  # (and on a second call on the model: `_called_again`)
        _softmax_seen(again)
    if variant is not None:
        _single_sample_batch(student, memo, "train_one_epoch")


def _single_sample_run(student, memo, function: str) -> dict:
    """The function run on a loader whose last batch holds one sample (`n = BATCH + 1`, as
    any dataset of a size one more than a multiple of the batch size gives), with a model
    without BatchNorm (whose train mode refuses a batch of one sample), cached per
    submission."""
    key = f"single sample {function}"
    if key not in memo:
        # (a Dropout in it: the train-mode check reads this run too, where every other
        # training run's model has BatchNorm alone — red team 91's loop set the Dropout
        # layers to eval under a model in train mode, unseen)
        params = ({**_train_params(lr=0.0, start_train=True, n=BATCH + 1),
                   "arch": "dropout_linear", "state": training.initial_state("dropout_linear",
                                                                             SEED)}
                  if function == "train_one_epoch" else
                  # (in eval mode from the start: BatchNorm's train mode refuses one sample)
                  {**_eval_params(n=BATCH + 1), "start_train": False})
        memo[key] = _scenario(student, function, params)
    return memo[key]  # type: ignore[no-any-return]


def _every_batch_of_one(student, memo, function: str) -> None:
    """The run with a last batch of one sample computed the loss on both of its batches:
    a loop that skips a batch too small for BatchNorm (`if len(x) < 2: continue`) drops
    that sample from every epoch (fresh eyes 53's audit: full marks, where the notebook asks
    for every batch, a last batch of a single sample included). One call over every batch's
    outputs, concatenated, is every batch (fresh eyes 61: an `evaluate` computing its loss once
    over the whole loader was told it left the last batch out)."""
    outcome = _single_sample_run(student, memo, function)
    calls = outcome.get("loss_calls", [])
    if outcome.get("error") is None and len(calls) == 1 and calls[0]["rows"] < BATCH + 1:
        fail(f"{function} leaves out the last batch of a loader of {BATCH + 1} samples, a "
             "batch of one sample: every batch counts, however small — only BatchNorm's "
             "train mode refuses a batch of one, and the model it is given here has none.",
             "single-sample-skipped")
    events = outcome.get("events", [])
    if function == "train_one_epoch" and outcome.get("error") is None and len(calls) >= 2 and (
            events.count("backward") < 2 or events.count("step") < 2):
        # (the run's lr is 0: its parameters cannot show a step skipped; its calls can —
        # red team 92's loop computed the one-sample batch's loss and skipped its step)
        fail(f"train_one_epoch computes the loss of the last batch of a loader of {BATCH + 1} "
             "samples, a batch of one sample, but trains on it without backward() or step(): "
             "every batch trains, however small.", "single-sample-skipped")


def _single_sample_batch(student, memo, function: str) -> None:
    """The run on a loader whose last batch holds one sample (`_single_sample_run`): fresh
    eyes 17's `model(x).squeeze()` handed the loss a 1-D tensor there (full marks, where
    every graded loader's last batch held two). Judged on the run: the logits the loss
    received, or the error the batch raised."""
    outcome = _single_sample_run(student, memo, function)
    if any(call["logits_ndim"] == 1 for call in outcome["loss_calls"]):
        fail(f"{function} hands loss_fn 1-D logits for a batch of one sample (the last batch "
             f"of a loader of {BATCH + 1} samples): .squeeze() drops the batch dimension when "
             "it is 1 — pass model(x) as it is, shape (N, num_classes), for every batch.",
             "squeezed-logits")
    error = outcome.get("error")
    if error and error.get("function") == "accuracy" and _accuracy_refuses_one_sample(student):
        # (raised inside the student's own accuracy, which refuses one sample by itself: its
        # values check charges that — mistakes review 38 was told to keep the batch dimension)
        attributed_to(ACC_VALUES)
        return
    if error:
        fail(f"{function} fails on a batch of one sample (the last batch of a loader of "
             f"{BATCH + 1} samples): {error.get('type', 'Error')}: "
             f"{_quoted(error)[:120]} — keep the batch dimension of x, y and "
             "the logits (no .squeeze()), whatever the batch size.", "single-sample-batch")


def _accuracy_refuses_one_sample(student) -> bool:
    """The student's accuracy raises on one sample (valid input: N = 1), a stub's
    NotImplementedError aside."""
    try:
        student.call("accuracy", torch.tensor([1]), torch.tensor([1]))
    except StudentError as error:
        return not error.is_a("NotImplementedError")
    return False


TRAIN_MODE = "train_one_epoch: puts the model in train mode"


@check(TRAIN_MODE,
       "Call model.train() at the start of train_one_epoch: evaluate() leaves the model in "
       "eval mode, and BatchNorm/Dropout must train in train mode.",
       clauses=("puts the model in training mode",))
def test_train_mode(student, memo, tol, source):
    def mode_seen(outcome: dict) -> None:  # (a forward pass in eval mode: before a crash too)
        _mixed_modes_seen(outcome)
        modes = [f.get("training") for f in _training_forwards(outcome)]
        if False not in modes:
            return
        if modes[0] is True:  # (red team 21's loop: eval mode from its second batch on)
            fail("train_one_epoch switches the model to eval mode during the epoch (some of its "
                 "forward passes ran in eval mode): keep it in train mode for every batch and "
                 "call model.eval() only in evaluate.", "no-train-mode")
        fail("train_one_epoch never calls model.train(): after evaluate() the model stays "
             "in eval mode, so BatchNorm and Dropout behave as at test time while training."
             + _uncalled_hint(source, "train_one_epoch", "train", "model.train"),
             "no-train-mode")

    variant = _loop_variant(student, memo, tol, seen=mode_seen)
    if variant is not None and variant.mode != "ok":
        _mixed_modes_seen(_train_run(student, memo, tol)["outcome"])  # (the closer words)
        if _train_run(student, memo, tol)["outcome"].get("training_after") is True:
            # (words only) it trained in eval mode and left the model in train mode
            fail("train_one_epoch calls model.train() too late: the forward passes ran in eval "
                 "mode (the mode evaluate() leaves), so BatchNorm and Dropout behaved as at "
                 "test time while training; call model.train() before the loop.",
                 "no-train-mode")
        fail("train_one_epoch never calls model.train(): after evaluate() the model stays in "
             "eval mode, so BatchNorm and Dropout behave as at test time while training."
             + _uncalled_hint(source, "train_one_epoch", "train", "model.train"),
             "no-train-mode")
    mode_seen(_train_run(student, memo, tol)["outcome"])  # (every batch's forward pass)
    _mixed_modes_seen(_single_sample_run(student, memo, "train_one_epoch"))  # (its Dropout)
    if False in _modes_when_called_again(student, memo, "train_one_epoch"):
        fail("train_one_epoch trains in eval mode when it is called again on a model that "
             "evaluate() left in eval mode (as fit calls it every epoch): call model.train() "
             "at the start of every call.", "no-train-mode")


def _mixed_modes_seen(outcome: dict) -> None:
    """A forward pass of the model in train mode with some of its mode-dependent layers
    (BatchNorm, Dropout) in eval mode (a red team of stop 50's loop set its BatchNorm layers
    to eval under a model left in train mode: it matched no replay, and the step-order
    check's failure for another mistake kept this check's points)."""
    if any(f.get("training") is True and f.get("mixed") is True
           for f in _training_forwards(outcome)):
        fail("train_one_epoch runs some of the model's layers (BatchNorm, Dropout) in eval "
             "mode while the model trains: call model.train() on the whole model and switch "
             "no layer to eval inside the loop.", "no-train-mode")


def _called_again(student, memo, function: str) -> dict | None:
    """`function`'s second call on one model, the other mode set in between (worker scenario
    `called_again`), as its checks' own runs are watched (cached per submission); None where
    a call raised (the function's other checks charge that). Each check's own run calls it
    once on a fresh model: what the second call does is judged as the first is."""
    key = ("called_again", function)
    if key not in memo:
        params = _train_params(lr=AGAIN_LR, start_train=False) if function == "train_one_epoch" \
            else _eval_params()
        try:
            memo[key] = _scenario(student, "called_again", {**params, "function": function,
                                                            "calls": AGAIN_CALLS,
                                                            "momentum": AGAIN_MOMENTUM})
        except StudentError as exc:
            memo[key] = {"error": exc.info}
    else:  # (taken by an earlier check: this one rests on it too, and tampering voids it here)
        tamper.require_untampered_outcome(function, memo[key])
        getattr(student, "relies_on_scenarios", lambda: None)()
    outcome = memo[key]
    return outcome if outcome.get("error") is None else None  # type: ignore[no-any-return]


AGAIN_LR = 0.1
AGAIN_CALLS = 3  # (the first, then two more: each judged as the first is)
# An optimizer with state carried between the calls (red team 91's loop cleared
# `optimizer.state` at its start: no run of one call on an optimizer could show it)
AGAIN_MOMENTUM = 0.9


def _modes_when_called_again(student, memo, function: str) -> list[Any]:
    """The modes of the forward passes of `function`'s second call on one model (`_called_again`);
    [] where a call raised."""
    outcome = _called_again(student, memo, function)
    if outcome is None:
        return []
    # (of training, only the passes it trained on: `_training_forwards`)
    forwards = _training_forwards(outcome) if function == "train_one_epoch" else [
        f for f in outcome.get("forward", []) if isinstance(f, dict)]
    return [f.get("training") for f in forwards]


def _eval_mode_alone(outcome: dict) -> bool:
    """Every forward pass no backward() followed (a logged accuracy, a peek) ran entirely in
    eval mode, so none moved BatchNorm's statistics: an extra pass is then no mistake of its
    own (one in train mode, or one whose BatchNorm was left training, is)."""
    trained = {id(f) for f in _training_forwards(outcome)}
    return all(f.get("training") is False and f.get("mixed") is not True
               for f in outcome.get("forward", []) if id(f) not in trained)


def _training_forwards(outcome: dict) -> list[dict]:
    """The records of the forward passes a backward() followed (before the next forward):
    the ones the loop trained on. An extra pass in eval mode (a training accuracy measured
    at the end of the epoch) is no training forward."""
    records = iter(outcome.get("forward", []))
    trained: list[dict] = []
    last: dict | None = None
    for event in outcome.get("events", []):
        if event == "forward":
            last = next(records, None)
        elif event == "backward" and last is not None:
            trained.append(last)
            last = None
    return trained


def _uncalled_hint(source, function: str, attribute: str, written: str) -> str:
    """Words for a failure a run confirmed, when the source names the method without calling
    it (never a verdict: see check/static.py)."""
    if source.names_uncalled(function, attribute):
        return (f" ({written} without parentheses only names the method — always true in "
                f"a condition, nothing done as a statement; {written}() calls it.)")
    return ""


TRAIN_RETURN = "train_one_epoch: returns the sample-weighted mean loss as a float"


@check(TRAIN_RETURN,
       "Accumulate loss.item() * batch_size and divide by the number of samples.",
       clauses=("keep no batch's autograd graph after its step()",
                "the sample-weighted mean of the batch losses as a Python float"))
def test_train_return(student, memo, tol):
    params = _train_params(lr=0.0, start_train=True)
    outcome = _scenario(student, "train_one_epoch", params)
    _raise_student("train_one_epoch", outcome, charges=True)
    _require_forward("train_one_epoch", outcome)  # (losses of something else: no figure)
    value = _float_returned(outcome.get("returned"))
    candidates = {}
    # The epoch's losses as the student's run produced them: in train mode, or in eval mode
    # where the loop put the model there (lr = 0, so nothing else moves them). The mode is
    # the mode check's to charge; the weighting is judged on the losses of the run.
    for mode in training.MODE:
        for logits in training.LOGITS:
            replay = training.standard_replay(ARCH, SEED, len(params["x"]), BATCH, 0.0,
                                              mode == "ok", training.Variant(logits=logits,
                                                                             mode=mode))
            pairs = zip(replay.losses, replay.sizes, strict=True)
            weighted = sum(loss * n for loss, n in pairs) / sum(replay.sizes)
            candidates[logits, mode] = (weighted, replay)
    matched = [key for key, (w, _) in candidates.items()
               if math.isclose(value, w, rel_tol=1e-4, abs_tol=1e-6)]
    if matched:
        if all(mode != "ok" for _, mode in matched):
            attributed_to(TRAIN_MODE)  # right for the eval-mode run the loop made
        _no_graph_kept(outcome)
        _returns_the_same_when_called_again(student, memo, tol)
        return
    _, replay = candidates["ok", "ok"]
    losses = replay.losses
    sizes = replay.sizes
    if _weighted_over_the_batches_it_ran(student, memo, tol, value, losses, sizes):
        attributed_to(TRAIN_ORDER)
        return
    own = _run_losses(outcome)
    if own and own[0] != losses and math.isclose(
            value, sum(loss * n for loss, n in zip(*own, strict=True)) / sum(own[1]),
            rel_tol=1e-4, abs_tol=1e-6):
        # Right for the losses its own run computed, which differ from the reference run's:
        # the training path differs (an optimizer of its own, a mode, the logits), which the
        # check of that path charges; the weighting is right.
        attributed_to(_training_path_check(student, memo, tol))
        return
    for mode in training.MODE:  # the diagnoses, on the losses of either mode's run
        _return_diagnosis(value, candidates["ok", mode][1].losses, sizes)
    if own and own[0] != losses and len(own[0]) == len(losses):
        _return_diagnosis(value, own[0], [int(n) for n in own[1]])
    _kept_across_calls(student, params, value)
    fail("train_one_epoch: the returned loss is not the sample-weighted mean of the batch "
         "losses.", "wrong-return")


def _kept_across_calls(student, params: dict, value: float) -> None:
    """The very same epoch run again (same model state, data and batches) returns another
    figure: the loop keeps its total (or count) across calls — a global, a default argument
    — where each call must start from 0 (fresh eyes 45: a module-level total, told only that
    the figure was wrong). Nothing else changes between the two runs."""
    again = _scenario(student, "train_one_epoch", params)
    if again.get("error") is not None:
        return
    try:
        figure = _float_returned(again.get("returned"))
    except CheckFailed:
        return
    if not math.isclose(figure, value, rel_tol=1e-6, abs_tol=1e-9):
        fail("train_one_epoch returns another figure for the very same epoch when it is run "
             "again: its total (or sample count) carries over from call to call — a global or "
             "a default argument. Start every call from total = 0 and count = 0 inside the "
             "function.", "total-kept-across-calls")


def _float_returned(value: Any, again: bool = False) -> float:
    """The figure train_one_epoch returned, as a float; a tensor or anything but a number
    fails (`again`: said of a later call on the same model)."""
    if isinstance(value, torch.Tensor):
        fail("train_one_epoch returns a tensor when it is called again on the same model: "
             "return a Python float on every call (accumulate loss.item())." if again else
             "train_one_epoch returned a tensor: return a Python float (accumulate "
             "loss.item(), which also frees each batch's graph).", "returned-tensor")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"train_one_epoch returns {describe(value)} when it is called again on the same "
             "model: return the mean loss as a float on every call." if again else
             f"train_one_epoch returned {describe(value)}: return the mean loss as a float.",
             "wrong-type")
    return _as_float(value)


def _no_graph_kept(outcome: dict, again: str = "") -> None:
    alive = outcome.get("graphs_alive")
    if isinstance(alive, int) and not isinstance(alive, bool) and alive > 0:
        fail(f"train_one_epoch keeps every batch's autograd graph alive until the epoch ends{again} "
             "(the graph of an earlier batch was still reachable after its step(), e.g. total "
             "+= loss or a list of loss tensors): accumulate loss.item() (or loss.detach()) "
             "instead, so each graph is freed after its step.", "graph-kept-alive")


def _returns_the_same_when_called_again(student, memo, tol) -> None:
    """The second call on one model (`_called_again`) keeps no graph either, and returns the
    sample-weighted mean of its epoch's losses as a float — those of the two epochs the first
    call's replay trains, or those its own run computed (a loop that trains otherwise is the
    step-order check's) — (an outside red team's loop kept `total += loss` from its second
    call on a model only)."""
    again = _called_again(student, memo, "train_one_epoch")
    if again is None:
        return
    _no_graph_kept(again, " when it is called again on the same model")
    value = _float_returned(again.get("returned"), again=True)
    own = _run_losses(again)
    matched = _train_run(student, memo, tol)["matched"]
    weighted = []
    if own is not None:  # (every loss_fn call's: a loop that logs a second loss has more)
        weighted.append(sum(loss * n for loss, n in zip(*own, strict=True)) / sum(own[1]))
    if matched is not None:
        replay = training.called_again_replay(ARCH, SEED, EPOCH_N, BATCH, AGAIN_LR, matched,
                                            AGAIN_CALLS, AGAIN_MOMENTUM)
        weighted.append(sum(loss * n for loss, n in zip(replay.losses, replay.sizes,
                                                           strict=True)) / sum(replay.sizes))
    if weighted and not any(math.isclose(value, figure, rel_tol=1e-4, abs_tol=1e-6)
                            for figure in weighted) and matched is None \
            and _more_forwards_than_batches(again):
        # (a loss computed again after step(), on a second forward pass: the order check
        # names that pass, and the figure follows from it — fresh eyes 45 was told to start
        # every call from a total of 0)
        attributed_to(TRAIN_ORDER)
        return
    if weighted and not any(math.isclose(value, figure, rel_tol=1e-4, abs_tol=1e-6)
                            for figure in weighted):
        fail("train_one_epoch returns another figure than the sample-weighted mean of its batch "
             "losses when it is called again on the same model (as fit calls it every epoch): "
             "start every call from a total of 0 and divide by that epoch's number of samples.",
             "wrong-return")


def _more_forwards_than_batches(outcome: dict) -> bool:
    """The run made more forward passes than the loader has batches (each batch's loss
    recorded twice, say)."""
    events = outcome.get("events", [])
    batches = -(-EPOCH_N // BATCH)
    return isinstance(events, list) and events.count("forward") > batches * AGAIN_CALLS


def _run_losses(outcome: dict) -> tuple[list[float], list[float]] | None:
    """Each loss_fn call's loss and batch size in the student's run (the scenario's loss
    records them), or None where the record is missing or malformed."""
    records = outcome.get("loss_values")
    if not isinstance(records, list) or not records or not all(
            isinstance(r, (list, tuple)) and len(r) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in r) and r[1] > 0 for r in records):
        return None
    return [float(r[0]) for r in records], [float(r[1]) for r in records]


def _training_path_check(student, memo, tol) -> str:
    """The check that charges how the loop trains, for a return right on the losses of its
    own run: the step order (or the optimizer and loss it is given), the mode or the logits,
    as the epoch's replay shows."""
    run = _train_run(student, memo, tol)
    matched = run["matched"]
    if matched is None or matched.zero_grad != "ok":
        return TRAIN_ORDER
    if matched.mode != "ok":
        return TRAIN_MODE
    if matched.logits != "ok":
        return TRAIN_LOGITS
    return TRAIN_ORDER  # (the arguments it is given: the step-order check's counterfactual)


def _return_diagnosis(value: float, losses: list[float], sizes: list[int]) -> None:
    total = sum(loss * n for loss, n in zip(losses, sizes, strict=True))
    for wrong, what in ((total / len(losses), "the number of batches"),
                        (total / BATCH, "the batch size"),
                        # (fresh eyes 43: len(loader) * batch_size, told only "not the
                        # sample-weighted mean")
                        (total / (len(losses) * BATCH), "the number of batches × the batch "
                                                        "size, which counts the short last "
                                                        "batch as full"),
                        (sum(losses) / sum(sizes), "the number of samples without weighting "
                                                   "each batch's loss by its size")):
        if math.isclose(value, wrong, rel_tol=1e-4):
            fail(f"train_one_epoch divides by the wrong number: its loss is the weighted sum "
                 f"divided by {what}; add loss.item() * batch_size for every batch and divide "
                 "by the number of samples.", "wrong-divisor")
    if math.isclose(value, sum(losses) * BATCH / sum(sizes), rel_tol=1e-4):
        # (mistakes review 26: loss.item() * loader.batch_size, told only "not the weighted
        # mean")
        fail("train_one_epoch weights every batch by the loader's batch size, but the last "
             "batch is smaller: weight each batch's loss by its own size, x.shape[0] (or "
             "len(y)), and divide by the number of samples.", "weight-by-loader-batch-size")
    if math.isclose(value, sum(losses) / len(losses), rel_tol=1e-4):
        fail("train_one_epoch returns the mean of the batch means: the last batch is smaller, "
             "so weight each batch's loss by its own size (x.shape[0], not loader.batch_size) "
             "and divide by the number of samples.", "mean-of-batch-means")
    if math.isclose(value, sum(losses), rel_tol=1e-4):
        fail("train_one_epoch returns the sum of batch losses: divide by the number of "
             "samples (after weighting each batch by its size).", "sum-of-losses")
    if math.isclose(value, losses[-1], rel_tol=1e-4):
        fail("train_one_epoch returns only the last batch's loss: accumulate over every batch.",
             "last-batch")
    if math.isclose(value, total, rel_tol=1e-4):
        # (fresh eyes of stop 51: told only "not the sample-weighted mean")
        fail("train_one_epoch returns the weighted total of the batch losses, never divided: "
             "divide it by the number of samples (len(loader.dataset)).", "total-not-divided")


def _weighted_over_the_batches_it_ran(student, memo, tol, value: float, losses: list[float],
                                      sizes: list[int]) -> bool:
    """A loop that skips batches (charged once, by the step-order check: its epoch matched no
    reference) and returns the sample-weighted mean of the batches it did run has the return
    right for that loop. Judged from the judge's own replay (with lr = 0 each batch's loss
    does not depend on the others), over every proper subset of the batches."""
    run = _train_run(student, memo, tol)
    if run["matched"] is not None or run["outcome"].get("error") is not None:
        return False
    for k in range(1, len(losses)):
        for chosen in itertools.combinations(range(len(losses)), k):
            total = sum(losses[i] * sizes[i] for i in chosen)
            if math.isclose(value, total / sum(sizes[i] for i in chosen), rel_tol=1e-4,
                            abs_tol=1e-6):
                return True
    return False


DEVICE_IGNORED = ("{function} moves data to 'cuda' instead of the device it was given: use "
                  "the device argument, not a device of its own (torch.cuda.is_available() or "
                  "get_device() inside the function).")


def _device_feedback(function: str, outcome: dict, source, plain: dict | None = None,
                     emulated: bool = False, given: str = "cpu") -> None:
    """A device verdict rests on the run: where the inputs, labels and parameters really
    were, or the error moving them raised. The source only chooses the words (a function
    whose code names "cuda" is told it hard-codes it), never the verdict: a docstring
    that mentions CUDA or `non_blocking=(device.type == "cuda")` is correct code. An error
    the plain run on the CPU (`plain`) raises too, after running the model, is no device's:
    the loop's values check charges it (`_raise_student`). `given`: the device argument of
    the run (where the data belongs)."""
    def names_cuda() -> bool:  # (read only to word a failure: most runs never need it)
        return bool(source.mentions_cuda(function))

    def own_choice() -> tuple[str, str]:  # (words and tag only, as above)
        """How the function chose a device of its own, in words, and the mistake's tag."""
        if source.calls_name(function, "get_device"):
            return "your get_device() inside the function", "own-device"
        if source.calls_attribute(function, "is_available"):
            return "torch.cuda.is_available() inside the function", "own-device"
        return ("a hard-coded 'cuda'", "hard-coded-cuda") if names_cuda() else ("", "")

    def hard_coded() -> tuple[str, str]:  # (words and tag only, as above)
        why, tag = own_choice()
        if tag == "own-device":
            return (f"{function} picks a device of its own ({why}): use the device argument "
                    "it is given for every tensor of the batch, so the caller's choice is the "
                    "one used."), tag
        return (f"{function} hard-codes 'cuda': use the device argument for the model and "
                "every tensor of the batch, so the same code runs on CPU and GPU."), \
            "hard-coded-cuda"

    def own_device() -> bool:  # (words only, as above)
        return (names_cuda() or source.calls_name(function, "get_device")
                or source.calls_attribute(function, "is_available"))

    def to_cuda(pairs: list[tuple[str, str]]) -> None:
        """A batch tensor on a GPU beside the model's (or the logits') device: sent to a
        "cuda" of the function's own, the device argument (the model's) saying cpu."""
        if any(data.startswith("cuda") for data, _ in pairs) and own_device():
            fail(*hard_coded())
        if any(data.startswith("cuda") and model == "cpu" for data, model in pairs):
            if given.startswith("cuda"):  # (the batch is where it belongs: the model left)
                fail(f"{function} moves the model to the CPU while the device argument is a "
                     "GPU (model.to('cpu') or model.cpu() in the function): leave the model "
                     "where the caller put it, or move it with model.to(device).",
                     "model-moved-off")
            fail(DEVICE_IGNORED.format(function=function), "device-ignored")

    error = outcome.get("error")
    calls = outcome.get("loss_calls", [])
    forwards = outcome.get("forward", [])
    # (the model's own hook, and each layer's: `model.forward(x)` reaches only the layers)
    moved = [(f["input_device"], f["param_device"]) for f in [*forwards, *outcome["layer_inputs"]]
             if f["input_device"] != f["param_device"]]
    if moved:
        to_cuda(moved)
        kind = given.split(":")[0]
        if all(data.split(":")[0] == kind for data, _ in moved) and kind != "cuda" \
                and any(model.startswith("cuda") for _, model in moved):
            # (the batch is on the device argument, the model on a GPU of its own: fresh eyes
            # 47's model.to("cuda") was told to move its inputs, which it did)
            why, tag = own_choice()
            fail(f"{function} moves the model to a GPU of its own{f' ({why})' if why else ''} "
                 f"while the device argument is {kind}: use the device argument for the model "
                 "too — leave it where the caller put it, or move it with model.to(device).",
                 tag or "model-moved-off")
        if any(data == "cpu" for data, _ in moved) and (
                source.calls_with_argument(function, "to", "device", "cpu")
                or source.calls_attribute(function, "cpu")):  # (the words only)
            # (fresh eyes 53's x.to("cpu") was told to assign what to() returns, which it did)
            fail(f"{function} moves the model's inputs to the CPU (.to('cpu') or .cpu()) "
                 "while the model is on the device argument: move them with x.to(device).",
                 "inputs-not-moved")
        fail(f"{function} feeds the model inputs that are not on the device argument: "
             "write x = x.to(device) (to() returns a new tensor; assign it).", "inputs-not-moved")
    stray = [(c["targets_device"], c["logits_device"]) for c in calls
             if c["targets_device"] != c["logits_device"]]
    if stray:
        to_cuda(stray)
        fail(f"{function} leaves the labels on the CPU: move y with y = y.to(device) too.",
             "labels-not-moved")
    if given.startswith("cuda") and any(f["input_device"] == "cpu" for f in forwards):
        # (the model and the batch both moved to the CPU agree with each other, so no
        # mismatch shows: an outside review's `model.to('cpu')` and `x.to('cpu')` kept
        # every device point while ignoring the GPU it was given)
        with_model = all(f["param_device"] == "cpu" for f in forwards
                         if f["input_device"] == "cpu")
        fail(f"{function} runs the model on the CPU while the device argument is a GPU"
             + (" (the model and the batch moved to the CPU: a hard-coded 'cpu' or .cpu())"
                if with_model else "")
             + ": use the device argument for the model and every tensor of the batch — "
             "x.to(device), y.to(device) — never a device of your own.", "device-ignored")
    if error and plain is not None and plain.get("error") and _got_going(function, plain) \
            and not _device_words(str(error.get("message", ""))):
        # (it raises on the CPU as well, after its work on a batch: no device's mistake)
        held_to(_CRASH_CHARGED_BY[function])
    if error and plain is not None and plain.get("error") \
            and not _device_words(str(error.get("message", ""))):
        # (it raises on the CPU as well, before a whole step: the loop's error, said as its
        # other checks say it, not "failed on the GPU" — a mistakes review, 22: a target
        # dtype error was blamed on the device)
        _explain_error(function, plain)
        raise StudentError(function, plain["error"])
    _explain_error(function, outcome)
    if error and error.get("type") == "NotImplementedError":
        raise StudentError(function, error)
    if error:
        message = error["message"]
        # (CUDA's own words, which the emulated GPU says too: a run that met them is the
        # mistake they name, unless a "cuda" of the function's own put the tensor there)
        if NUMPY_ON_GPU in message:
            fail(f"{function} calls .numpy() on a tensor that is on the device, which fails on "
                 "a GPU: read a number with .item(), or call .cpu() before .numpy().",
                 "numpy-on-device")
        if any(words in message for words in MIXED_DEVICES) and not own_device():
            if source.calls_attribute(function, "cpu"):  # (the words only: mistakes review 39)
                fail(f"{function} combines a tensor it moved to the CPU (.cpu()) with tensors "
                     f"on the device, which fails on a GPU (\"{_quoted(error)[:100]}\"): compare "
                     "and compute on the device, and read a number with .item().", "device-mixed")
            fail(f"{function} mixes a tensor made on the CPU (or moved there) with tensors "
                 f"on the device, which fails on a GPU (\"{_quoted(error)[:100]}\"): make new "
                 "tensors on the device argument, e.g. torch.zeros(..., device=device), and "
                 "keep the others there.", "device-mixed")
        if emulated and _NOT_COMPILED in message:
            # (on the emulated GPU a "cuda" tensor is fine: what raised is a torch.cuda call
            # its emulation does not answer, not a hard-coded device — fresh eyes 18)
            fail(f"{function} calls a torch.cuda function the grader's emulated GPU does not "
                 f"provide (\"{_quoted(error)[:80]}\"): keep the loop to the device argument and "
                 ".to(device); the notebook lists the torch.cuda calls the emulation answers.",
                 "cuda-runtime-call")
        if "CUDA" in message or "cuda" in message:
            if names_cuda() or source.calls_name(function, "get_device"):
                fail(*hard_coded())
            fail(DEVICE_IGNORED.format(function=function), "device-ignored")
        fail(f"{function} failed on the (emulated) GPU device: "
             f"{StudentError(function, error).excerpt()[:160]}", "device-error")


_NOT_COMPILED = "not compiled with CUDA"  # (a CPU build's refusal of the CUDA runtime)


def _device_words(message: str) -> bool:
    """An error message in the words a GPU (or the emulated one) uses for a device mistake."""
    return NUMPY_ON_GPU in message or any(words in message for words in MIXED_DEVICES) \
        or "cuda" in message.lower()


def _cpu_while_gpu_params(params: dict) -> dict:
    """On a real GPU: the device argument says cpu while CUDA is really available, and a
    hard-coded "cuda" really reaches the GPU (no CPU stand-in), so the run shows it."""
    return {**params, "device": "cpu", "fake_cuda": None, "cuda_as_cpu": False}


def _cpu_without_gpu_params(params: dict) -> dict:
    """Without a GPU: the device argument says cpu, no GPU is there (none faked) and a
    hard-coded "cuda" has no CPU stand-in, so it raises (the model moved to a "cuda" of its
    own too shows nowhere else). The emulated run alone was once told apart by its device
    ("meta"): an outside red team's loop used the device argument only when it was "meta"
    and "cuda" otherwise."""
    return {**params, "device": "cpu", "fake_cuda": False, "cuda_as_cpu": False}


TRAIN_DEVICE = "train_one_epoch: moves inputs and labels to the device argument (GPU emulated or real)"


@check(TRAIN_DEVICE,
       "Move x and y with .to(device) using the device argument; never hard-code 'cuda'.",
       clauses=("move both to device",))
def test_train_device(student, source, tol, memo):
    plain = _train_run(student, memo, tol)["outcome"]
    if student.cuda_available:
        params = _train_params(lr=0.5, start_train=True, device="cuda", fake_cuda=None)
        outcome = _scenario(student, "train_one_epoch", params)
        _device_feedback("train_one_epoch", outcome, source, plain, given="cuda")
        _require_forward("train_one_epoch", outcome)
        cpu = _scenario(student, "train_one_epoch", _cpu_while_gpu_params(params))
        _device_feedback("train_one_epoch", cpu, source, plain)
        # What the loop does on the GPU is what it does on the CPU (its order of operations,
        # right or wrong, is the other checks' business: judged alike on every host).
        if not training.states_match(outcome.get("state"), cpu.get("state") or {}, 1e-3, 1e-4):
            fail("train_one_epoch trains differently on the GPU than on the CPU (the same "
                 "model, batches and optimizer): keep the batches, the model and the loss on "
                 "the device argument throughout the loop.", "gpu-trajectory")
        return
    # On the emulated GPU, as on a real one, then with the device argument saying cpu while
    # the GPU is there, then without a GPU (a "cuda" of its own raises): two batches (a full
    # one and a short one) show where tensors go.
    params = _train_params(lr=0.5, start_train=True, n=BATCH + 2)
    outcome = _scenario(student, "train_one_epoch", _on_emulated_gpu(params))
    _device_feedback("train_one_epoch", outcome, source, plain, emulated=True, given="cuda")
    _require_forward("train_one_epoch", outcome)
    for other in (_cpu_beside_emulated_gpu(params), _cpu_without_gpu_params(_emulated(params))):
        _device_feedback("train_one_epoch", _scenario(student, "train_one_epoch", other), source,
                         plain)


# ---------------------------------------------------------------- evaluate
def _eval_params(device: str = "cpu", fake_cuda: bool | None = False, n: int = 34) -> dict:
    x, y = training.make_data(SEED + 1, n=n)  # batches 16, 16, 2: weighting matters
    return {"arch": "bn_dropout_mlp", "state": _trained_state(), "x": x, "y": y,
            "batch_size": BATCH, "start_train": True, "device": device, "fake_cuda": fake_cuda,
            "seed": SEED}


def _trained_state() -> dict:
    """Non-trivial BatchNorm statistics, so a train-mode pass visibly changes them."""
    state = training.initial_state("bn_dropout_mlp", SEED)
    gen = torch.Generator().manual_seed(7)
    state["1.running_mean"] = torch.randn(probes.HIDDEN, generator=gen)
    state["1.running_var"] = torch.rand(probes.HIDDEN, generator=gen) + 0.5
    return state


def _reference_eval(params: dict, label_smoothing: float = 0.0,
                    softmax_first: bool = False, offset: float = 0.0) -> dict:
    """The reference evaluation, and the figures the usual mistakes give instead (a loss on
    softmax outputs, the mean of batch means, a sum, a percentage); `offset` added to every
    batch's loss, as the scenario's loss adds it when the forward ran with gradients on."""
    model = probes.build(params["arch"])
    model.load_state_dict(params["state"])
    model.eval()
    total, correct, n, by_value = 0.0, 0, 0, 0
    batch_losses: list[float] = []
    batch_accuracies: list[float] = []
    with torch.no_grad():
        for start in range(0, len(params["x"]), BATCH):
            xb, yb = params["x"][start:start + BATCH], params["y"][start:start + BATCH]
            logits = model(xb)
            scores = torch.softmax(logits, 1) if softmax_first else logits
            loss = F.cross_entropy(scores, yb, label_smoothing=label_smoothing).item() + offset
            batch_losses.append(loss)
            total += loss * len(xb)
            correct += int((logits.argmax(1) == yb).sum())
            by_value += int((logits.max(1).values == yb).sum())
            batch_accuracies.append(float((logits.argmax(1) == yb).float().mean()))
            n += len(xb)
    return {"loss": total / n, "accuracy": correct / n, "accuracy-max-values": by_value / n,
            "accuracy-mean-of-batch-means": sum(batch_accuracies) / len(batch_accuracies),
            "mean-of-batch-means": sum(batch_losses) / len(batch_losses),
            "per-batch-count": total / len(batch_losses), "sum": total,
            "batches-times-size": total / (len(batch_losses) * BATCH),
            "loader-batch-size": sum(batch_losses) * BATCH / n,
            "last-batch": batch_losses[-1]}


@functools.lru_cache(maxsize=16)
def _eval_figures(label_smoothing: float = 0.0, softmax_first: bool = False,
                  offset: float = 0.0) -> dict:
    """`_reference_eval` on `_eval_params()`: the same for every submission, computed once per
    judge (callers must not modify the result)."""
    return _reference_eval(_eval_params(), label_smoothing, softmax_first, offset)


EVAL_LOSS_MISTAKES = {
    "mean-of-batch-means": "evaluate returns the mean of the batch means: the last batch is "
                           "smaller, so weight each batch's loss by its own size (x.shape[0], "
                           "not loader.batch_size) and divide by the number of samples.",
    "per-batch-count": "evaluate divides the size-weighted loss by the number of batches: "
                       "divide by the number of samples.",
    "sum": "evaluate returns the sum of the weighted batch losses: divide by the number of "
           "samples.",
    "batches-times-size": "evaluate divides the size-weighted loss by the number of batches × "
                          "the batch size, which counts the short last batch as full: divide "
                          "by the number of samples (len(loader.dataset)).",
    # (fresh eyes 49: told "likely the weighting by batch size, the divisor, or ...", where
    # train_one_epoch's same mistake is named)
    "loader-batch-size": "evaluate weights every batch by the loader's batch size, but the last "
                         "batch is smaller: weight each batch's loss by its own size, x.shape[0] "
                         "(or len(y)), and divide by the number of samples.",
    # (fresh eyes 70: told "likely the weighting by batch size...", where train_one_epoch's
    # same mistake is named)
    "last-batch": "evaluate returns only the last batch's loss: add up every batch's loss × its "
                  "size and divide by the number of samples.",
}


# Added by the scenario's loss to a batch whose logits carry a graph (`InstrumentedLoss.reveal`):
# a loss evaluate returns that matches a figure with it shows gradients were on.
GRAD_REVEAL = 100.0


def _revealed(loss: float, label_smoothing: float = 0.0) -> bool:
    """The loss is one of the evaluation's figures (right or a usual mistake) with the
    scenario's offset on every batch: the forward ran with gradients on."""
    figures = [value for key, value in _eval_figures(label_smoothing, offset=GRAD_REVEAL).items()
               if not key.startswith("accuracy")]
    figures.append(_eval_figures(label_smoothing, True, GRAD_REVEAL)["loss"])
    return any(math.isclose(loss, value, rel_tol=1e-6, abs_tol=1e-4) for value in figures)


def _eval_run_outcome(student, memo) -> dict:
    """The plain run the evaluate checks judge (cached per submission), raised or not."""
    if "eval" not in memo:
        memo["eval"] = _scenario(student, "evaluate",
                                 {**_eval_params(), "reveal_grad": GRAD_REVEAL})
    return memo["eval"]  # type: ignore[no-any-return]


def _eval_run(student, memo, charges: bool = False,
              seen: Callable[[dict], None] | None = None) -> dict:
    outcome = _eval_run_outcome(student, memo)
    _raise_student("evaluate", outcome, charges, seen)
    _require_forward("evaluate", outcome)
    return outcome


EVAL_MODE = "evaluate: switches to eval mode (Dropout off, BatchNorm statistics unchanged)"


@check(EVAL_MODE,
       "Call model.eval() before evaluating: in train mode Dropout is active and BatchNorm "
       "updates its running statistics.",
       clauses=("uses evaluation mode",))
def test_eval_mode(student, memo, tol, source):
    def changed(outcome: dict) -> None:
        if not training.states_match(outcome.get("state"), _eval_params()["state"], 0, 0):
            if any(isinstance(f, dict) and f.get("training") is True
                   for f in outcome.get("forward", [])) \
                    and source.calls_attribute("evaluate", "eval") \
                    and source.calls_attribute("evaluate", "train"):
                # (the words only; mistakes review 25: model.train() inside the loop was told
                # to call model.eval() first, which it did)
                fail("evaluate's forward passes ran in train mode although it calls "
                     "model.eval(): its model.train() switches the model back, and BatchNorm "
                     "updated its statistics while evaluating — call model.eval() before the "
                     "loop and leave the model in eval mode until evaluate returns.",
                     "no-eval-mode")
            fail("evaluate changed the model's BatchNorm statistics or parameters: call "
                 "model.eval() first (and never step the optimizer while evaluating)."
                 + _uncalled_hint(source, "evaluate", "eval", "model.eval"),
                 "no-eval-mode")

    changed(_eval_run(student, memo, seen=changed))  # (before a crash too: the state then)
    if True in _modes_when_called_again(student, memo, "evaluate"):
        fail("evaluate runs the model in train mode when it is called again on a model that "
             "train_one_epoch() left in train mode (as fit calls it every epoch): call "
             "model.eval() at the start of every call.", "no-eval-mode")
    plain = _eval_plain(student, memo)
    if plain.get("error") is None and not training.states_match(
            plain.get("state"), _eval_params()["state"], 0, 0):
        fail("evaluate changes the model's BatchNorm statistics when it is given a plain "
             "model, loss and loader (torch's own, with nothing watching them), unlike in the "
             "graded runs: call model.eval() first, whatever objects it is given.",
             "plain-objects-differ")


def _eval_plain(student, memo, start_train: bool = True) -> dict:
    """`evaluate` on the watched run's model, data and batches with plain objects (worker
    scenario `evaluate_plain`), cached per submission: one evaluation, whatever the objects
    it is given (red team 48's was right only where the model had hooks). `start_train`:
    the model comes in train mode (else in eval mode, where a missing eval() is not at
    stake)."""
    key = f"eval plain {start_train}"
    if key not in memo:
        memo[key] = _scenario(student, "evaluate_plain",
                              {**_eval_params(), "start_train": start_train})
    return memo[key]  # type: ignore[no-any-return]


EVAL_VALUES = "evaluate: returns sample-weighted loss and accuracy as floats"
# The check that charges a loop's crash once it ran the model (`_raise_student`)
# (the figure a loop that raised never returned)
_CRASH_CHARGED_BY = {"train_one_epoch": TRAIN_RETURN, "evaluate": EVAL_VALUES}


@check(EVAL_VALUES,
       "Weight each batch's loss and correct count by its size and divide by the number of "
       "samples; accuracy comes from logits.argmax(dim=1).",
       clauses=("use the loss_fn you are given",
                "loss and accuracy both sample-weighted",
                "accuracy from the argmax of the logits"))
def test_eval_values(student, memo, tol, source):
    try:
        outcome = _eval_run(student, memo, charges=True)
    except StudentError as error:
        if "must match the size of tensor" in error.info.get("message", "") and \
                source.calls_with_argument("evaluate", "argmax", "dim", 0):
            # (the run raised; the words only: fresh eyes 53 was told PyTorch's alone)
            fail(f"evaluate raised {error.excerpt()}: it takes the argmax over dim 0, the "
                 "batch (the best sample for each class); a sample's predicted class is the "
                 "argmax over the classes, logits.argmax(dim=1).", "eval-argmax-dim-0")
        raise
    start: dict[str, Any] = {}
    if not training.states_match(outcome.get("state"), _eval_params()["state"], 0, 0) \
            and outcome.get("error") is None:
        # A missing eval() is the mode check's verdict; the figures are judged on a run that
        # starts in eval mode, where the mode is not at stake (red team 11: with the state
        # changed, no value mistake was judged at all)
        start = {"start_train": False}
        outcome = _scenario(student, "evaluate",
                            {**_eval_params(), "reveal_grad": GRAD_REVEAL, **start})
        _raise_student("evaluate", outcome, charges=True)
    result = outcome.get("returned")
    if not isinstance(result, dict) or not {"loss", "accuracy"} <= set(result):
        fail("evaluate must return a dict with keys 'loss' and 'accuracy'.", "wrong-type")
    for key in ("loss", "accuracy"):
        if key == "accuracy" and isinstance(result[key], (torch.Tensor, NumpyArray)) and \
                _accuracy_type_to_blame(student, result[key]):
            # a tensor (or a numpy scalar: fresh eyes 58) because the student's accuracy()
            # returns one: charged there
            result = {**result, key: _as_tensor(result[key])}
            continue
        if isinstance(result[key], torch.Tensor) or not isinstance(result[key], (int, float)):
            fail(f"evaluate returned {key} as {describe(result[key])}: return a Python "
                 "float (use .item()).", "returned-tensor")
    if not training.states_match(outcome.get("state"), _eval_params()["state"], 0, 0):
        return  # a missing eval() is the mode check's verdict, not this one's
    loss, accuracy = _as_float(result["loss"]), _as_float(result["accuracy"])
    offset = 0.0
    if _revealed(loss):  # gradients on: the no-grad check's to charge; held to that variant
        attributed_to(EVAL_NO_GRAD)
        offset = GRAD_REVEAL
    expected = _eval_figures(offset=offset)
    if not math.isclose(loss, expected["loss"], rel_tol=1e-4, abs_tol=1e-6):
        if math.isclose(loss, _eval_figures(softmax_first=True, offset=offset)["loss"],
                        rel_tol=1e-4, abs_tol=1e-6):
            fail("evaluate computes the loss on softmax outputs: the loss_fn expects the raw "
                 "logits (it applies log-softmax itself) — pass model(x) straight to loss_fn.",
                 "eval-softmax-loss")
        for mistake, message in EVAL_LOSS_MISTAKES.items():
            if math.isclose(loss, expected[mistake], rel_tol=1e-4, abs_tol=1e-6):
                fail(message, f"eval-{mistake}")
        batches = -(-len(_eval_params()["x"]) // BATCH)
        ran = [e for e in outcome.get("events", []) if e == "forward"]
        if 0 < len(ran) < batches:  # (mistakes review 27: `next(iter(loader))`, told "likely
            # the weighting by batch size")
            fail(f"evaluate runs the model on {len(ran)} of the loader's {batches} batches "
                 "(next(iter(loader)), or a break or return inside the loop): go through "
                 "every batch of the loader.", "eval-partial-loader")
        fail("evaluate returns a loss other than the size-weighted mean of the batch "
             "losses: likely the weighting by batch size, the divisor, or a loss "
             "computed on something other than model(x).", "eval-loss")
    if not math.isclose(accuracy, expected["accuracy"], abs_tol=1e-6) and not \
            _accuracy_to_blame(student, accuracy):
        if math.isclose(accuracy, 100 * expected["accuracy"], abs_tol=1e-4):
            fail("evaluate returns the accuracy as a percentage: return a fraction in [0, 1] "
                 "(no × 100).", "eval-percentage")
        samples = len(_eval_params()["x"])
        if accuracy == 100 * round(expected["accuracy"] * samples) // samples \
                and expected["accuracy"] * 100 % 1:
            # (fresh eyes 70: the CIFAR tutorial's `100 * correct // total`, told only "a
            # wrong accuracy")
            fail("evaluate returns the accuracy as a whole-number percentage, 100 * correct // "
                 "total (the tutorials' printout): return the fraction correct / total, a "
                 "float in [0, 1].", "eval-percentage")
        nominal = expected["accuracy"] * samples / (-(-samples // BATCH) * BATCH)
        if math.isclose(accuracy, expected["accuracy-mean-of-batch-means"], abs_tol=1e-6):
            # (fresh eyes 51: told only "a wrong accuracy", where the loss's is named; fresh
            # eyes 57: a divisor of batches × batch_size gives the same figure on this loader,
            # whose short last batch is wrong — both said, since this run cannot tell them)
            either = math.isclose(accuracy, nominal, abs_tol=1e-6)
            fail("evaluate returns the mean of the batches' accuracies"
                 + (" (or divides by batches × batch_size)" if either else "")
                 + ": the last batch is smaller, so count the correct predictions over every "
                 "batch and divide by the number of samples.",
                 "eval-accuracy-mean-of-batch-means")
        if math.isclose(accuracy, nominal, abs_tol=1e-6):
            fail("evaluate divides the correct count by batches × batch_size: the last batch "
                 "is smaller — divide by the number of samples (len of each batch, summed).",
                 "eval-accuracy-nominal-divisor")
        if _floor_divided(student, accuracy, expected["accuracy"], start):
            fail("evaluate divides with integer (floor) division: correct // N is 0 unless "
                 "every prediction is right — divide with / (true division), correct / N.",
                 "eval-accuracy-integer-division")
        if math.isclose(accuracy, expected["accuracy-max-values"], abs_tol=1e-6) and \
                _counts_max_values(student, start):
            # (fresh eyes 67: `logits.max(dim=1)[0] == y`, told only "a wrong accuracy")
            fail("evaluate compares the largest logit's value with the labels "
                 "(logits.max(dim=1)[0], or .values): the predicted class is the index of the "
                 "largest logit, logits.argmax(dim=1) (or .max(dim=1).indices).",
                 "eval-accuracy-max-values")
        fail("evaluate returns a wrong accuracy: count logits.argmax(dim=1) == y over all "
             "samples and divide by the number of samples.", "eval-accuracy")
    # Another loss_fn must change the loss as it changes the reference's.
    params = {**_eval_params(), "reveal_grad": GRAD_REVEAL, **start}
    params["label_smoothing"] = 0.3
    other = _scenario(student, "evaluate", params)
    _raise_student("evaluate", other, charges=True)
    returned = other.get("returned")
    got = returned.get("loss") if isinstance(returned, dict) else None
    smoothed = _eval_figures(0.3, offset=offset)["loss"]
    if not (isinstance(got, (int, float)) and not isinstance(got, bool)
            and math.isclose(float(got), smoothed, rel_tol=1e-4, abs_tol=1e-6)):
        fail("evaluate does not use the loss_fn it is given: given another loss (a label-"
             "smoothed cross-entropy) it returns another figure than that loss — compute "
             "loss_fn(model(x), y) with the argument, not a loss of its own.",
             "eval-ignores-loss-fn")
    _single_sample_batch(student, memo, "evaluate")
    _every_batch_of_one(student, memo, "evaluate")
    if offset:
        return  # (gradients on: the watched run's loss carries the scenario's offset)
    plain = _eval_plain(student, memo, start_train=not start)
    if not training.states_match(plain.get("state"), _eval_params()["state"], 0, 0):
        # (no eval() with plain objects: the mode check's verdict; the figures judged on a
        # plain run that starts in eval mode, as the watched run's are above)
        plain = _eval_plain(student, memo, start_train=False)
    figures = plain.get("returned") if plain.get("error") is None else None
    watched = {"loss": loss, "accuracy": accuracy}  # (the same model, data and batches)
    if not (
            isinstance(figures, dict) and all(
                key in figures and (number := _number_or_none(figures[key])) is not None
                and math.isclose(number, watched[key], rel_tol=1e-4, abs_tol=1e-6)
                for key in ("loss", "accuracy"))):
        what = (f"it raises {plain['error'].get('type', 'an error')} there"
                if plain.get("error") else "its figures differ")
        fail("evaluate computes otherwise when it is given a plain model, loss and loader "
             f"(torch's own, with nothing watching them) than in the graded runs: {what}. "
             "Write one evaluation, whatever objects it is given.", "plain-objects-differ")
    _every_batch_evaluated(student)
    _same_figures_when_called_again(student, memo, watched)
    _eval_same_by_name(student, watched, start)


def _same_figure(value: Any, watched: float) -> bool:
    """A figure (a number, or a one-element tensor: the values check judged its type) that
    is the watched run's."""
    value = _as_tensor(value)  # (a numpy number: the accuracy() it came from is charged)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isclose(
        _as_float(value), watched, rel_tol=1e-4, abs_tol=1e-6)


def _eval_same_by_name(student, watched: dict[str, float], start: dict[str, Any]) -> None:
    """evaluate called with its arguments by name gives the figures it gives by position
    (as `_same_by_name` for the training loop: fit's check runs fit on stand-ins of both
    loops, so an evaluate right by position and wrong by name — as its own fit calls it —
    kept every point). Parameters renamed from the signature's (a TypeError by name) are
    not judged here."""
    named = _scenario(student, "evaluate", {**_eval_params(), "reveal_grad": GRAD_REVEAL,
                                            **start, "by_name": True})
    error = named.get("error")
    if error is not None and error.get("type") == "TypeError":
        return
    figures = named.get("returned") if error is None else None
    if isinstance(figures, dict) and all(
            _same_figure(figures.get(key), watched[key]) for key in ("loss", "accuracy")):
        return
    fail("evaluate computes otherwise when its arguments are passed by name (evaluate("
         "model=model, loader=loader, loss_fn=loss_fn, device=device), as a caller may) than "
         "by position: keep the signature and use each argument however it is passed.",
         "positional-argument")


def _same_figures_when_called_again(student, memo, watched: dict[str, float]) -> None:
    """Called a second time on the same model (`_called_again`: the model set to train mode
    in between, as a training epoch leaves it), evaluate returns the figures of its first
    call: nothing it is given changed (an outside red team's evaluate was right on its
    first call on a model only). A second call in train mode is the mode check's."""
    again = _called_again(student, memo, "evaluate")
    if again is None or True in [f.get("training") for f in again.get("forward", [])
                                 if isinstance(f, dict)]:
        return
    figures = again.get("returned")
    got = {key: _number_or_none(figures.get(key)) for key in ("loss", "accuracy")} \
        if isinstance(figures, dict) else {}
    if any(got.get(key) is None for key in ("loss", "accuracy")):
        return  # (not two numbers: the type is the first call's checks' to charge)
    if not all(math.isclose(got[key], watched[key], rel_tol=1e-4, abs_tol=1e-6)  # type: ignore[arg-type]
               for key in ("loss", "accuracy")):
        fail("evaluate returns other figures when it is called again on the same model (as fit "
             "calls it every epoch), though nothing it is given changed: compute the loss and "
             "the accuracy afresh on every call (totals started at 0 inside the function).",
             "differs-when-called-again")


def _every_batch_evaluated(student) -> None:
    """On a loader of seventeen batches (`PLAIN_N` samples), more than any other run's, the loss is
    the reference's too (red team 44's evaluate stopped after five batches and kept every
    point: each loader the checks built held three or four). Judged on the figures, not on
    the forward passes the hooks saw (`model.forward(x)` runs none of them)."""
    outcome = _scenario(student, "evaluate", {**_eval_params(n=PLAIN_N), "start_train": False})
    _raise_student("evaluate", outcome, charges=True)
    result = outcome.get("returned")
    expected = _many_batches_figures()
    loss = result.get("loss") if isinstance(result, dict) else None
    # (the loss alone: the accuracy may be the student's own accuracy()'s, charged there)
    if not isinstance(loss, (int, float)) or isinstance(loss, bool) or math.isclose(
            float(loss), expected["loss"], rel_tol=1e-4, abs_tol=1e-6):
        return
    batches = -(-PLAIN_N // BATCH)
    fail(f"evaluate is right on the other loaders but returns another loss on a loader of "
         f"{batches} batches: a break or return inside the loop, or a cap on the batches? Go "
         "through every batch of the loader.", "eval-partial-loader")


@functools.lru_cache(maxsize=1)
def _many_batches_figures() -> dict:
    """`_reference_eval` on `PLAIN_N` samples, in eval mode from the start (once per judge)."""
    return _reference_eval({**_eval_params(n=PLAIN_N), "start_train": False})


def _floor_divided(student, accuracy: float, expected: float, start: dict) -> bool:
    """evaluate's accuracy is 0.0 where some but not all predictions are right, and 1.0 on
    the same run with every label the model's own prediction (a probe, on this failing path
    only): correct // N, or int() of the ratio (fresh eyes 53: told only "a wrong
    accuracy", where accuracy()'s own check names it)."""
    if accuracy != 0.0 or not 0.0 < expected < 1.0:
        return False
    predicted = torch.cat([p for p, _ in _eval_predictions()])
    outcome = _scenario(student, "evaluate", {**_eval_params(), "y": predicted,
                                              "reveal_grad": GRAD_REVEAL, **start})
    returned = outcome.get("returned")
    value = _number_or_none(returned.get("accuracy")) if isinstance(returned, dict) else None
    return value is not None and math.isclose(value, 1.0, abs_tol=1e-9)


def _counts_max_values(student, start: dict) -> bool:
    """On a model whose logits are (2, 0, 1) for every sample and labels all 2, evaluate's
    accuracy is 1.0: it counts the samples whose largest logit's value equals the label (the
    predicted class, the argmax, is 0 everywhere: 0.0). A probe, on this failing path only."""
    params = _eval_params()
    state = {**params["state"], "4.weight": torch.zeros_like(params["state"]["4.weight"]),
             "4.bias": torch.tensor([2.0, 0.0, 1.0])}
    outcome = _scenario(student, "evaluate", {**params, "state": state,
                                              "y": torch.full_like(params["y"], 2),
                                              "reveal_grad": GRAD_REVEAL, **start})
    returned = outcome.get("returned")
    value = _number_or_none(returned.get("accuracy")) if isinstance(returned, dict) else None
    return value is not None and math.isclose(value, 1.0, abs_tol=1e-9)


@functools.lru_cache(maxsize=1)
def _eval_predictions() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """The reference evaluation's argmax predictions and labels, per batch (computed once)."""
    params = _eval_params()
    model = probes.build(params["arch"])
    model.load_state_dict(params["state"])
    model.eval()
    with torch.no_grad():
        return tuple((model(params["x"][i:i + BATCH]).argmax(1), params["y"][i:i + BATCH])
                     for i in range(0, len(params["x"]), BATCH))


def _as_tensor(value: Any) -> Any:
    """A numpy value (it arrives as `NumpyArray`) as its tensor; anything else unchanged."""
    return value.tensor if isinstance(value, NumpyArray) else value


def _number_or_none(value: Any) -> float | None:
    value = _as_tensor(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _accuracy_type_to_blame(student, accuracy: Any) -> bool:
    """evaluate's accuracy is a one-element tensor (or a numpy scalar) because the student's
    accuracy() returns those (probe calls on the evaluation's predictions), and its number is
    right for that accuracy(): the type follows the helper's, whose check charges it (as for a
    floor-dividing accuracy)."""
    return _accuracy_to_blame(student, accuracy, typed=True)


def _accuracy_to_blame(student, accuracy: Any, typed: bool = False) -> bool:
    """evaluate's accuracy is right for the student's own accuracy(): over every sample at
    once, or batch by batch weighted by the batch sizes, on the predictions of the model,
    while that accuracy() is wrong there (its check charges the mistake)."""
    batches = _eval_predictions()
    preds = torch.cat([p for p, _ in batches])
    targets = torch.cat([t for _, t in batches])
    calls = (HelperCall((preds, targets), float((preds == targets).double().mean())),
             *(HelperCall((p, t), float((p == t).double().mean())) for p, t in batches))

    def compose(outputs: list[Any]) -> list[float]:
        values = [v for v in (_number_or_none(out) for out in outputs) if v is not None]
        if len(values) != len(outputs):
            return []
        sizes = [len(t) for _, t in batches]
        weighted = sum(v * n for v, n in zip(values[1:], sizes, strict=True))
        return [values[0], weighted / sum(sizes)]

    def close(value: Any, expected: Any) -> bool:
        number = _number_or_none(value)
        return number is not None and math.isclose(number, expected, abs_tol=1e-6)

    reads = functools.partial(_accuracy_reads_its_labels, student)
    if not typed:
        return helper_to_blame(student, accuracy, close, [Composition(
            "evaluate", "accuracy", ACC_VALUES, calls, compose, close, reads)])

    def helper_right(value: Any, expected: Any) -> bool:  # a Python float, as the spec says
        return type(value) is float and close(value, expected)

    kind = type(accuracy)  # (a tensor, or a numpy value: of the kind the helper returns)

    def caller_agrees(value: Any, expected: Any) -> bool:
        return isinstance(value, kind) and close(value, expected)

    def tensors_only(outputs: list[Any]) -> list[float]:
        return compose(outputs) if all(isinstance(out, kind) for out in outputs) else []

    return helper_to_blame(student, accuracy, caller_agrees, [Composition(
        "evaluate", "accuracy", ACC_VALUES, calls, tensors_only, helper_right, reads)])


def _accuracy_reads_its_labels(student) -> bool:
    """The student's accuracy() changes when only the predictions, or only the targets, go
    from all right to all wrong: it reads both. One that does not (a constant 0.0) does no
    work, and an evaluate that returns its value is not excused as its mistake (red team
    28: `return {"loss": ..., "accuracy": accuracy(None, None)}` over a stub, +2)."""
    labels = torch.arange(10) % 3
    wrong = (labels + 1) % 3

    def value(preds: torch.Tensor, targets: torch.Tensor) -> float | None:
        try:
            return _number_or_none(student.call("accuracy", preds, targets).value)
        except StudentError:
            return None

    right = value(labels, labels)
    return right is not None and all(
        other is not None and not math.isclose(other, right, abs_tol=1e-9)
        for other in (value(wrong, labels), value(labels, wrong)))


EVAL_NO_GRAD = "evaluate: computes no gradients (torch.no_grad)"


@check(EVAL_NO_GRAD,
       "Wrap the evaluation loop in `with torch.no_grad():` (or torch.inference_mode()) and "
       "never call backward() while evaluating.",
       clauses=("torch.no_grad()", "gradient tracking back on", "keep requires_grad"))
def test_eval_no_grad(student, memo, source):
    try:
        _no_grad_checked(student, memo)
    except CheckFailed as failed:
        if failed.mistake == "no-no-grad" and source.calls_on_its_own(
                "evaluate", ("no_grad", "inference_mode", "enable_grad")):
            # (the words only: the run showed gradients on; fresh eyes 56's bare
            # `torch.no_grad()` line was told to wrap the loop, not why its line did nothing)
            fail("evaluate runs the model with gradient tracking on: `torch.no_grad()` on a "
                 "line of its own does nothing — it must open a block, `with torch.no_grad():`, "
                 "around the loop.", "no-no-grad")
        raise


def _no_grad_checked(student, memo) -> None:
    outcome = _eval_run(student, memo, seen=_gradients_seen)
    if outcome.get("frozen_after") and not outcome.get("error"):
        # (fresh eyes 52: model.requires_grad_(False) "to freeze for eval", never undone —
        # full marks, while the student's own fit crashed in its second epoch)
        fail("evaluate leaves the model's parameters with requires_grad=False "
             "(requires_grad_(False) never undone): the next training epoch builds no graph "
             "and its backward() fails — use `with torch.no_grad():`, which changes nothing "
             "on the model.", "params-frozen")
    if outcome.get("grad_enabled_after") is False and not outcome.get("error"):
        # (fresh eyes 11: torch.set_grad_enabled(False) never undone — full marks, while
        # fit's next epoch could not train and the notebook's own training cells crashed)
        fail("evaluate switches gradient tracking off and leaves it off "
             "(torch.set_grad_enabled(False) never undone): code run after it that does not "
             "turn it back on itself (the notebook's next cells, a training loop) builds no "
             "graph, and its backward() fails — use `with torch.no_grad():`, which turns it "
             "back on when the block ends.", "grad-left-off")
    if outcome.get("grads_present"):
        fail("evaluate computed gradients (backward() during evaluation): evaluation must not "
             "touch gradients or parameters.", "backward-in-evaluate")
    forwards = outcome.get("forward", [])
    calls = outcome.get("loss_calls", [])
    # Behaviour only: grad mode as the forward hook saw it (torch's own C function,
    # restored harness), and whether the logits handed to the loss carry a graph (they do
    # exactly when the forward ran with gradients on, even via model.forward(x)). Where
    # no_grad was applied — this function, a helper, a decorator — does not matter; the
    # source never decides.
    # And in the loss evaluate returns: the scenario's loss adds GRAD_REVEAL to a batch
    # whose logits carry a graph, so a figure with it shows gradients were on (a log above
    # is kept in the student's process; this figure is the judge's to recompute).
    returned = outcome.get("returned")
    loss = returned.get("loss") if isinstance(returned, dict) else None
    revealed = (isinstance(loss, (int, float)) and not isinstance(loss, bool)
                and _revealed(_as_float(loss)))
    grad_seen = (revealed or any(f["grad_enabled"] for f in forwards)
                 or any(c.get("requires_grad") for c in calls)
                 or outcome.get("inner_grad") is True)  # (a layer's own hook: model.forward)
    if grad_seen:
        fail(NO_NO_GRAD, "no-no-grad")
    again = _called_again(student, memo, "evaluate")
    if again is not None:  # (and on a second call on the model: `_called_again`)
        _gradients_seen(again)


NO_NO_GRAD = ("evaluate runs the model with gradient tracking on: wrap the loop in "
              "`with torch.no_grad():` to save memory and time.")


def _gradients_seen(outcome: dict) -> None:
    """Before a crash: a forward pass or the loss with gradients on, or a backward, or
    gradients switched off for good (`set_grad_enabled(False)` never undone: `no_grad`
    puts them back even when the block raises)."""
    if outcome.get("grad_enabled_after") is False:
        fail("evaluate switches gradient tracking off and leaves it off "
             "(torch.set_grad_enabled(False) never undone): use `with torch.no_grad():`, "
             "which turns it back on when the block ends.", "grad-left-off")
    if outcome.get("grads_present"):
        fail("evaluate computed gradients (backward() during evaluation): evaluation must not "
             "touch gradients or parameters.", "backward-in-evaluate")
    if any(f["grad_enabled"] for f in outcome.get("forward", [])) or any(
            c.get("requires_grad") for c in outcome.get("loss_calls", [])) or \
            outcome.get("inner_grad") is True:
        fail(NO_NO_GRAD, "no-no-grad")


EVAL_DEVICE = "evaluate: moves inputs and labels to the device argument (GPU emulated or real)"


@check(EVAL_DEVICE,
       "Move x and y with .to(device) using the device argument; never hard-code 'cuda'.")
def test_eval_device(student, source, memo):
    plain = _eval_run_outcome(student, memo)
    if student.cuda_available:
        params = _eval_params(device="cuda", fake_cuda=None)
        runs = [params, _cpu_while_gpu_params(_eval_params())]
    else:  # (emulated: two batches show where tensors go, as for train_one_epoch)
        params = _eval_params(n=BATCH + 2)
        runs = [_on_emulated_gpu(params), _cpu_beside_emulated_gpu(params),
                _cpu_without_gpu_params(_emulated(params))]
    outcome = _scenario(student, "evaluate", runs[0])
    _device_feedback("evaluate", outcome, source, plain,
                     emulated=not student.cuda_available, given=runs[0]["device"])
    _require_forward("evaluate", outcome)
    for other in runs[1:]:
        _device_feedback("evaluate", _scenario(student, "evaluate", other), source, plain)


# ---------------------------------------------------------------- fit
FIT = "fit: trains then evaluates every epoch and returns the history"
# The stand-ins' run: epochs enough that an early stop after two or three epochs without
# improvement (its validation loss grows every epoch) shows
STUB_EPOCHS = 6
MOST_EPOCHS = 2 * STUB_EPOCHS + 2  # a count of the student's quoted up to this (`quoting`)


@check(FIT,
       "For each epoch call train_one_epoch on train_loader, then evaluate on val_loader, and "
       "append the three numbers to history['train_loss'], ['val_loss'], ['val_accuracy'].",
       clauses=("every epoch trains first, then evaluates",
                "use the model, loss_fn, optimizer and device you are given",
                "evaluating on val_loader after each epoch",
                "one float per epoch",
                "a new history on every call"))
def test_fit(student, tol):
    outcome, expected = _stubbed_fit(student)
    stub_epochs = range(1, STUB_EPOCHS + 1)
    eval_base = expected["val_loss"][0] - 1 / 16  # (exact: quarters and sixteenths)
    returned = outcome.get("returned")
    if _history_matches(returned, expected):
        _fit_arguments(outcome)
        _fit_carries_the_model(_weights_seen(student, outcome))
        _fit_trains_as_given(outcome)
        _fit_history_fresh(student, returned)
        return
    behind = {"train_loss": expected["train_loss"],
              "val_loss": [eval_base + (k - 1) / 16 for k in stub_epochs],
              "val_accuracy": [(k - 1) / 32 for k in stub_epochs]}
    if _history_matches(returned, behind):
        fail("fit evaluates before training in each epoch, so every validation figure is one "
             "epoch behind: call train_one_epoch first, then evaluate, in every epoch.",
             "evaluate-before-train")
    calls = outcome.get("calls")
    trained = calls.count("train") if isinstance(calls, list) else 0
    said = quotable_count(trained, MOST_EPOCHS)  # (the student's count: as it may be quoted)
    if trained > STUB_EPOCHS and outcome.get("error") is None:
        if isinstance(calls, list) and calls.count("eval") == trained:  # (an epoch too many,
            # each whole: mistakes review 38's range(epochs + 1), told it trained twice)
            fail(f"fit runs {said} epochs for epochs={STUB_EPOCHS} (train_one_epoch, then "
                 "evaluate, each time): run exactly `epochs` epochs — for epoch in "
                 "range(epochs), not range(epochs + 1) or range(1, epochs + 1) with <=.",
                 "fit-epochs")
        # (mistakes review 27: told to check which loader each call gets)
        fail(f"fit calls train_one_epoch {said} times for epochs={STUB_EPOCHS}: call it "
             "once per epoch "
             "and append the figure it returns (a second call, e.g. inside append(...) beside "
             "one before it, trains another epoch).", "fit-trains-twice")
    # Not wired through train_one_epoch/evaluate: accept it if it trains like the reference.
    x, y = training.make_data(SEED)
    vx, vy = training.make_data(SEED + 2, n=30)
    params = {"arch": "mlp", "state": training.initial_state("mlp", SEED), "x": x, "y": y,
              "vx": vx, "vy": vy, "batch_size": BATCH, "lr": 0.1, "epochs": 2,
              "start_train": True, "seed": SEED}
    real = _scenario(student, "fit", params)
    _raise_student("fit", real)
    _fit_trains_in_train_mode(real, len(x), BATCH, 2)
    # Behaviour decides, not the helper names: a fit that trains and evaluates like the
    # reference (same parameters after every epoch, same history) is correct however it
    # is written.
    state, history = _reference_fit(params)
    evaluated = calls.count("eval") if isinstance(calls, list) else 0
    if (training.states_match(real.get("state"), state, tol.training.rtol, tol.training.atol)
            and _history_matches(real.get("returned"), history, 1e-4, 1e-6)):
        # (the real run's two epochs do not show a fit that evaluates only now and then — fresh
        # eyes 51's `epoch % 2 == 0 or last`, its stale figures appended between: the
        # stand-ins' run counts the calls)
        _fit_evaluates_every_epoch(trained, evaluated, outcome)
        if 0 < trained < STUB_EPOCHS and outcome.get("error") is None:
            # (the stand-ins' validation loss grows every epoch: a fit that stops after a few
            # epochs without improvement stops there, where a real run of two epochs does not
            # — mistakes review 33's patience of 2 and 3 kept the point)
            fail(f"fit trains {quotable_count(trained, MOST_EPOCHS)} epochs for "
                 f"epochs={STUB_EPOCHS} when its validation "
                 "loss stops improving: run exactly `epochs` epochs (for epoch in "
                 "range(epochs), with no early stop) and append once per epoch.", "fit-epochs")
        return
    if not isinstance(returned, dict) or not set(expected) <= set(returned):
        _judged_on_the_real_run(real.get("returned"), history,
                                training.states_match(real.get("state"), state,
                                                      tol.training.rtol, tol.training.atol),
                                real.get("events", []))
        # (the keys it lacks, which are the spec's, named: fresh eyes 56's history with a
        # misspelled key was told only the whole shape)
        missing = [key for key in expected if key not in returned] \
            if isinstance(returned, dict) and returned else []
        fail("fit must return {'train_loss': [...], 'val_loss': [...], 'val_accuracy': [...]} "
             "with one float per epoch"
             + (f": its history has no {' and no '.join(repr(k) for k in missing)} key "
                "(check the spelling)." if missing else "."), "fit-history-shape")
    if all(type(returned[key]) in (int, float) for key in expected):
        # (fresh eyes 49: `{k: v[-1] for k, v in history.items()}`, told to check which
        # loader each call gets)
        last = all(expected[key] and math.isclose(returned[key], expected[key][-1],
                                                  rel_tol=1e-4, abs_tol=1e-6)
                   for key in expected)
        fail("fit returns one number for each key" + (" (the last epoch's figures)" if last
                                                      else "")
             + ", not a list: return the history itself, {'train_loss': [...], 'val_loss': "
             "[...], 'val_accuracy': [...]} with one float per epoch.", "fit-history-shape")
    held = _history_values_kind(returned, expected)
    if held:
        fail(f"fit's history holds {held}, not Python floats: append numbers (the float "
             "train_one_epoch returns, evaluate's figures, or .item() of a tensor).",
             "fit-history-types")
    if _one_shared_list(returned, expected):
        fail("fit's three history lists are one and the same list, each holding every figure "
             "(dict.fromkeys(keys, []) or a = b = [] shares one list): give each key a list of "
             "its own, e.g. {'train_loss': [], 'val_loss': [], 'val_accuracy': []}.",
             "fit-shared-list")
    epochs = _epochs_run(returned, expected)
    if epochs is not None and epochs > STUB_EPOCHS:
        # (not the count: it says how often the grader calls fit — a mistakes review, 24: a
        # history kept between calls by a mutable default argument was told "33 entries")
        fail("fit's history holds more entries per list than the epochs asked "
             f"(epochs={STUB_EPOCHS}): run exactly `epochs` epochs (for epoch in "
             "range(epochs)), append once per epoch, and build a new history inside fit "
             "on every call (a history kept "
             "between calls — a mutable default argument such as history={...}, or a "
             "global — keeps growing).", "fit-epochs")
    if epochs == 1 and _history_matches(returned, {key: values[-1:] for key, values
                                                   in expected.items()}):
        # (the stand-ins ran three times, and only the last epoch's figures are kept: a
        # history made anew inside the loop — mistakes review 26's, told to run `epochs`)
        fail(f"fit runs all {STUB_EPOCHS} epochs but its history keeps only the last one's "
             "figures: create the history once, before the epoch loop, and append each "
             "epoch's figures to it inside the loop (a history made inside the loop starts "
             "over every epoch; appends after the loop see only the last epoch).",
             "fit-history-reset")
    if epochs is not None:
        # (early stopping included: the stand-ins' validation loss grows every epoch, so a
        # fit that stops after a few epochs without improvement stops here — mistakes review
        # 33's patience of 2 ran exactly the 3 epochs this run once asked for)
        fail(f"fit's history holds {quotable_count(epochs, MOST_EPOCHS)} entries per list for "
             f"epochs={STUB_EPOCHS}: run "
             "exactly `epochs` epochs (for epoch in range(epochs), with no early stop) and "
             "append once per epoch.", "fit-epochs")
    _fit_evaluates_every_epoch(trained, evaluated, outcome)
    _fit_lists_apart(returned, expected)
    _fit_loaders(returned, expected, outcome.get("loaders"))
    _fit_percentage(returned, expected)
    fail("fit: the history does not follow 'train_one_epoch on train_loader, then evaluate on "
         "val_loader' for every epoch; check which loader each call gets and what you append.",
         "fit-wiring")


def _fit_evaluates_every_epoch(trained: int, evaluated: int, outcome: dict) -> None:
    """fit, run on the stand-ins, trained every epoch but evaluated fewer times (once after
    the loop, its figures repeated per epoch — fresh eyes 46, told to check which loader each
    call gets; every other epoch — fresh eyes 51, full marks)."""
    if trained == STUB_EPOCHS and 0 < evaluated < trained and outcome.get("error") is None:
        times = "once" if evaluated == 1 else f"{evaluated} times"
        fail(f"fit calls evaluate {times} for epochs={STUB_EPOCHS}, where it trains "
             f"{STUB_EPOCHS} times: evaluate on "
             "val_loader inside the epoch loop, right after each epoch's training, and append "
             "that epoch's figures.", "fit-evaluates-once")


def _stubbed_fit(student, device: str = "meta") -> tuple[dict, dict[str, list[float]]]:
    """fit run on the stand-ins (`fit_stubbed`), with offsets drawn afresh for every call
    (only a fit that calls the stand-ins can return them): its outcome and the history it
    must return. `device`: by default one fit would not choose by itself."""
    draw = random.Random(fresh_seed())  # (the same for a regrade of this file)
    train_base, eval_base = draw.randint(8, 1024) / 4, draw.randint(8, 1024) / 4
    outcome = _scenario(student, "fit_stubbed",
                        {"epochs": STUB_EPOCHS, "train_base": train_base,
                         "eval_base": eval_base, "device": device})
    stub_epochs = range(1, STUB_EPOCHS + 1)
    return outcome, {"train_loss": [train_base + k / 8 for k in stub_epochs],
                     "val_loss": [eval_base + k / 16 for k in stub_epochs],
                     "val_accuracy": [k / 32 for k in stub_epochs]}


def _fit_history_fresh(student, first: Any) -> None:
    """fit called a second time returns that call's history alone. A history kept between
    calls (a mutable default argument `history={...}`, a global dict) is right on a first
    call and holds both calls' figures on the next: no check called fit twice, so it kept
    every point (fresh eyes 47), though a notebook that compares learning rates calls it
    several times."""
    before = {key: len(first[key]) for key in ("train_loss", "val_loss", "val_accuracy")}
    outcome, expected = _stubbed_fit(student)
    returned = outcome.get("returned")
    if _history_matches(returned, expected):
        return
    if outcome.get("error") is not None:
        error = StudentError("fit", outcome["error"])
        fail(f"fit raises {error.excerpt()} when it is called a second time, though its first "
             "call is right: every call must work on its own — keep no state from one call to "
             "the next.", "fit-called-again")
    if not isinstance(returned, dict):
        fail("fit returns no history when it is called a second time: build a new history "
             "inside fit on every call, and return it.", "fit-history-kept")
    grown = all(
        isinstance(returned.get(key), (list, tuple))
        and len(returned[key]) == before[key] + len(values)
        for key, values in expected.items())
    if grown and _history_matches({key: list(returned[key][before[key]:])
                                   for key in expected}, expected):
        fail("fit's history keeps growing from call to call: a second call returns the first "
             "call's figures followed by its own. Build a new history inside fit on every "
             "call (history = {'train_loss': [], ...} in the function body), not as a default "
             "argument or a global.", "fit-history-kept")
    fail("fit returns another history when it is called a second time: build a new history "
         "inside fit on every call, with one figure per epoch of that call.",
         "fit-history-kept")


def _fit_percentage(returned: Any, expected: dict) -> None:
    """The losses right and every accuracy 100 times the right one: a percentage (fresh
    eyes 44: told only to check which loader each call gets)."""
    accuracies = returned.get("val_accuracy") if isinstance(returned, dict) else None
    if not isinstance(accuracies, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in accuracies):
        return
    losses = {key: values for key, values in expected.items() if key != "val_accuracy"}
    if _history_matches({key: returned.get(key) for key in losses}, losses) and _history_matches(
            {"val_accuracy": [v / 100 for v in accuracies]},
            {"val_accuracy": expected["val_accuracy"]}, 1e-6):
        fail("fit appends the validation accuracy as a percentage (× 100): keep it the fraction "
             "in [0, 1] that evaluate returns.", "fit-percentage")


def _fit_loaders(returned: Any, expected: dict, loaders: Any = None) -> None:
    """The stand-ins answer -1.0 when handed a loader other than theirs: a history of -1.0s
    where the other figures are right names the call given the wrong loader (mistakes review
    29: both mistakes were told "check which loader each call gets"). `loaders`: each call's
    loader as the stand-ins saw it ("train:own", "eval:other", ...)."""
    if not isinstance(returned, dict):
        return
    seen = loaders if isinstance(loaders, list) else []
    if "eval:other" in seen and "train:other" not in seen and _history_matches(
            {k: returned.get(k) for k in ("val_loss", "val_accuracy")},
            {k: expected[k] for k in ("val_loss", "val_accuracy")}):
        # (mistakes review 36: train_loss from evaluate(model, train_loader), every epoch
        # trained on train_loader, was told "fit trains on another loader")
        fail("fit's train_loss is not the figure train_one_epoch returns: it trains on "
             "train_loader, then evaluates that loader again (evaluate(model, train_loader, "
             "...)) and records that — append the float train_one_epoch returns for the epoch.",
             "fit-train-loss-source")
    def wrong(key: str) -> bool:
        values = returned.get(key)
        return isinstance(values, list) and len(values) == len(expected[key]) and all(
            isinstance(v, (int, float)) and v == -1.0 for v in values)

    def right(key: str) -> bool:
        return _history_matches({key: returned.get(key)}, {key: expected[key]})

    train_wrong = wrong("train_loss")
    eval_wrong = wrong("val_loss") and wrong("val_accuracy")
    if train_wrong and eval_wrong:
        fail("fit hands train_one_epoch and evaluate each the other's loader: train with "
             "train_one_epoch(model, train_loader, ...) and evaluate with evaluate(model, "
             "val_loader, ...).", "fit-loaders")
    if train_wrong and right("val_loss") and right("val_accuracy"):
        fail("fit trains on another loader than train_loader (val_loader?): call "
             "train_one_epoch(model, train_loader, ...).", "fit-train-loader")
    if eval_wrong and right("train_loss"):
        fail("fit evaluates on another loader than val_loader (train_loader?): call "
             "evaluate(model, val_loader, ...) after each epoch's training.", "fit-val-loader")
    for key in expected:  # (a figure appended under another key: mistakes review 39)
        source = next((other for other in expected if other != key and not right(key)
                       and _history_matches({key: returned.get(key)},
                                            {key: expected[other]})), None)
        if source is not None:
            fail(f"fit's {key} holds the figures of {source}: append {HISTORY_SOURCE[key]} "
                 f"to {key}.", "fit-history-keys")


# What each history list holds, in words
HISTORY_SOURCE = {"train_loss": "the float train_one_epoch returns",
                  "val_loss": "evaluate(model, val_loader, ...)['loss']",
                  "val_accuracy": "evaluate(model, val_loader, ...)['accuracy']"}


def _fit_trains_in_train_mode(outcome: dict, n: int, batch: int, epochs: int) -> None:
    """Every training forward pass of an inline fit (one a backward() follows before the next
    forward) runs in train mode, in every epoch: evaluate() leaves the model in eval mode, so
    a model.train() once before the epoch loop trains epochs 2+ in eval mode (with BatchNorm
    or Dropout, other updates; here the hooks' record shows it whatever the layers)."""
    events, forwards = outcome.get("events", []), outcome.get("forward", [])
    if events.count("forward") != len(forwards):
        return  # (a record that does not line up decides nothing)
    per_epoch = max(1, -(-n // batch))
    modes: list[bool] = []
    index, pending = -1, False  # the last forward pass, not yet followed by a backward()
    for event in events:  # (one pass: the records are the student's run, of any length)
        if event == "forward":
            index, pending = index + 1, True
        elif event == "backward" and pending:
            pending = False
            training_flag = forwards[index].get("training")
            modes.append(training_flag if isinstance(training_flag, bool) else True)
    if len(modes) != per_epoch * epochs:
        return  # another loop shape: the history/parameter comparison below judges it
    wrong = sorted({i // per_epoch + 1 for i, mode in enumerate(modes) if not mode})
    if not wrong:
        return
    which = (f"epoch {wrong[0]}" if len(wrong) == 1
             else "epochs " + ", ".join(str(e) for e in wrong))
    fail(f"fit trains {which} of {epochs} in eval mode (model.training is False in its "
         "training forward passes): evaluate() switches the model to eval mode, so call "
         "model.train() at the start of every epoch (inside the epoch loop, or let "
         "train_one_epoch do it), not once before the loop.", "fit-eval-mode-training")


def _history_values_kind(returned: Any, expected: dict) -> str:
    """What the history's lists hold when one of them holds no number (words only:
    "tensors", or "tensors in 'train_loss'" where the others hold numbers: fresh eyes 17's
    `append(torch.tensor(train_one_epoch(...)))` was told its wiring was wrong)."""
    lists = {key: returned.get(key) for key in expected} if isinstance(returned, dict) else {}
    found = []
    for key, values in lists.items():
        if isinstance(values, (torch.Tensor, MetaTensor)):
            # (a tensor for the whole list: mistakes review 38's `torch.tensor(history[k])`
            # was told its wiring was wrong)
            found.append((key, "a tensor in place of a list"))
            continue
        if not isinstance(values, (list, tuple)) or not values:
            continue
        odd = [v for v in values if not (isinstance(v, (int, float)) and not isinstance(v, bool))]
        if odd and len(odd) == len(values):
            found.append((key, "tensors" if all(isinstance(v, (torch.Tensor, MetaTensor))
                                                for v in odd)
                          else f"values such as {describe(odd[0])}"))
    if not found:
        return ""
    if len(found) == len(expected) and len({kind for _, kind in found}) == 1:
        return found[0][1]
    return ", ".join(f"{kind} in '{key}'" for key, kind in found)


def _one_shared_list(returned: Any, expected: dict) -> bool:
    """The history's lists are one list (`dict.fromkeys(keys, [])`, `a = b = c = []`): after
    the epochs, each holds every figure appended (words only)."""
    lists = [returned.get(key) for key in expected] if isinstance(returned, dict) else []
    epochs = len(next(iter(expected.values())))
    first = lists[0] if lists else None
    return (isinstance(first, list) and len(lists) == len(expected)
            and all(v == first for v in lists) and len(first) == len(expected) * epochs)


def _fit_lists_apart(returned: Any, expected: dict) -> None:
    """The history's lists hold different numbers of entries: said with each count (fresh
    eyes of stop 50: an evaluation before the first epoch, told only that the history does
    not follow train-then-evaluate)."""
    if not isinstance(returned, dict):
        return
    counts = {key: len(returned[key]) for key in expected
              if isinstance(returned.get(key), (list, tuple))}
    if len(counts) != len(expected) or len(set(counts.values())) == 1:
        return
    wanted = len(next(iter(expected.values())))
    extra = " (an evaluation before the first epoch adds one)" \
        if counts.get("val_loss") == wanted + 1 and counts.get("train_loss") == wanted else ""
    held = ", ".join(f"{quotable_count(n, MOST_EPOCHS)} for {key}" for key, n in counts.items())
    fail(f"fit's history holds {held} with epochs={STUB_EPOCHS}: append one figure to each "
         f"list per epoch, in every epoch and nowhere else — train, then evaluate{extra}.",
         "fit-epochs")


def _epochs_run(returned: Any, expected: dict) -> int | None:
    """How many entries each of the history's lists holds, when they agree and differ from
    the epochs asked for (words only: an off-by-one in the epoch loop)."""
    lists = [returned.get(key) for key in expected] if isinstance(returned, dict) else []
    lengths = {len(v) for v in lists if isinstance(v, (list, tuple))}
    if len(lists) != len(expected) or len(lengths) != 1:
        return None
    (length,) = lengths
    wanted = len(next(iter(expected.values())))
    return None if length == wanted else length


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _weights_seen(student, outcome: dict) -> dict:
    """The stand-ins' run in which they saw the weights: a fit that moved the model to the
    run's device (`meta`, which holds no data) hid from them whatever it did to the weights
    after (red team 91: `model.to(device)`, then re-initialised every epoch, kept the
    points): it is run again on the CPU, for the weights alone."""
    if outcome.get("blind") is not True:
        return outcome
    return _stubbed_fit(student, "cpu")[0]


def _fit_carries_the_model(outcome: dict) -> None:
    """Every epoch trains on from where the one before left the model, the first from the
    model fit was given (the stand-ins saw the weights each one left): a fit that
    re-initialises the parameters (`reset_parameters()`, a fresh init) trains from scratch,
    though its history of stand-in figures is right (mistakes review 27: full marks)."""
    moved = outcome.get("moved")
    moved = [m for m in moved if isinstance(m, str)] if isinstance(moved, list) else []
    if moved:
        later = any(m.split()[-1] not in ("0", "1") for m in moved)
        fail("fit changes the model's parameters " + (
            "between epochs" if later else "before the first epoch") + " (re-initialising "
             "them, e.g. reset_parameters() or an init function): train the model it is "
             "given, and let every epoch continue from where the last one left it.",
             "fit-resets-model")


def _fit_trains_as_given(outcome: dict) -> None:
    """Every epoch's training runs with gradients on, the parameters requiring grad, the
    optimizer's settings as fit was given them and its state as the epoch before left it (the
    training stand-in saw all four): red teams 91 and 92's fits wrapped the loop in
    `torch.no_grad()`, froze the model, set their own rate or weight decay or cleared the
    optimizer's state, and their histories of stand-in figures were right."""
    unfit = outcome.get("unfit")
    unfit = [u for u in unfit if isinstance(u, str)] if isinstance(unfit, list) else []
    if "grad_off" in unfit:
        fail("fit runs train_one_epoch with gradients turned off (under torch.no_grad(), a "
             "no_grad decorator or set_grad_enabled(False)), where no epoch can train: turn "
             "gradients off only around evaluation, if at all.", "fit-no-grad")
    if "frozen" in unfit:
        fail("fit trains a model whose parameters it set to requires_grad=False (no epoch can "
             "train it): leave requires_grad as the model comes; evaluate needs only "
             "torch.no_grad().", "fit-frozen-model")
    if "settings" in unfit:
        fail("fit changes the optimizer's settings (its learning rate, weight decay, ...): "
             "train with the optimizer it is given, as it is given.", "fit-own-lr")
    if "state" in unfit:
        fail("fit clears the optimizer's state between epochs (optimizer.state): leave it "
             "alone, so that an optimizer with momentum carries its state from one epoch to "
             "the next.", "fit-optimizer-state")


def _fit_arguments(outcome: dict) -> None:
    """fit hands train_one_epoch and evaluate the model, loss_fn, optimizer and device it was
    given (the stand-ins compared each by identity): one of its own is a mistake even when
    the history is right."""
    foreign = outcome.get("foreign")
    foreign = [f for f in foreign if isinstance(f, str)] if isinstance(foreign, list) else []
    for name, what in (("optimizer", "builds its own optimizer"),
                       ("loss_fn", "builds its own loss function"),
                       ("device", "uses a device of its own"),
                       ("model", "trains a model of its own")):
        if name in foreign:
            to = "train_one_epoch" if name == "optimizer" else "train_one_epoch and evaluate"
            fail(f"fit {what}: pass the {name} argument it is given on to {to}, so the "
                 "caller's choice is the one used.", f"fit-own-{name}")


def _reference_fit(params: dict) -> tuple[dict, dict]:
    """The reference fit: per epoch one reference epoch (training.replay) on the training
    data, then the reference evaluation on the validation data."""
    state = params["state"]
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(params["epochs"]):
        replay = training.replay(params["arch"], state, params["x"], params["y"],
                                 params["batch_size"], params["lr"], True, training.Variant(),
                                 params["seed"])
        state = replay.state
        pairs = zip(replay.losses, replay.sizes, strict=True)
        history["train_loss"].append(sum(loss * n for loss, n in pairs) / sum(replay.sizes))
        scores = _reference_eval({"arch": params["arch"], "state": state, "x": params["vx"],
                                  "y": params["vy"]})
        history["val_loss"].append(scores["loss"])
        history["val_accuracy"].append(scores["accuracy"])
    return state, history


def _judged_on_the_real_run(history: Any, reference: dict, trained_right: bool,
                            events: list[str] | None = None) -> None:
    """The stand-ins' run gave no history, the real run one of the right shape: its figures
    are judged (an inline validation loop cannot run on the stand-ins' meta device — mistakes
    review 32's unweighted mean of batch means was told its history had the wrong shape)."""
    if not (isinstance(history, dict) and set(reference) <= set(history) and all(
            isinstance(history[key], (list, tuple)) and len(history[key]) == len(values)
            for key, values in reference.items())):
        return
    held = _history_values_kind(history, reference)
    if held:
        fail(f"fit's history holds {held}, not Python floats: append numbers (the float "
             "train_one_epoch returns, evaluate's figures, or .item() of a tensor).",
             "fit-history-types")
    wrong = [key for key, values in reference.items()
             if not _history_matches({key: history[key]}, {key: values}, 1e-4, 1e-6)]
    if not trained_right:
        _inline_training_named(events or [])
        fail("fit trains the model otherwise than train_one_epoch does: after its epochs the "
             "parameters differ from the reference's — train with train_one_epoch(model, "
             "train_loader, loss_fn, optimizer, device), or its loop exactly (model.train(), "
             "then zero_grad, forward, loss, backward, step on every batch).",
             "fit-trains-otherwise")
    if not wrong:
        return
    if "train_loss" in wrong:
        fail("fit trains the model as the reference does, but its train_loss entries are not "
             "the figure train_one_epoch returns for each epoch: append train_one_epoch's "
             "return value (the epoch's sample-weighted mean loss).", "fit-train-values")
    fail(f"fit trains the model as the reference does, but its validation figures "
         f"({', '.join(wrong)}) are not evaluate's on the validation loader after each epoch: "
         "call evaluate(model, val_loader, loss_fn, device), or compute them as it does (each "
         "batch's loss and correct count weighted by its size, divided by the number of "
         "samples, with the model in eval mode and no gradients).", "fit-validation-values")


def _inline_training_named(events: list[str]) -> None:
    """A fit that trains inline (the stand-ins' run gave no history; the real run's has the
    right shape) and trains otherwise than the reference: what its run shows of its loop is
    named (fresh eyes 68's inline loop without zero_grad() was told its history had the
    wrong shape)."""
    steps, zeroed = events.count("step"), events.count("zero_grad")
    if steps and not zeroed:
        fail("fit's training loop never calls optimizer.zero_grad(): the gradients of every "
             "batch add up to the previous ones — call zero_grad() at the start of every batch "
             "(or call train_one_epoch, which does).", "fit-no-zero-grad")
    if steps and _steps_before_backward(events):
        fail("fit's training loop calls optimizer.step() before the batch's backward(): each "
             "step uses the previous batch's gradients — zero_grad, forward, loss, backward, "
             "then step (or call train_one_epoch).", "fit-step-before-backward")
    if steps and zeroed < steps:
        fail("fit's training loop zeroes the gradients on fewer batches than it steps: "
             "call zero_grad() at the start of every batch (or call train_one_epoch).",
             "fit-no-zero-grad")


def _history_matches(returned, expected, rel_tol: float = 0.0, abs_tol: float = 1e-9) -> bool:
    """`returned` is a history with `expected`'s keys, one number per epoch each, all close
    to the expected ones (exact by default: the stand-ins' figures). A key of its own beside
    them (a learning rate logged per epoch) is the student's business, as in `evaluate`."""
    if not isinstance(returned, dict) or not set(expected) <= set(returned):
        return False
    for key, values in expected.items():
        got = returned[key]
        if not isinstance(got, (list, tuple)) or len(got) != len(values):
            return False
        if not all(isinstance(g, (int, float)) and not isinstance(g, bool)
                   and math.isclose(g, v, rel_tol=rel_tol, abs_tol=abs_tol)
                   for g, v in zip(got, values, strict=False)):
            return False
    return True


# ---------------------------------------------------------------- model and device
def _classifier(student, memo) -> dict:
    if "classifier" not in memo:
        x = torch.randn(9, 7, generator=torch.Generator().manual_seed(1))
        memo["classifier"] = (x, _scenario(student, "build_classifier",
                                                  {"args": (7, 13, 5), "x": x, "seed": 0,
                                                   "more": list(_MORE_INPUTS)}))
    return memo["classifier"]


# Inputs of other sizes the model is run on too, after the (9, 7) batch: its outputs are the
# same model's whatever the batch (red team 31's ended with a softmax on all but 9 rows). Two
# rows at the least: in train mode a BatchNorm refuses one (mistakes review 38's extra
# BatchNorm1d lost its logits check to that error, beside the architecture check's charge).
_MORE_INPUTS = tuple(torch.randn(rows, 7, generator=torch.Generator().manual_seed(seed))
                     for rows, seed in ((2, 2), (33, 3)))


def _outputs(x: torch.Tensor, outcome: dict) -> list[tuple[torch.Tensor, str, Any]]:
    """Each input the model ran on, how it ran (eval mode without gradients, or train mode
    with them, as the training loop runs it: an outside red team's model ended with a softmax
    in train mode only) and its output: the (9, 7) batch first, then the others (`_MORE_INPUTS`); an
    output the scenario did not report is None."""
    found = [(x, "eval", outcome.get("logits")), (x, "train", outcome.get("logits_train"))]
    more = outcome.get("more")
    more = more if isinstance(more, list) else []
    for i, extra in enumerate(_MORE_INPUTS):
        pair = more[i] if i < len(more) and isinstance(more[i], list) else []
        for j, mode in enumerate(("eval", "train")):
            found.append((extra, mode, pair[j] if j < len(pair) else None))
    return found


def _reference_logits(outcome: dict, x: torch.Tensor,
                      sizes: tuple[int, int, int] = (7, 13, 5)) -> torch.Tensor | None:
    inputs, hidden, classes = sizes
    shapes = {tuple(p.shape): p for _, p in outcome.get("params", [])}
    try:
        w1, b1 = shapes[(hidden, inputs)], shapes[(hidden,)]
        w2, b2 = shapes[(classes, hidden)], shapes[(classes,)]
    except KeyError:
        return None
    return F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)


# A second model of other sizes: its layers follow its arguments (red team 39's returned
# the probe's sizes, 7 → 13 → 5, whatever it was asked, and took the architecture check),
# larger ones too (red team 91's `hidden = min(hidden, 16)` was right on both probes' sizes)
OTHER_SIZES = (29, 96, 9)


def _other_classifier(student, memo) -> tuple[torch.Tensor, dict]:
    if "other classifier" not in memo:
        x = torch.randn(6, OTHER_SIZES[0], generator=torch.Generator().manual_seed(4))
        try:
            outcome = _scenario(student, "build_classifier",
                                {"args": OTHER_SIZES, "x": x, "seed": 0})
        except StudentError:  # (a model of other sizes raises on this batch: judged below)
            outcome = {}
        memo["other classifier"] = (x, outcome)
    return memo["other classifier"]


def _expect_sizes_followed(student, memo) -> None:
    x, outcome = _other_classifier(student, memo)
    inputs, hidden, classes = OTHER_SIZES
    count = sum(p.numel() for _, p in outcome.get("params", []))
    expected = _reference_logits(outcome, x, OTHER_SIZES)
    logits = outcome.get("logits")
    if count != inputs * hidden + hidden + hidden * classes + classes or expected is None \
            or not isinstance(logits, torch.Tensor) or logits.shape != expected.shape:
        fail(f"build_classifier{OTHER_SIZES} builds layers of other sizes than it is asked "
             "for: use its arguments, nn.Linear(in_features, hidden) and nn.Linear(hidden, "
             "num_classes), whatever their values.", "ignores-arguments")


def _name_the_wrong_width(params: list, sizes: tuple[int, int, int]) -> None:
    """Two layers' weights, one of a width other than the arguments ask for: that layer and
    width named (fresh eyes 67's nn.Linear(hidden, num_classes - 1) was told only "the wrong
    number of parameters")."""
    weights = [p for _, p in params if isinstance(p, torch.Tensor) and p.dim() == 2]
    if len(weights) != 2:
        return
    inputs, hidden, classes = sizes
    (h1, i1), (c2, h2) = weights[0].shape, weights[1].shape
    call = f"build_classifier{sizes}"
    if (i1, h1, h2) == (inputs, hidden, hidden) and c2 != classes:
        fail(f"{call}'s last layer outputs {c2} logits where num_classes is {classes}: one logit "
             "per class, nn.Linear(hidden, num_classes).", "wrong-sizes")
    if (i1, c2) == (inputs, classes) and h1 == h2 != hidden:
        fail(f"{call}'s hidden layer has {h1} units where hidden is {hidden}: "
             "nn.Linear(in_features, hidden), then nn.Linear(hidden, num_classes).",
             "wrong-sizes")


CLS_ARCH = "build_classifier: Linear → ReLU → Linear with the requested sizes"


@check(CLS_ARCH,
       "Return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), "
       "nn.Linear(hidden, num_classes)).",
       clauses=("Linear, ReLU, Linear",))
def test_classifier_architecture(student, memo):
    x, outcome = _classifier(student, memo)
    if not outcome.get("is_module"):
        fail("build_classifier must return an nn.Module.", "not-a-module")
    count = sum(p.numel() for _, p in outcome.get("params", []))
    leaves = outcome.get("leaf_types")
    added = sorted({quotable_class(str(t)) or "a layer of another class" for t in leaves
                    if t not in ("Linear", "ReLU")}) if isinstance(leaves, list) else []
    if count != 7 * 13 + 13 + 13 * 5 + 5 and added and [t for t in leaves if t == "Linear"] == [
            "Linear", "Linear"]:
        # (the two Linear layers and a normalisation of its own: mistakes review 38 was told
        # only "the wrong number of parameters")
        fail(f"build_classifier adds layers the model does not have ({', '.join(added)[:80]}): "
             "it is exactly nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, "
             "num_classes) — no normalisation or other layer.", "extra-layer")
    if count in (7 * 13 + 13 * 5 + 5, 7 * 13 + 13 + 13 * 5, 7 * 13 + 13 * 5) \
            and isinstance(leaves, list) and [t for t in leaves if t == "Linear"] == [
                "Linear", "Linear"]:  # (mistakes review 39: told "the wrong number")
        fail("build_classifier leaves out a bias: nn.Linear(..., bias=False) has a weight "
             "alone, where both layers of the model have their bias (nn.Linear's default, "
             "bias=True).", "no-bias")
    if count == 0 and isinstance(outcome.get("logits"), torch.Tensor) \
            and tuple(outcome["logits"].shape) == (9, 5):
        # (it runs and gives logits of the right shape, with no parameter of its own: fresh
        # eyes 70's layers in a Python list were told only "the wrong number of parameters")
        fail("build_classifier's model has no parameters: layers kept in a plain Python list "
             "or dict (or made inside forward) are not registered, so nothing trains and "
             ".to(device) moves nothing — use nn.Sequential, nn.ModuleList, or assign each "
             "layer to self.<name>.", "unregistered-layers")
    if count != 7 * 13 + 13 + 13 * 5 + 5:
        _name_the_wrong_width(outcome.get("params", []), (7, 13, 5))
        fail("build_classifier has the wrong number of parameters for "
             "Linear(in_features, hidden) → ReLU → Linear(hidden, num_classes)"
             + (" (and raises when it runs: each layer's input width is the width the layer "
                "before it outputs)" if outcome.get("forward_error") is not None else "")
             + ".", "wrong-sizes")
    if outcome.get("forward_error") is not None:
        raise StudentError("build_classifier", outcome["forward_error"])
    expected = _reference_logits(outcome, x)
    if expected is None:
        fail("build_classifier's layers do not have the shapes (hidden, in_features) and "
             "(num_classes, hidden).", "wrong-sizes")
    # (the architecture on the eval-mode outputs first, then as training runs it: a layer
    # that acts in train mode only, such as a Dropout, makes another model there — mistakes
    # review 25; a softmax there is the logits check's verdict)
    _judge_architecture(outcome, x, expected, outcome.get("logits"))
    train = outcome.get("logits_train")
    if isinstance(train, torch.Tensor) and train.shape == expected.shape \
            and train.is_floating_point():
        train = train.to(expected.dtype)
        if not (torch.allclose(train, expected, atol=1e-5)
                or torch.allclose(train, torch.softmax(expected, 1), atol=1e-5)):
            fail("build_classifier computes Linear → ReLU → Linear in eval mode only: in train "
                 "mode (as the training loop runs it) its outputs differ, so a layer acts "
                 "there (a Dropout?). The model is nn.Linear(in_features, hidden), nn.ReLU(), "
                 "nn.Linear(hidden, num_classes) and nothing else.", "train-mode-layer")
    for extra, _mode, logits in _outputs(x, outcome)[2:]:
        wanted = _reference_logits(outcome, extra)
        if wanted is not None:  # (its layers' shapes were judged above)
            _judge_architecture(outcome, extra, wanted, logits)
    _expect_sizes_followed(student, memo)
    _expect_trainable(outcome)
    if outcome.get("fresh") is False:
        fail("build_classifier returns the same model (or one sharing its parameters) when "
             "called twice with the same sizes — a cache, or a model built once: build a new "
             "model on every call (training one would otherwise change the other).",
             "same-model")


def _expect_trainable(outcome: dict) -> None:
    """A model the training loop can train: every parameter requires gradients, and the
    hidden units start apart. Red team 99's first layer frozen, and its weights all zero or
    all 0.1, kept every point (the outputs are judged against the model's own parameters):
    units that start alike get alike gradients and stay alike, and zero weights into a ReLU
    get none, so E2's model never left 2.30."""
    frozen = outcome.get("frozen")
    if isinstance(frozen, list) and frozen:  # (their names are the student's: counted only)
        fail(f"build_classifier's model has {len(frozen)} parameter tensor"
             f"{'s' if len(frozen) > 1 else ''} that do{'es' if len(frozen) == 1 else ''} not "
             "train (requires_grad=False): every layer of the classifier learns — leave "
             "requires_grad as nn.Linear sets it.", "frozen-parameters")
    first = next((p for _, p in outcome.get("params", [])
                  if isinstance(p, torch.Tensor) and tuple(p.shape) == (13, 7)), None)
    if first is not None and torch.unique(first, dim=0).shape[0] < first.shape[0]:
        fail("build_classifier starts hidden units alike (its first layer's weights are zero "
             "or constant): alike units get alike gradients and never learn different "
             "features — keep nn.Linear's own random initialisation (or a random one such "
             "as nn.init.kaiming_uniform_).", "symmetric-init")


def _judge_architecture(outcome: dict, x: torch.Tensor, expected: torch.Tensor,
                        logits: Any) -> None:
    if not isinstance(logits, torch.Tensor):
        fail("build_classifier's layers do not have the shapes (hidden, in_features) and "
             "(num_classes, hidden).", "wrong-sizes")
    if logits.shape != expected.shape or not logits.is_floating_point():
        fail(f"build_classifier's output has shape {quotable_shape(logits.shape, expected.shape)} "
             "and dtype "
             f"{logits.dtype} for a {tuple(x.shape)} float32 batch: expected (N, num_classes) "
             "floats.", "wrong-shape")
    logits = logits.to(expected.dtype)
    if torch.allclose(logits, expected, atol=1e-5):
        return
    if torch.allclose(logits, torch.softmax(expected, 1), atol=1e-5):
        return  # softmax at the end is the logits check's verdict
    for name, last in (("ReLU", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
                       ("log_softmax", lambda t: torch.log_softmax(t, 1))):
        if logits.shape == expected.shape and torch.allclose(logits, last(expected), atol=1e-5):
            fail(f"build_classifier applies {name} after the last Linear layer: the model must "
                 "end with nn.Linear(hidden, num_classes) and return raw logits (the only "
                 "activation is the ReLU between the two layers).", "activation-after-last")
    hidden = [p for _, p in outcome["params"] if tuple(p.shape) == (13, 7)]
    if hidden and logits.shape == expected.shape:
        w1, b1, w2, b2 = (dict((tuple(p.shape), p) for _, p in outcome["params"])[k]
                          for k in ((13, 7), (13,), (5, 13), (5,)))
        linear = F.linear(F.linear(x, w1, b1), w2, b2)
        if torch.allclose(logits, linear, atol=1e-5):
            fail("build_classifier has no activation between the two Linear layers (two "
                 "linear layers compose to one): put nn.ReLU() between them.", "no-activation")
    fail("build_classifier does not compute Linear → ReLU → Linear: its outputs differ from "
         "that composition of its own layers (likely another activation between the layers, "
         "or layers in another order).", "wrong-architecture")


CLS_LOGITS = "build_classifier: outputs raw logits (no softmax at the end)"


@check(CLS_LOGITS,
       "Remove the final softmax: the model returns raw logits and the loss applies "
       "log-softmax itself.",
       clauses=("raw logits, no softmax at the end",))
def test_classifier_logits(student, memo):
    x, outcome = _classifier(student, memo)
    if outcome.get("forward_error") is not None:
        # work first: a model that raises when it runs has no outputs to judge (the
        # architecture check names its layers' widths)
        raise StudentError("build_classifier", outcome["forward_error"])
    for given, mode, logits in _outputs(x, outcome):
        rows = given.shape[0]
        if isinstance(logits, torch.Tensor) and logits.dim() == 2 and logits.shape[0] == rows \
                and logits.shape[1] not in (0, 5):
            # Another number of classes: the sizes check charges its last layer, once
            # (mistakes review 36: num_classes - 1 also lost this check); the question here,
            # logits or probabilities, is judged on the output as it is.
            attributed_to(CLS_ARCH)
        elif not isinstance(logits, torch.Tensor) or logits.shape != (rows, 5):
            fail("build_classifier's output should have shape (N, num_classes).", "wrong-shape")
        if not logits.is_floating_point():
            fail(f"build_classifier's output is {logits.dtype}: return float logits.",
                 "wrong-shape")
        if _hands_its_input_back(given, logits) or not outcome.get("params"):
            # (red team 28: a module returning x[:, :5] kept this check's points)
            fail("build_classifier's model does no work on its input (it has no weights, or "
                 "hands back part of its input): this check counts once its layers compute "
                 "the logits (Linear → ReLU → Linear).", "not-working")
        sums = logits.sum(1).double()
        if (logits >= 0).all() and bool(sums.min() > 0) and torch.allclose(
                sums, sums.mean().expand_as(sums), rtol=1e-4, atol=1e-4):
            # (probabilities, or probabilities scaled or shifted: rows of non-negative values
            # with one sum — a red team of stop 50's 2 * softmax at the end)
            where = " in train mode" if mode == "train" else ""
            fail(f"build_classifier ends with a softmax{where}: its outputs are probabilities, "
                 "but cross-entropy expects raw logits — remove the final softmax.",
                 "softmax-at-end")


def _hands_its_input_back(x: Any, logits: torch.Tensor) -> bool:
    """The output is some of the input's columns, unchanged."""
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or logits.dim() != 2 \
            or x.shape[0] != logits.shape[0] or x.shape[1] < logits.shape[1]:
        return False
    width = logits.shape[1]
    return any(torch.equal(logits.double(), x[:, j:j + width].double())
               for j in range(x.shape[1] - width + 1))


GET_DEVICE = "get_device: returns cuda when available, otherwise cpu"
_DEVICE_WORDS = re.compile(r"(cpu|cuda|mps|meta|xpu)(:\d{1,4})?")


def _said_device(text: object) -> str:
    """What get_device returned (a device's or a string's text), as feedback may say it: a
    device's name, with its index where that is 0 ("cuda:N" for another), else "another
    value" (a string or an index of the student's making can spell what earlier calls saw:
    an outside red team's cuda:35 held four hidden labels)."""
    if not isinstance(text, str) or not text:
        return ""
    match = _DEVICE_WORDS.fullmatch(text)
    if match is None:
        return "another value"
    return text if match[2] in (None, ":0") else f"{match[1]}:N"


@check(GET_DEVICE,
       "Return torch.device('cuda' if torch.cuda.is_available() else 'cpu').",
       clauses=("cuda when available, otherwise the CPU, as a torch.device",
                "asks torch.cuda.is_available() each time it is called"))
def test_get_device(student, source):
    outcome = _scenario(student, "get_device", {})
    same = _said_device(outcome.get("with_cuda") or "")
    if same and outcome.get("with_cuda") == outcome.get("without_cuda") and {
            outcome.get("with_cuda_type"), outcome.get("without_cuda_type")} == {"device"}:
        # (fresh eyes 13's x_ok1: a device decided once, when its cell ran, said as such)
        wrong = ("expected cuda when it is True" if same.split(":")[0] != "cuda"
                 else "expected cpu when it is False")
        if source.names_uncalled("get_device", "is_available"):  # (the words only: fresh
            # eyes 51 read the likely cause last, after three others)
            fail(f"get_device returned {same} both when torch.cuda.is_available() is True and "
                 f"when it is False ({wrong}): torch.cuda.is_available without parentheses "
                 "only names the method, which is always true in a condition — call it, "
                 "torch.cuda.is_available(), inside get_device.", "wrong-device")
        fail(f"get_device returned {same} both when torch.cuda.is_available() is True and "
             f"when it is False ({wrong}): its answer does not follow torch.cuda.is_available() "
             "at the time it is called (a device fixed in advance, one decided once when a "
             "cell ran, or another test than torch.cuda.is_available()). Call "
             "torch.cuda.is_available() inside get_device, every time.", "wrong-device")
    for label, want in (("with_cuda", "cuda"), ("without_cuda", "cpu")):
        if label + "_error" in outcome:
            raise StudentError("get_device", outcome[label + "_error"])
        got = outcome.get(label) or ""
        kind = outcome.get(label + "_type")
        got = _said_device(got)
        if kind == "str" and got.split(":")[0] == want:
            fail(f"get_device returned the string {got!r}: return a torch.device, "
                 f"torch.device({want!r}), so that .type and device comparisons work.",
                 "returned-string")
        if label == "without_cuda" and got.split(":")[0] == "mps":
            fail("get_device returned mps when torch.cuda.is_available() is False (the grader "
                 "reports Apple's MPS available there, as a Mac without CUDA does): the "
                 "device is cuda when it is available, otherwise the CPU — return "
                 "torch.device('cpu') then, not mps.", "wrong-device")
        if kind != "device" or got.split(":")[0] != want:  # (only a torch.device is one)
            fail(f"get_device returned {got or describe(outcome.get(label + '_returned'))} when "
                 f"torch.cuda.is_available() is {label == 'with_cuda'}: expected {want}."
                 + _uncalled_hint(source, "get_device", "is_available",
                                  "torch.cuda.is_available"),
                 "wrong-device")
        if got not in (want, f"{want}:0"):
            # the first device: a machine with one GPU has no cuda:7 (red team 37's took it)
            fail(f"get_device returned {got}: a machine with one GPU has only {want}:0. "
                 f"Return torch.device({want!r}), which is always there.", "wrong-device")
