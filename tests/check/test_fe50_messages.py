"""Fresh eyes 50's reports, held here in-process on the reference with one function
rewritten: a caught mistake whose message was generic, or named a cause the code did not
have, is named for what the function does."""

from __future__ import annotations

from lab05_checks import test_part_b_classification as part_b
from test_helper_blame import failed, namespace, verdicts

SIGMOID_TWICE = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    probs = torch.sigmoid(logits)
    log_p, log_1mp = F.logsigmoid(probs), F.logsigmoid(-probs)
    if pos_weight is None:
        loss = -(targets * log_p + (1 - targets) * log_1mp)
    else:
        loss = -(pos_weight * targets * log_p + (1 - targets) * log_1mp)
    return _reduce(loss, reduction)
'''

MEAN_OVER_WEIGHTS = '''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    log_p, log_1mp = F.logsigmoid(logits), F.logsigmoid(-logits)
    if pos_weight is None:
        loss = -(targets * log_p + (1 - targets) * log_1mp)
    else:
        loss = -(pos_weight * targets * log_p + (1 - targets) * log_1mp)
    if reduction == "mean" and pos_weight is not None:
        return loss.sum() / (targets * pos_weight + (1 - targets)).sum()
    return _reduce(loss, reduction)
'''

WHERE_AROUND_LOG = '''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    log_p = torch.where(probs > 0, torch.log(probs), torch.full_like(probs, -100.0)).clamp(min=-100)
    log_q = torch.where(probs < 1, torch.log(1 - probs),
                        torch.full_like(probs, -100.0)).clamp(min=-100)
    return _reduce(-(targets * log_p + (1 - targets) * log_q), reduction)
'''


def test_a_sigmoid_applied_twice_is_named() -> None:
    charged = failed(verdicts(namespace(SIGMOID_TWICE), part_b.BCEL))
    verdict = charged[part_b.BCEL_VALUES]
    assert verdict.mistake == "sigmoid-twice", verdict.message
    assert "σ applied twice" in verdict.message


def test_a_mean_divided_by_the_sum_of_the_weights_is_named() -> None:
    charged = failed(verdicts(namespace(MEAN_OVER_WEIGHTS), part_b.BCEL))
    assert set(charged) == {part_b.BCEL_POS_WEIGHT}, sorted(charged)
    verdict = charged[part_b.BCEL_POS_WEIGHT]
    assert verdict.mistake == "pos-weight-mean", verdict.message
    assert "sum of the weights" in verdict.message


def test_a_where_around_the_log_is_told_of_the_where_too() -> None:
    charged = failed(verdicts(namespace(WHERE_AROUND_LOG), "binary_cross_entropy"))
    message = charged[part_b.BCE_CLAMP].message
    assert "torch.where around log(p)" in message and "0·inf" in message
