"""Prove the autograder: grade the reference, the template, every mutant and alternative.

The notebooks are built into a temporary folder and graded by the batch engine (one
zygote, parallel judges), exactly as student submissions are. The verdicts:

* the reference code and the master notebook score full marks, the template scores 0;
* every mutant loses points, and its expected check fails with a message containing the
  mutant's keyword ("caught"); any other check it fails must be declared in `also_fails`;
* every alternative implementation scores full marks;
* every generated (mechanical) mutant loses points, unless it is equivalent: it gives the
  reference's results on every one of the lab's probes, or the lab declares why
  (`<lab>_checks/generated.py`). The mutation score is killed / (generated − equivalent).
  In a lab without probes a survivor the lab has not declared is `unchecked`: a possible
  gap, failing the run as a survivor does, listed with what to do about it.

A failed check on correct code (reference, master, an alternative) or an undeclared extra
failure on a mutant is a *false positive*.
"""

from __future__ import annotations

import fnmatch
import gc
import shutil
import tempfile
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.config import ConfigError, GradingConfig, load_config
from autograder.lab import Lab
from autograder.score.results import Status, SubmissionResult
from autograder.selftest import agreement, mutate, source
from autograder.selftest.library import Alternative, Mutant, load_library, resolve_answers

BASELINES = ("reference", "master", "template")


@dataclass
class Row:
    """One graded notebook and its verdict."""

    name: str
    kind: str  # "reference", "master", "template", "mutant", "alternative" or "generated"
    mutant: Mutant | None = None
    alternative: Alternative | None = None
    generated: mutate.Generated | None = None
    verdict: mutate.Verdict | None = None  # what the lab's probes say of a generated mutant
    result: SubmissionResult | None = None
    error: str = ""  # could not be built or graded
    code: str = ""  # the module it was built from, and its answers (not for a notebook copied)
    answers: dict = field(default_factory=dict)
    # public self-checks that fail where no hidden check of their function does (`agreement`)
    contradictions: list[str] = field(default_factory=list)

    @property
    def failed(self) -> dict[str, str]:
        if self.result is None:
            return {}
        return {t.name: t.output for t in self.result.tests if not t.passed}

    @property
    def graded(self) -> bool:
        return not self.error and self.result is not None and self.result.status is Status.GRADED

    @property
    def known_gap(self) -> bool:
        item = self.mutant or self.alternative
        return bool(item and item.known_gap)

    # -------------------------------------------------------------- mutants
    @property
    def outcome(self) -> str:
        """For a mutant: caught, missed (expected check passed), no-keyword, not-graded."""
        assert self.mutant is not None
        if not self.graded:
            return "not-graded"
        assert self.result is not None
        failed = self.failed
        if self.mutant.expected_check not in failed:
            return "missed"
        if self.mutant.keyword not in failed[self.mutant.expected_check]:
            return "no-keyword"
        if self.result.score >= self.result.max_score:
            return "missed"
        return "caught"

    @property
    def killed(self) -> bool:
        """Lost points (however: a failed check, a crash, a timeout)."""
        return (not self.error and self.result is not None
                and self.result.score < self.result.max_score)

    @property
    def fate(self) -> str:
        """For a generated mutant: killed, equivalent, survived, unchecked (survived in a lab
        without probes: equivalent or a gap, nobody has said which) or not-graded."""
        if self.error or self.result is None:
            return "not-graded"
        if self.killed:
            return "killed"
        verdict = self.verdict
        if verdict is not None and (verdict.same or verdict.declared):
            return "equivalent"
        if verdict is not None and not verdict.probed:
            return "unchecked"
        return "survived"

    @property
    def unexpected(self) -> list[str]:
        """Checks failed although nothing they check is wrong: false positives."""
        if not self.graded or self.kind in ("template", "generated") or self.known_gap:
            return []
        allowed: set[str] = set()
        if self.mutant is not None:
            allowed = {self.mutant.expected_check, *self.mutant.also_fails}
        return [name for name in self.failed if name not in allowed]


