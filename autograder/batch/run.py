"""Grade many submissions: parallel judges, one shared zygote, resumable.

Each judge is a process forked from this one; each opens its own line to the
zygote and grades submissions one at a time. Results are written atomically
per submission, so a batch killed halfway resumes by skipping every
submission whose results.json matches the same notebook bytes and config.
Zips are unpacked into a folder of this run's own, removed when the run ends
(error or not); an upload discovery found nothing to grade in still gets its
`invalid` row, and the summary printed for the TA is made printable.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.batch.course import load_course
from autograder.batch.discover import Discovery, Found, Limits, discover, unpacking
from autograder.batch.finish import finish
from autograder.batch.inputs import require_submissions
from autograder.check.runner import SuiteError, validate
from autograder.config import ConfigError, GradingConfig, load_config
from autograder.lab import Lab
from autograder.load.notebook import InvalidNotebook, Submission, read_submission
from autograder.report.batch_record import BatchRecord, course_lines
from autograder.report.gradescope import read_results, results_path, write_results
from autograder.report.sanitize import printable
from autograder.sandbox.client import Zygote
from autograder.sandbox.zygote import warm_up
from autograder.score.results import Status, SubmissionResult
from autograder.score.scoring import unscored

_JUDGE: dict[str, object] = {}
# Notebooks read and parsed by the batch's own process while the zygote starts (it would
# otherwise wait idle), by submission id: the judges, forked after, inherit them.
_PREPARED: dict[str, Submission] = {}
INTERNAL_ERROR = "internal grader error"
# From this many submissions on, the zygote's memory goes to huge pages before its first fork:
# ~0.5 s once against ~12 ms less a worker (`sandbox/hugepages.py`), so not for one notebook.
HUGE_PAGES_FROM = 40
PARTIAL = re.compile(r"^\.(results\.json|feedback\.html|gradebook\.csv|index\.html)\.[^.]+$")


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

    def describe(self) -> str:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status.value] = counts.get(result.status.value, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        lines = [f"{len(self.results)} submissions ({parts}); graded {self.graded_now} now, "
                 f"{self.reused} up to date, in {self.seconds:.1f} s"]
        lines += [f"  {r.status.value}: {r.submission_id}: {r.reason[:200]}"
                  for r in self.results if r.status is not Status.GRADED]
        lines += [f"  skipped: {s}" for s in self.discovery.skipped]
        lines += [f"  duplicate: {d}" for d in self.discovery.duplicates]
        lines += course_lines(self.record) if self.record is not None else []
        lines.append(f"gradebook: {self.out / 'gradebook.csv'}")
        if (self.out / "index.html").exists():
            lines.append(f"dashboard: {self.out / 'index.html'}")
        return "\n".join(printable(line) for line in lines)  # names students chose: no ESC, BEL, CR


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _up_to_date(out: Path, found: Found, config_sha: str) -> SubmissionResult | None:
    path = results_path(out, found.submission_id)
    if not path.exists():
        return None
    try:
        previous = read_results(path)
    except (ValueError, KeyError, OSError):
        return None
    if previous.reason.startswith(INTERNAL_ERROR):
        return None  # the grader failed, not the submission: try again
    if previous.source_sha256 == _sha(found.path) and previous.config_sha256 == config_sha:
        return previous
    return None


def _remove_partial(out: Path) -> None:
    """Temporary files of an atomic write that a killed run never renamed (report/atomic.py)."""
    for folder in (out, *(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))):
        for tmp in folder.glob(".*.*"):
            if tmp.is_file() and PARTIAL.match(tmp.name):
                tmp.unlink(missing_ok=True)


def _init_judge(socket_path: str, hide: list[str], config_path: str, judges: Any,
                lab: Lab) -> None:
    from autograder.grader import Grader
    from autograder.sandbox.client import ZygoteConnection

    config_text = Path(config_path).read_text(encoding="utf-8")
    with judges.get_lock():  # this judge's number, 0 .. workers - 1
        index = judges.value
        judges.value += 1
    _pin_judge(index)
    connection = ZygoteConnection(socket_path, hide)
    grader = Grader(load_config(Path(config_path)), config_text, connection, lab)
    grader.settle()
    _JUDGE["grader"] = grader


def _pin_judge(index: int) -> None:
    """Judge k runs on CPU k (mod the CPUs we may use), and so do its workers: a judge and
    its worker take turns (one waits while the other runs), so on one CPU each wake-up is
    local and caches stay warm, instead of every call bouncing between CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[index % len(cpus)]})


