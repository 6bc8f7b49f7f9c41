"""The one set of characters a student's text loses before a person sees it (load/text.py),
as the loader, the protocol and the reports read it."""

from __future__ import annotations

import pytest

from autograder.load.text import CONTROL, without_controls
from autograder.report.sanitize import printable
from autograder.sandbox.protocol import clean_text


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x00", "\x9b", "\u202e", "\u2066",
                                  "\u200b", "\u2060", "\ufeff", "\u2028"])
def test_every_place_drops_the_same_characters(char: str) -> None:
    text = f"a{char}b"
    assert CONTROL.search(text)
    assert without_controls(text) == "ab" or without_controls(text) == "a b"
    assert char not in printable(text) and char not in clean_text(text)


def test_whitespace_controls_become_spaces_and_letters_stay() -> None:
    assert without_controls("x\ty\nz") == "x y z"
    assert without_controls("Müller — naïve 日本 😀") == "Müller — naïve 日本 😀"
