"""Red team 28: Part D loops and models that did none of the work kept their points.

A loop that called the loss on zeros, never the model, counted as running the model, so
its mode, logits, device and no-grad checks were "not assessed separately" or passed with
nothing to see (+14); a model handing back part of its input kept the raw-logits check
(+2); an evaluate returning a stub accuracy's constant was excused as the stub's mistake
(+2). A run of the model is its forward (its own hook or its layers'), a model does work
with weights, and a helper that reads neither its predictions nor its targets excuses
nothing.
"""

from __future__ import annotations

from lab05_checks import test_part_d_training as part_d
from test_helper_blame import InProcessStudent as InProcess
from test_helper_blame import failed, namespace, verdicts

from tests.fixtures.make_fixtures import FIXTURES

# (the hostile fixture's Part D: loops that call the loss on zeros, never the model)
NO_MODEL = FIXTURES["hostile_part_d_no_work"][1]


def test_loops_that_never_run_the_model_earn_nothing() -> None:
    found = verdicts(namespace(NO_MODEL), "train_one_epoch", "evaluate")
    passed = [name for name, verdict in found.items() if verdict.passed]
    assert passed == [], passed


def test_a_model_handing_back_its_input_earns_no_logits_point() -> None:
    found = verdicts(namespace('''
        class _Slice(nn.Module):
            def forward(self, x):
                return x[:, :5]

        def build_classifier(in_features, hidden, num_classes):
            return _Slice()
        '''), "build_classifier")
    assert failed(found)[part_d.CLS_LOGITS].mistake == "not-working"


def test_an_evaluate_over_a_constant_accuracy_is_not_excused() -> None:
    found = verdicts(namespace('''
        def accuracy(preds, targets):
            return 0.0

        def evaluate(model, loader, loss_fn, device):
            model.eval()
            total, n = 0.0, 0
            with torch.no_grad():
                for x, y in loader:
                    x, y = x.to(device), y.to(device)
                    logits = model(x)
                    total += loss_fn(logits, y).item() * len(y)
                    n += len(y)
            return {"loss": total / n, "accuracy": accuracy(None, None)}
        '''), "evaluate")
    assert part_d.EVAL_VALUES in failed(found), found[part_d.EVAL_VALUES]


def test_an_evaluate_over_a_floor_dividing_accuracy_is_still_excused() -> None:
    # (a helper that reads its labels: its mistake stays its own, charged once)
    found = verdicts(namespace('''
        def accuracy(preds, targets):
            return float((preds == targets).sum().item() // len(targets))

        def evaluate(model, loader, loss_fn, device):
            model.eval()
            total, n, preds, ys = 0.0, 0, [], []
            with torch.no_grad():
                for x, y in loader:
                    x, y = x.to(device), y.to(device)
                    logits = model(x)
                    total += loss_fn(logits, y).item() * len(y)
                    n += len(y)
                    preds.append(logits.argmax(dim=1))
                    ys.append(y)
            return {"loss": total / n, "accuracy": accuracy(torch.cat(preds), torch.cat(ys))}
        '''), "evaluate")
    assert part_d.EVAL_VALUES not in failed(found), found[part_d.EVAL_VALUES]
    assert found[part_d.EVAL_VALUES].assessed_by, found[part_d.EVAL_VALUES]


def test_a_loop_that_never_calls_the_loss_earns_no_logits_point() -> None:
    found = verdicts(namespace('''
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            for x, y in loader:
                model(x)
            return 0.0
        '''), "train_one_epoch")
    assert failed(found)[part_d.TRAIN_LOGITS].mistake == "not-working"


# Red team 29: a caller over a stub helper was excused as the stub's mistake.
def test_a_huber_over_a_zeros_mae_is_not_the_maes_mistake() -> None:
    from lab05_checks import test_part_a_regression as part_a

    found = verdicts(namespace('''
        def mae_loss(pred, target, reduction="mean"):
            return torch.zeros_like(pred)

        def huber_loss(pred, target, delta=1.0, reduction="mean"):
            return 0.5 * mse_loss(pred, target, reduction)
        '''), "huber_loss")
    assert part_a.HUBER_VALUES in failed(found), found[part_a.HUBER_VALUES]


def test_a_softmax_over_a_log_softmax_handing_back_its_logits_is_its_own() -> None:
    from lab05_checks import test_part_b_classification as part_b

    found = verdicts(namespace('''
        def log_softmax(logits, dim=-1):
            return logits * 1.0

        def softmax(logits, dim=-1):
            return torch.exp(log_softmax(logits, dim=dim))
        '''), "softmax")
    assert part_b.SOFTMAX_VALUES in failed(found), found[part_b.SOFTMAX_VALUES]


def test_part_e_answers_over_stub_metrics_are_not_the_metrics_mistakes() -> None:
    from lab05_checks import test_part_e_experiments as part_e

    ns = namespace('''
        def accuracy(preds, targets):
            return 1.0

        def precision_recall_f1(preds, targets, positive_class=1):
            a = float((preds == targets).float().mean())
            return (a, a, a)
        ''')
    assert not part_e._works_elsewhere(InProcess(ns), "accuracy")
    assert not part_e._works_elsewhere(InProcess(ns), "precision_recall_f1")
