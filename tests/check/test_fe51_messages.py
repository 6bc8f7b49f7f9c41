"""Fresh eyes 51's reports, held here in-process on the reference with one function
rewritten: a mistake that kept every point, and a caught one whose message named only the
symptom or led with other causes, are named for what the function does."""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, failed, namespace, verdict, verdicts
from test_part_d_diagnoses import namespace as edited_namespace
from test_part_d_diagnoses import verdicts as part_d_verdicts

CLAMPED_DIFFERENCES = edited("mse_loss", "(pred - target) ** 2",
                             "(pred - target).clamp(-100, 100) ** 2")

PRODUCTS_AS_COUNTS = '''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    if positive_class == 0:
        preds, targets = 1 - preds, 1 - targets
    tp = int((preds * targets).sum())
    fp = int((preds * (1 - targets)).sum())
    fn = int(((1 - preds) * targets).sum())
    return (_safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn),
            _safe_ratio(2 * tp, 2 * tp + fp + fn))
'''

UNCALLED_IS_AVAILABLE = edited("get_device", "torch.cuda.is_available()",
                               "torch.cuda.is_available")


def test_differences_clamped_at_a_hundred_are_caught_and_named() -> None:
    charged = failed(verdicts(namespace(CLAMPED_DIFFERENCES), "mse_loss"))
    assert part_a.MSE_VALUES in charged, sorted(charged)
    assert charged[part_a.MSE_VALUES].mistake == "large-values", charged[part_a.MSE_VALUES].message
    assert "differ by thousands" in charged[part_a.MSE_VALUES].message


def test_labels_used_as_numbers_are_told_one_vs_rest() -> None:
    charged = failed(verdicts(namespace(PRODUCTS_AS_COUNTS), "precision_recall_f1"))
    assert set(charged) == {part_c.PRF_MULTI}, sorted(charged)
    message = charged[part_c.PRF_MULTI].message
    assert charged[part_c.PRF_MULTI].mistake == "one-vs-rest", message
    assert "right for 0/1 labels" in message and "preds == positive_class" in message


def test_is_available_without_parentheses_is_said_first() -> None:
    found = verdict(namespace(UNCALLED_IS_AVAILABLE), part_d.GET_DEVICE, UNCALLED_IS_AVAILABLE)
    assert not found.passed and found.mistake == "wrong-device", found.message
    assert found.message.index("without parentheses") < 200, found.message
    assert "a device fixed in advance" not in found.message


def test_evaluating_every_other_epoch_is_told_its_count() -> None:
    ns = edited_namespace(
        "fit", '        metrics = evaluate(model, val_loader, loss_fn, device)\n',
        '        if _ % 2 == 0 or _ == epochs - 1:\n'
        '            metrics = evaluate(model, val_loader, loss_fn, device)\n')
    found = part_d_verdicts(ns, "fit")[part_d.FIT]
    assert not found.passed and found.mistake == "fit-evaluates-once", found.message
    assert "fit calls evaluate 4 times for epochs=6" in found.message


def test_the_mean_of_the_batches_accuracies_is_named() -> None:
    ns = edited_namespace(
        "evaluate", "            correct += int((logits.argmax(dim=1) == y).sum())\n",
        "            correct += float((logits.argmax(dim=1) == y).float().mean())\n",
        ("    total_loss, correct, total_samples = 0.0, 0, 0\n",
         "    total_loss, correct, total_samples, batches = 0.0, 0, 0, 0\n"),
        ("            total_samples += x.shape[0]\n",
         "            total_samples += x.shape[0]\n            batches += 1\n"),
        ('"accuracy": correct / total_samples}', '"accuracy": correct / batches}'))
    found = part_d_verdicts(ns, "evaluate")[part_d.EVAL_VALUES]
    assert not found.passed, found.message
    assert found.mistake == "eval-accuracy-mean-of-batch-means", found.message
