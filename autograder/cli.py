"""`python -m autograder …`: grade, show, assign, new-lab, selftest, export."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import os
import sys
import time
from pathlib import Path
from typing import Any

from autograder.batch.inputs import InputError
from autograder.config import ConfigError
from autograder.lab import Lab

LAB_HELP = ("the lab folder: grading_config.yaml, assignment/, solutions/ (default: the folder "
            "holding --config when it is one, else the current directory)")
CONFIG_HELP = "the grading config (default: the lab's grading_config.yaml)"


def _config_path(args: argparse.Namespace) -> Path:
    """The config a command that only reads one uses: `--config`, else the lab's (`--lab`,
    else the current directory)."""
    return Path(args.config) if args.config else Lab.locate(args.lab).config


def _lab_and_config(args: argparse.Namespace, *pieces: str) -> tuple[Lab, Path]:
    """The lab (with `pieces` present, see `Lab.require`), and the config to grade it with:
    `--config`, else the lab's own (so `--lab DIR` alone grades DIR with DIR's points)."""
    lab = Lab.locate(args.lab, args.config).require(*pieces)
    return lab, Path(args.config) if args.config else lab.config


def _sweep(out: Path) -> None:
    """Remove what a killed grade run left unpacked in the output folder `out`
    (`.unpacked-<pid>-…` of a run that is gone): every command given one does, whichever."""
    from autograder.batch.discover import remove_stale_unpacked

    if out.is_dir():
        remove_stale_unpacked(out)


def _grade(args: argparse.Namespace) -> int:
    started = time.monotonic()
    from autograder.batch.inputs import check_grade_inputs, holding
    from autograder.sandbox import client

    _sweep(Path(args.out))
    check_grade_inputs([Path(p) for p in args.paths], Path(args.out), args.workers)
    lab, config = _lab_and_config(args, "checks", "reference")
    out = Path(args.out)
    # an existing folder is locked now, for the whole run (exports and publish wait for it);
    # a new one, by the batch once it makes it (nothing in it to read meanwhile)
    with holding(out) if out.is_dir() else contextlib.nullcontext():
        # The sandbox's zygote starts now, importing torch on one CPU while this process
        # imports it on the other (~1.5 s of every run); the batch takes it
        # (`client.start_early`).
        client.start_early(lab.worker_modules)
        try:
            from autograder.batch.run import grade_batch

            summary = grade_batch([Path(p) for p in args.paths], out, config,
                                  workers=args.workers, regrade=args.regrade, lab=lab,
                                  progress=not args.no_progress,
                                  roster=Path(args.roster) if args.roster else None,
                                  overrides=Path(args.overrides) if args.overrides else None,
                                  instructor_pages=args.instructor_pages,
                                  allow_unconfined=args.allow_unconfined)
        finally:
            client.discard_early()  # (nothing to grade: the batch took none)
    # The command's own time, its imports and the sandbox's start included (the batch's alone
    # read 19 s of a 61 s run to a lab author)
    summary.seconds = time.monotonic() - started
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout.write(summary.describe().encode(encoding, errors="replace").decode(encoding) + "\n")
    return 0


def _show(args: argparse.Namespace) -> int:
    from autograder.report.gradescope import RESULTS, read_results, results_path
    from autograder.report.terminal import render

    out, wanted = Path(args.out), args.submission_id
    _sweep(out)
    path = results_path(out, wanted)
    if wanted in ("", ".", "..") or "/" in wanted or "\\" in wanted or not path.is_file():
        if not out.is_dir():
            print(f"error: {out} is not an output folder (make one with "
                  f"`python -m autograder grade ... --out {out}`)", file=sys.stderr)
            return 2
        available = sorted(p.parent.name for p in out.glob(f"*/{RESULTS}"))
        if not available:
            print(f"error: no submission {wanted!r}: {out} holds no results", file=sys.stderr)
            return 2
        rows = _rows_of(out, wanted, available)  # (ids of rows on disk: never a path given)
        if len(rows) > 1:
            print(f"error: {wanted!r} names several rows in {out}: {', '.join(rows)}; show "
                  "one of them", file=sys.stderr)
            return 2
        if not rows:
            close = difflib.get_close_matches(wanted, available, n=5, cutoff=0.5)
            some = list(dict.fromkeys([*close, *available]))[:5]
            more = f" and {len(available) - len(some)} more" if len(available) > len(some) \
                else ""
            print(f"error: no submission {wanted!r} in {out}; available: {', '.join(some)}"
                  f"{more}", file=sys.stderr)
            return 2
        wanted, path = rows[0], results_path(out, rows[0])
    try:
        result = read_results(path)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        print(f"error: {path} could not be read: {exc}", file=sys.stderr)
        return 2
    text = render(result, failed_only=args.failed, audience=_show_audience(args, out))
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout.write(text.encode(encoding, errors="replace").decode(encoding))
    if result.final is None:  # (a row a stopped run wrote: `report.gradescope.unfinished`)
        print(f"note: {wanted} has no final score yet: the grade run into {out} that wrote it "
              "did not finish (run the grade command again without --regrade to finish it); "
              "the score above is the checks' alone (no overrides, no late penalty)",
              file=sys.stderr)
    return 0


def _rows_of(out: Path, wanted: str, available: list[str]) -> list[str]:
    """The rows `wanted` names when it is no row's id as written: a row's id in another case,
    else any id the run's roster knows the student by (SIS id, login, email, Canvas id), as
    overrides and extensions accept them (an ops review: `show S1011`, `show Okafor_1001`
    found nothing)."""
    from autograder.batch.roster import RosterError, load_roster
    from autograder.report.batch_record import BATCH, BatchRecord

    folded = [row for row in available if row.casefold() == wanted.strip().casefold()]
    if folded:
        return folded
    try:
        roster = load_roster(Path(BatchRecord.read(out / BATCH).files["roster"]))
    except (OSError, ValueError, TypeError, KeyError, RosterError):
        return []
    student = roster.find(wanted)
    return [row for row in available if student is not None and roster.match(row) is student]


def _show_audience(args: argparse.Namespace, out: Path) -> Any:
    """`--all`: the instructor's view; else what the student's page shows now (the lab's
    config gives the due date; without one, `after_due_date` checks wait for `publish`)."""
    from autograder.config import load_config
    from autograder.report.visibility import INSTRUCTOR, Audience, is_published, student_audience

    if args.all:
        return INSTRUCTOR
    ran = _run_config(out, args)
    try:  # (the run's config, as the pages it wrote: an ops review's show read the lab's)
        return student_audience(load_config(ran or _config_path(args)), out)
    except (ConfigError, OSError, ValueError):
        return Audience(published=is_published(out))


def _still_grading(out: Path, what: str) -> bool:
    """A grade run is writing `out` now: said, and nothing done (exit 2)."""
    from autograder.batch.inputs import running_in

    holder = running_in(out)
    if holder is not None:
        print(f"error: a grade run (pid {holder}) is still writing {out}: {what} when it has "
              "finished", file=sys.stderr)
    return holder is not None


def _publish(args: argparse.Namespace) -> int:
    """Release `after_published` checks (and `after_due_date` ones when no deadline is
    configured): mark the output folder published and rewrite every student's page."""
    from autograder.config import load_config
    from autograder.report.batch_record import BATCH, BatchRecord
    from autograder.report.feedback import lab_title, write_feedback
    from autograder.report.gradescope import RESULTS, read_results, results_path, unfinished
    from autograder.report.visibility import set_published, student_audience

    out = Path(args.out)
    _sweep(out)
    if _still_grading(out, "publish"):
        return 2
    # the gradebook's rows (a folder a later run left out, an emailed hand-in's old `missing`
    # row, is no row: an ops review's publish rewrote 21 pages for 20 rows)
    try:
        rows = BatchRecord.read(out / BATCH).rows
        paths = [path for sid in rows if (path := results_path(out, sid)).is_file()]
    except (OSError, ValueError, TypeError, KeyError):
        paths = sorted(out.glob(f"*/{RESULTS}"))  # (no finished run yet: what there is)
    if not paths:
        print(f"error: {out} holds no results (make them with `python -m autograder grade "
              f"... --out {out}`)", file=sys.stderr)
        return 2
    try:
        results = [read_results(path) for path in paths]
    except (ValueError, KeyError, TypeError, OSError) as exc:
        print(f"error: {out}: results could not be read ({exc})", file=sys.stderr)
        return 2
    stopped = unfinished(results, out)
    if stopped:
        print(f"error: {stopped}", file=sys.stderr)
        return 2
    # the run's config (its deadline, its title), as the grade run wrote the pages with it
    # (an ops review: publish --undo rewrote pages from the lab's, the late penalty gone)
    ran = _run_config(out, args)
    config_path = ran or _lab_and_config(args)[1]
    config = load_config(config_path)
    root = Lab.locate(args.lab).root if args.lab else config_path.resolve().parent
    set_published(out, not args.undo)
    audience = student_audience(config, out)
    title = lab_title(root, config.assignment)
    for result in results:
        write_feedback(result, out, title, audience)
    state = "no longer published" if args.undo else "published"
    print(f"{out}: {state}; rewrote {len(paths)} feedback pages")
    return 0