@dataclass
class Report:
    checks: list[str]
    rows: list[Row]
    seconds: float = 0.0
    workers: int | None = None
    problems: list[str] = field(default_factory=list)  # build or baseline problems
    dropped: list[tuple[str, str]] = field(default_factory=list)  # variants failing the proof
    # where the lab writes EQUIVALENT and VARIANTS (shown in the hints); no probes: None
    declarations: Path | None = None
    probes: Path | None = None
    stale_declarations: list[str] = field(default_factory=list)  # EQUIVALENT names matching nothing

    def of(self, kind: str) -> list[Row]:
        return [r for r in self.rows if r.kind == kind]

    @property
    def mutants(self) -> list[Row]:
        return self.of("mutant")

    @property
    def alternatives(self) -> list[Row]:
        return self.of("alternative")

    @property
    def generated(self) -> list[Row]:
        return self.of("generated")

    def fates(self, fate: str) -> list[Row]:
        return [r for r in self.generated if r.fate == fate]

    @property
    def killed_though_equal(self) -> list[Row]:
        """Killed although equal to the reference on every probe and not declared: a
        false positive, or a probe the lab should strengthen. Listed for a human."""
        return [r for r in self.fates("killed")
                if r.verdict is not None and r.verdict.same and not r.verdict.declared]

    def mutation_score(self) -> tuple[int, int]:
        """(killed, generated − equivalent)."""
        return (len(self.fates("killed")),
                len(self.generated) - len(self.fates("equivalent")))

    def generated_line(self) -> str:
        killed, counted = self.mutation_score()
        percent = f"{100 * killed / counted:.1f} %" if counted else "n/a"
        unchecked = self.fates("unchecked")
        unprobed = f", {len(unchecked)} unchecked (no probes)" if unchecked else ""
        theirs = [r for r in self.generated if r.generated is not None and r.generated.base]
        of_alternatives = ""
        if theirs:
            alive = [r for r in theirs if r.fate != "equivalent"]
            of_alternatives = (f"; of them {len(theirs)} mutants of the alternatives: "
                               f"{sum(r.fate == 'killed' for r in alive)}/{len(alive)} killed")
        return (f"mutation score over {len(self.generated)} generated mutants: {killed}/{counted}"
                f" = {percent} ({len(self.fates('equivalent'))} equivalent, "
                f"{len(self.fates('survived'))} survived{unprobed}, "
                f"{len(self.fates('not-graded'))} not graded){of_alternatives}")

    @property
    def caught(self) -> list[Row]:
        return [r for r in self.mutants if r.outcome == "caught"]

    @property
    def known_gaps(self) -> list[Row]:
        gaps = [r for r in self.mutants if r.known_gap and r.outcome != "caught"]
        return gaps + [r for r in self.alternatives if r.known_gap and r.failed]

    @property
    def misses(self) -> list[Row]:
        """Mutants not caught (known gaps excluded)."""
        return [r for r in self.mutants if r.outcome != "caught" and not r.known_gap]

    @property
    def full_marks(self) -> list[Row]:
        return [r for r in self.alternatives if r.graded and not r.failed]

    @property
    def false_positives(self) -> list[tuple[str, str, str]]:
        """(notebook, check, message) for each check failed by correct work."""
        return [(r.name, check, r.failed[check]) for r in self.rows for check in r.unexpected]

    @property
    def contradictions(self) -> list[tuple[str, str]]:
        """(notebook, public test) for each self-check that fails where the grade of its
        function is full (`agreement`)."""
        return [(r.name, test) for r in self.rows for test in r.contradictions]

    def self_checks_line(self) -> str:
        compared = [r for r in self.rows if r.code and r.graded and not r.known_gap]
        return (f"self-checks against the grades of {len(compared)} notebooks: "
                f"{len(self.contradictions)} failing where the grade of their function is full")

    @property
    def fixed_gaps(self) -> list[Row]:
        """Marked known gaps that now pass: the mark should be removed."""
        return ([r for r in self.mutants if r.known_gap and r.outcome == "caught"]
                + [r for r in self.alternatives if r.known_gap and r.graded and not r.failed])

    def ok(self, strict: bool = False) -> bool:
        penalised_alternatives = [r for r in self.alternatives
                                  if not r.known_gap and (not r.graded or r.failed)]
        # An unchecked survivor fails the run as a survivor does: it is a gap until a check
        # kills it or a human declares why it changes nothing (or probes show it).
        return not (self.problems or self.misses or self.false_positives
                    or self.contradictions or penalised_alternatives or self.fates("survived")
                    or self.fates("unchecked") or self.fates("not-graded")
                    or (strict and (self.known_gaps or self.fixed_gaps)))

    def summary(self) -> str:
        on_mutants = sum(1 for r in self.rows if r.mutant is not None for _ in r.unexpected)
        line = (f"{len(self.caught)}/{len(self.mutants)} mutants caught, "
                f"{len(self.full_marks)}/{len(self.alternatives)} alternatives full marks, "
                f"{len(self.false_positives)} false positives")
        if on_mutants:  # (a lab author read "1 false positives" as correct work penalised)
            line += (f" ({on_mutants} of them a mutant's check its change should not reach: "
                     "# in the matrix; declare it in the mutant's also_fails if it should)")
        if self.known_gaps:
            line += f" ({len(self.known_gaps)} known gaps)"
        return line

    def variants_line(self) -> str:
        """The false-positive count over generated + hand-written alternatives."""
        generated = [r for r in self.alternatives if r.alternative and r.alternative.generated]
        penalised = [r for r in self.alternatives if not r.graded or r.failed]
        return (f"false positives over {len(generated)} generated + "
                f"{len(self.alternatives) - len(generated)} hand-written alternatives: "
                f"{len(penalised)} ({len(self.dropped)} generated variants dropped by the "
                "semantic check)")

    def render(self) -> str:
        return render(self)


