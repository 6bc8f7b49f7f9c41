"""Fresh eyes 52's reports, held here in-process on the reference with one function
rewritten: a mistake that kept every point, and caught ones whose message named a cause the
code did not have, or no fix."""

from __future__ import annotations

from lab05_checks import test_part_d_training as part_d
from test_part_d_diagnoses import namespace as edited_namespace
from test_part_d_diagnoses import verdicts as part_d_verdicts


def test_parameters_frozen_by_evaluate_and_left_so_are_charged() -> None:
    """`model.requires_grad_(False)` "to freeze for eval", never undone: every evaluate and
    fit check passed, while the student's own fit crashed in its second epoch."""
    ns = edited_namespace("evaluate", "    model.eval()\n",
                          "    model.eval()\n    model.requires_grad_(False)\n")
    found = part_d_verdicts(ns, "evaluate")
    failed = {name: v for name, v in found.items() if not v.passed}
    assert set(failed) == {part_d.EVAL_NO_GRAD}, sorted(failed)
    assert failed[part_d.EVAL_NO_GRAD].mistake == "params-frozen"
    assert "requires_grad=False" in failed[part_d.EVAL_NO_GRAD].message


def test_parameters_frozen_and_thawed_again_are_fine() -> None:
    ns = edited_namespace(
        "evaluate", "    model.eval()\n", "    model.eval()\n    model.requires_grad_(False)\n",
        ('    return {"loss"', '    model.requires_grad_(True)\n    return {"loss"'))
    assert all(v.passed for v in part_d_verdicts(ns, "evaluate").values())


def test_a_mean_over_n_minus_one_is_named() -> None:
    from lab05_checks import test_part_a_regression as part_a
    from test_helper_blame import edited, failed, namespace, verdicts

    source = edited("mse_loss", "return _reduce((pred - target) ** 2, reduction)",
                    "d = (pred - target) ** 2\n    return d.sum() / (d.numel() - 1) "
                    "if reduction == 'mean' else _reduce(d, reduction)")
    charged = failed(verdicts(namespace(source), "mse_loss"))
    assert charged[part_a.MSE_VALUES].mistake == "mean-n-minus-1", charged[part_a.MSE_VALUES].message


def test_a_loss_computed_in_float16_is_named_by_its_values_bits() -> None:
    """Fresh eyes 52's float16 mae_loss was told "the per-element formula is wrong", its
    float16 softmax that it clamped its logits: the values' bits are the probe."""
    from lab05_checks import test_part_a_regression as part_a
    from lab05_checks import test_part_b_classification as part_b
    from test_helper_blame import edited, failed, namespace, verdicts

    mae = edited("mae_loss", "return _reduce((pred - target).abs(), reduction)",
                 "return _reduce((pred.half() - target.half()).abs(), reduction).to(pred.dtype)")
    charged = failed(verdicts(namespace(mae), "mae_loss"))
    assert charged[part_a.MAE_VALUES].mistake == "half-precision", charged[part_a.MAE_VALUES].message
    softmax = '''
def softmax(x, dim=-1):
    h = x.half()
    e = (h - h.amax(dim=dim, keepdim=True)).exp()
    return (e / e.sum(dim=dim, keepdim=True)).to(x.dtype)
'''
    charged = failed(verdicts(namespace(softmax), "softmax"))
    assert charged[part_b.SOFTMAX_EXTREME].mistake == "half-precision", \
        charged[part_b.SOFTMAX_EXTREME].message


PRECISION_WITH_NEGATIVES = '''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    pp, tt = preds == positive_class, targets == positive_class
    tp, fp = int((pp & tt).sum()), int((pp & ~tt).sum())
    fn, tn = int((~pp & tt).sum()), int((~pp & ~tt).sum())
    precision, recall = _safe_ratio(tp + tn, tp + tn + fp), _safe_ratio(tp, tp + fn)
    return precision, recall, _safe_ratio(2 * precision * recall, precision + recall)
'''
MACRO_ON_IT = '''
def macro_f1(preds, targets, num_classes):
    return sum(precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)) / num_classes
'''


def test_precision_counting_true_negatives_is_named_and_charged_once() -> None:
    """Told only "a wrong value (precision)", and macro_f1 built on it was charged too, its
    helper being wrong on every control pair of labels."""
    from lab05_checks import test_part_c_metrics as part_c
    from test_helper_blame import excused, failed, namespace, verdicts

    found = verdicts(namespace(PRECISION_WITH_NEGATIVES, MACRO_ON_IT), "precision_recall_f1",
                     "macro_f1")
    assert set(failed(found)) == {part_c.PRF_BINARY}, sorted(failed(found))
    assert failed(found)[part_c.PRF_BINARY].mistake == "precision-with-negatives"
    assert excused(found)[part_c.MACRO_VALUES] == part_c.PRF_BINARY


def test_half_precision_is_named_only_for_values_computed_in_it() -> None:
    """The probe reads the values: exact half-precision numbers near the reference. Values
    rounded to integers or to two decimals, or wrong by a factor, are other mistakes."""
    import torch

    from autograder.check.compare import half_precision

    gen = torch.Generator().manual_seed(7)
    pred, target = (torch.randn(40, generator=gen, dtype=torch.float64) * 3 for _ in "pt")
    right = (pred - target).abs()
    assert half_precision((pred.half() - target.half()).abs().double(), right) == "float16"
    assert half_precision((pred.bfloat16() - target.bfloat16()).abs().double(),
                          right) == "bfloat16"
    for other in (right.round(), (right * 100).round() / 100, 2 * right, right):
        assert half_precision(other, right) == ""
