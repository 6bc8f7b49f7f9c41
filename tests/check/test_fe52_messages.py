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
