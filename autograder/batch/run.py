"""Grade many submissions: parallel judges, one shared zygote, resumable.

Each judge is a process forked from this one; each opens its own line to the
zygote and grades submissions one at a time. Results are written atomically
per submission, so a batch killed halfway resumes by skipping every
submission whose results.json matches the same notebook bytes, config and
grading code.
Zips are unpacked into a folder of this run's own, removed when the run ends
(error or not, killed too); an upload discovery found nothing to grade in still
gets its `invalid` row, and the summary printed for the TA is made printable.

Why the rest is here. A result is reused only if the same notebook bytes were
graded with the same config *and the same grading code*: `grading_code` digests
the lab's hidden checks, reference and worker modules and the engine's grading
modules once per batch (milliseconds), and it goes into each result's
`trace.engine_version` (`0.1.0+<digest>`), so a check fixed on grading night
regrades what it graded. One run at a time uses an output folder: an exclusive
lock on `--out/.grade.lock` for the whole run (a second run exits, naming the
first one's pid), so two runs never interleave their writes or remove each
other's temporary files. Every process the run forks dies with it
(`zygote.die_with_parent`; the zygote watches a pipe), so a killed batch
leaves nothing writing into `--out`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import autograder
from autograder.batch.course import Course, load_course
from autograder.batch.discover import (
    RENAMED_DOWNLOAD,
    STUDENT_NAMED_DOWNLOAD,
    Discovery,
    Found,
    Limits,
    discover,
    unpacking,
)
from autograder.batch.finish import finish
from autograder.batch.inputs import InputError, holding, require_submissions
from autograder.check.runner import SuiteError, validate
from autograder.config import ConfigError, GradingConfig, grading_sha256, load_config
from autograder.lab import Lab
from autograder.load.notebook import InvalidNotebook, Submission, read_submission
from autograder.report.atomic import is_leftover
from autograder.report.batch_record import BATCH, FINAL_GRADES, BatchRecord, course_lines
from autograder.report.dashboard import INDEX
from autograder.report.feedback import FEEDBACK
from autograder.report.gradescope import RESULTS, read_results, results_path, write_results
from autograder.report.sanitize import printable
from autograder.report.visibility import INSTRUCTOR_PAGES, PUBLISHED
from autograder.sandbox.client import Zygote
from autograder.sandbox.zygote import die_with_parent, warm_up
from autograder.score.results import INTERNAL_ERROR, Status, SubmissionResult
from autograder.score.scoring import unscored

_JUDGE: dict[str, object] = {}
# Notebooks read and parsed by the batch's own process while the zygote starts (it would
# otherwise wait idle), by submission id: the judges, forked after, inherit them.
_PREPARED: dict[str, Submission] = {}
# From this many submissions on, the zygote's memory goes to huge pages before its first fork:
# ~0.5 s once against ~12 ms less a worker (`sandbox/hugepages.py`), so not for one notebook.
HUGE_PAGES_FROM = 40
# What a run writes with `atomic.write_text`: their temporary files, left by a killed run,
# are removed at the start of the next (`_remove_partial`).
WRITTEN = frozenset({RESULTS, FEEDBACK, "gradebook.csv", INDEX, BATCH, FINAL_GRADES, PUBLISHED})
TOP_FILES = ("gradebook.csv", INDEX, BATCH, FINAL_GRADES, PUBLISHED)  # files at the top of --out
# The engine's modules that decide a grade (with the lab's checks, reference and worker
# modules): a change to any of them regrades (`grading_code`).
ENGINE_GRADING = ("__init__.py", "grader.py", "config.py", "lab.py", "check", "load", "sandbox",
                  "score/scoring.py")


@dataclass
class Summary:
    out: Path
    results: list[SubmissionResult] = field(default_factory=list)
    discovery: Discovery = field(default_factory=Discovery)
    graded_now: int = 0
    reused: int = 0
    seconds: float = 0.0
    sandbox_warnings: list[str] = field(default_factory=list)
    record: BatchRecord | None = None  # batch.json: roster, overrides, lateness, duplicates
    engine: str = ""  # `grading_code`: what graded this run's results
    checks_changed: list[str] = field(default_factory=list)  # regraded: grading code changed
    # a row graded before from another file, replaced by this run's (`_replaced`)
    replaced: list[str] = field(default_factory=list)
    # regraded: the config's graded fields changed (`grading_sha256`)
    config_changed: list[str] = field(default_factory=list)
    # the roster or overrides file taken from the folder's last run (`_as_last_run`)
    files_kept: list[str] = field(default_factory=list)

    def describe(self) -> str:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status.value] = counts.get(result.status.value, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        earlier = set(self.record.earlier) if self.record is not None else set()
        kept = (f", {len(earlier)} kept from earlier runs ({_ids(sorted(earlier))})"
                if earlier else "")
        lines = [f"{len(self.results)} submissions ({parts}); graded {self.graded_now} now, "
                 f"{self.reused} up to date{kept}, in {self.seconds:.1f} s"]
        first = [s for s in self.discovery.skipped
                 if RENAMED_DOWNLOAD in s or STUDENT_NAMED_DOWNLOAD in s]
        lines += [f"  check first: {_shortened(s)}" for s in first]
        if self.checks_changed:
            lines.append(f"  regraded {len(self.checks_changed)}: the hidden checks or grading "
                         f"code changed since they were graded: {_ids(self.checks_changed)}")
        if self.config_changed:
            lines.append(f"  regraded {len(self.config_changed)}: the config's tests, limits, "
                         f"tolerances or visibility changed since they were graded: "
                         f"{_ids(self.config_changed)}")
        stale = [r.submission_id for r in self.results if r.submission_id in earlier
                 and r.status is not Status.MISSING and r.trace.engine_version != self.engine]
        if stale:
            lines.append(f"  kept from earlier runs but graded with other checks or grading code "
                         f"(give their notebooks again to regrade): {_ids(stale)}")
        config_sha = self.record.config_sha256 if self.record is not None else ""
        other_config = [r.submission_id for r in self.results if r.submission_id in earlier
                        and r.status is not Status.MISSING and config_sha and r.config_sha256
                        and r.config_sha256 != config_sha and r.submission_id not in stale]
        if other_config:  # (a semester review: one section re-run after a tolerance fix)
            lines.append(f"  kept from earlier runs but graded under another config (its tests, "
                         f"limits, tolerances or visibility; give their notebooks again to "
                         f"regrade): {_ids(other_config)}")
        lines += [f"  {r.status.value}: {r.submission_id}: {_clipped(r.reason)}"
                  for r in self.results if r.status is not Status.GRADED]
        lines += [f"  graded, with a note: {r.submission_id}: {_clipped(r.reason)}"
                  for r in self.results if r.status is Status.GRADED and r.reason]
        lines += [f"  replaced: {line}" for line in self.replaced]
        # (a file that is a row's whole upload, `invalid: … no notebook in your upload`, is that
        # row's line: not said again as skipped — the demo's garcia_1010 was both)
        rows_own = tuple(f"{r.trace.source}: " for r in self.results
                         if r.status is Status.INVALID and r.trace.source)
        lines += [f"  skipped: {_shortened(s)}" for s in self.discovery.skipped
                  if s not in first and not s.startswith(rows_own)]
        lines += [f"  duplicate: {_shortened(d)}" for d in self.discovery.duplicates]
        lines += [f"  {line}" for line in self.files_kept]
        lines += course_lines(self.record) if self.record is not None else []
        lines.append(f"gradebook: {self.out / 'gradebook.csv'}")
        if (self.out / "index.html").exists():
            lines.append(f"dashboard: {self.out / 'index.html'}")
        return "\n".join(printable(line) for line in lines)  # names students chose: no ESC, BEL, CR


def _as_last_run(out: Path, config: GradingConfig, roster: Path | None,
                 overrides: Path | None) -> tuple[Path | None, Path | None, list[str]]:
    """The roster and overrides files of this output folder's last run (its batch.json),
    where this run names none (neither on the command line nor in the config) and the file
    is still there, with the lines that say so. Why: an instructor's review of a grading
    night gave `--overrides` once and regraded one late notebook without it, as the README's
    own example does: every override was dropped from the gradebook and the LMS export, and
    nothing said so (export remembered the roster already)."""
    kept: list[str] = []
    try:
        files = BatchRecord.read(out / BATCH).files
    except (OSError, ValueError, TypeError):
        return roster, overrides, kept
    chosen = {"roster": roster, "overrides": overrides}
    for key in chosen:
        last = files.get(key) if isinstance(files, dict) else None
        if chosen[key] is None and getattr(config, key) is None and isinstance(last, str) \
                and Path(last).is_file():
            chosen[key] = Path(last)
            kept.append(f"{key}: {last}, as the last run of {out} (give --{key} to use another "
                        "file)")
    return chosen["roster"], chosen["overrides"], kept


def _shortened(line: str, most: int = 400) -> str:
    """A summary line about a file, at most `most` characters: a zip's entry name can be 64 KB
    (red team 66's filled the terminal), and its start says which entry it is."""
    return line if len(line) <= most else f"{line[:most - 30]}… ({len(line):,} characters)"


def _clipped(reason: str, most: int = 200) -> str:
    """A row's reason in the summary: whole up to `most` characters, else cut at a word with
    "…" (an ops review read "if this is the one to ma"; the row's page has all of it)."""
    if len(reason) <= most:
        return reason
    cut = reason[:most].rsplit(" ", 1)[0].rstrip(" ,;:(")
    return f"{cut} …"


def _ids(ids: list[str], shown: int = 20) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grading_code(lab: Lab) -> str:
    """The engine version with a digest of everything that decides a grade besides the
    notebook and the config: the lab's hidden checks, reference, answers and worker modules,
    and the engine's grading modules (`ENGINE_GRADING`). Once per batch (~1 ms a file)."""
    package = Path(autograder.__file__).resolve().parent
    files = [(f"lab/{p.relative_to(lab.root).as_posix()}", p)
             for p in _files(lab.checks, lab.reference, lab.answers, *lab.worker_modules)
             if p.is_relative_to(lab.root)]
    files += [(f"engine/{p.relative_to(package).as_posix()}", p)
              for p in _files(*(package / part for part in ENGINE_GRADING))]
    digest = hashlib.sha256()
    for name, path in sorted(files):
        digest.update(f"{name}\0{_sha(path)}\n".encode())
    return f"{autograder.__version__}+{digest.hexdigest()[:16]}"


def _files(*paths: Path) -> Iterator[Path]:
    """The files at or under `paths` (no caches), those that exist."""
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                        and p.suffix not in (".pyc", ".pyo"))


