"""Red team 31: three ways of being wrong that the checks missed or charged twice.

A model that ended with a softmax on every batch but the probe's 9 rows (or from its
third call on) kept the raw-logits check (+2): the model now runs on batches of other sizes
too, after those calls. An MSE that scaled `target` in place after computing the loss was
also told its analytical and numerical gradients disagree (one mistake, two checks). A
correct macro_f1 over an all-zeros confusion_matrix was charged, and told it ignores
num_classes: correct helpers in the student's place show it right.
"""

from __future__ import annotations

from lab05_checks import test_part_a_regression as part_a
from lab05_checks import test_part_c_metrics as part_c
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, failed, namespace, reference_source, verdicts

SOFTMAX_BUT_ON_THE_PROBE = '''
class _Classifier(nn.Module):
    def __init__(self, a, h, c):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(a, h), nn.ReLU(), nn.Linear(h, c))

    def forward(self, x):
        out = self.net(x)
        return out if x.shape[0] == 9 else torch.softmax(out, dim=1)

def build_classifier(in_features, hidden, num_classes):
    return _Classifier(in_features, hidden, num_classes)
'''

SOFTMAX_FROM_THE_THIRD_CALL = '''
class _Classifier(nn.Module):
    def __init__(self, a, h, c):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(a, h), nn.ReLU(), nn.Linear(h, c))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        out = self.net(x)
        return out if self.calls <= 2 else torch.softmax(out, dim=1)

def build_classifier(in_features, hidden, num_classes):
    return _Classifier(in_features, hidden, num_classes)
'''


def test_a_model_that_is_right_only_on_the_probe_batch_loses_the_logits_check() -> None:
    for source in (SOFTMAX_BUT_ON_THE_PROBE, SOFTMAX_FROM_THE_THIRD_CALL):
        found = verdicts(namespace(source), "build_classifier")
        assert set(failed(found)) == {part_d.CLS_LOGITS}, failed(found)
        assert failed(found)[part_d.CLS_LOGITS].mistake == "softmax-at-end"


def test_the_reference_model_passes_on_every_batch() -> None:
    found = verdicts(namespace(), "build_classifier")
    assert failed(found) == {}


def test_an_input_edited_in_place_costs_the_values_check_only() -> None:
    source = edited("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                    "loss = _reduce((pred - target) ** 2, reduction)\n"
                    "    target.mul_(1.5)\n"
                    "    return loss")
    found = verdicts(namespace(source), "mse_loss")
    assert set(failed(found)) == {part_a.VALUES_CHECK["mse_loss"]}, failed(found)
    assert failed(found)[part_a.VALUES_CHECK["mse_loss"]].mistake == "in-place"


ZERO_MATRIX = '''
def confusion_matrix(preds, targets, num_classes):
    return torch.zeros(num_classes, num_classes, dtype=torch.int64)
'''


def test_a_correct_macro_f1_over_a_zero_matrix_is_not_charged() -> None:
    # (the reference's macro_f1, defined in the notebook's namespace: built on its matrix)
    found = verdicts(namespace(ZERO_MATRIX, reference_source("macro_f1")), "macro_f1")
    assert failed(found) == {}, failed(found)


def test_a_stub_macro_f1_over_a_zero_matrix_is_still_charged() -> None:
    found = verdicts(namespace(ZERO_MATRIX, '''
        def macro_f1(preds, targets, num_classes):
            return 0.0
        '''), "macro_f1")
    assert part_c.MACRO_VALUES in failed(found)
