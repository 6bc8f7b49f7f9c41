"""Mistakes review 38: Part D mistakes charged more than once or named wrong. Judged
in-process on the reference with the change."""

from __future__ import annotations

from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import excused, failed, namespace, verdicts

FIT_LOOP = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {{"train_loss": [], "val_loss": [], "val_accuracy": []}}
    for _ in range({epochs}):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer,
                                                     device))
        m = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(m["loss"])
        history["val_accuracy"].append(m["accuracy"])
    return {returned}
'''


def _fit_verdict(epochs: str, returned: str):
    found = failed(verdicts(namespace(FIT_LOOP.format(epochs=epochs, returned=returned)),
                            "fit"))
    assert set(found) == {part_d.FIT}, {k: v.message for k, v in found.items()}
    return found[part_d.FIT]


def test_a_fit_running_one_epoch_too_many_is_told_so() -> None:
    """range(epochs + 1) was told it called train_one_epoch twice in an epoch."""
    verdict = _fit_verdict("epochs + 1", "history")
    assert verdict.mistake == "fit-epochs" and "range(epochs + 1)" in verdict.message


def test_a_fit_returning_a_tensor_for_each_list_is_told_so() -> None:
    verdict = _fit_verdict("epochs", "{k: torch.tensor(v) for k, v in history.items()}")
    assert verdict.mistake == "fit-history-types"
    assert "a tensor in place of a list" in verdict.message


def test_a_classifier_with_an_extra_batchnorm_is_charged_once_and_named() -> None:
    """A BatchNorm1d the spec does not ask for: the grader's one-row batch in train mode raised
    in it, charging the logits check too ("Expected more than 1 value per channel")."""
    found = failed(verdicts(namespace('''
def build_classifier(in_features, hidden, num_classes):
    return nn.Sequential(nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, num_classes))
'''), "build_classifier"))
    assert set(found) == {part_d.CLS_ARCH}, {k: v.message for k, v in found.items()}
    assert found[part_d.CLS_ARCH].mistake == "extra-layer"
    assert "BatchNorm1d" in found[part_d.CLS_ARCH].message


def test_an_evaluate_failing_inside_its_own_accuracy_on_one_sample_is_not_charged() -> None:
    """evaluate built on an accuracy that refuses N = 1 (valid input): the one-sample batch
    raised inside accuracy, and evaluate was told to keep the batch dimension."""
    found = verdicts(namespace('''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() <= 1:
        raise ValueError("need matching shapes and N > 1")
    return (preds == targets).sum().item() / preds.numel()
''', '''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total, acc_sum, n = 0.0, 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            acc_sum += accuracy(logits.argmax(1), y) * len(y)
            n += len(y)
    return {"loss": total / n, "accuracy": acc_sum / n}
'''), "accuracy", "evaluate")
    assert set(failed(found)) == {part_c.ACC_VALUES}, {k: v.message for k, v in
                                                       failed(found).items()}
    assert part_c.ACC_VALUES in excused(found).values()


def test_a_loop_over_the_dataset_is_told_it_feeds_one_sample_at_a_time() -> None:
    """`for x, y in loader.dataset`: the BatchNorm model refuses one sample in train mode
    before the first step (work first: the loop's checks are lost); it was told only
    PyTorch's "Expected more than 1 value per channel"."""
    found = failed(verdicts(namespace('''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, n = 0.0, 0
    for x, y in loader.dataset:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x.unsqueeze(0)), y.unsqueeze(0))
        loss.backward()
        optimizer.step()
        total += loss.item()
        n += 1
    return total / n
'''), "train_one_epoch"))
    assert found and all(v.mistake == "single-samples" for v in found.values()), {
        k: v.message for k, v in found.items()}
    assert all("for x, y in loader" in v.message for v in found.values())
