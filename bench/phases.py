"""One measured phase of the benchmark, run as its own process by bench/run.py.

    phases.py ours  RESULT.json --config CFG --out DIR  BATCH_DIR
    phases.py floor RESULT.json --config CFG            NB.ipynb ...
    phases.py otter RESULT.json --zip AUTOGRADER.zip    NB.ipynb ...

Each writes a JSON document with one record per submission (id, seconds,
score, status) and the phase's own start/end on the system-wide monotonic
clock, so that run.py can combine lanes that ran side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run like `python -m autograder`: this folder's modules must not shadow anything
# (the judges are forked from this process and import lazily while grading).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _lab(args: argparse.Namespace) -> Any:
    from autograder.lab import Lab

    return Lab.load(args.lab or ROOT)


def ours(args: argparse.Namespace) -> dict[str, Any]:
    from autograder.batch.run import grade_batch

    started = time.monotonic()
    summary = grade_batch([Path(p) for p in args.inputs], Path(args.out), Path(args.config),
                          workers=None, progress=False, lab=_lab(args))
    ended = time.monotonic()
    return {
        "started": started, "ended": ended, "grade_batch_s": ended - started,
        "summary": summary.describe(), "sandbox_warnings": summary.sandbox_warnings,
        "submissions": [{"id": r.submission_id, "seconds": r.execution_time,
                         "status": str(r.status), "score": r.score, "max_score": r.max_score}
                        for r in summary.results],
    }


def floor(args: argparse.Namespace) -> dict[str, Any]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_floor", HERE / "floor.py")
    assert spec is not None and spec.loader is not None
    floor_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor_module)
    FloorGrader = floor_module.FloorGrader

    from autograder.config import load_config

    warm_started = time.monotonic()
    lab = _lab(args)
    grader = FloorGrader(load_config(Path(args.config)), lab)
    # one untimed notebook first: a warm process has paid its first-call costs
    grader.grade(lab.root / "tests" / "fixtures" / "submissions" / "reference_code.ipynb", "warm-up")
    records = []
    started = time.monotonic()
    for name in args.inputs:
        path = Path(name)
        result, parts = grader.grade(path, path.stem)
        records.append({"id": path.stem, "seconds": result.execution_time, "score": result.score,
                        "status": str(result.status), **parts})
    ended = time.monotonic()
    return {"warm_up_s": started - warm_started, "started": started, "ended": ended,
            "submissions": records}


def otter(args: argparse.Namespace) -> dict[str, Any]:
    import_started = time.monotonic()
    import otter.api

    records = []
    started = time.monotonic()
    for name in args.inputs:
        path = Path(name)
        t0 = time.monotonic()
        record: dict[str, Any] = {"id": path.stem}
        for attempt in (1, 2):
            try:
                results = otter.api.grade_submission(str(path), args.zip, quiet=True)
                record.update(score=results.total, max_score=results.possible, status="graded",
                              attempts=attempt)
                break
            except Exception as exc:  # otter gave up on this notebook (e.g. its kernel died)
                record.update(score=None, status=f"error: {type(exc).__name__}: {exc}"[:200],
                              attempts=attempt)
                # a kernel that dies while starting is otter's flake, not the notebook's:
                # an instructor would run it again (the time of both attempts counts)
                if "before replying to kernel_info" not in str(exc):
                    break
        record["seconds"] = time.monotonic() - t0
        records.append(record)
    ended = time.monotonic()
    return {"import_s": started - import_started, "started": started, "ended": ended,
            "submissions": records}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["ours", "floor", "otter"])
    parser.add_argument("result")
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--config")
    parser.add_argument("--out")
    parser.add_argument("--zip")
    parser.add_argument("--lab", help="the lab folder (default: this repository's root)")
    args = parser.parse_args()
    document = {"ours": ours, "floor": floor, "otter": otter}[args.phase](args)
    Path(args.result).write_text(json.dumps(document, indent=1))


if __name__ == "__main__":
    main()