# ---------------------------------------------------------------- building
def select(only: Sequence[str] | None, lab: Lab | None = None, variants: int | None = None,
           ) -> tuple[list[str], list[Mutant], list[Alternative]]:
    """The baselines, mutants and alternatives of `lab`'s library whose names match `only`
    (glob patterns); the alternatives include the lab's generated variants (`var_*`, all of
    them or the first `variants`), generated only when `only` may select one."""
    lab = lab or Lab.load()
    MUTANTS, ALTERNATIVES = load_library(lab)
    if variants != 0 and (not only or any(p.startswith(("var", "*", "?", "[")) for p in only)):
        from autograder.selftest.variants import as_alternatives, lab_corpus

        ALTERNATIVES = [*ALTERNATIVES, *as_alternatives(lab_corpus(lab), variants)]

    def wanted(name: str) -> bool:
        return not only or any(fnmatch.fnmatchcase(name, pattern) for pattern in only)

    names = [*BASELINES, *(m.name for m in MUTANTS), *(a.name for a in ALTERNATIVES)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"selftest: duplicate names in the library: {', '.join(duplicates)}")
    chosen = ([b for b in BASELINES if wanted(b)], [m for m in MUTANTS if wanted(m.name)],
              [a for a in ALTERNATIVES if wanted(a.name)])
    if only and not any(chosen) and not any(p.startswith("gen") for p in only):
        raise ConfigError(f"selftest: no baseline, mutant or alternative matches {' '.join(only)}")
    return chosen


def select_generated(only: Sequence[str] | None, lab: Lab, size: int | None,
                     ) -> list[mutate.Generated]:
    """The lab's generated mutants whose names match `only` (all, or a deterministic
    sample of `size`: a fixed seed, so a run is repeatable)."""
    if size == 0 or (only and not any(p.startswith(("gen", "*", "?", "[")) for p in only)):
        return []
    chosen = [m for m in mutate.lab_mutants(lab)
              if not only or any(fnmatch.fnmatchcase(m.name, p) for p in only)]
    return mutate.sample(chosen, size)


