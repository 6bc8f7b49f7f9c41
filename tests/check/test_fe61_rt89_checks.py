"""Fresh eyes 61's false penalty and outside red team 89's gain, held here in-process on the
reference with one function rewritten (see test_helper_blame):

* an `evaluate` that computes its loss once over every batch's logits, concatenated, was told
  it left out the last batch of one sample (2 points), though the one-sample batch was inside
  the concatenation and the figures were the reference's;
* a softmax that cannot be differentiated (`.numpy()` of a tensor that requires grad) kept its
  gradient point as "not assessed separately" whenever its values had a diagnosed mistake:
  the values check, called with no gradient asked, never saw the raise.
"""

from __future__ import annotations

from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import excused, failed, namespace, reference_source, verdicts

EVALUATE_ONCE = '''
def evaluate(model, loader, loss_fn, device) -> dict:
    model.eval()
    outputs, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            outputs.append(model(x))
            labels.append(y)
    logits, y = torch.cat(outputs), torch.cat(labels)
    return {"loss": loss_fn(logits, y).item(),
            "accuracy": (logits.argmax(dim=1) == y).float().mean().item()}
'''

EVALUATE_ONCE_BUT_THE_LAST = EVALUATE_ONCE.replace(
    "            outputs.append(model(x))",
    "            if len(x) < 2:\n                continue\n            outputs.append(model(x))")


def _evaluate_verdicts(source: str):
    return verdicts(namespace(reference_source("train_one_epoch"), source), "evaluate")


def test_one_loss_over_every_batch_concatenated_is_every_batch() -> None:
    found = _evaluate_verdicts(EVALUATE_ONCE)
    assert part_d.EVAL_VALUES not in failed(found), failed(found)[part_d.EVAL_VALUES].message


def test_one_loss_over_the_batches_but_the_last_is_still_charged() -> None:
    found = failed(_evaluate_verdicts(EVALUATE_ONCE_BUT_THE_LAST))
    assert found[part_d.EVAL_VALUES].mistake == "single-sample-skipped", found


NUMPY_SOFTMAX_OVER_EVERY_ELEMENT = '''
import numpy as np

def softmax(logits, dim=-1):
    a = logits.cpu().numpy()
    e = np.exp(a - a.max())
    return torch.from_numpy(e / e.sum()).to(logits.device)
'''


def test_a_softmax_that_cannot_be_differentiated_loses_its_gradient_check() -> None:
    found = verdicts(namespace(NUMPY_SOFTMAX_OVER_EVERY_ELEMENT), "softmax")
    assert part_b.SOFTMAX_VALUES in failed(found)
    assert part_b.SOFTMAX_GRAD not in excused(found)
    assert "numpy()" in failed(found)[part_b.SOFTMAX_GRAD].message


def test_the_same_softmax_detached_is_charged_there_too() -> None:
    """(the control: the same function with `.detach()` fails its gradient check as
    detached; the raise must cost what the detach costs)"""
    source = NUMPY_SOFTMAX_OVER_EVERY_ELEMENT.replace("logits.cpu()", "logits.detach().cpu()")
    found = verdicts(namespace(source), "softmax")
    assert part_b.SOFTMAX_GRAD in failed(found)
