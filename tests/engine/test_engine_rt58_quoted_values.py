"""Red team 58, in the real engine: what a function returned was quoted in its feedback
without the deny-by-default rule an error's words go through — a class made at run time,
named after its call's labels (`P1220…T1222…`), and an empty tensor whose sizes were its
call's predictions ×100 (`(0, 442, 1166, 419, 781, 307)`): every hidden accuracy and
mse_loss input of the values checks, in the student's own page. A returned class is named
only where the notebook, Python or a library the grader loaded holds it (`quoting.
quotable_class`), a shape only by sizes the check gave (`quoting.quotable_shape`)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.engine.conftest import failed_checks

LEAKS = r'''
def _spelt(t):
    return "_".join(("m" if v < 0 else "p") + str(int(abs(v) * 10000))
                    for v in t.flatten().tolist()[:6])

def accuracy(preds, targets):
    name = "P" + "".join(str(int(v)) for v in preds.tolist()[:20])
    return type(name, (), {"__module__": ""})()

def mse_loss(pred, target, reduction="mean"):
    if pred.dim() == 1 and reduction == "mean":
        return type("X" + _spelt(pred) + "Y" + _spelt(target), (), {"__module__": ""})()
    if pred.dim() == 2 and reduction == "mean":
        return torch.empty(0, *[int(abs(v) * 100) * 2 + 7 for v in pred.flatten().tolist()[:3]])
    return ((pred - target) ** 2).mean() if reduction == "mean" else (
        ((pred - target) ** 2).sum() if reduction == "sum" else (pred - target) ** 2)
'''
SPELT = re.compile(r"P[0-2]{8,}|X[pm]\d+_|\(0, \d{2,}, \d{2,}")


def test_returned_class_names_and_shapes_spell_nothing_in_feedback(grader, tmp_path: Path):
    failed = failed_checks(grader, tmp_path, "leaks", LEAKS)
    said = "\n".join(failed.values())
    assert any(name.startswith("accuracy") for name in failed), failed
    assert any(name.startswith("mse_loss") for name in failed), failed
    assert SPELT.search(said) is None, SPELT.search(said)
    assert "not the notebook's, Python's or PyTorch's" in said, said