def _known_student(out: Path, course: Course) -> Callable[[str], bool]:
    """Whether an id is a student's the course knows: on the roster, or with a row in `out`."""
    def known(sid: str) -> bool:
        if course.roster is not None and course.roster.match(sid, lms_named=False) is not None:
            return True
        try:
            return results_path(out, sid).is_file()
        except (OSError, ValueError):
            return False
    return known


def _earlier(out: Path, found: Found) -> SubmissionResult | None:
    """The result an earlier run wrote for `found`'s id (None: none, or unreadable)."""
    path = results_path(out, found.submission_id)
    if not path.exists():
        return None
    try:
        return read_results(path)
    except (ValueError, KeyError, OSError):
        return None


def _up_to_date(out: Path, found: Found, config_sha: str, engine: str,
                previous: SubmissionResult | None = None,
                sha: str | None = None) -> tuple[SubmissionResult | None, str]:
    """(the result to reuse, or None; what alone made it stale, for the summary to say:
    `CODE_CHANGED`, `CONFIG_CHANGED`, or ""). `previous`: the earlier result, already read
    (`_earlier`); `sha`: the notebook's, if known."""
    previous = previous or _earlier(out, found)
    if previous is None:
        return None, ""
    if previous.reason.startswith(INTERNAL_ERROR) or previous.status is Status.MISSING:
        return None, ""  # the grader failed, not the submission (or no notebook then)
    if previous.source_sha256 != (sha or _sha(found.path)):
        return None, ""
    if previous.config_sha256 != config_sha:
        return None, CONFIG_CHANGED
    if previous.trace.engine_version != engine:
        return None, CODE_CHANGED
    return previous, ""


