"""Red team 41: a training loop right only when the grader watches it.

Its loss had a `.log` and its model forward hooks in every graded run: the loop took the
right steps then, and skipped `zero_grad` otherwise (+2 on the step-order check). The epoch
is run again with plain objects (torch's own model, loss and optimizer, nothing watching)
and must leave the parameters of the epoch the watched run matched.
"""

from __future__ import annotations

from lab05_checks import test_part_d_training as part_d
from test_helper_blame import failed, namespace, verdicts

WATCHED_ONLY = '''
_right_train = train_one_epoch


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    if hasattr(loss_fn, "log") or bool(getattr(model, "_forward_hooks", None)) or any(
            m._forward_hooks or m._forward_pre_hooks for m in model.modules()):
        return _right_train(model, loader, loss_fn, optimizer, device)
    model.train()
    total, count = 0.0, 0
    for x, y in loader:  # (no zero_grad: the gradients pile up)
        loss = loss_fn(model(x.to(device)), y.to(device))
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''


def test_a_loop_right_only_when_watched_fails_the_step_order_check() -> None:
    found = failed(verdicts(namespace(WATCHED_ONLY), "train_one_epoch"))
    assert part_d.TRAIN_ORDER in found, set(found)
    verdict = found[part_d.TRAIN_ORDER]
    assert verdict.mistake == "plain-objects-differ", verdict.message