def select_alternative_mutants(only: Sequence[str] | None, lab: Lab, size: int | None,
                               alternatives: Sequence[Alternative],
                               ) -> tuple[list[mutate.Generated], dict[str, str]]:
    """A deterministic sample of `size` mutants of the lab's hand-written alternatives (all
    when None; none when 0), and each alternative's module (`mutate.alternative_mutants`).
    None in a lab without probes: nothing could tell an equivalent one from a gap there."""
    if size == 0 or (only and not any(p.startswith(("gen", "*", "?", "[")) for p in only)) \
            or not mutate.has_probes(lab):
        return [], {}
    found, bases = mutate.alternative_mutants(lab, alternatives)
    chosen = [m for m in found
              if not only or any(fnmatch.fnmatchcase(m.name, p) for p in only)]
    return mutate.sample(chosen, size, seed=1), bases


def validate_library(config: GradingConfig, mutants: Sequence[Mutant]) -> None:
    """Every check a mutant names must be a check of the config being graded with."""
    known = set(config.tests)
    unknown = [f"{m.name} → {name!r}" for m in mutants
               for name in (m.expected_check, *sorted(m.also_fails)) if name not in known]
    if unknown:
        raise ConfigError("selftest: the library names checks the config does not have "
                          "(renamed? use the constant its check module defines): " + "; ".join(unknown))


def build(folder: Path, baselines: Sequence[str], mutants: Sequence[Mutant],
          alternatives: Sequence[Alternative], lab: Lab | None = None,
          generated: Sequence[mutate.Generated] = (),
          ) -> tuple[list[Row], list[str]]:
    """Write one notebook per row into `folder`; rows that cannot be built carry an error."""
    lab = lab or Lab.load()
    folder.mkdir(parents=True, exist_ok=True)
    reference = source.reference_source(lab)
    answers = source.reference_answers(lab)
    rows: list[Row] = []
    problems: list[str] = []

    def write(row: Row, code: str, nb_answers: dict) -> None:
        nbformat.write(source.notebook(row.name, code, nb_answers, lab.notebook_name),
                       folder / f"{row.name}.ipynb")
        row.code, row.answers = code, dict(nb_answers)  # (its self-checks run on them)

    for name in baselines:
        row = Row(name, name)
        if name == "reference":
            write(row, reference, answers)
        else:
            original = lab.master if name == "master" else lab.template
            if not original.exists():
                row.error = f"{original} does not exist"
                problems.append(f"{name}: {row.error}")
            else:
                shutil.copyfile(original, folder / f"{name}.ipynb")
        rows.append(row)
    for mutant in mutants:
        row = Row(mutant.name, "mutant", mutant=mutant)
        try:
            code = mutant.transform(reference)
            mutant_answers = resolve_answers(mutant, answers)
            if code == reference and mutant_answers == answers:
                raise source.StaleTransform("the change leaves the reference as it was")
            compile(code, mutant.name, "exec")
            write(row, code, mutant_answers)
        except (source.StaleTransform, SyntaxError) as exc:
            row.error = f"stale mutant (update the lab's mutants.py): {exc}"
            problems.append(f"{mutant.name}: {row.error}")
        rows.append(row)
    for alternative in alternatives:
        row = Row(alternative.name, "alternative", alternative=alternative)
        try:
            code = alternative.transform(reference)
            compile(code, alternative.name, "exec")
            write(row, code, answers)
        except (source.StaleTransform, SyntaxError) as exc:
            row.error = f"stale alternative (update the lab's alternatives.py): {exc}"
            problems.append(f"{alternative.name}: {row.error}")
        rows.append(row)
    for mechanical in generated:  # compiled by the generator: nothing can go stale
        row = Row(mechanical.name, "generated", generated=mechanical)
        write(row, mechanical.source, answers)
        rows.append(row)
    return rows, problems


