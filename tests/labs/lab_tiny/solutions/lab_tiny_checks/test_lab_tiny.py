"""lab_tiny's hidden checks: standardize, squared_error, train_step and one concept question.

Each check name is a constant written once, here: grading_config.yaml gives it points and
mutants.py names it by importing the constant.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from autograder.check import tamper
from autograder.check.compare import expect_float, expect_tensor, matches
from autograder.check.registry import check, fail
from autograder.sandbox.session import StudentError

# ---------------------------------------------------------------- standardize
STANDARDIZE_VALUES = "standardize: centres and scales every column (float32 and float64)"


@check(STANDARDIZE_VALUES,
       "standardize should subtract each column's mean and divide by its (population) "
       "standard deviation.")
def test_standardize_values(student, ref, tol):
    gen = torch.Generator().manual_seed(3)
    for dtype in (torch.float32, torch.float64):
        x = (torch.randn(9, 4, generator=gen) * 5 + 2).to(dtype)
        expect_tensor(student.call("standardize", x).value, ref.standardize(x), tol,
                      "standardize", f"for a {dtype} input")


STANDARDIZE_ERRORS = "standardize: raises ValueError for fewer than two rows"


@check(STANDARDIZE_ERRORS, "standardize should raise ValueError when x has fewer than two rows.")
def test_standardize_errors(student):
    try:
        student.call("standardize", torch.randn(1, 3))
    except StudentError as error:
        if error.kind != "ValueError":
            raise
    else:
        fail("standardize accepted a single row: its standard deviation is 0, so raise "
             "ValueError instead of dividing by it.", "no-row-check")


# ---------------------------------------------------------------- squared_error
SQUARED_VALUES = "squared_error: matches the mean of (pred - target)**2"


@check(SQUARED_VALUES, "squared_error should average (pred - target)**2 over all elements.")
def test_squared_error_values(student, ref, tol):
    gen = torch.Generator().manual_seed(7)
    for shape in ((5,), (3, 4)):
        pred, target = torch.randn(shape, generator=gen), torch.randn(shape, generator=gen)
        result = student.call("squared_error", pred, target)
        expect_tensor(result.value, ref.squared_error(pred, target), tol, "squared_error",
                      f"for inputs of shape {shape}", mistake="wrong-mean")


SQUARED_GRAD = "squared_error: backward gives the reference gradients"


@check(SQUARED_GRAD, "squared_error must stay differentiable: no .item() or torch.tensor(...).")
def test_squared_error_gradients(student, ref):
    gen = torch.Generator().manual_seed(8)
    pred = torch.randn(6, dtype=torch.float64, generator=gen)
    target = torch.randn(6, dtype=torch.float64, generator=gen)
    grads = student.call("squared_error", pred, target, grad_args=(0,)).grads
    if isinstance(grads, dict):
        fail(f"squared_error's result cannot be backpropagated ({grads.get('problem')}).",
             "detached")
    leaf = pred.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(ref.squared_error(leaf, target), leaf)
    got = grads[0] if isinstance(grads, (list, tuple)) and grads else None
    if not matches(got, expected, rtol=1e-6, atol=1e-9):
        fail("squared_error: backward() gives different gradients from the reference.",
             "wrong-gradient")


SQUARED_NO_LIB = "squared_error: implemented without F.mse_loss"
LIBRARY = ("mse_loss", "aten::mse_loss")


@check(SQUARED_NO_LIB, "Write squared_error from tensor operations, not F.mse_loss.")
def test_squared_error_no_library(student, source):
    # What ran decides (recorded in the worker), never the source text.
    result = student.call("squared_error", torch.randn(4), torch.randn(4), record=True)
    called, findings = tamper.split_called(result.called)
    tamper.require_untampered("squared_error", findings, tamper.CALLS)
    if set(called) & set(LIBRARY):
        fail("squared_error calls F.mse_loss: the point is to write it yourself.", "library")


# ---------------------------------------------------------------- train_step
TRAIN_UPDATE = "train_step: one zero_grad → forward → loss → backward → step update"
TRAIN_RETURN = "train_step: returns the batch loss as a Python float"
STALE_GRAD = 0.5


def _setup() -> dict:
    gen = torch.Generator().manual_seed(21)
    model = nn.Linear(3, 2)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=gen))
    return {"state": {k: v.clone() for k, v in model.state_dict().items()},
            "x": torch.randn(8, 3, generator=gen), "y": torch.randn(8, 2, generator=gen),
            "lr": 0.1, "stale_grad": STALE_GRAD}


def _replay(ref, params: dict, zero_grad: bool = True) -> tuple[dict, float]:
    """The reference's step from the same state; `zero_grad=False` replays the mistake."""
    model = nn.Linear(3, 2)
    model.load_state_dict(copy.deepcopy(params["state"]))
    optimizer = torch.optim.SGD(model.parameters(), lr=params["lr"])
    for parameter in model.parameters():
        parameter.grad = torch.full_like(parameter, params["stale_grad"])
    if zero_grad:
        loss = ref.train_step(model, params["x"], params["y"], nn.MSELoss(), optimizer)
    else:
        loss_t = nn.MSELoss()(model(params["x"]), params["y"])
        loss_t.backward()
        optimizer.step()
        loss = loss_t.item()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, float(loss)


