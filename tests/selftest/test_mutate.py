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