CODE_CHANGED, CONFIG_CHANGED = "code", "config"


def _same_problem(previous: SubmissionResult | None, found: Found) -> str:
    """When an earlier run found the same problem in the same upload (its `graded_at`;
    "" if none did): a row made again unchanged keeps when it was first made."""
    if (previous is None or previous.status is not Status.INVALID
            or previous.reason != found.problem or previous.trace.source != found.origin):
        return ""
    return previous.trace.graded_at


def _replaced(previous: SubmissionResult | None, found: Found, sha: str | None = None) -> str:
    """What is said when this run grades `found` over a row an earlier run graded from
    another file (`previous`; "" when it came from the same one, or there was none): a row
    that changes hands is never replaced in silence (red team 20: a notebook in one
    student's folder graded into the class's results replaced another student's row, and
    the run said nothing). The same file is the same bytes (`sha`: `found`'s, if known), or
    the same file id of the LMS (Canvas's): not the same path, which a fresh download of the
    same class changes for every row (ops 22: ten false `replaced:` lines hid three real)."""
    if previous is None:
        return ""
    before = previous.trace.source
    if previous.status is Status.MISSING or not before or before == found.origin:
        return ""
    if found.attempt and found.attempt == previous.trace.attempt:
        return ""  # the LMS's own id of the file: the one graded before
    if previous.source_sha256 and previous.source_sha256 == (sha or _sha_or_none(found.path)):
        return ""
    return (f"{found.submission_id}: graded earlier from {before}, now from {found.origin} "
            "(check this file is theirs)")


