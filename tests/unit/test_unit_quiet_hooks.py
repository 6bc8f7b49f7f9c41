"""`harness.silence_hooks` leaves exactly one warnings filter (ignore everything) and Python's
own `showwarning`, whatever a notebook did to them, even where it skips the reset because
the filters are as it left them (a cheap identity check, on a path that runs hundreds of
times a submission)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from autograder.sandbox import harness


@pytest.fixture(autouse=True)
def _own_filters() -> Iterator[None]:
    with warnings.catch_warnings():
        yield


def _quiet() -> bool:
    return (len(warnings.filters) == 1 and warnings.filters[0][0] == "ignore"
            and warnings.filters[0][2] is Warning and warnings.showwarning is harness._SHOW_WARNING)


def _shown() -> list[str]:
    seen: list[str] = []
    warnings.showwarning = lambda message, *a, **k: seen.append(str(message))  # type: ignore[assignment]
    return seen


@pytest.mark.parametrize("change", ["always-in-front", "always-behind", "new-list", "reset"])
def test_what_a_notebook_did_to_the_filters_is_undone(change: str) -> None:
    harness.silence_hooks()
    assert _quiet()
    if change == "always-in-front":
        warnings.simplefilter("always")
    elif change == "always-behind":
        warnings.simplefilter("always", append=True)
        warnings.filters.reverse()  # (ours behind a filter of the notebook's, same length + 1)
    elif change == "new-list":
        warnings.filters = [("always", None, Warning, None, 0)]  # type: ignore[attr-defined]
    else:
        warnings.resetwarnings()
    seen = _shown()
    harness.silence_hooks()
    assert _quiet()
    warnings.warn("from the student's code", UserWarning, stacklevel=1)
    assert seen == []  # (showwarning was put back too, and nothing is shown)


def test_a_hook_alone_is_put_back_when_the_filters_are_untouched() -> None:
    harness.silence_hooks()
    seen = _shown()
    harness.silence_hooks()
    assert _quiet()
    warnings.warn("from the student's code", UserWarning, stacklevel=1)
    assert seen == []
