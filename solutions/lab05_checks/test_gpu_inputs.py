"""Parts A–C on GPU inputs: every function that returns tensors (the losses, softmax,
log_softmax, confusion_matrix) works with its inputs on a GPU and returns them there (the
spec's "on the input's device"). The metrics that return Python floats are not held to it:
their result has no device.

Each function is called once more with the inputs of a plain valid call on the GPU — the
grading machine's own, else one emulated with real data (`autograder.sandbox.devices`), which
refuses what a GPU refuses. A check charges only what the GPU run showed: an error a GPU
raises for a tensor left on the CPU (a mask, a constant vector, a confusion matrix's counts
made without `device=`), `.numpy()` of a GPU tensor, or a tensor result returned on the CPU.
The function's values are the other checks' business: here it is held to what it computes
on the CPU for the same inputs (a wrong function is not charged twice), on the GPU too: the
same values there. Any error on the GPU where the same call works on the CPU is charged (a
notebook could otherwise raise something else on purpose, or an exception named like the
emulation's own).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import torch

from autograder.check.registry import attributed_to, check, fail
from autograder.sandbox.protocol import Opaque
from autograder.sandbox.session import StudentError
from lab05_checks.blame import same_result
from lab05_checks.test_part_a_regression import HUBER_VALUES, MAE_VALUES, MSE_VALUES
from lab05_checks.test_part_b_classification import (
    BCE_VALUES,
    BCEL_POS_WEIGHT,
    BCEL_VALUES,
    CE_VALUES,
    LOG_SOFTMAX_VALUES,
    SOFTMAX_VALUES,
    LibraryHelpers,
)
from lab05_checks.test_part_c_metrics import CM_VALUES

# Each function's values check: a function wrong on the CPU is held here to what it computes
# (attributed to that check, which charges the mistake once).
VALUES = {"mse_loss": MSE_VALUES, "mae_loss": MAE_VALUES, "huber_loss": HUBER_VALUES,
          "softmax": SOFTMAX_VALUES, "log_softmax": LOG_SOFTMAX_VALUES, "cross_entropy": CE_VALUES,
          "binary_cross_entropy": BCE_VALUES, "binary_cross_entropy_with_logits": BCEL_VALUES,
          "confusion_matrix": CM_VALUES}

# What a GPU says when a tensor is on the wrong device (CUDA's own words; the emulated GPU
# uses them too), and what it says to `.numpy()`.
MIXED_DEVICES = ("Expected all tensors to be on the same device",
                 "indices should be either on cpu or on the same device",
                 "but got device cpu for value tensor")  # (index_put_ accumulating)
NUMPY_ON_GPU = "can't convert cuda"

ON_GPU = "works on GPU inputs, tensors on their device (GPU emulated or real)"


def _labels(values: list[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.int64)


# Each function's call at its edge, logits of ±1e4 (the last of its calls): a function that
# computes otherwise on a GPU there (red team 101's softmax dropped its max shift for CUDA
# inputs; every GPU call was ordinary) gives other values there than on the CPU. Judged only
# where the function is right there on the CPU: a mistake at the edge on every device is its
# ±1e4 check's alone.
_EDGE = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -9995.0], [1e4, 1e4, 1e4],
                      [-1e4, 1e4, 9999.0], [5e3, -5e3, 0.0]])
EDGE_CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "softmax": ((_EDGE,), {"dim": 1}),
    "log_softmax": ((_EDGE,), {"dim": 1}),
    "cross_entropy": ((_EDGE, _labels([1, 0, 2, 0, 1])), {}),
    "binary_cross_entropy_with_logits": ((_EDGE[:, 0], torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])),
                                         {}),
}


@functools.cache
def _calls() -> dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]]:
    """Each function's valid calls made with their inputs on the GPU (built once per judge:
    the same for every submission; a call hands the worker copies)."""
    gen = torch.Generator().manual_seed(7)
    pred, target = torch.randn(6, generator=gen), torch.randn(6, generator=gen)
    logits = torch.randn(5, 3, generator=gen)
    classes = _labels([0, 2, 1, 2, 0])
    probs = torch.tensor([0.05, 0.3, 0.9, 0.99, 0.5])  # (0 and 1 are the clamp check's)
    binary = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0])
    preds, truth = _labels([0, 1, 2, 1, 1, 0, 2]), _labels([0, 1, 1, 1, 2, 0, 2])  # (C = 3)
    regression = [((pred, target), {}), ((pred, target), {"reduction": "none"})]
    return {
        "mse_loss": regression,
        "mae_loss": regression,
        # (delta named: a wrong default is the values check's to charge, once)
        "huber_loss": [(args, {**kwargs, "delta": 1.0}) for args, kwargs in regression],
        "softmax": [((logits,), {}), EDGE_CALLS["softmax"]],
        "log_softmax": [((logits,), {}), EDGE_CALLS["log_softmax"]],
        "cross_entropy": [((logits, classes), {}), EDGE_CALLS["cross_entropy"]],
        "binary_cross_entropy": [((probs, binary), {})],
        "binary_cross_entropy_with_logits": [
            ((logits[:, 0], binary), {}),
            ((logits[:, 0], binary), {"pos_weight": torch.tensor([2.0])}),
            EDGE_CALLS["binary_cross_entropy_with_logits"]],
        "confusion_matrix": [((preds, truth, 3), {})],
    }


@functools.cache
def _expected(ref: Any, function: str, index: int) -> Any:
    """The reference's value for a function's call `index` (once per judge)."""
    args, kwargs = _calls()[function][index]
    return getattr(ref, function)(*args, **kwargs)


def _where(kwargs: dict[str, Any]) -> str:
    return "".join(f", {key}={value!r}" if not isinstance(value, torch.Tensor) else f", {key}=…"
                   for key, value in kwargs.items())


def _is_device_error(error: StudentError) -> bool:
    return any(text in error.info.get("message", "") for text in MIXED_DEVICES)


def _same(value: Any, expected: Any) -> bool:
    return (isinstance(value, torch.Tensor) and isinstance(expected, torch.Tensor)
            and value.shape == expected.shape
            and torch.allclose(value.double(), expected.double(), rtol=1e-4, atol=1e-6))


def _agrees(value: Any, on_cpu: Any) -> bool:
    """The GPU call's value is the CPU call's (tensors within rounding, nan where nan)."""
    if isinstance(on_cpu, torch.Tensor):
        return (isinstance(value, torch.Tensor) and value.shape == on_cpu.shape
                and value.dtype == on_cpu.dtype
                and bool(torch.allclose(value.double(), on_cpu.double(), rtol=1e-5, atol=1e-7,
                                        equal_nan=True)))
    return type(value) is type(on_cpu)


def _move(tensor: torch.Tensor) -> torch.Tensor:
    """Other valid values of the same kind: floats shifted (within [0, 1] where they are
    probabilities or targets), labels each one class on within [0, C) (not only reordered: a
    mean over every pair, such as an N×N loss's, does not see a reordering)."""
    if tensor.is_floating_point():
        inside = bool(((tensor >= 0) & (tensor <= 1)).all())
        return (tensor * 0.5 + 0.25).clamp(0, 1) if inside else tensor * 1.5 - 0.5
    if tensor.numel() == 0 or int(tensor.max()) < 1:
        return tensor.roll(1)
    return (tensor + 1) % (int(tensor.max()) + 1)


def _moved(args: tuple[Any, ...], which: int = 0) -> tuple[Any, ...]:
    """The inputs with argument `which` moved (`_move`), the others as they were."""
    return tuple(_move(a) if i == which else a for i, a in enumerate(args))


def _right_unreduced(student, reference: Callable[..., Any], function: str,
                     args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """A loss wrong only in how it reduces is right, on the same inputs, with
    reduction='none': it does the work (fresh eyes 62: a cross_entropy whose 'mean' was
    `sum() // N`, a figure that barely moves with its input, was taken for a constant and
    lost this check too, where the notebook judges a function's other checks where it is
    right)."""
    if kwargs.get("reduction", "mean") == "none" or "reduction" not in inspect.signature(
            reference).parameters:
        return False
    unreduced = {**kwargs, "reduction": "none"}
    try:
        value = student.call(function, *args, **unreduced).value
    except StudentError:
        return False
    return value is not None and not isinstance(value, Opaque) and _same(
        value, reference(*args, **unreduced))


def _does_no_work(student, ref, function: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                  value: Any) -> bool:
    """`value` (the function's, wrong on the CPU) shows no work on the inputs: it hands an input
    back, or stays the same when any one tensor input moves where the reference's value
    moves (a constant, `pred * 2` or `pred.sum()` for a loss that never reads its target).
    Red team 26's functions that returned their first argument took all eight of these
    checks' points, each "not assessed separately" as a values mistake."""
    reference = getattr(ref, function)
    if _right_unreduced(student, reference, function, args, kwargs):
        return False
    if any(isinstance(a, torch.Tensor) and same_result(value, a)
           and not same_result(reference(*args, **kwargs), a) for a in args):
        return True
    for which, arg in enumerate(args):
        if not isinstance(arg, torch.Tensor):
            continue
        moved = _moved(args, which)
        if same_result(reference(*moved, **kwargs), reference(*args, **kwargs)):
            continue  # (this input does not matter here: nothing to learn from it)
        try:
            other = student.call(function, *moved, **kwargs).value
        except StudentError:
            continue  # (raising elsewhere is no sign of a constant: `_works_elsewhere`)
        if same_result(other, value):
            return True
    return False


def _working_variant(student, ref, function: str, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], Any] | None:
    """Other valid inputs of the same kind on which `function` returns and does some work, and
    its value there (None: none): the first argument's values moved, and a square batch (C
    rows of C classes) for a 2-D one. One that raises on all of them does no work (a stub
    raising an error of its own: an outside red team's `raise ValueError` took every GPU
    check's point); one that works there has a mistake on these inputs, which the values
    checks charge — and is judged on the GPU on those (red team 92: a device mistake behind
    a raise on these inputs was assessed nowhere)."""
    variants = [_moved(args)]
    first = args[0]
    if first.dim() == 2 and first.shape[0] > first.shape[1]:
        rows = first.shape[1]
        variants.append(tuple(a[:rows] if isinstance(a, torch.Tensor) and a.dim() >= 1
                              and a.shape[0] == first.shape[0] else a for a in args))
    for variant in variants:
        try:
            value = student.call(function, *variant, **kwargs).value
        except StudentError:
            continue
        # ... and does some work there (red team 35: zeros everywhere but a raise on these
        # very inputs took the point, "not assessed separately")
        if value is not None and not isinstance(value, Opaque) and (
                _same(value, getattr(ref, function)(*variant, **kwargs))
                or not _does_no_work(student, ref, function, variant, kwargs, value)):
            return variant, value
    return None


def _helper_failing_on_gpu(student, function: str, error: StudentError) -> str:
    """The earlier graded function the GPU error was raised in, where a run shows that
    function failing on the GPU on its own inputs too (its own check charges it): softmax as
    exp(log_softmax(x)) over a log_softmax that adds a tensor made on the CPU failed here
    as well (fresh eyes 54: one mistake, three charges). The frame is the run's (where the
    error was raised), never the source's."""
    helper = error.info.get("function", "")
    if helper == function or helper not in _calls() or not _is_device_error(error):
        return ""
    for args, kwargs in _calls()[helper]:
        try:
            student.call(helper, *args, **kwargs)  # (it works on the CPU: no other mistake)
            student.call(helper, *args, gpu=True, **kwargs)
        except StudentError as own:
            if _is_device_error(own) and own.info.get("function") == helper:
                return helper
            return ""
        except Exception:  # (a call cut at its limit, a missing helper)
            return ""
    return ""


def _judge_on_gpu(student, function: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                  on_cpu: Any) -> bool:
    """The same call with its tensors on a GPU: it works there, returns its tensors there and
    gives what it gives on the CPU (`on_cpu`); False where the GPU error is an earlier
    function's, charged by that function's own GPU check (attributed here)."""
    try:
        result = student.call(function, *args, gpu=True, **kwargs)
    except StudentError as error:
        helper = _helper_failing_on_gpu(student, function, error)
        if helper:  # (its own GPU check charges it: one mistake, one cost)
            attributed_to(f"{helper}: {ON_GPU}")
            return False
        if _is_device_error(error):
            fail(f"{function} fails when its inputs are on a GPU: it mixes them with a "
                 "tensor it made on the CPU (\"" + error.excerpt() + "\"). Make new "
                 "tensors on the input's device: torch.zeros(..., device=x.device), "
                 "torch.zeros_like(x), x.new_tensor(...).", "device")
        if NUMPY_ON_GPU in error.info.get("message", ""):
            fail(f"{function} calls .numpy() on a tensor that is on the GPU, which fails "
                 "there: compute with torch operations, or call .cpu() first.", "device")
        fail(f"{function} works on the CPU but raises {error.excerpt()} when its inputs are "
             "on a GPU: it must work on the input's device too.", "device")
    if "cpu" in (result.devices or []):
        fail(f"{function} returns its result on the CPU when its inputs are on a GPU "
             f"(called as {function}(…{_where(kwargs)})): build the result on the "
             "input's device, e.g. torch.zeros(..., device=x.device).", "device")
    if not _agrees(result.value, on_cpu):  # (what it computes there: the same)
        fail(f"{function} gives other values when its inputs are on a GPU than for the same "
             "inputs on the CPU: compute the same way on every device.", "device")
    return True


def _expect_on_gpu(student, ref, function: str,
                   calls: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    if function == "cross_entropy":
        # (with PyTorch's log_softmax and softmax in place of the student's, as its other
        # checks run it: a mistake of those helpers, on the CPU or the GPU, is their own
        # checks' — fresh eyes 62's renamed `dim` was charged here again — and a mistake of
        # cross_entropy's own is judged here whatever its helpers do: red team 92's device
        # mistake went unseen behind a helper that raised)
        student = LibraryHelpers(student)
    assessed, raised = 0, None
    for index, (args, kwargs) in enumerate(calls):
        charged = BCEL_POS_WEIGHT if "pos_weight" in kwargs else VALUES[function]
        try:
            on_cpu = student.call(function, *args, **kwargs)
        except StudentError as error:
            if error.kind == "NotImplementedError":  # a stub earns nothing here
                raise
            raised = error  # (raises on the CPU: its checks there charge it; this call is
            continue  # not assessed on the GPU, and a function no call of which works earns
            # nothing here: one that raises on every valid input is a stub)
        if not _same(on_cpu.value, _expected(ref, function, index)):
            if args is EDGE_CALLS.get(function, ((),))[0]:
                continue  # (wrong at the edge on the CPU: its ±1e4 check's alone)
            # Wrong on the CPU: the values check charges that. A function that shows no work
            # on its inputs (a stub: zeros, a constant, an input handed back) earns nothing
            # here; another is held to what it computes.
            # (an object the grader cannot read — `object()`, a tensor of a dtype the wire does
            # not carry — is no work to assess either: red team 12's stubs took all nine)
            if on_cpu.value is None or isinstance(on_cpu.value, Opaque) or _does_no_work(
                    student, ref, function, args, kwargs, on_cpu.value):
                fail(f"{function}: this check counts once {function} returns correct values "
                     "on valid input; fix the values check first.", "not-working")
            attributed_to(charged)
        if _judge_on_gpu(student, function, args, kwargs, on_cpu.value):
            assessed += 1
    if raised is not None and not assessed:
        args, kwargs = calls[0]
        working = _working_variant(student, ref, function, args, kwargs)
        if working is None:
            fail(f"{function}: this check counts once {function} works on valid input (on the "
                 f"CPU it raises {raised.excerpt()}); fix its values check first.", "not-working")
        # It works on other valid inputs: a mistake on these (its own, or an earlier function's
        # it calls) is charged by the values checks, once; on those it is judged on the GPU
        variant, value = working
        _judge_on_gpu(student, function, variant, kwargs, value)
        attributed_to(BCEL_POS_WEIGHT if "pos_weight" in kwargs else VALUES[function])


def _on_gpu_check(function: str) -> Callable[..., None]:
    @check(f"{function}: {ON_GPU}",
           f"{function} must work when its inputs are on a GPU and return its tensors there: "
           "make every new tensor on the input's device (device=x.device).")
    def test(student, ref) -> None:
        _expect_on_gpu(student, ref, function, _calls()[function])

    test.__name__ = test.__qualname__ = f"test_{function}_on_gpu"
    return test


FUNCTIONS = tuple(_calls())
for _function in FUNCTIONS:
    globals()[f"test_{_function}_on_gpu"] = _on_gpu_check(_function)