def _newer_attempt(previous: SubmissionResult | None, found: Found, config_sha: str,
                   engine: str) -> str:
    """What is said when the row stays as an earlier run graded it from a newer upload than
    `found` (the LMS's own number of the file, Canvas's file id, is higher), up to date with
    this config and grading code; "" otherwise. Why: an instructor's review graded a
    student's fixed notebook, named as Canvas names its files, then ran the night's download
    again: the older file took the row back (invalid, 0), said by one `replaced:` line among
    many."""
    if previous is None or not found.attempt or previous.trace.attempt <= found.attempt \
            or previous.status is Status.MISSING or previous.trace.source == found.origin \
            or previous.config_sha256 != config_sha or previous.trace.engine_version != engine:
        return ""
    return (f"{found.origin}: an older upload (the LMS's file {found.attempt}) than the one "
            f"{found.submission_id}'s row was graded from, {previous.trace.source} (file "
            f"{previous.trace.attempt}): the row is kept")


def _sha_or_none(path: Path) -> str | None:
    try:
        return _sha(path)
    except OSError:
        return None


def _require_writable(out: Path) -> None:
    """InputError before anything is graded if a file the run writes at the end cannot be
    written: a folder in its place (a student's results from before those names were
    reserved for the run's own files)."""
    blocked = [name for name in TOP_FILES if (out / name).is_dir()]
    if blocked:
        raise InputError(f"--out {out} holds a folder named {', '.join(blocked)}, where this "
                         "run writes a file of its own: move that folder out of --out and run "
                         "again")


def _remove_partial(out: Path) -> None:
    """Temporary files of an atomic write that a killed run never renamed (report/atomic.py):
    in `out`, each result's folder and each instructor page's folder."""
    def folders(parent: Path) -> list[Path]:
        return [p for p in parent.iterdir()
                if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]

    pages = out / INSTRUCTOR_PAGES
    for folder in (out, *folders(out), *(folders(pages) if pages.is_dir() else [])):
        for tmp in folder.glob(".*"):
            if is_leftover(tmp, WRITTEN):
                tmp.unlink(missing_ok=True)


# A judge learns its plan of calls (`Grader.rehearse`: two gradings of the lab's solution)
# where it has at least this many notebooks to grade: a correct notebook whose calls are sent
# ahead costs about half of one whose calls go one by one.
REHEARSE_FROM = 3
# The judge's own stages have no limit of their own (reading, comparing, scoring, writing: all
# bounded by what a notebook can make them do, not by a clock). A judge still on one
# submission this long after its submission's total limit is stopped by the batch, and that
# row alone is charged (`_Watch`): a C-level hang in the judge (red team 66's malformed
# notebook held one for 11 minutes) costs one row its time limit, not the batch its night.
JUDGE_GRACE_S = 60.0
WATCH_S = 1.0  # how often the batch looks at its judges' clocks


def _init_judge(socket_path: str, hide: list[str], config_path: str, judges: Any,
                lab: Lab, batch: int, watch: _Watch | None = None,
                rehearse: bool = False) -> None:
    from autograder.grader import Grader
    from autograder.sandbox.client import ZygoteConnection

    die_with_parent(batch)  # a judge outliving its batch would grade on into --out

    config_text = Path(config_path).read_text(encoding="utf-8")
    with judges.get_lock():  # this judge's number, 0 .. workers - 1
        index = judges.value
        judges.value += 1
    _pin_judge(index)
    connection = ZygoteConnection(socket_path, hide)
    grader = Grader(load_config(Path(config_path)), config_text, connection, lab)
    grader.settle(rehearse)
    _JUDGE["grader"] = grader
    if watch is not None:
        watch.pids[index] = os.getpid()
        _JUDGE["slot"] = (watch, index)


