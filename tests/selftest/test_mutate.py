"""The mechanical mutation generator: deterministic, compilable, one change per mutant,
every operator of the set represented on the lab's reference."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from autograder.selftest import mutate

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "solutions" / "reference.py").read_text(encoding="utf-8")


def test_generation_is_deterministic_and_every_mutant_compiles() -> None:
    first, second = mutate.generate(SOURCE), mutate.generate(SOURCE)
    assert [m.name for m in first] == [m.name for m in second]
    assert len({m.name for m in first}) == len(first) > 200
    original = ast.unparse(ast.parse(SOURCE))
    for mutant in first:
        compile(mutant.source, mutant.name, "exec")
        assert mutant.source != original
        changed = [n.name for n, o in zip(ast.parse(mutant.source).body,
                                           ast.parse(original).body, strict=True)
                   if ast.dump(n) != ast.dump(o)]
        assert changed == [mutant.function], mutant.name


def test_the_operator_set_covers_the_issue() -> None:
    operators = Counter(m.operator for m in mutate.generate(SOURCE))
    assert set(operators) >= {"swap-operator", "drop-argument", "change-constant",
                              "change-dim", "remove-call", "reorder-statements", "detach",
                              "change-reduction", "alter-argument"}


def test_only_the_named_functions_and_a_stable_sample() -> None:
    mutants = mutate.generate(SOURCE, ["mae_loss"])
    assert mutants and {m.function for m in mutants} == {"mae_loss"}
    assert mutate.sample(mutants, 3, seed=1) == mutate.sample(mutants, 3, seed=1)
    assert len(mutate.sample(mutants, 3)) == 3 and mutate.sample(mutants, None) == mutants


def test_mutants_of_the_alternatives_are_judged_against_their_alternative() -> None:
    """Mutants of the hand-written alternatives (`gen_alt_*`): each names its alternative,
    none repeats a mutant of the reference, and equivalence is judged against the
    alternative it mutates, not the reference (an alternative that differs from the
    reference on a probe would make every one of its mutants look like a gap)."""
    from autograder.lab import Lab
    from autograder.selftest.library import load_library

    lab = Lab.load(ROOT)
    alternatives = [a for a in load_library(lab)[1] if a.name == "alt_r28_get_device_cuda_index0"]
    found, bases = mutate.alternative_mutants(lab, alternatives)
    assert found and set(bases) == {"alt_r28_get_device_cuda_index0"}
    assert all(m.name.startswith("gen_alt_") and m.base == "alt_r28_get_device_cuda_index0"
               and m.function == "get_device" for m in found)
    assert not {m.source for m in found} & {m.source for m in mutate.lab_mutants(lab)}
    again, _ = mutate.alternative_mutants(lab, alternatives)
    assert [m.name for m in again] == [m.name for m in found]
    # the alternative itself, as a "mutant" of itself: the same as its base on every probe
    # (it answers 'cuda:0' where the reference answers 'cuda': judged against the reference
    # it would differ)
    itself = mutate.Generated("gen_alt_itself", "get_device", "none", "itself",
                              bases["alt_r28_get_device_cuda_index0"],
                              "alt_r28_get_device_cuda_index0")
    assert mutate.judge_equivalence(lab, [itself], bases=bases)["gen_alt_itself"].same
    unbased = mutate.Generated("gen_alt_itself", "get_device", "none", "itself",
                               itself.source)
    assert not mutate.judge_equivalence(lab, [unbased])["gen_alt_itself"].same
