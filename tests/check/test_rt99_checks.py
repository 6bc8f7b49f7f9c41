"""Red team 99's findings, held in-process on the reference with one function rewritten (see
test_helper_blame): correct code the emulated GPU answered wrongly, and wrong code that kept
its points."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, excused, failed, namespace, reference_source, verdicts


@pytest.mark.parametrize("ask", [
    "torch.accelerator.current_accelerator(check_available=True)",
    "(torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None)",
])
def test_get_device_through_torch_accelerator_keeps_its_points(ask: str) -> None:
    """PyTorch's own device-agnostic idiom (its tutorials' since 2.6): the emulated GPU
    answered `torch.cuda.is_available()` only, so `torch.accelerator` said no GPU (-2)."""
    found = verdicts(namespace(f'''
def get_device():
    acc = {ask}
    return torch.device("cuda") if acc is not None and acc.type == "cuda" else torch.device("cpu")
'''), "get_device")
    assert part_d.GET_DEVICE not in failed(found), failed(found)


@pytest.mark.parametrize("count", [".half().sum()", ".sum(dtype=torch.int16)"])
def test_an_accuracy_counted_in_a_narrow_dtype_is_named(count: str) -> None:
    """Red team 99: counts in float16 (exact to 2,048) or int16 (wraps past 32,767) kept
    every point on at most 1,531 labels; a 10,000-sample test set's accuracy is off."""
    found = verdicts(namespace(f'''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("shapes differ or no samples")
    return float((preds == targets){count}) / preds.numel()
'''), "accuracy")
    assert set(failed(found)) == {part_c.ACC_VALUES}, set(failed(found))
    assert failed(found)[part_c.ACC_VALUES].mistake == "narrow-counts"


def test_precision_recall_f1_counted_in_float16_is_charged() -> None:
    found = verdicts(namespace('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    p, t = preds == positive_class, targets == positive_class
    tp, fp, fn = (float((a & b).half().sum()) for a, b in ((p, t), (p, ~t), (~p, t)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
'''), "precision_recall_f1")
    assert part_c.PRF_BINARY in failed(found), set(failed(found))


def test_a_confusion_matrix_counted_in_int16_is_named() -> None:
    found = verdicts(namespace('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    m = torch.zeros(num_classes, num_classes, dtype=torch.int16, device=preds.device)
    m.index_put_((targets, preds), torch.ones_like(targets, dtype=torch.int16), accumulate=True)
    return m.long()
'''), "confusion_matrix")
    assert set(failed(found)) == {part_c.CM_VALUES}, set(failed(found))
    assert failed(found)[part_c.CM_VALUES].mistake == "narrow-counts"


@pytest.mark.parametrize(("after", "mistake"), [
    ("    nn.init.zeros_(model[0].weight)\n", "symmetric-init"),
    ("    for p in model.parameters():\n        nn.init.constant_(p, 0.1)\n", "symmetric-init"),
    ("    model[0].requires_grad_(False)\n", "frozen-parameters"),
])
def test_a_classifier_that_cannot_train_is_named(after: str, mistake: str) -> None:
    """Red team 99: zero or constant weights (hidden units that stay alike) and a frozen first
    layer kept both build_classifier checks: its outputs were judged against its own
    parameters; E2's model never learned."""
    found = verdicts(namespace(f'''
def build_classifier(in_features, hidden, num_classes):
    model = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(),
                          nn.Linear(hidden, num_classes))
{after}    return model
'''), "build_classifier")
    assert set(failed(found)) == {part_d.CLS_ARCH}, set(failed(found))
    assert failed(found)[part_d.CLS_ARCH].mistake == mistake


def test_a_random_initialisation_of_its_own_keeps_its_points() -> None:
    found = verdicts(namespace('''
def build_classifier(in_features, hidden, num_classes):
    model = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(),
                          nn.Linear(hidden, num_classes))
    for layer in (model[0], model[2]):
        nn.init.kaiming_normal_(layer.weight)
        nn.init.zeros_(layer.bias)
    nn.init.zeros_(model[2].weight)
    return model
'''), "build_classifier")
    assert not failed(found), failed(found)


def test_layers_in_a_python_list_are_named() -> None:
    """Fresh eyes 70: layers in a plain list (no parameters registered) were told only "the
    wrong number of parameters"."""
    found = verdicts(namespace('''
class Classifier(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.layers = [nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def build_classifier(in_features, hidden, num_classes):
    return Classifier(in_features, hidden, num_classes)
'''), "build_classifier")
    assert failed(found)[part_d.CLS_ARCH].mistake == "unregistered-layers"


ROW_RATES = edited("confusion_matrix", "    return counts.reshape(num_classes, num_classes)",
                   "    matrix = counts.reshape(num_classes, num_classes)\n"
                   "    return matrix / matrix.sum(dim=1, keepdim=True).clamp(min=1)")


def test_a_row_normalised_matrix_is_named_and_charged_once() -> None:
    """Fresh eyes 70: rates where counts are asked were told only "returned float32" (and
    .long() on the rates gives zeros), and the reference's macro_f1 over it lost 2 points."""
    found = verdicts(namespace(ROW_RATES, reference_source("macro_f1")), "confusion_matrix",
                     "macro_f1")
    assert failed(found)[part_c.CM_VALUES].mistake == "normalised"
    assert part_c.MACRO_VALUES not in failed(found), failed(found)[part_c.MACRO_VALUES].message
    assert excused(found)[part_c.MACRO_VALUES] == part_c.CM_VALUES


EVAL_ACCUMULATE = ("            total_loss += loss_fn(logits, y).item() * x.shape[0]\n")
EVAL_RETURN = ('    return {"loss": total_loss / total_samples, "accuracy": correct / '
               'total_samples}')


@pytest.mark.parametrize(("old", "new", "mistake"), [
    # (the CIFAR tutorial's printout as the figure)
    (EVAL_RETURN, '    return {"loss": total_loss / total_samples, "accuracy": 100 * correct // '
     'total_samples}', "eval-percentage"),
    # (the loss of the last batch, as the loop left it)
    (EVAL_ACCUMULATE, "            loss = loss_fn(logits, y)\n", "eval-last-batch"),
])
def test_evaluate_figures_named(old: str, new: str, mistake: str) -> None:
    """Fresh eyes 70: both were told only "a wrong accuracy" / "a loss other than the
    size-weighted mean" (train_one_epoch's last-batch loss is named)."""
    source = edited("evaluate", old, new)
    if mistake == "eval-last-batch":
        source = source.replace("total_loss / total_samples", "loss.item()")
    found = verdicts(namespace(source), "evaluate")
    assert failed(found)[part_d.EVAL_VALUES].mistake == mistake, failed(found)
