"""A history kept between calls of fit (a mutable default argument) is named without saying
how often the grader calls fit (a mistakes review, 24: "33 entries per list")."""

from __future__ import annotations

import json
from pathlib import Path

from tests.engine.conftest import ROOT

KEPT = ("def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device,\n"
        "        _kept={'train_loss': [], 'val_loss': [], 'val_accuracy': []}) -> dict:\n"
        "    history = _kept\n")


def test_a_history_kept_between_calls_is_named_without_the_call_count(grader, tmp_path: Path):
    notebook = json.loads((ROOT / "solutions" / "lab05.ipynb").read_text(encoding="utf-8"))
    changed = 0
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        head = "def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device)"
        if cell["cell_type"] == "code" and head in source:
            lines = source.split("\n")
            start = next(i for i, line in enumerate(lines) if line.startswith(head))
            body = next(i for i, line in enumerate(lines)
                        if i > start and line.lstrip().startswith("history"))
            cell["source"] = "\n".join([*lines[:start], KEPT.rstrip("\n"), *lines[body + 1:]])
            changed += 1
    assert changed == 1
    path = tmp_path / "kept_history.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    result = grader.grade(path, "kept_history")
    messages = " ".join(t.output for t in result.tests if t.score < t.max_score)
    assert "mutable default argument" in messages, messages
    assert "entries per list for" not in messages, messages