def _outcome(student, memo: dict) -> dict:
    """One run of the scenario serves both train_step checks."""
    if "tiny_train_step" not in memo:
        params = _setup()
        try:
            outcome = student.scenario("tiny_train_step", params)
        except StudentError as exc:
            tamper.require_untampered_outcome("train_step", exc.info)
            raise
        tamper.require_untampered_outcome("train_step", outcome)
        memo["tiny_train_step"] = (params, outcome)
    params, outcome = memo["tiny_train_step"]
    if outcome.get("error"):
        raise StudentError("train_step", outcome["error"])
    return {"params": params, **outcome}


def _same_state(got, want: dict, tol) -> bool:
    # (`sgd_step`: a tolerance kind lab_tiny declares in its grading_config.yaml)
    return isinstance(got, dict) and set(got) == set(want) and all(
        matches(got[k], want[k], tol.sgd_step.rtol, tol.sgd_step.atol) for k in want)


@check(TRAIN_UPDATE, "train_step should clear old gradients, compute the loss on the batch, "
       "backpropagate it and take one optimizer step.")
def test_train_step_update(student, ref, tol, memo):
    outcome = _outcome(student, memo)
    state, params = outcome["state"], outcome["params"]
    expected, _ = _replay(ref, params)
    if _same_state(state, expected, tol):
        return
    if _same_state(state, params["state"], tol):
        fail("train_step left the parameters unchanged: call optimizer.step() after "
             "loss.backward().", "no-step")
    stale, _ = _replay(ref, params, zero_grad=False)
    if _same_state(state, stale, tol):
        fail("train_step added this batch's gradients to the previous batch's: call "
             "optimizer.zero_grad() before loss.backward().", "no-zero-grad")
    fail("train_step's update differs from one SGD step on the batch's loss.", "wrong-update")


@check(TRAIN_RETURN, "train_step should return loss.item(), the batch loss before the step.")
def test_train_step_return(student, ref, tol, memo):
    outcome = _outcome(student, memo)
    _, loss = _replay(ref, outcome["params"])
    if outcome["returned_type"] == "Tensor":
        fail("train_step returned a tensor: return a Python float (loss.item()), so that the "
             "training history does not keep every batch's graph alive.", "returned-tensor")
    expect_float(outcome["returned"], loss, tol.float32.atol + 1e-6, "train_step",
                 "for the batch loss")


# ---------------------------------------------------------------- the concept question
Q_LR = "q_lr: what a too-large learning rate does"


@check(Q_LR, "Pick the best option.")
def test_q_lr(student, answers):
    value = student.get_var("q_lr")
    if not isinstance(value, str) or value.strip().lower() not in ("a", "b", "c"):
        fail("q_lr should be one of 'a', 'b', 'c'.", "no-answer")
    if value.strip().lower() != answers["q_lr"]:
        fail("q_lr: not the best answer — reread the section on the learning rate.",
             "wrong-answer")