def _assign(args: argparse.Namespace) -> int:
    from autograder.assign.build import main as build_main

    return int(build_main(["--lab", str(Lab.locate(args.lab).require("master", "spec").root)])
               or 0)


def _new_lab(args: argparse.Namespace) -> int:
    from autograder.assign.build import main as build_main
    from autograder.scaffold import new_lab

    folder = Path(args.folder)
    written = new_lab(folder, args.name or folder.resolve().name)
    print(f"wrote {len(written)} files under {folder}")
    if args.no_assign:
        return 0
    code = int(build_main(["--lab", str(folder)]) or 0)
    if code == 0:
        print(f"next: python -m autograder selftest --lab {folder}")
    return code


def _export(args: argparse.Namespace) -> int:
    from autograder.export.gradescope import ExportError, build

    lab, config = _lab_and_config(args, "checks", "reference")
    try:
        package = build(Path(args.out), config_path=config, lab=lab)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(package.describe())
    return 0


def _run_config(grades: Path, args: argparse.Namespace) -> Path | None:
    """The config the grade run into `grades` used (its batch.json), where it still exists,
    when the command names none (no --config, no --lab): what `export`, `show` and `publish`
    read (an instructor's review: run from another folder, export named the column after that
    folder's config; an ops review: publish --undo rewrote pages without the late penalty)."""
    from autograder.report.batch_record import BATCH, BatchRecord

    if args.config is not None or args.lab is not None:
        return None
    try:
        path = Path(BatchRecord.read(grades / BATCH).config_path)
    except (OSError, ValueError, TypeError):
        return None
    return path if path.is_file() else None