def _pin_judge(index: int) -> None:
    """Judge k runs on CPU k (mod the CPUs we may use), and so do its workers: a judge and
    its worker take turns (one waits while the other runs), so on one CPU each wake-up is
    local and caches stay warm, instead of every call bouncing between CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[index % len(cpus)]})


def _judge(found: Found, out: str, engine: str, position: int = -1) -> dict[str, object]:
    from autograder.grader import Grader

    grader = _JUDGE["grader"]
    assert isinstance(grader, Grader)
    slot: Any = _JUDGE.get("slot", (None, 0))
    watch, index = slot
    if watch is not None:  # (what this judge holds and since when, read by the batch)
        watch.start(index, position)
    try:
        result = grader.grade(found.path, found.submission_id,
                              _PREPARED.pop(found.submission_id, None), student=found.student)
        _stamp(result, engine)
        write_results(result, results_path(Path(out), found.submission_id))
    finally:
        if watch is not None:
            watch.done(index)
    return result.to_gradescope()


class _Watch:
    """A pool's judges as the batch sees them, in memory shared with them: each judge's pid,
    the position in the batch of the submission it is grading (-1: none) and when it began
    (`time.monotonic`, the same clock in every process).

    Why: a judge that dies is seen by the pool (`BrokenProcessPool`) and the batch knows from
    `grading` which rows were in its hands; a judge that hangs is seen by nobody. `overdue`
    names those past `limit` and kills them (the pool breaks, as for a death)."""

    def __init__(self, context: Any, judges: int, limit: float) -> None:
        self.grading = context.Array("i", [-1] * judges, lock=False)
        self.since = context.Array("d", [0.0] * judges, lock=False)
        self.pids = context.Array("i", [0] * judges, lock=False)
        self.limit = limit

    def start(self, index: int, position: int) -> None:
        self.grading[index] = position
        self.since[index] = time.monotonic()

    def done(self, index: int) -> None:
        self.since[index] = 0.0
        self.grading[index] = -1

    def held(self) -> set[int]:
        return {i for i in self.grading if i >= 0}

    def overdue(self, stopped: set[int]) -> None:
        """Kill each judge past its limit, the position it held added to `stopped` first (the
        pool fails that row's future as soon as the judge is gone)."""
        now = time.monotonic()
        for index in range(len(self.since)):
            # (read around its clock: a judge that moved on meanwhile is looked at next time)
            position, began, pid = self.grading[index], self.since[index], self.pids[index]
            if (began <= 0 or now - began <= self.limit or position < 0 or pid <= 0
                    or self.grading[index] != position):
                continue
            stopped.add(position)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    @contextlib.contextmanager
    def watching(self, stopped: set[int]) -> Iterator[None]:
        """`overdue` every `WATCH_S` in a thread of the batch's process, while the block runs."""
        halt = threading.Event()

        def watch() -> None:
            while not halt.wait(WATCH_S):
                self.overdue(stopped)

        thread = threading.Thread(target=watch, name="judge-watch", daemon=True)
        thread.start()
        try:
            yield
        finally:
            halt.set()
            thread.join()


def _stamp(result: SubmissionResult, engine: str, graded_at: str = "") -> None:
    """Record what graded `result` (`grading_code`): the key a later run reuses it by; and
    when (`graded_at`, else now), written with the result itself: a run killed before its
    end leaves results that say when they were graded, and the run that resumes keeps it."""
    result.trace = dataclasses.replace(
        result.trace, engine_version=engine,
        graded_at=graded_at or datetime.now(UTC).isoformat(timespec="seconds"))


# Deny by default: without a private root a worker sees the host's files as its uid can
# (an outside red team's notebook, on a host where Python lived under a 0700 /root, ran as
# root on the host's filesystem: it read solutions/answers.json and rewrote a classmate's
# notebook before it was graded). Refused unless the caller says the host is trusted to
# hide them otherwise (Gradescope's runner makes the hidden files root-only and drops the
# workers' uid) or the instructor asks for it knowingly.
ALLOW_UNCONFINED = "AUTOGRADER_ALLOW_UNCONFINED"
UNCONFINED = (
    "this host gives the sandbox's workers no private root (mount and PID namespaces: the "
    "'sandbox:' lines above say what is missing), so a student's code would see the host's "
    "files as the workers' uid can: the hidden checks, the solutions, other submissions. "
    "Nothing was graded. Run the grader as root on a host (or in a container) that allows "
    "namespaces; to grade here anyway, trusting the notebooks, pass --allow-unconfined (or "
    f"set {ALLOW_UNCONFINED}=1)")


# ... and never as root: allowed unconfined, a worker that could not drop to an unprivileged
# uid would run the student's code as root on the host (red team 64: a Python installation
# under a 0700 /root, which no other uid can read, kept the workers at uid 0 — they read
# the solutions, scored full marks with no code and rewrote a classmate's notebook; the
# Gradescope runner allows unconfined grading as root, trusting the uid drop). Refused
# whatever the caller allows.
UNCONFINED_ROOT = (
    "this host gives the sandbox's workers no private root and they cannot drop to an "
    "unprivileged uid (one cannot read the Python installation: "
    f"{sys.base_prefix}), so a student's code would run as root on the host. Nothing was "
    "graded. Make the installation readable by every user (chmod -R o+rX on it and the "
    "folders above it), or run the grader on a host (or in a container) that allows "
    "namespaces")


def _stop_judges(executor: ProcessPoolExecutor) -> None:
    """Ctrl-C: every judge killed now and nothing more handed out, so that nothing goes on
    writing into the output folder once the run says it stopped (an ops review: leaving the
    pool, Python waited for every submission already queued, and the judges, which take a
    KeyboardInterrupt as a failed task and go on to the next, wrote a dozen more rows in the
    next 14 s). A row a judge was writing is whole or absent (atomic writes); the next run
    grades what is missing."""
    for process in list(getattr(executor, "_processes", None) or {}):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process, signal.SIGKILL)
    executor.shutdown(wait=False, cancel_futures=True)


