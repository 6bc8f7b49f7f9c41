"""Lab 5's word on its generated mutants (`autograder.selftest.mutate`).

A generated mutant the grader does not kill is excused only when it is equivalent to the
reference: selftest runs it on the lab's probes (`variants.py`) and excuses it when every
probe agrees. `EQUIVALENT` is for the few the probes cannot excuse although no correct
input can tell them apart — each with the reason a human checked. A mutant's name carries
a hash of its code: when the reference changes, a stale entry simply matches nothing.
"""

from __future__ import annotations

EQUIVALENT: dict[str, str] = {
    "gen_evaluate_reorder-statements_14c91cf8": (
        "evaluate counts the correct predictions before adding the batch's loss: the same "
        "figures; only where the 'devices' probe's deliberately failing run stops moves"),
}
