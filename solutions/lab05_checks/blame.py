"""One mistake, one cost, across functions: a caller built on a student's own helper.

The notebook lets students reuse their earlier functions (precision_recall_f1 on
confusion_matrix, macro_f1 on either, softmax as exp(log_softmax), evaluate on accuracy,
the Part E experiments on the metrics …). A mistake in the helper then shows in the caller
too, and charging both would cost one mistake twice, with a caller's message that names a
mistake its own code does not make ("precision and recall swapped" for a transposed
confusion matrix).

The rule, confirmed by a run and never by the source text: the caller is excused for a
value when (1) probe calls of the student's helper on the inputs the caller would hand it
succeed, (2) the helper is wrong on at least one of them (else the fault is the caller's own)
and (3) the caller's value equals a correct composition over those helper outputs (and,
where a stub could match it, the caller is right where the helper is: `control`). The
calling check is then held to that composition and `attributed_to` the helper's check,
which charges the mistake once. Where the caller is wrong, no composition is confirmed and
the helper is wrong too, the caller's message may add that the helper is the likely cause
(`naming_helper`) — words only: the verdict is the caller's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from autograder.check.registry import CheckFailed, attributed_to
from autograder.sandbox.session import StudentError

#: `agrees(student_value, expected)`: quietly, is this the expected value?
Agrees = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class HelperCall:
    """One probe call of the student's helper: its arguments, and what the correct helper
    returns for them."""

    args: tuple[Any, ...]
    expected: Any
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Composition:
    """`caller` built correctly on the student's `helper`.

    `calls`: the helper calls a correct caller makes for the caller's inputs; `compose`: the
    values a correct caller returns given those helper outputs (several where more than one
    correct composition exists, e.g. one accuracy over every sample or the size-weighted
    batch accuracies); `helper_right` compares a helper output with the correct one;
    `check`: the helper's check that charges the helper's mistake (or a function of the
    helper's outputs naming it, where the mistake decides which check that is).

    `control`: where a degenerate helper (a stub of zeros) makes the composition degenerate
    too, so that a stub caller could match it, a probe that the caller is right on an input
    where the student's helper is right (a caller built on the helper is; a stub is not)."""

    caller: str
    helper: str
    check: str | Callable[[list[Any]], str]
    calls: Sequence[HelperCall]
    compose: Callable[[list[Any]], Iterable[Any]]
    helper_right: Agrees
    control: Callable[[], bool] | None = None


def _helper_outputs(student, composition: Composition) -> list[Any] | None:
    """The student's helper on every probe call (None where one raised or is missing)."""
    outputs = []
    for call in composition.calls:
        try:
            outputs.append(student.call(composition.helper, *call.args, **call.kwargs).value)
        except StudentError:
            return None
        except Exception:  # (a missing helper, a call cut at its limit: nothing to blame)
            return None
    return outputs


def helper_wrong(student, composition: Composition) -> bool:
    """Is the student's helper wrong on (at least one of) the caller's inputs?"""
    outputs = _helper_outputs(student, composition)
    return outputs is not None and not all(
        composition.helper_right(out, call.expected)
        for out, call in zip(outputs, composition.calls, strict=True))


def helper_to_blame(student, value: Any, agrees: Agrees,
                    compositions: Iterable[Composition]) -> bool:
    """True (and the running check attributed to the helper's check) when `value`, the
    caller's result, is a correct composition over a wrong helper's outputs, confirmed by
    probe calls of that helper; False otherwise (the caller's value stays the caller's)."""
    for composition in compositions:
        outputs = _helper_outputs(student, composition)
        if outputs is None or all(composition.helper_right(out, call.expected)
                                  for out, call in zip(outputs, composition.calls, strict=True)):
            continue  # the helper is right here (or unusable): the fault is the caller's own
        try:
            candidates = list(composition.compose(outputs))
        except Exception:  # outputs of the wrong kind: a correct caller would raise on them
            continue
        if any(agrees(value, candidate) for candidate in candidates) and (
                composition.control is None or composition.control()):
            check = composition.check
            attributed_to(check if isinstance(check, str) else check(outputs))
            return True
    return False


@contextmanager
def naming_helper(student, compositions: Iterable[Composition],
                  generic: frozenset[str] = frozenset({"wrong-value"})) -> Iterator[None]:
    """A failure of the caller's check inside this block that names no mistake of the
    caller's own (its tag is in `generic`), on inputs where the student's helper is wrong too
    (and no composition was confirmed), says that the helper is the likely cause. The
    verdict and the mistake tag are unchanged."""
    try:
        yield
    except CheckFailed as failure:
        if failure.mistake not in generic:
            raise
        for composition in compositions:
            if helper_wrong(student, composition):
                raise CheckFailed(
                    f"{failure.message} (Your {composition.helper} is wrong on these inputs "
                    f"as well: if {composition.caller} calls it, that is the likely cause — "
                    f"fix {composition.helper} first, see its check.)", failure.mistake,
                ) from failure
        raise