def _export_canvas(args: argparse.Namespace) -> int:
    from autograder.config import load_config
    from autograder.export.canvas import CanvasExportError, export_canvas

    out = Path(args.out)
    if out.is_dir():
        print(f"error: --out {out} is a folder; name the CSV to write", file=sys.stderr)
        return 2
    _sweep(Path(args.grades))
    if _still_grading(Path(args.grades), "export"):
        return 2
    column, missing = args.column, args.missing
    ran = _run_config(Path(args.grades), args)
    # the run's (or --config's, --lab's) export settings; a --column needs no config (then
    # missing work is left blank unless --missing says otherwise)
    if column is None or (missing is None and (ran or args.config or args.lab)):
        config = load_config(ran or _config_path(args))
        column = column or config.export.canvas_column or config.assignment
        missing = missing or config.export.missing
    try:
        report = export_canvas(Path(args.grades), out, column,
                               Path(args.roster) if args.roster else None,
                               mixed_max=bool(args.mixed_max), missing=missing or "blank")
    except CanvasExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.describe())
    return 0


def _export_feedback(args: argparse.Namespace) -> int:
    from autograder.config import load_config
    from autograder.export.feedback import FeedbackExportError, export_feedback
    from autograder.report.feedback import lab_title

    grades = Path(args.grades)
    _sweep(grades)
    if _still_grading(grades, "export"):
        return 2
    ran = _run_config(grades, args)
    config_path = ran or _config_path(args)
    config = load_config(config_path)
    root = Lab.locate(args.lab).root if args.lab else config_path.resolve().parent
    try:
        report = export_feedback(grades, Path(args.out), config,
                                 lab_title(root, config.assignment))
    except FeedbackExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.describe())
    return 0