# ---------------------------------------------------------------- grading
def run_selftest(config_path: Path, only: Sequence[str] | None = None, workers: int | None = None,
                 out: Path | None = None, progress: bool = False, lab: Lab | None = None,
                 variants: int | None = None, generated: int | None = 0,
                 alternative_mutants: int | None = 0) -> Report:
    """Build and grade every selected notebook; `out` keeps the graded results (else a temp
    dir). `generated`: how many of the lab's mechanical mutants (None: all of them);
    `alternative_mutants`: how many mechanical mutants of its hand-written alternatives."""
    from autograder.batch.run import grade_batch

    started = time.monotonic()
    lab = lab or Lab.locate(config=config_path)
    config = load_config(config_path)
    baselines, mutants, alternatives = select(only, lab, variants)
    mechanical = select_generated(only, lab, generated)
    theirs, bases = select_alternative_mutants(
        only, lab, alternative_mutants, load_library(lab)[1])
    mechanical += theirs
    validate_library(config, mutants)
    verdicts = mutate.judge_equivalence(lab, mechanical, bases=bases) if mechanical else {}
    work = Path(tempfile.mkdtemp(prefix="autograder-selftest-"))
    try:
        submissions = work / "submissions"
        rows, problems = build(submissions, baselines, mutants, alternatives, lab, mechanical)
        for row in rows:
            if row.generated is not None:
                row.verdict = verdicts.get(row.name)
        graded_dir = out if out is not None else work / "graded"
        if any(submissions.iterdir()):
            summary = _grade(grade_batch, submissions, graded_dir, config_path, workers, progress, lab)
            by_id = {r.submission_id: r for r in summary.results}
            for row in rows:
                if not row.error:
                    row.result = by_id.get(row.name)
                    if row.result is None:
                        row.error = "not graded (the batch engine did not return it)"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _self_check_agreement(lab, rows)
    report = Report(list(config.tests), rows, workers=workers, problems=problems)
    if mechanical:
        report.declarations = lab.checks / "generated.py"
        report.probes = lab.checks / "variants.py" if mutate.has_probes(lab) else None
        report.stale_declarations = _declaration_notes(lab, report.declarations,
                                                       every=not only and generated is None)
    if any(a.generated for a in alternatives):
        from autograder.selftest.variants import lab_corpus

        report.dropped = list(lab_corpus(lab).dropped)
    report.problems += _baseline_problems(report)
    report.seconds = time.monotonic() - started
    return report


def _self_check_agreement(lab: Lab, rows: Sequence[Row]) -> None:
    """Each graded notebook built from code through the assignment's public tests: those that
    fail where no hidden check of their function failed are its `contradictions`."""
    folder = lab.assignment / "tests"
    if not folder.is_dir():
        return
    tests = agreement.public_tests(folder)
    verdicts: dict[str, bool] = {}
    for row in rows:
        if not row.code or not row.graded or row.known_gap:
            continue
        try:
            namespace = agreement.namespace_of(row.code, row.answers)
            failed = agreement.public_failures(tests, namespace, row.code, verdicts)
        except (Exception, agreement.SelfCheckTimeout):  # (its module does not run: nor
            continue  # does the notebook; a test past its limit: no verdict to compare)
        row.contradictions = agreement.contradictions(failed, row.failed)


def _declaration_notes(lab: Lab, path: Path, every: bool) -> list[str]:
    """EQUIVALENT entries that excuse nothing: without a reason, or (when every generated
    mutant was graded) naming none of them — a mutant's name is a hash of its code, so an
    edit of the reference renames it."""
    declared = mutate.declared_equivalent(lab)
    notes = [f"{path}: EQUIVALENT[{name!r}] gives no reason: it excuses nothing"
             for name, why in declared.items() if not why]
    if every:
        names = {m.name for m in mutate.lab_mutants(lab)}
        names |= {m.name for m in mutate.alternative_mutants(lab, load_library(lab)[1])[0]}
        notes += [f"{path}: EQUIVALENT names {name}, which is not generated any more (the "
                  "reference changed?): remove it" for name in declared if name not in names]
    return notes


def _grade(grade_batch, submissions: Path, out: Path, config_path: Path, workers: int | None,
           progress: bool, lab: Lab):
    # The judges are forked from this process: the hidden checks use tiny tensors, so one
    # torch thread per judge avoids thread-pool contention (workers already use one), and
    # freezing what is alive now keeps each grade's garbage collections short.
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    gc.freeze()
    try:
        return grade_batch([submissions], out, config_path, workers=workers, regrade=True,
                           progress=progress, lab=lab)
    finally:
        gc.unfreeze()
        torch.set_num_threads(threads)


