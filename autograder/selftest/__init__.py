"""Prove the autograder: realistic mistakes must be caught, correct variants must pass.

`python -m autograder selftest` grades the reference (full marks), the template (zero),
every mutant in the lab's `mutants.py` (loses points; its expected check fails with a
message that names the mistake) and every alternative in its `alternatives.py` (full
marks), and prints a detection matrix. Run it after editing the lab, the checks or the config.
"""

from __future__ import annotations

from autograder.selftest.library import Alternative, Mutant
from autograder.selftest.run import Report, run_selftest

__all__ = ["Alternative", "Mutant", "Report", "run_selftest"]
