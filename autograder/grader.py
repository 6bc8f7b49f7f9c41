"""Grade one submission end to end: load → sandbox → check → score.

A `Grader` is built once per process that judges (it loads the config, the
reference and the hidden suite); the zygote it uses is started before any of
that, by whoever owns the run, so workers never inherit them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import time
from pathlib import Path

import torch

from autograder.check import tamper
from autograder.check.context import CheckContext, Reference
from autograder.check.plugin import Verdict
from autograder.check.runner import DirectRunner, SuiteRunner, runner_for
from autograder.check.static import SourceFacts
from autograder.config import GradingConfig, grading_sha256
from autograder.lab import Lab
from autograder.load.notebook import InvalidNotebook, Submission, read_submission, sha256_of
from autograder.sandbox.client import SandboxError, ZygoteConnection
from autograder.sandbox.limits import expand_hidden
from autograder.sandbox.session import CallPlans, OutOfTime, StudentSession
from autograder.score.results import (
    INTERNAL_ERROR,
    TAMPERING,
    CellIssue,
    Status,
    SubmissionResult,
)
from autograder.score.scoring import score, unscored

# Failed cells named one by one in a submission's feedback (beyond them, only the cells that
# were skipped or would have defined a name; the rest are counted).
LISTED_CELLS = 20


def hidden_paths(extra: list[Path], lab: Lab | None = None) -> list[str]:
    """What a worker must not see: the lab's hidden paths (`Lab.hidden_paths`: reference,
    checks, selftest library, tests), results, other students."""
    base = (lab or Lab.load()).hidden_paths()
    return expand_hidden([str(p.resolve()) for p in base + extra if p.exists()])


def hidden_secret(paths: list[Path]) -> bytes:
    """A digest of the lab's hidden files (every file under each of `paths`, by its path
    there and its bytes): the secret part of a submission's fresh key (`fresh_key`). No
    worker sees these files; any change to the checks or the reference gives other draws,
    as it may give other grades."""
    digest = hashlib.blake2b(b"fresh draws", digest_size=32)
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts) if root.is_dir() else [root]
        for path in files:
            if path.is_file():
                digest.update(str(path.relative_to(root.parent)).encode("utf-8") + b"\0")
                digest.update(path.read_bytes())
    return digest.digest()


def fresh_key(secret: bytes, sha256: str, salt: str = "") -> bytes:
    """The key of one submission's fresh draws (`check.fresh`): its bytes' digest and
    the lab's hidden files' (`hidden_secret`). The same file graded again draws the same
    inputs (a regrade, a resumed batch, two students' identical notebooks); `salt` tells
    apart gradings of one file that must not (the two rehearsals: `Grader.rehearse`)."""
    return hashlib.blake2b(f"{sha256}\0{salt}".encode(), key=secret).digest()


class Grader:
    def __init__(self, config: GradingConfig, config_text: str,
                 connection: ZygoteConnection, lab: Lab | None = None,
                 suite: Path | None = None) -> None:
        """`suite` narrows the lab's hidden checks to another package of them (tests)."""
        lab = lab or Lab.load()
        self.config = config
        self.config_sha256 = grading_sha256(config)  # (`config_text`: what it was read from)
        self.connection = connection
        self.reference = Reference.load(lab.solutions)
        self.suite = suite or lab.checks
        self.secret = hidden_secret([self.suite, lab.reference, lab.answers])
        self._runner: DirectRunner | SuiteRunner | None = None  # made for the first submission
        self.lab = lab
        # What each check calls on the lab's own solution, sent ahead to every worker: learned
        # by `rehearse` alone, frozen otherwise (empty: every call asked when its check runs)
        self.plans = CallPlans(frozen=True)
        self.graded = 0  # submissions this grader has graded (from the second on: spares)
        # what the checks read: the part of each check's name before ': ' (`cell_issues`)
        self._graded_names = frozenset(name.split(": ", 1)[0] for name in config.tests)
        # The judge's tensors are tiny; thread pools only add latency (and contend with workers).
        torch.set_num_threads(1)

    def settle(self, rehearse: bool = False) -> None:
        """Before a judge's first submission: load the suite (and, `rehearse`, learn the
        plan of calls: `rehearse`), then take everything alive (torch, the suite, the
        reference) out of the garbage collector's reach. These live as long as the judge;
        without this, each full collection scanned their ~1M objects again, about a tenth of
        a judge's CPU. (Objects frozen still die by refcount.)"""
        self._checks()
        if rehearse:
            self.rehearse()
        gc.collect()
        gc.freeze()

    def rehearse(self) -> None:
        """Learn the plan of calls sent ahead (`CallPlans`) from the lab's own solution,
        graded twice as two students (a call with fresh inputs each time is then left out),
        and freeze it: the calls every correct notebook's checks make, in the order they make
        them. Why not from the students graded before: the plan was what the checks had
        called for the last two students whose check passed, and a notebook that tells a
        call sent ahead from one asked alone (the frames above it) read its classmates'
        results from it, and an outside red team's row scored 135 after two honest classmates
        and 131 after two failing ones, the same bytes. Learned from the solution, the plan
        is the lab's alone: the same for every student whoever was graded before. Costs two
        gradings per judge: a batch asks for it where its judges have several notebooks each
        (`batch.run`); a lab without a master notebook sends nothing ahead."""
        master = self.lab.master if self.lab is not None else None
        if master is None or not master.is_file():
            return
        self.plans = CallPlans()
        try:
            for student in ("rehearsal-1", "rehearsal-2"):  # (fresh draws apart: `fresh_key`)
                self._grade(master, student, None, student, salt=student)
        except Exception:  # (a judge that cannot rehearse grades all the same, sending nothing
            self.plans = CallPlans()  # ahead: a failed initializer would break its batch)
        self.plans.frozen = True

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _checks(self) -> DirectRunner | SuiteRunner:
        if self._runner is None:
            self._runner = runner_for(self.suite)
        return self._runner

    def grade(self, path: Path, submission_id: str,
              prepared: Submission | None = None, student: str = "") -> SubmissionResult:
        """Grade the notebook at `path`. `prepared`: the notebook as read already (a batch
        reads them while its zygote starts), used only if the file still holds those bytes;
        `student`: whose work it is, when not only this row's (a further notebook of a
        student, a group's member: `Found.student`)."""
        started = time.monotonic()
        source_sha256 = sha256_of(path)  # (streamed; never a blocking read of a FIFO)
        if prepared is not None and prepared.sha256 != source_sha256:
            prepared = None  # changed since it was read: graded as it is now
        result = self._grade(path, submission_id, prepared, student or submission_id)
        self.graded += 1
        result.execution_time = time.monotonic() - started
        result.config_sha256 = self.config_sha256
        result.source_sha256 = source_sha256
        return result

    def _grade(self, path: Path, submission_id: str, prepared: Submission | None,
               student: str, salt: str = "") -> SubmissionResult:
        try:
            limits = self.config.limits
            submission = prepared or read_submission(path, submission_id, limits.max_notebook_mb,
                                                     limits.max_code_cells, limits.max_code_kb)
        except InvalidNotebook as exc:
            return unscored(submission_id, self.config, Status.INVALID, str(exc))
        session = StudentSession(self.connection, submission, self.config.limits,
                                 plans=self.plans, student=student)
        try:
            session.start()
        except OutOfTime as exc:
            result = unscored(submission_id, self.config, Status.TIMEOUT,
                              "; ".join(session.incidents.timeouts + session.incidents.crashes)
                              or str(exc))
            result.cells = cell_issues(session, self._graded_names)
            return result
        if self.graded:  # a grader that graded one submission is likely to grade another
            with contextlib.suppress(SandboxError, OSError):  # (the next spawn will say)
                self.connection.prepare_spare(self.config.limits, session.extra_hidden)
        try:
            context = CheckContext(session, self.reference, SourceFacts.from_submission(submission),
                                   self.config,
                                   fresh=fresh_key(self.secret, submission.sha256, salt))
            verdicts = void_tampered(self._checks().run(context), session)
        finally:
            session.close()
        # Checks point into the notebook as the worker does ("cell 12, line 3"): say it as
        # Jupyter shows it, with the student's own line.
        verdicts = {name: dataclasses.replace(v, message=submission.relocate(v.message))
                    for name, v in verdicts.items()}
        notes = [c.fatal for c in session.cells.values() if c.fatal]
        result = score(submission_id, verdicts, self.config, session.incidents, notes)
        result.cells = cell_issues(session, self._graded_names)
        harness = [v.harness_error for v in verdicts.values() if v.harness_error]
        if harness:  # the grade is not the student's: the instructor's row to look at
            result.status = Status.CRASHED
            result.reason = f"{INTERNAL_ERROR}: a check raised: {' | '.join(harness)}"[:600]
            return result
        return crash_spared_the_checks(result)


# A check's verdict that stands for "grading stopped here", not for the student's work: a
# check the crash kept from finishing, or one that never ran.
STOPPED = frozenset({"crashed", "not-run"})


def crash_spared_the_checks(result: SubmissionResult) -> SubmissionResult:
    """`crashed` is for a crash that stopped grading. One that cost only a notebook cell
    (skipped, the notebook run again without it) left every check its own verdict: the row
    is graded, and keeps the crash as its `reason`, a note for the TA (the cell is listed
    on the student's page too)."""
    if result.status is Status.CRASHED and not any(t.mistake in STOPPED for t in result.tests):
        result.status = Status.GRADED
    return result


def void_tampered(verdicts: dict[str, Verdict], session: StudentSession) -> dict[str, Verdict]:
    """A check whose verdict rests on worker evidence of a kind it took (a recorded call or
    scenario) scores 0 with the neutral tampering verdict when the notebook changed what that
    evidence comes from anywhere in the submission (see `tamper.touched`)."""
    resting = {name: v.rests_on & session.relied.get(name, set())
               for name, v in verdicts.items()}
    if not any(resting.values()):
        return verdicts
    markers = session.findings()
    out = dict(verdicts)
    for name, kinds in resting.items():
        finding = tamper.touched(kinds, markers) if kinds else None
        if finding is not None:
            out[name] = Verdict(False, tamper.message(name.split(":", 1)[0], finding.what),
                                TAMPERING, rests_on=kinds)
    return out


def cell_issues(session: StudentSession, graded: frozenset[str] = frozenset(),
                ) -> list[CellIssue]:
    """The cells that raised or were skipped, in notebook order, as feedback shows them: the
    first `LISTED_CELLS`, and past them every skipped cell and every cell that would have
    defined a graded name (`graded`: what the checks read), the rest counted. (Every cell that
    defined any name was listed: a notebook raising one slice of a string per cell carried
    the grader's worker code out through its feedback, unbounded — red team 43.)"""
    issues: list[CellIssue] = []
    unlisted = 0
    for record in sorted(session.cells.values(), key=lambda r: r.index):
        if not (record.error or record.fatal):
            continue
        error = record.error or {}
        kind, message = error.get("type", ""), error.get("message", "").strip()
        cell = session.submission.cell(record.index)
        if len(issues) >= LISTED_CELLS and not record.fatal and not (
                cell and graded.intersection(cell.defines)):
            unlisted += 1  # listed: what was skipped, what failed to define a graded name,
            continue  # the first
        issues.append(CellIssue(
            location=record.location or f"cell {record.index}",
            error=f"{kind}: {message.splitlines()[0][:200]}" if kind and message else kind,
            line=record.line, code=record.code, fatal=record.fatal,
            defines=cell.defines if cell is not None else ()))
    if unlisted:
        issues.append(CellIssue(location=f"{unlisted} more cells",
                                error="raised too (not listed)"))
    return issues