def _judge(found: Found, out: str) -> dict[str, object]:
    from autograder.grader import Grader

    grader = _JUDGE["grader"]
    assert isinstance(grader, Grader)
    result = grader.grade(found.path, found.submission_id,
                          _PREPARED.pop(found.submission_id, None))
    write_results(result, results_path(Path(out), found.submission_id))
    return result.to_gradescope()


def grade_batch(inputs: list[Path], out: Path, config_path: Path, workers: int | None = None,
                regrade: bool = False, progress: bool = True, limits: Limits | None = None,
                lab: Lab | None = None, roster: Path | None = None,
                overrides: Path | None = None, instructor_pages: bool = False) -> Summary:
    """Grade `inputs` for `lab` (default: the folder holding the config when it is a lab
    folder, else the current directory; see `Lab.locate`)."""
    started = time.monotonic()
    lab = lab or Lab.locate(config=config_path)
    config = load_config(config_path)
    try:
        validate(list(config.tests), lab.checks)
    except SuiteError as exc:
        raise ConfigError(str(exc)) from exc
    config_sha = hashlib.sha256(config_path.read_text(encoding="utf-8").encode()).hexdigest()
    course = load_course(config, config_path, roster, overrides)  # its errors: before any output
    out.mkdir(parents=True, exist_ok=True)
    _remove_partial(out)
    with unpacking(out) as unpack_dir:  # under `out`: hidden from workers like the results
        discovery = discover(inputs, unpack_dir, limits)
        require_submissions(discovery, inputs)
        summary = _grade_found(inputs, out, config, config_path, config_sha,
                               discovery, workers, regrade, progress,
                               lab)
        summary.results, summary.record = finish(summary.results, discovery, course, inputs,
                                                 config_path, config_sha, out, list(config.tests),
                                                 instructor_pages)
    summary.seconds = time.monotonic() - started
    return summary


def _grade_found(inputs: list[Path], out: Path, config: GradingConfig, config_path: Path,
                 config_sha: str, discovery: Discovery, workers: int | None, regrade: bool,
                 progress: bool, lab: Lab) -> Summary:
    summary = Summary(out=out, discovery=discovery)
    done: dict[str, SubmissionResult] = {}
    todo: list[Found] = []
    for found in summary.discovery.submissions:
        if found.problem:  # nothing to grade in that upload: its row says why
            result = unscored(found.submission_id, config, Status.INVALID, found.problem)
            write_results(result, results_path(out, found.submission_id))
            done[found.submission_id] = result
            continue
        previous = None if regrade else _up_to_date(out, found, config_sha)
        if previous is not None:
            done[found.submission_id] = previous
        else:
            todo.append(found)
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
                for result in _run(todo, out, config_path, zygote, hide, workers, progress,
                                   lab):
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
                found.path, found.submission_id, config.limits.max_notebook_mb)


def _run(todo: list[Found], out: Path, config_path: Path, zygote: Zygote, hide: list[str],
         workers: int | None, progress: bool, lab: Lab) -> list[SubmissionResult]:
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

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(count, mp_context=context, initializer=_init_judge,
                             initargs=(zygote.socket_path, hide, str(config_path),
                                       context.Value("i", 0), lab)) as pool:
        futures = {pool.submit(_judge, found, str(out)): found for found in todo}
        for future in as_completed(futures):
            found = futures[future]
            try:
                result = SubmissionResult.from_gradescope(future.result())  # type: ignore[arg-type]
            except Exception as exc:  # a judge died: the submission still gets its row
                result = unscored(found.submission_id, config, Status.CRASHED,
                                  f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}"[:300])
                write_results(result, results_path(out, found.submission_id))
            record(result)
    bar.close()
    return results
