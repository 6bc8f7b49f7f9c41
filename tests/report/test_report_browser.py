"""The pages in a real browser: headless chromium renders them, runs the sort script, and
takes a screenshot.

Without chromium these tests skip on a workstation and fail in CI (where `CI` is set
and `.ci/run` installs chromium), so a CI run can never pass without looking.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from report_samples import CONFIG, INVALID_REASON, SCRIPT, sample_results

from autograder.report.dashboard import write_dashboard

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not installed: the browser tests need it in CI "
                        "(.ci/run installs it with `apt-get install chromium`)", pytrace=False)
        pytest.skip("chromium not installed (installed by .ci/run)")
    return found


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    command = [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within 120 s: {' '.join(command)}", pytrace=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}:\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    write_dashboard(sample_results(), CONFIG, out)
    return out


def test_dashboard_renders_and_sort_script_runs(site, tmp_path):
    dom = _run(tmp_path, "--dump-dom", (site / "index.html").as_uri()).stdout
    assert "<h1>lab-test: 6 submissions</h1>" in dom
    for text in ("Pass rate by check", "Most common mistakes", "Timed out, crashed or invalid",
                 "All students", INVALID_REASON, "40%"):
        assert text in dom, text
    assert 'href="frank/feedback.html"' in dom
    # The inline script ran (the CSP hash admits it): every sortable header became a button.
    assert dom.count('<button type="button">') >= 5


def test_feedback_renders_escaped_student_text(site, tmp_path):
    dom = _run(tmp_path, "--dump-dom", (site / "carol" / "feedback.html").as_uri()).stdout
    assert "Submission <span class=\"mono\">carol</span>" in dom
    assert "<script>alert" not in dom  # stayed text: never became an element
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;" in dom
    assert SCRIPT.split("<")[0] in dom


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("page", ["index.html", "bob/feedback.html"])
def test_screenshot(site, tmp_path, page):
    shot = tmp_path / "x.png"
    _run(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", (site / page).as_uri())
    assert shot.is_file(), "chromium wrote no screenshot"
    assert _png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 20_000, "the screenshot is nearly empty"
    from PIL import Image  # matplotlib's dependency, always installed with the project

    with Image.open(shot) as image:
        colors = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colors is not None and len(colors) > 50, "the screenshot is almost one colour"


@pytest.fixture(scope="module")
def failing_site(tmp_path_factory):
    """A SyntaxError in one function's cell, as the grader records it (see
    test_report_locations), next to the sample class: the pages a student and a TA open."""
    from test_report_locations import CONFIG as PARTS_CONFIG
    from test_report_locations import LATER, SYNTAX, _result

    missing = "`huber_loss` is not defined: make sure the cell that defines it runs."
    result = _result({"huber_loss: matches F.huber_loss": (missing, "missing"),
                      "huber_loss: backward works": (missing, "missing")}, [SYNTAX, LATER])
    out = tmp_path_factory.mktemp("failing")
    write_dashboard([result], PARTS_CONFIG, out)
    return out


@pytest.mark.parametrize("width", [420, 1280])
def test_failing_student_page_in_a_browser(failing_site, tmp_path, width):
    page = (failing_site / "ana" / "feedback.html").as_uri()
    dom = _run(tmp_path, f"--window-size={width},900", "--dump-dom", page).stdout
    # the cell location and the student's own line, the Part grouping, passes folded
    assert "“Part A — Losses › A3. <code>huber_loss</code>” that starts “def huber_loss(”" in dom
    assert "<pre><code>return (diff.abs().mean()</code></pre>" in dom
    assert dom.index("Part A — Losses") < dom.index("Part D — Training")
    assert '<details class="card part" id="part-Part-D---Training">' in dom  # passed: folded
    assert "<details open" not in dom
    shot = tmp_path / f"feedback-{width}.png"  # kept under pytest's tmp dir as an artefact
    _run(tmp_path, f"--screenshot={shot}", f"--window-size={width},900", page)
    assert _png_size(shot) == (width, 900) and shot.stat().st_size > 10_000


@pytest.mark.parametrize("width", [420, 1280])
def test_dashboard_triage_first_in_a_browser(site, tmp_path, width):
    index = (site / "index.html").as_uri()
    dom = _run(tmp_path, f"--window-size={width},900", "--dump-dom", index).stdout
    sections = [dom.index(f'id="{name}"') for name in ("attention", "mistakes", "overview")]
    assert sections == sorted(sections)
    shot = tmp_path / f"dashboard-{width}.png"
    _run(tmp_path, f"--screenshot={shot}", f"--window-size={width},900", index)
    assert _png_size(shot) == (width, 900) and shot.stat().st_size > 10_000