def _baseline_problems(report: Report) -> list[str]:
    """Notebooks the engine did not grade, and a template that scores points."""
    problems = []
    for row in report.rows:
        if row.error or row.result is None or row.kind == "generated":  # a hang kills
            continue
        if row.result.status is not Status.GRADED:
            problems.append(f"{row.name}: not graded ({row.result.status.value}: "
                            f"{row.result.reason})")
        elif row.kind == "template" and row.result.score != 0:
            passed = [t.name for t in row.result.tests if t.passed]
            problems.append(f"template: scores {row.result.score:g}, not 0 (passes: "
                            f"{'; '.join(passed)})")
    return problems


# ---------------------------------------------------------------- report
MARKS = {
    "caught": "X", "no-keyword": "?", "missed": "!", "also": "+", "unexpected": "#",
    "passed": ".", "error": "E",
}
LEGEND = ("X caught (expected check failed, keyword in message)   ? expected check failed, "
          "keyword missing\n  ! missed (expected check passed)   + also failed (declared)   "
          "# failed unexpectedly   E not graded")


def _cells(row: Row, checks: list[str]) -> str:
    if not row.graded:
        return MARKS["error"] * len(checks)
    failed = row.failed
    cells = []
    for check in checks:
        if row.mutant is not None and check == row.mutant.expected_check:
            outcome = row.outcome
            cells.append(MARKS["caught" if outcome == "caught" else outcome])
        elif check not in failed:
            cells.append(MARKS["passed"])
        elif row.mutant is not None and check in row.mutant.also_fails:
            cells.append(MARKS["also"])
        else:
            cells.append(MARKS["unexpected"])
    return "".join(cells)


def _score(row: Row) -> str:
    if row.result is None:
        return "-"
    return f"{row.result.score:g}/{row.result.max_score:g}"


def _quiet(row: Row) -> bool:
    """A generated variant with full marks: counted, not listed row by row."""
    return bool(row.alternative and row.alternative.generated and row.graded and not row.failed)


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=108, initial_indent=indent, subsequent_indent=indent)


