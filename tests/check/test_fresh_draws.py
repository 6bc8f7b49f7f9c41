"""Fresh draws (`autograder.check.fresh`): unknown to every notebook beforehand, the same each
time one file is graded.

They came from the operating system: a function right on most inputs and wrong on a few was
graded differently on every regrade of the very same notebook.
"""

from __future__ import annotations

from pathlib import Path

from autograder.check import fresh
from autograder.grader import fresh_key, hidden_secret


def _seeds(check: str, key: bytes, n: int = 4) -> list[int]:
    fresh.begin_draws(check, key)
    return [fresh.fresh_seed() for _ in range(n)]


def test_one_key_and_check_draw_the_same_seeds_every_time() -> None:
    key = fresh_key(b"secret", "ab" * 32)
    first = _seeds("softmax: values", key)
    assert first == _seeds("softmax: values", key)
    assert len(set(first)) == len(first)  # (each draw of a check its own)
    assert all(0 <= seed < 2 ** 63 for seed in first)


def test_another_check_file_or_secret_draws_other_seeds() -> None:
    key = fresh_key(b"secret", "ab" * 32)
    base = _seeds("softmax: values", key)
    assert _seeds("log_softmax: values", key) != base
    assert _seeds("softmax: values", fresh_key(b"secret", "ac" + "ab" * 31)) != base
    assert _seeds("softmax: values", fresh_key(b"another", "ab" * 32)) != base


def test_the_two_rehearsals_of_one_file_draw_apart() -> None:
    # (the plan sent ahead keeps only calls that repeat between them: fresh ones must not)
    assert fresh_key(b"s", "ab" * 32, "rehearsal-1") != fresh_key(b"s", "ab" * 32, "rehearsal-2")


def test_with_no_key_every_seed_comes_from_the_operating_system() -> None:
    assert _seeds("softmax: values", b"") != _seeds("softmax: values", b"")


def test_the_secret_is_every_hidden_file_by_place_and_bytes(tmp_path: Path) -> None:
    suite = tmp_path / "lab_checks"
    suite.mkdir()
    (suite / "test_a.py").write_text("A = 1\n")
    reference = tmp_path / "reference.py"
    reference.write_text("def f(): ...\n")
    before = hidden_secret([suite, reference, tmp_path / "answers.json"])  # (no answers: none)
    assert before == hidden_secret([suite, reference, tmp_path / "answers.json"])
    (suite / "__pycache__").mkdir()
    (suite / "__pycache__" / "test_a.pyc").write_bytes(b"compiled")
    assert hidden_secret([suite, reference]) == before  # (a cache is not the checks)
    (suite / "test_a.py").write_text("A = 2\n")
    changed = hidden_secret([suite, reference])
    assert changed != before
    (suite / "test_a.py").rename(suite / "test_b.py")
    assert hidden_secret([suite, reference]) != changed
