"""A lone surrogate in what a student wrote (an exception's message, a cell's line, printed
text) cannot be written as UTF-8: it crashed the row's results ("surrogates not allowed",
every check 0). Student text is cleaned of them where it enters (`protocol.clean_text`) and
where it is shown (`report.sanitize.printable`)."""

from __future__ import annotations

from autograder.report.sanitize import printable
from autograder.sandbox.protocol import clean_text


def test_student_text_with_lone_surrogates_can_be_written_as_utf8() -> None:
    for text in ("bad \udcff value", "\ud800", "a\udfffb\ud83d", "x" * 300 + "\udcff"):
        for cleaned in (clean_text(text, 400), clean_text(text, 400, keep_newlines=True),
                        printable(text), printable(text, keep_newlines=True)):
            cleaned.encode("utf-8")  # (raised UnicodeEncodeError before)
            assert "bad" not in text or "bad" in cleaned


def test_a_real_pair_is_not_a_lone_surrogate() -> None:
    assert clean_text("emoji 😀 ok", 100) == "emoji 😀 ok"
    assert printable("emoji 😀 ok") == "emoji 😀 ok"