def grade_batch(inputs: list[Path], out: Path, config_path: Path, workers: int | None = None,
                regrade: bool = False, progress: bool = True, limits: Limits | None = None,
                lab: Lab | None = None, roster: Path | None = None,
                overrides: Path | None = None, instructor_pages: bool = False,
                allow_unconfined: bool = False) -> Summary:
    """Grade `inputs` for `lab` (default: the folder holding the config when it is a lab
    folder, else the current directory; see `Lab.locate`). `allow_unconfined`: grade even
    where workers get no private root (see `UNCONFINED`; refused otherwise)."""
    started = time.monotonic()
    lab = lab or Lab.locate(config=config_path)
    config = load_config(config_path)
    try:
        validate(list(config.tests), lab.checks)
    except SuiteError as exc:
        raise ConfigError(str(exc)) from exc
    config_sha = grading_sha256(config)
    roster, overrides, kept = _as_last_run(out, config, roster, overrides)
    course = load_course(config, config_path, roster, overrides)  # its errors: before any output
    engine = grading_code(lab)
    out.mkdir(parents=True, exist_ok=True)
    with holding(out):
        _require_writable(out)
        _remove_partial(out)
        with unpacking(out) as unpack_dir:  # under `out`: hidden from workers like the results
            discovery = discover(inputs, unpack_dir, limits, config.assignment,
                                 known=_known_student(out, course),
                                 canvas_keys=[s.key for s in course.roster.students
                                              if s.canvas_id] if course.roster else ())
            require_submissions(discovery, inputs)
            summary = _grade_found(inputs, out, config, config_path, config_sha,
                                   discovery, workers, regrade, progress,
                                   lab, engine, allow_unconfined)
            summary.results, summary.record = finish(
                summary.results, discovery, course, inputs, config_path, config_sha, out,
                list(config.tests), instructor_pages, engine=engine,
                checks_changed=summary.checks_changed)
    summary.seconds = time.monotonic() - started
    summary.files_kept = kept
    return summary


