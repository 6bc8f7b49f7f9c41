"""Hand-built results for the report tests, and a small HTML reader to check pages with.

Six submissions over a four-check configuration, chosen so every number on the
dashboard can be worked out by hand (see the test modules for the arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from autograder.config import GradingConfig
from autograder.score.results import Status, SubmissionResult, TestResult
from autograder.score.scoring import unscored

MATCHES = "mse_loss: matches F.mse_loss for every reduction"
BACKWARD = "mse_loss: backward gives the reference gradients"
FORBIDDEN = "mse_loss: implemented without F.mse_loss"
EVALUATE = "evaluate: returns sample-weighted loss and accuracy as floats"

CONFIG = GradingConfig.model_validate({
    "assignment": "lab-test",
    "tests": {
        MATCHES: {"points": 2},
        BACKWARD: {"points": 2},
        FORBIDDEN: {"points": 1, "visibility": "hidden"},
        EVALUATE: {"points": 3},
    },
})

WRONG_SUM = "mse_loss gives wrong values for reduction='sum': divide by N only for 'mean'."
SCRIPT = "mse_loss returned <script>alert('pwned')</script> & <b>bold</b>"
NO_GRAD = "mse_loss's result is detached from the autograd graph: don't use `.item()`."
FORBIDDEN_MESSAGE = "mse_loss calls `F.mse_loss`, which is what you are asked to implement."
SECRET_DETAIL = "hidden detail: the check compared against reference value 0.1234"
RAISED = "evaluate raised ZeroDivisionError: division by zero. Divide by the sample count."
RAISED_DETAIL = "  File \"<cell 7>\", line 3, in evaluate"
TIMEOUT_REASON = "the notebook used up its 180 s time budget"
INVALID_REASON = "not a notebook: JSON decode error at line 1"


def _row(name: str, passed: bool, output: str = "", mistake: str = "") -> TestResult:
    spec = CONFIG.tests[name]
    return TestResult(name=name, score=spec.points if passed else 0.0, max_score=spec.points,
                      passed=passed, output=output, visibility=CONFIG.visibility(name),
                      mistake=mistake)


def _graded(submission_id: str, rows: list[TestResult], status: Status = Status.GRADED,
            reason: str = "", notes: list[str] | None = None) -> SubmissionResult:
    return SubmissionResult(submission_id=submission_id, status=status, reason=reason,
                            tests=rows, max_score=CONFIG.max_score, execution_time=4.25,
                            notes=notes or [])


def sample_results() -> list[SubmissionResult]:
    """alice 8, bob 5, carol 1, dave 3 (timeout), erin 0 (invalid), frank 6; out of 8."""
    return [
        _graded("alice", [_row(MATCHES, True), _row(BACKWARD, True), _row(FORBIDDEN, True),
                          _row(EVALUATE, True)]),
        _graded("bob", [_row(MATCHES, False, WRONG_SUM, "wrong"), _row(BACKWARD, True),
                        _row(FORBIDDEN, False, FORBIDDEN_MESSAGE + "\n" + SECRET_DETAIL,
                             "forbidden"),
                        _row(EVALUATE, True)],
                notes=["Cell 3 printed 5000 lines; the output was cut."]),
        _graded("carol", [_row(MATCHES, False, SCRIPT, "wrong"),
                          _row(BACKWARD, False, NO_GRAD, "no-grad"), _row(FORBIDDEN, True),
                          _row(EVALUATE, False, RAISED + "\n" + RAISED_DETAIL, "raised")]),
        _graded("dave", [_row(MATCHES, True), _row(BACKWARD, False, NO_GRAD, "no-grad"),
                         _row(FORBIDDEN, True),
                         _row(EVALUATE, False, "evaluate: this check did not run (grading "
                                               "stopped early).", "not-run")],
                status=Status.TIMEOUT, reason=TIMEOUT_REASON),
        unscored("erin", CONFIG, Status.INVALID, INVALID_REASON),
        _graded("frank", [_row(MATCHES, False, WRONG_SUM, "wrong"), _row(BACKWARD, True),
                          _row(FORBIDDEN, True), _row(EVALUATE, True)]),
    ]


def by_id(results: list[SubmissionResult], submission_id: str) -> SubmissionResult:
    return next(r for r in results if r.submission_id == submission_id)


@dataclass
class Table:
    section: str
    classes: str
    rows: list[list[str]] = field(default_factory=list)
    links: list[list[list[str]]] = field(default_factory=list)  # per row, per cell: hrefs


class Page(HTMLParser):
    """Tables (by enclosing section id), dt/dd pairs, every id, href and src of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.terms: dict[str, str] = {}
        self.ids: set[str] = set()
        self.urls: list[str] = []
        self.text_parts: list[str] = []
        self._sections: list[str] = []
        self._cell: list[str] | None = None
        self._cell_links: list[str] = []
        self._term: list[str] | None = None
        self._pending_term = ""
        self._value: list[str] | None = None
        self._skip = 0
        self.feed(text)
        self.close()

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def table(self, section: str) -> Table:
        return next(t for t in self.tables if t.section == section)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if "id" in attr:
            self.ids.add(attr["id"])
        for key in ("href", "src"):
            if key in attr:
                self.urls.append(attr[key])
        if tag in ("script", "style", "title"):
            self._skip += 1
        if tag == "section":
            self._sections.append(attr.get("id", ""))
        elif tag == "table":
            self.tables.append(Table(self._sections[-1] if self._sections else "",
                                     attr.get("class", "")))
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append([])
            self.tables[-1].links.append([])
        elif tag in ("td", "th"):
            self._cell, self._cell_links = [], []
        elif tag == "a" and self._cell is not None:
            self._cell_links.append(attr.get("href", ""))
        elif tag == "dt":
            self._term = []
        elif tag == "dd":
            self._value = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skip -= 1
        if tag == "section" and self._sections:
            self._sections.pop()
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1].rows[-1].append(" ".join("".join(self._cell).split()))
            self.tables[-1].links[-1].append(self._cell_links)
            self._cell = None
        elif tag == "dt" and self._term is not None:
            self._pending_term = " ".join("".join(self._term).split())
            self._term = None
        elif tag == "dd" and self._value is not None:
            self.terms[self._pending_term] = " ".join("".join(self._value).split())
            self._value = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text_parts.append(data)
        for sink in (self._cell, self._term, self._value):
            if sink is not None:
                sink.append(data)


def check_links(page: Page, here: Path) -> list[str]:
    """Every href/src: no outside URL, anchors exist, files exist. Returns the file links."""
    files = []
    for url in page.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"outside URL in a page: {url!r}"
        assert "http" not in url.lower(), url
        if not parts.path:
            assert parts.fragment in page.ids, f"link to a missing anchor: {url!r}"
            continue
        target = (here.parent / unquote(parts.path)).resolve()
        assert target.is_file(), f"link to a missing file: {url!r}"
        files.append(url)
    return files
