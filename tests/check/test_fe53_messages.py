"""Fresh eyes 53's reports, held here in-process on the reference with one function
rewritten: caught mistakes whose message named no cause where the run showed one."""

from __future__ import annotations

from lab05_checks import test_part_d_training as part_d
from test_part_d_diagnoses import namespace as edited_namespace
from test_part_d_diagnoses import verdicts as part_d_verdicts


def test_evaluate_dividing_with_floor_division_is_named() -> None:
    """`correct // total_samples`: 0.0 unless every prediction is right (told only "a wrong
    accuracy", where accuracy()'s own check names it)."""
    ns = edited_namespace("evaluate", '"accuracy": correct / total_samples}',
                          '"accuracy": correct // total_samples}')
    found = part_d_verdicts(ns, "evaluate")[part_d.EVAL_VALUES]
    assert not found.passed and found.mistake == "eval-accuracy-integer-division", found.message
    assert "correct // N" in found.message


def test_another_wrong_accuracy_of_zero_is_not_named_floor_division() -> None:
    """An accuracy of 0.0 for another reason (the labels compared with the logits' argmax
    over the wrong classes) is not floor division: the probe with every label right says so."""
    ns = edited_namespace("evaluate", "correct += int((logits.argmax(dim=1) == y).sum())",
                          "correct += int((logits.argmax(dim=1) == y + 100).sum())")
    found = part_d_verdicts(ns, "evaluate")[part_d.EVAL_VALUES]
    assert not found.passed and found.mistake == "eval-accuracy", found.message


def test_an_accuracy_by_another_comparison_than_equality_is_named() -> None:
    """`(preds >= targets)`: a prediction above its label counted right (told only "a wrong
    value for N = 25")."""
    from lab05_checks import test_part_c_metrics as part_c
    from test_helper_blame import edited, failed, namespace, verdicts

    for op in (">=", "<"):
        source = edited("accuracy", "(preds == targets)", f"(preds {op} targets)")
        charged = failed(verdicts(namespace(source), "accuracy"))
        found = charged[part_c.ACC_VALUES]
        assert found.mistake == "comparison-not-equality", found.message
        assert f"preds {op} targets" in found.message


def test_a_positive_term_weighted_by_a_function_of_pos_weight_is_named() -> None:
    """`(pos_weight − 1)·y·(−log σ(x))`, or pos_weight's first element for every column:
    told only "wrong values with pos_weight of shape (3,)"."""
    from lab05_checks import test_part_b_classification as part_b
    from test_helper_blame import edited, failed, namespace, verdicts

    for new, words in (("1 + (pos_weight - 2) * targets", "pos_weight − 1"),
                       ("1 + (pos_weight[0] - 1) * targets", "first element")):
        source = edited(part_b.BCEL, "1 + (pos_weight - 1) * targets", new)
        charged = failed(verdicts(namespace(source), part_b.BCEL))
        found = charged[part_b.BCEL_POS_WEIGHT]
        assert found.mistake == "pos-weight-transformed", found.message
        assert words in found.message


def test_evaluate_raising_at_an_argmax_over_dim_0_is_told_so() -> None:
    """`logits.argmax(dim=0) == y` raises a size mismatch: the run's error, worded by the
    source (PyTorch's words alone before)."""
    import inspect

    from test_part_d_diagnoses import REFERENCE, TOLERANCES, InProcessStudent

    from autograder.check.plugin import verdict_for
    from autograder.check.registry import take_attribution
    from autograder.check.static import SourceFacts

    old, new = "logits.argmax(dim=1) == y", "logits.argmax(dim=0) == y"
    ns = edited_namespace("evaluate", old, new)
    source = inspect.getsource(REFERENCE.module.evaluate).replace(old, new)
    spec = next(spec for spec, _ in part_d_checks() if spec.name == part_d.EVAL_VALUES)
    for facts, named in ((SourceFacts((source,)), True), (SourceFacts(), False)):
        try:
            part_d.test_eval_values(InProcessStudent(ns), {}, TOLERANCES, facts)
            error = None
        except Exception as exc:
            error = exc
        found = verdict_for(spec, error, take_attribution())
        assert not found.passed
        assert (found.mistake == "eval-argmax-dim-0") is named, found.message


def part_d_checks():
    from test_part_d_diagnoses import CHECKS

    return CHECKS


def test_inputs_moved_to_the_cpu_are_told_so_not_to_assign_to() -> None:
    """`x.to("cpu")` in evaluate while the model is on the device: it was told "to() returns
    a new tensor; assign it", which the code did."""
    from test_helper_blame import edited, namespace, verdict

    source = edited("evaluate", "x, y = x.to(device), y.to(device)",
                    "x, y = x.to('cpu'), y.to(device)")
    found = verdict(namespace(source), part_d.EVAL_DEVICE, source)
    assert not found.passed and found.mistake == "inputs-not-moved", found.message
    assert "moves the model's inputs to the CPU" in found.message


def test_a_shift_by_a_maximum_over_another_dim_is_named() -> None:
    """`logits - logits.amax(dim=0, keepdim=True)` while normalising along `dim`, or the max
    along `dim` without keepdim (broadcast across the wrong axis): told only "wrong values"
    (fresh eyes 52's left)."""
    from lab05_checks import test_part_b_classification as part_b
    from test_helper_blame import edited, failed, namespace, verdicts

    for function, check in (("softmax", part_b.SOFTMAX_VALUES),
                            ("log_softmax", part_b.LOG_SOFTMAX_VALUES)):
        source = edited(function, "logits.amax(dim=dim, keepdim=True)",
                        "logits.amax(dim=0, keepdim=True)")
        found = failed(verdicts(namespace(source), function))[check]
        assert found.mistake == "shift-wrong-dim", found.message


def test_a_loop_that_skips_a_batch_of_one_sample_is_charged() -> None:
    """`if x.shape[0] < 2: continue` (a way round BatchNorm's refusal of one sample in train
    mode) dropped that sample from every epoch with full marks, where the notebook asks for
    every batch, a last batch of a single sample included (the audit of what is graded)."""
    for function, check, loop in (
            ("train_one_epoch", part_d.TRAIN_ORDER, "    for x, y in loader:\n"),
            ("evaluate", part_d.EVAL_VALUES, "        for x, y in loader:\n")):
        indent = loop[:loop.index("for")] + "    "
        ns = edited_namespace(function, loop, f"{loop}{indent}if x.shape[0] < 2:\n"
                                              f"{indent}    continue\n")
        found = part_d_verdicts(ns, function)
        failed = {name: v for name, v in found.items() if not v.passed}
        assert set(failed) == {check}, sorted(failed)
        assert failed[check].mistake == "single-sample-skipped", failed[check].message