def _grade_found(inputs: list[Path], out: Path, config: GradingConfig, config_path: Path,
                 config_sha: str, discovery: Discovery, workers: int | None, regrade: bool,
                 progress: bool, lab: Lab, engine: str,
                 allow_unconfined: bool = False) -> Summary:
    summary = Summary(out=out, discovery=discovery, engine=engine)
    done: dict[str, SubmissionResult] = {}
    todo: list[Found] = []
    superseded: list[Found] = []  # older uploads than the row's (`_newer_attempt`)
    for found in summary.discovery.submissions:
        if found.problem:  # nothing to grade in that upload: its row says why
            result = unscored(found.submission_id, config, Status.INVALID, found.problem)
            result.trace = dataclasses.replace(result.trace, source=found.origin,
                                               attempt=found.attempt)
            _stamp(result, engine, _same_problem(_earlier(out, found), found))
            write_results(result, results_path(out, found.submission_id))
            done[found.submission_id] = result
            continue
        earlier = _earlier(out, found)
        newer = _newer_attempt(earlier, found, config_sha, engine)
        if newer:  # (the row: kept from the earlier run as it is, by `finish`)
            superseded.append(found)
            summary.discovery.skipped.append(newer)
            continue
        sha = _sha_or_none(found.path) if earlier is not None else None
        reuse, changed = (None, "") if regrade else _up_to_date(out, found, config_sha,
                                                                engine, earlier, sha)
        if reuse is not None:
            done[found.submission_id] = reuse
        else:
            todo.append(found)
            if changed == CODE_CHANGED:
                summary.checks_changed.append(found.submission_id)
            elif changed == CONFIG_CHANGED:
                summary.config_changed.append(found.submission_id)
            replaced = _replaced(earlier, found, sha)
            if replaced:
                summary.replaced.append(replaced)
    summary.discovery.submissions = [f for f in summary.discovery.submissions
                                     if not any(f is older for older in superseded)]
    summary.reused = sum(1 for found in summary.discovery.submissions
                         if not found.problem and found.submission_id in done)
    if todo:
        from autograder.grader import hidden_paths

        hide = hidden_paths([out.resolve(), *{f.path.resolve().parent for f in todo},
                             *(p.resolve() for p in inputs)], lab)
        # Judges are forked from this process: torch exercised here once, while the zygote
        # starts, is torch warm in every judge (each would otherwise pay ~2 s on its first
        # submission: lazy imports behind SGD, autograd and gradcheck).
        # (a caller that froze its own objects keeps them frozen, and ours with them)
        thaw = gc.get_freeze_count() == 0
        try:
            with Zygote([Path(h) for h in hide], overlap=_warm_up,
                        worker_modules=lab.worker_modules,
                        idle=lambda ready: _while_zygote_starts(todo, config, ready),
                        huge_pages=len(todo) >= HUGE_PAGES_FROM) as zygote:
                summary.sandbox_warnings = zygote.info.warnings
                for warning in zygote.info.warnings:
                    print(f"sandbox: {warning}", file=sys.stderr)
                if not zygote.info.mount_namespace and not (
                        allow_unconfined or os.environ.get(ALLOW_UNCONFINED) == "1"):
                    raise InputError(UNCONFINED)
                if not zygote.info.mount_namespace and not zygote.info.drop_privileges \
                        and os.geteuid() == 0:
                    raise InputError(UNCONFINED_ROOT)
                for result in _run(todo, out, config_path, zygote, hide, workers, progress,
                                   lab, engine):
                    done[result.submission_id] = result
                    summary.graded_now += 1
        finally:
            if thaw:
                gc.unfreeze()  # (frozen for the judges: `_while_zygote_starts`)
    summary.results = [done[f.submission_id] for f in summary.discovery.submissions]
    return summary  # the course, gradebook, dashboard: batch/finish.py


