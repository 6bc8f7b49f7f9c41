"""Red team 63, in the real engine: a log_softmax right when `dim` was named and normalising
over the batch when it came by position — as its own cross_entropy called it,
`log_softmax(logits, 1)` — kept every point: each call of the grader named dim, and
cross_entropy's checks run on the library's helpers. The notebook states that a graded
function is called by position and by name alike; the values check asks both."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import failed_checks
from tests.engine.loops import EVALUATE, TRAIN, edited

BY_POSITION_ELSEWHERE = '''
def log_softmax(logits, *args, dim=-1):
    if args:
        dim = 0
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
'''
LOG_SOFTMAX_VALUES = "log_softmax: matches torch.log_softmax along every dim (float32 and float64)"


def test_dim_given_by_position_is_asked_too(grader, tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "by_position", BY_POSITION_ELSEWHERE)
    assert "with dim given by position" in failed[LOG_SOFTMAX_VALUES], failed


STEPS_ONLY_BY_POSITION = '''
def train_one_epoch(model, loader, *given, **named):
    loss_fn, optimizer, device = given if given else (named["loss_fn"], named["optimizer"],
                                                      named["device"])
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if given:
            optimizer.step()
        total += loss.item() * x.shape[0]
        n += x.shape[0]
    return total / n


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn=loss_fn,
                                                     optimizer=optimizer, device=device))
        result = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(result["loss"])
        history["val_accuracy"].append(result["accuracy"])
    return history
'''
TRAIN_ORDER = "train_one_epoch: zero_grad → forward → loss → backward → step on every batch"
RENAMED = edited(  # (every parameter renamed from the signature's)
    TRAIN, ("model, loader, loss_fn, optimizer, device):", "net, batches, criterion, opt, dev):"),
    ("model.train()", "net.train()"), ("in loader:", "in batches:"),
    ("x.to(device), y.to(device)", "x.to(dev), y.to(dev)"),
    ("optimizer.zero_grad()", "opt.zero_grad()"), ("loss_fn(model(x), y)", "criterion(net(x), y)"),
    ("optimizer.step()", "opt.step()"))


def test_a_loop_that_trains_only_when_called_by_position_loses_its_order_check(
        grader, tmp_path: Path) -> None:
    """Red team 63: it skipped step() when called by name, as its own fit called it (the
    model never trained in the notebook), and kept every point."""
    failed = failed_checks(grader, tmp_path, "steps_by_position", STEPS_ONLY_BY_POSITION)
    assert "when its arguments are passed by name" in failed.get(TRAIN_ORDER, ""), failed


def test_parameters_renamed_from_the_signature_are_not_charged(grader, tmp_path: Path) -> None:
    assert failed_checks(grader, tmp_path, "renamed", RENAMED) == {}


# An evaluate that counts no sample when called by name — as its own fit calls it — while
# fit's check runs fit on stand-ins of both loops (one edit of a right evaluate)
EVALUATES_ONLY_BY_POSITION = edited(
    EVALUATE, ("def evaluate(model, loader, loss_fn, device):",
               "def evaluate(model, loader, *given, **named):\n"
               "    loss_fn, device = given if given else (named['loss_fn'], named['device'])"),
    ("    model.eval()", "    model.eval()\n    by_name = not given"),
    ("            n += x.shape[0]", "            n += x.shape[0] // (2 if by_name else 1)"))
EVAL_VALUES = "evaluate: returns sample-weighted loss and accuracy as floats"


def test_an_evaluate_right_only_by_position_loses_its_values_check(grader,
                                                                   tmp_path: Path) -> None:
    failed = failed_checks(grader, tmp_path, "evaluates_by_position", EVALUATES_ONLY_BY_POSITION)
    assert "when its arguments are passed by name" in failed.get(EVAL_VALUES, ""), failed


def test_evaluate_parameters_renamed_are_not_charged(grader, tmp_path: Path) -> None:
    renamed = edited(EVALUATE, ("model, loader, loss_fn, device):", "net, batches, crit, dev):"),
                     ("model.eval()", "net.eval()"), ("in loader:", "in batches:"),
                     ("x.to(device), y.to(device)", "x.to(dev), y.to(dev)"),
                     ("logits = model(x)", "logits = net(x)"),
                     ("loss_fn(logits, y)", "crit(logits, y)"))
    assert failed_checks(grader, tmp_path, "eval_renamed", renamed) == {}