def render(report: Report) -> str:
    checks = report.checks
    graded = [r for r in report.rows if r.result is not None]
    n_baselines = len(report.rows) - len(report.mutants) - len(report.alternatives) \
        - len(report.generated)
    generated = f", {len(report.generated)} generated mutants" if report.generated else ""
    lines = [f"selftest: {len(report.mutants)} mutants, {len(report.alternatives)} alternatives"
             f"{generated} and {n_baselines} baselines; {len(graded)} notebooks graded in "
             f"{report.seconds:.1f} s"]
    baselines = [r for r in report.rows if r.kind in BASELINES]
    if baselines:
        lines += ["", "Baselines"]
        for row in baselines:
            want = "0" if row.kind == "template" else "full marks"
            good = row.graded and ((row.result.score == 0) if row.kind == "template"  # type: ignore[union-attr]
                                   else not row.failed)
            lines.append(f"  {'ok' if good else 'FAIL':4}  {row.name:10} {_score(row):>9}  "
                         f"(must score {want}){'  ' + row.error if row.error else ''}")
            if row.kind != "template":
                lines += [_wrap(f"{check}: {message}", "        # ")
                          for check, message in row.failed.items()]
    matrix_rows = report.mutants + report.alternatives
    if matrix_rows:
        width = max(len(r.name) for r in matrix_rows) + 2
        digits = len(str(len(checks)))
        lines += ["", "Detection matrix: one row per notebook, one column per check (numbered "
                  "below)", "  " + LEGEND]
        numbers = [str(i).rjust(digits, "0") for i in range(1, len(checks) + 1)]
        for d in range(digits):
            lines.append("  " + " " * width + "".join(n[d] for n in numbers))
        mutants = report.mutants
        alternatives = [r for r in report.alternatives if not _quiet(r)]  # generated: if failing
        for group in (mutants, alternatives):
            if group is alternatives and mutants and alternatives:
                lines.append("  " + "-" * (width + len(checks)))
            lines += [f"  {r.name:<{width}}{_cells(r, checks)}{'  known gap' if r.known_gap else ''}"
                      for r in group]
        lines += ["", "Checks"]
        lines += [f"  {str(i).rjust(digits)} {name}" for i, name in enumerate(checks, 1)]
    if report.mutants:
        number = {name: i for i, name in enumerate(checks, 1)}
        lines += ["", "Mutants: the expected check (#, as numbered above) and its message"]
        labels = {"caught": "caught", "missed": "MISSED", "no-keyword": "NO-KEYWORD",
                  "not-graded": "ERROR"}
        pad = " " * 13
        for row in report.mutants:
            mutant = row.mutant
            assert mutant is not None
            label = labels[row.outcome]
            if row.known_gap and row.outcome != "caught":
                label = "known-gap"
            lines.append(f"  {label:<10} {row.name}  {_score(row)}")
            where = f"#{number.get(mutant.expected_check, '?')}"
            if row.error:
                lines.append(_wrap(row.error, pad))
            elif mutant.expected_check not in row.failed:
                lines.append(_wrap(f"{where} passed: {mutant.expected_check}", pad))
            else:
                lines.append(_wrap(f"{where} “{row.failed[mutant.expected_check]}”", pad))
            if row.outcome == "no-keyword":
                lines.append(_wrap(f"keyword {mutant.keyword!r} is not in the message", pad))
            declared = [c for c in mutant.also_fails if c in row.failed]
            if declared:
                declared.sort(key=lambda c: number.get(c, 0))
                listed = ", ".join(f"#{number.get(c, '?')}" for c in declared)
                lines.append(_wrap(f"also fails {listed} (declared: {mutant.why})", pad))
            if row.known_gap:
                lines.append(_wrap(f"known gap: {mutant.reason}", pad))
            for check in row.unexpected:
                lines.append(_wrap(f"also failed, undeclared: #{number.get(check, '?')} {check}: "
                                   f"{row.failed[check]}", pad + "# "))
    if report.alternatives:
        lines += ["", "Alternatives (must score full marks)"]
        quiet = [r for r in report.alternatives if _quiet(r)]
        if quiet:
            lines.append(f"  full       {len(quiet)} generated variants (var_*: not listed)")
        for row in report.alternatives:
            if _quiet(row):
                continue
            if row.error or not row.graded:
                label = "ERROR"
            elif row.failed:
                label = "known-gap" if row.known_gap else "PENALISED"
            else:
                label = "full"
            lines.append(f"  {label:<10} {row.name}  {_score(row)}")
            if row.alternative is not None and row.alternative.generated:
                lines.append(_wrap("generated by: " + " + ".join(row.alternative.generated),
                                   " " * 13))
            if row.error:
                lines.append(_wrap(row.error, "             "))
            for check, message in row.failed.items():
                lines.append(_wrap(f"{check}: {message}", "             # "))
    notes = [f"{r.name} is marked known_gap but now passes: remove the mark"
             for r in report.fixed_gaps]
    notes += [f"{r.name}: also_fails lists {c!r}, which passed (keep the library tight)"
              for r in report.mutants if r.graded and r.mutant is not None
              for c in sorted(r.mutant.also_fails) if c not in r.failed]
    notes += [f"generated variant dropped ({why}): {what}" for what, why in report.dropped]
    notes += report.stale_declarations
    if report.problems or notes:
        lines += ["", "Problems"]
        lines += [_wrap(p, "  - ") for p in report.problems]
        lines += [_wrap(n, "  note: ") for n in notes]
    if report.generated:
        lines += ["", *render_generated(report)]
    if report.contradictions:
        lines += ["", "Self-checks showing ✗ where the grade is full (the assignment's public "
                      "tests; `autograder.selftest.agreement`)"]
        lines += [f"  CONTRADICTS {name}  {test}" for name, test in report.contradictions]
    if report.known_gaps:
        lines += ["", _wrap("known gaps (marked in the library, not caught yet): "
                            + ", ".join(r.name for r in report.known_gaps), "")]
    lines += ["", report.summary()]
    lines.append(report.self_checks_line())
    if report.alternatives:
        lines.append(report.variants_line())
    if report.generated:
        lines.append(report.generated_line())
    return "\n".join(lines) + "\n"