def _selftest(args: argparse.Namespace) -> int:
    from autograder.selftest.run import run_selftest

    lab, config = _lab_and_config(args, "checks", "reference", "master", "template")
    report = run_selftest(config, only=args.only, workers=args.workers, lab=lab,
                          variants=args.variants, generated=args.generated,
                          alternative_mutants=args.alternative_mutants,
                          out=Path(args.out) if args.out else None,
                          progress=sys.stderr.isatty())
    text = report.render()
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout.write(text.encode(encoding, errors="replace").decode(encoding))
    return 0 if report.ok(strict=args.strict) else 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade notebooks, folders or zip archives")
    grade.add_argument("paths", nargs="+", help=".ipynb files, folders or .zip archives")
    grade.add_argument("--out", required=True, help="output folder")
    grade.add_argument("--config", default=None, help=CONFIG_HELP)
    grade.add_argument("--workers", type=int, default=None,
                       help="parallel judges (default: one per core)")
    grade.add_argument("--regrade", action="store_true",
                       help="grade again even if results for the same notebook and config exist")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--roster", default=None,
                       help="class list (Canvas or Gradescope export, or a CSV with `id`): "
                       "a row for every student, `missing` when nothing was handed in")
    grade.add_argument("--overrides", default=None,
                       help="overrides.csv (id, check or total, points, reason, who), applied "
                       "on top of the checks on every run")
    grade.add_argument("--lab", default=None, help=LAB_HELP)
    grade.add_argument("--instructor-pages", action="store_true",
                       help="also write OUT/instructor/<id>/feedback.html, listing every check "
                       "whatever its visibility (keep that folder away from students)")
    grade.add_argument("--allow-unconfined", action="store_true",
                       help="grade even where the sandbox's workers get no private root (no "
                       "mount or PID namespace here): they would see the host's files, the "
                       "hidden checks and other submissions included — trusted notebooks only")
    grade.set_defaults(run=_grade)
    show = sub.add_parser("show", help="print one submission's results in the terminal")
    show.add_argument("submission_id", metavar="ID", help="the submission's folder name in --out")
    show.add_argument("--out", required=True, help="the output folder of a grade run")
    show.add_argument("--failed", action="store_true",
                      help="list only what failed (cells that raised, failed checks)")
    show.add_argument("--all", action="store_true",
                      help="the instructor's view: every check, whatever its visibility")
    show.add_argument("--lab", default=None, help=LAB_HELP + " (its config gives the due date)")
    show.add_argument("--config", default=None, help=CONFIG_HELP)
    show.set_defaults(run=_show)
    publish = sub.add_parser("publish", help="release after_published checks to students "
                             "(after_due_date ones still wait for the configured (late) due "
                             "date; with no deadline configured, they are released too): mark "
                             "a grade run's output folder published, rewrite its pages")
    publish.add_argument("--out", required=True, help="the output folder of a grade run")
    publish.add_argument("--undo", action="store_true", help="withdraw: unpublish")
    publish.add_argument("--config", default=None, help=CONFIG_HELP)
    publish.add_argument("--lab", default=None, help=LAB_HELP)
    publish.set_defaults(run=_publish)
    assign = sub.add_parser("assign", help="rebuild the lab's assignment/, reference.py and "
                            "answers.json from its master notebook (solutions/NAME.ipynb)")
    assign.add_argument("--lab", default=None, help=LAB_HELP)
    assign.set_defaults(run=_assign)
    new = sub.add_parser("new-lab", help="write a minimal working lab folder (one graded "
                         "function, its hidden check, a mutant, an alternative, worker/), then "
                         "run assign on it")
    new.add_argument("folder", metavar="DIR", help="the new lab's folder (new or empty)")
    new.add_argument("--name", default=None,
                     help="the lab's name, a Python identifier (default: DIR's name)")
    new.add_argument("--no-assign", action="store_true",
                     help="only write the sources; run `assign --lab DIR` later")
    new.set_defaults(run=_new_lab)
    selftest = sub.add_parser(
        "selftest", help="grade the reference, the template, every mutant and alternative: "
        "prove each mistake is caught and no correct variant is penalised")
    selftest.add_argument("--config", default=None, help=CONFIG_HELP)
    selftest.add_argument("--only", nargs="+", metavar="NAME",
                          help="only these mutants/alternatives/baselines (glob patterns, e.g. "
                          "'mutant_ce_*'; baselines: reference, master, template)")
    selftest.add_argument("--workers", type=int, default=None,
                          help="parallel judges (default: one per core)")
    selftest.add_argument("--out", default=None,
                          help="keep the graded results (feedback pages, gradebook) here")
    selftest.add_argument("--variants", type=int, default=None, metavar="N",
                          help="grade only N of the lab's generated correct variants (var_*; "
                          "default: all, 0: none)")
    selftest.add_argument("--generated", type=int, default=None, metavar="N",
                          help="grade N of the lab's generated (mechanical) mutants, a fixed "
                          "sample (default: all of them; 0: none)")
    selftest.add_argument("--alternative-mutants", type=int, default=120, metavar="N",
                          help="grade N mechanical mutants of the lab's hand-written "
                          "alternatives, a fixed sample (default 120; 0: none)")
    selftest.add_argument("--strict", action="store_true",
                          help="also fail on known gaps marked in the library")
    selftest.add_argument("--lab", default=None, help=LAB_HELP)
    selftest.set_defaults(run=_selftest)
    export = sub.add_parser("export", help="package the autograder for another platform")
    targets = export.add_subparsers(dest="target", required=True)
    gradescope = targets.add_parser(
        "gradescope", help="a Gradescope autograder zip (setup.sh, run_autograder, source)")
    gradescope.add_argument("--out", default="autograder.zip", help="the zip to write")
    gradescope.add_argument("--config", default=None,
                            help="the grading_config.yaml to bundle (points, visibility, limits; "
                            "default: the lab's)")
    gradescope.add_argument("--lab", default=None, help=LAB_HELP)
    gradescope.set_defaults(run=_export)
    canvas = targets.add_parser(
        "canvas", help="a Canvas gradebook import CSV of the final scores in a grades folder")
    canvas.add_argument("--out", default="canvas_grades.csv", help="the CSV to write")
    canvas.add_argument("--grades", default="grades", help="the output folder of a grade run")
    canvas.add_argument("--roster", default=None,
                        help="the roster to match through (default: the one the run used; "
                        "without any, nothing is exported: ids come only from a roster)")
    canvas.add_argument("--column", default=None,
                        help="Canvas's column, '<name> (<assignment id>)' (default: the "
                        "config's export.canvas_column, else its assignment name)")
    canvas.add_argument("--config", default=None,
                        help=CONFIG_HELP + ": its export.canvas_column, when --column is not "
                        "given")
    canvas.add_argument("--missing", choices=("blank", "zero"), default=None,
                        help="a rostered student with nothing handed in and no override: "
                        "an empty cell (blank; Canvas's missing policy applies) or 0 once "
                        "their hand-in window closed (zero) (default: the config's "
                        "export.missing, else blank)")
    canvas.add_argument("--mixed-max", action="store_true",
                        help="export even when rows were graded out of different maximums (a "
                        "config changed between runs; refused otherwise, naming the rows)")
    canvas.add_argument("--lab", default=None, help=LAB_HELP)
    canvas.set_defaults(run=_export_canvas)
    feedback = targets.add_parser(
        "feedback", help="the students' feedback pages of a grades folder, and nothing else of "
        "it, in a folder of their own to hand back (the grades folder's results.json hold "
        "every check, withheld ones too)")
    feedback.add_argument("--out", default="feedback", help="the folder to write (new, or "
                          "one this command wrote)")
    feedback.add_argument("--grades", default="grades", help="the output folder of a grade run")
    feedback.add_argument("--config", default=None,
                          help=CONFIG_HELP + ": its deadline decides what is shown (default: "
                          "the run's)")
    feedback.add_argument("--lab", default=None, help=LAB_HELP)
    feedback.set_defaults(run=_export_feedback)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (ConfigError, InputError) as exc:  # one line per problem, nothing written
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # (`… | head`: the reader went away; nothing to say, no traceback)
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # (a semester review: a full disk gave a raw traceback; every write is atomic, so
        # what was written is whole, and a run again finishes the rest)
        print(f"error: no space left on the disk ({exc.filename or exc.strerror}): free some "
              "space and run the same command again (what was written so far is kept)",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: every result written so far is kept (writes are atomic)
        again = ("run the same command again without --regrade to go on"
                 if getattr(args, "regrade", False) else "run the same command again to go on")
        print(f"interrupted: what was graded is kept; {again}", file=sys.stderr)
        return 130
