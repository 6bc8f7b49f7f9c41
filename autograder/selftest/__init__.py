"""Prove the autograder: realistic mistakes must be caught, correct variants must pass.

`python -m autograder selftest` grades the reference (full marks), the template (zero),
every mutant in `mutants.py` (loses points; its expected check fails with a message that
names the mistake) and every alternative in `alternatives.py` (full marks), and prints a
detection matrix. Run it after editing the lab, the checks or the config.
"""

from __future__ import annotations

from autograder.selftest.alternatives import ALTERNATIVES, Alternative
from autograder.selftest.mutants import MUTANTS, Mutant
from autograder.selftest.run import Report, run_selftest

__all__ = ["ALTERNATIVES", "MUTANTS", "Alternative", "Mutant", "Report", "run_selftest"]
