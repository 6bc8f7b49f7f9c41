"""lab_tiny's contract for `python -m autograder assign`: the graded functions the master's
solution cells define, in notebook order, and the answer variables."""

from __future__ import annotations

from collections.abc import Mapping

TITLE = "lab_tiny (a two-minute lab)"

#: Graded functions, in the order the notebook (and reference.py) defines them.
GRADED_FUNCTIONS: tuple[str, ...] = ("standardize", "squared_error", "train_step")

#: Multiple-choice answer variables and their allowed letters.
MC_CHOICES: Mapping[str, str] = {"q_lr": "abc"}
