"""Lab 5's word on its generated mutants (`autograder.selftest.mutate`).

A generated mutant the grader does not kill is excused only when it is equivalent to the
reference (a mutant of an alternative, `gen_alt_*`: to that alternative): selftest runs it
on the lab's probes (`variants.py`) and excuses it when every
probe agrees. `EQUIVALENT` is for the few the probes cannot excuse although no correct
input can tell them apart — each with the reason a human checked. A mutant's name carries
a hash of its code: when the reference changes, a stale entry simply matches nothing.
"""

from __future__ import annotations

EQUIVALENT: dict[str, str] = {
    "gen_evaluate_reorder-statements_14c91cf8": (
        "evaluate counts the correct predictions before adding the batch's loss: the same "
        "figures; only where the 'devices' probe's deliberately failing run stops moves"),
    # mutants of the alternatives (`gen_alt_*`): judged against their alternative
    "gen_alt_evaluate_remove-call_d3a8ccde": (
        "evaluate no longer puts the model back in the mode it found it in: it leaves it in "
        "eval mode, as the reference does (the spec asks for eval mode during evaluation, "
        "and train_one_epoch calls model.train() itself)"),
}
