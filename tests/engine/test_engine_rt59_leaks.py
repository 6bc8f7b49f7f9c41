"""Red team 59, in the real engine: numbers of the student's making quoted in feedback
carried hidden inputs, ~160 bits a submission — a metric's last digits past its rounding
(0.40000000000007674), a 0/0 metric's exponent (6.5e+134), a confusion matrix's total
(902820284340750070), a tiny loss where pred equals target (3e-187), get_device's index
(cuda:35), fit's history lengths (447, 213, 713), a returned shape's number of dimensions.
Each attack (tests/engine/rt59/, the red team's cells as they were: run after the
reference, each wraps its functions and stashes what the probes showed) is graded, and no
number of its making reaches a message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.engine.conftest import failed_checks

ATTACKS = Path(__file__).parent / "rt59"
# What each attack put into its messages before (any of these shapes is a spelt value)
SPELT = re.compile(r"\d\.\d{12,}|e[+-]\d{3}|\d{7,}|cuda:[1-9]|\d{3,} for (?:train_loss|"
                   r"val_loss|val_accuracy)|(?<!than )\d+ dimensions|up to \d|\(it returned ")


@pytest.mark.parametrize("attack", sorted(p.stem for p in ATTACKS.glob("leak_*.txt")))
def test_no_number_of_the_students_making_is_quoted(grader, tmp_path: Path, attack: str):
    failed = failed_checks(grader, tmp_path, attack, (ATTACKS / f"{attack}.txt").read_text())
    assert failed, "the attack fails checks (its messages are what is read)"
    spelt = {name: SPELT.search(message) for name, message in failed.items()
             if SPELT.search(message)}
    assert not spelt, {name: (match.group(), failed[name]) for name, match in spelt.items()}