def _warm_up() -> None:
    """`warm_up` in this process (see `_grade_found`) with the collector off meanwhile: its
    collections would rescan everything the imports add (~0.4 s); `_while_zygote_starts`
    collects once right after, and the time saved goes to reading notebooks."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        warm_up()
    finally:
        if enabled:
            gc.enable()


def _while_zygote_starts(todo: list[Found], config: GradingConfig,
                         ready: Callable[[], bool]) -> None:
    """What judges forked from this process would each do first, done once here. What is
    alive now (torch warmed, the lab) is collected and frozen, so that a judge's own
    collection before its first submission (`Grader.settle`) scans only what it adds
    (~0.3 s less on each judge's start; `_grade_found` unfreezes it when the batch ends);
    then the notebooks are read (`_prepare`)."""
    gc.collect()
    gc.freeze()
    _prepare(todo, config, ready)


def _prepare(todo: list[Found], config: GradingConfig, ready: Callable[[], bool]) -> None:
    """Read the notebooks to grade, in order, until the zygote is ready (see `_PREPARED`).
    One that cannot be read is left to its judge, which reads it again and says why."""
    _PREPARED.clear()
    for found in todo:
        if ready():
            return
        with contextlib.suppress(InvalidNotebook, OSError):
            _PREPARED[found.submission_id] = read_submission(
                found.path, found.submission_id, config.limits.max_notebook_mb,
                config.limits.max_code_cells, config.limits.max_code_kb)


def _run(todo: list[Found], out: Path, config_path: Path, zygote: Zygote, hide: list[str],
         workers: int | None, progress: bool, lab: Lab, engine: str) -> list[SubmissionResult]:
    from tqdm import tqdm

    config = load_config(config_path)
    count = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    bar = tqdm(total=len(todo), unit="nb", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    failures = 0
    results: list[SubmissionResult] = []

    def record(result: SubmissionResult) -> None:
        nonlocal failures
        results.append(result)
        failures += result.status is not Status.GRADED
        bar.set_postfix_str(f"not graded: {failures}")
        bar.update()

    def charged(found: Found, status: Status, reason: str) -> SubmissionResult:
        result = unscored(found.submission_id, config, status, reason)
        _stamp(result, engine)
        write_results(result, results_path(out, found.submission_id))
        return result

    def crashed(found: Found, why: str) -> SubmissionResult:
        return charged(found, Status.CRASHED, f"{INTERNAL_ERROR}: {why}"[:300])

    def timed_out(found: Found) -> SubmissionResult:
        return charged(found, Status.TIMEOUT,
                       "grading this notebook ran past its time limit "
                       f"({config.limits.submission_timeout_s:g} s, and {JUDGE_GRACE_S:g} s "
                       "more for the grader's own work) and was stopped; nothing of it was "
                       "graded")

    def pool(batch: list[Found], judges: int) -> tuple[list[Found], list[Found]]:
        """Grade `batch` with `judges` judges; when one dies (its process killed: the pool
        is then broken and fails every pending submission), the submissions not graded and,
        of them, those a judge was grading then. A judge past its limit (`_Watch`) is killed
        and the row it held charged as a timeout here: not graded again."""
        context = multiprocessing.get_context("fork")
        watch = _Watch(context, judges, config.limits.submission_timeout_s + JUDGE_GRACE_S)
        unfinished: list[Found] = []
        stopped: set[int] = set()
        with ProcessPoolExecutor(judges, mp_context=context, initializer=_init_judge,
                                 initargs=(zygote.socket_path, hide, str(config_path),
                                           context.Value("i", 0), lab, os.getpid(),
                                           watch, len(batch) >= REHEARSE_FROM * judges)) \
                as executor:
            futures: dict[Future[dict[str, object]], int] = {
                executor.submit(_judge, found, str(out), engine, i): i
                for i, found in enumerate(batch)}
            try:
                with watch.watching(stopped):
                    for future in as_completed(futures):
                        found = batch[futures[future]]
                        try:
                            record(SubmissionResult.from_gradescope(future.result()))  # type: ignore[arg-type]
                        except BrokenProcessPool:
                            if futures[future] in stopped:
                                record(timed_out(found))
                            else:
                                unfinished.append(found)
                        except Exception as exc:  # the judge could not send its result back
                            record(crashed(found, f"{type(exc).__name__}: {exc}"))
            except KeyboardInterrupt:
                _stop_judges(executor)
                raise
        held = {batch[i].submission_id for i in watch.held() - stopped if i < len(batch)}
        return unfinished, [f for f in unfinished if f.submission_id in held]

    # One judge's death (a grading process killed, for memory or by a crash outside any
    # sandbox) must not cost the other submissions their rows: those it left pending are
    # graded again in a fresh pool; each one a judge was grading then is graded alone, and
    # charged only if it kills its judge there too (an outside red team's notebook that took
    # a judge's memory crashed two honest rows with it).
    remaining, idle_deaths = list(todo), 0
    while remaining:
        unfinished, suspects = pool(remaining, min(count, len(remaining)))
        for found in suspects:
            if pool([found], 1)[0]:
                record(crashed(found, "the grading process was killed while it graded this "
                                      "notebook, alone as well (out of memory, or a crash "
                                      "outside the sandbox)"))
        # A pool that recorded a row (one a judge finished, or one the watch stopped past its
        # limit) went forward: only deaths with none between them count (red team 71: three
        # notebooks each stopped by the watch, one judge, and every row after them was
        # charged "kept being killed")
        progressed = suspects or len(unfinished) < len(remaining)
        remaining = [f for f in unfinished if f not in suspects]
        idle_deaths = 0 if progressed else idle_deaths + 1  # (a judge killed between rows)
        if remaining and idle_deaths >= 3:  # killed from outside, again and again
            for found in remaining:
                record(crashed(found, "the grading processes kept being killed"))
            break
    bar.close()
    return results
