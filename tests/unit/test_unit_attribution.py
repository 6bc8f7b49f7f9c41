"""plugin.settle_attributions alone: a check that set its mistake aside for another check
keeps its points only when that other check charges it (an outside red team's: an
`accuracy` wrong only on inputs its own check never uses made the Part E item's wrong
answer "the helper's mistake" while the helper's check passed — charged nowhere)."""

from __future__ import annotations

from autograder.check.plugin import Verdict, not_assessed_message, settle_attributions


def _aside(other: str) -> Verdict:
    return Verdict(True, not_assessed_message(other), assessed_by=other,
                   fallback="Count the predictions equal to the targets.")


def test_a_pass_set_aside_for_a_failing_check_keeps_its_points() -> None:
    verdicts = {"e": _aside("acc"), "acc": Verdict(False, "wrong for N = 25", "wrong")}
    assert settle_attributions(verdicts) == verdicts


def test_a_pass_set_aside_for_a_passing_missing_or_circular_check_is_a_failure() -> None:
    for others in ({"acc": Verdict(True, "")}, {}, {"acc": _aside("e")}):
        settled = settle_attributions({"e": _aside("acc"), **others})
        assert not settled["e"].passed and settled["e"].mistake == "wrong"
        assert settled["e"].message == "Count the predictions equal to the targets."
        assert not settled["e"].assessed_by  # no page says "see acc" for it any more


def test_a_chain_is_charged_where_it_ends() -> None:
    chained = {"a": _aside("b"), "b": _aside("c"), "c": Verdict(False, "wrong", "wrong")}
    # each pass points to the check that charges the mistake, not to another pass
    assert settle_attributions(chained) == {**chained, "a": _aside("c")}
    broken = {"a": _aside("b"), "b": _aside("c"), "c": Verdict(True, "")}
    settled = settle_attributions(broken)
    assert not settled["a"].passed and not settled["b"].passed