def _unchecked_hint(report: Report) -> list[str]:
    """What to do about survivors nobody could check: kill each with a check, or declare
    it equivalent with the reason (the names ready to paste), or give the lab probes."""
    unchecked = report.fates("unchecked")
    declarations = report.declarations or Path("solutions/<lab>_checks/generated.py")
    probes = report.probes or declarations.with_name("variants.py")
    lines = [_wrap(f"{len(unchecked)} survivor{'s' if len(unchecked) != 1 else ''} not "
                   "checked for equivalence: the lab has no probes. Each is a possible gap: "
                   "add a check that kills it, or, where no input a student's code could be "
                   f"graded on tells it from the reference, declare it in {declarations} "
                   "with that reason (an entry without a reason excuses nothing):", "  "),
             "      EQUIVALENT: dict[str, str] = {"]
    for row in unchecked:
        assert row.generated is not None
        lines.append(f'          "{row.name}": "",  # {row.generated.description}')
    lines += ["      }",
              _wrap(f"or give the lab probes ({probes}: VARIANTS = VariantSpec(functions={{}}, "
                    "probes={name: probe})), which excuse the mutants that give the "
                    "reference's results on every probe: docs/selftest.md › "
                    "Probes and equivalent mutants.", "  ")]
    return lines


def render_generated(report: Report) -> list[str]:
    """Survivors first (each a gap to close), then the equivalents (each with why), then
    the killed mutants the probes could not tell from the reference (for a human)."""
    pad = " " * 13
    by_function: dict[str, list[int]] = {}
    for row in report.generated:
        assert row.generated is not None
        counts = by_function.setdefault(row.generated.function, [0, 0])
        counts[0] += row.fate == "killed"
        counts[1] += row.fate != "equivalent"
    lines = ["Generated mutants (autograder.selftest.mutate: one mechanical change each)",
             _wrap("killed per function: " + ", ".join(
                 f"{name} {k}/{n}" for name, (k, n) in sorted(by_function.items())), "  ")]
    for fate, label in (("survived", "SURVIVED"), ("unchecked", "UNCHECKED"),
                        ("not-graded", "ERROR"), ("equivalent", "equivalent")):
        for row in report.fates(fate):
            assert row.generated is not None
            lines.append(f"  {label:<10} {row.name}  {_score(row)}  {row.generated.description}")
            verdict = row.verdict
            if row.error:
                lines.append(_wrap(row.error, pad))
            elif verdict is not None and verdict.declared:
                lines.append(_wrap(f"declared equivalent: {verdict.declared}", pad))
            elif verdict is not None and verdict.same:
                lines.append(_wrap(f"equal to {row.generated.base or 'the reference'} on every "
                                   "probe of the lab", pad))
            elif verdict is not None and not verdict.probed:
                lines.append(_wrap("no probes: equivalence not checked (a gap, or a change "
                                   "no input shows)", pad))
            elif verdict is not None:
                lines.append(_wrap(f"the probes see a difference: {verdict.difference}", pad))
        if fate == "unchecked" and report.fates(fate):
            lines += _unchecked_hint(report)
    for row in report.killed_though_equal:
        assert row.generated is not None
        lines.append(f"  {'note':<10} {row.name}  {_score(row)}  {row.generated.description}")
        lines.append(_wrap(f"killed, yet equal to {row.generated.base or 'the reference'} "
                           "on every probe: a false "
                           "positive, or a probe to strengthen; failed: "
                           + "; ".join(f"{c}: {m}" for c, m in row.failed.items()), pad))
    return lines
