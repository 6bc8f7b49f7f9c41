"""`python -m autograder …`: grade, show, assign, selftest, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.config import ConfigError, default_config_path


def _grade(args: argparse.Namespace) -> int:
    from autograder.batch.run import grade_batch

    summary = grade_batch([Path(p) for p in args.paths], Path(args.out), Path(args.config),
                          workers=args.workers, regrade=args.regrade,
                          progress=not args.no_progress)
    print(summary.describe())
    return 0


def _assign(args: argparse.Namespace) -> int:
    from autograder.assign.build import main as build_main

    return int(build_main([]) or 0)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade notebooks, folders or zip archives")
    grade.add_argument("paths", nargs="+", help=".ipynb files, folders or .zip archives")
    grade.add_argument("--out", required=True, help="output folder")
    grade.add_argument("--config", default=str(default_config_path()))
    grade.add_argument("--workers", type=int, default=None,
                       help="parallel judges (default: one per core)")
    grade.add_argument("--regrade", action="store_true",
                       help="grade again even if results for the same notebook and config exist")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.set_defaults(run=_grade)
    assign = sub.add_parser("assign", help="rebuild assignment/ from solutions/lab05.ipynb")
    assign.set_defaults(run=_assign)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
