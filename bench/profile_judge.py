"""Where a submission's time goes in our grader, beyond the floor.

    .venv/bin/python bench/profile_judge.py [N]              # N notebooks (default 20)
    .venv/bin/python bench/profile_judge.py N --pyinstrument # also a pyinstrument profile of the judge
    .venv/bin/python bench/profile_judge.py N --pytest       # the checks in a pytest session

Grades the first N notebooks of the benchmark pool (bench/generate.py), the
timing-out one left out, with ONE judge in this process (what each judge of
`grade_batch` does, sequentially), and times each stage by wrapping the
grader's own functions from the outside (autograder/ is not modified):
worker spawn, cell execution, each kind of worker request (time the judge
waits for the worker, transport included), pytest's own overhead around the
checks, the judge's own computation inside the checks, closing the worker.
Then it grades the same notebooks with the floor (bench/floor.py) in this
process and prints both side by side, with the CPU time of the judge and of the
zygote and its workers. pyinstrument (optional) profiles the thread the checks
run in; workers are separate processes (py-spy, see docs/benchmark.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from procstat import own_cpu, tree_stat  # noqa: E402

from autograder.check import runner  # noqa: E402
from autograder.check.plugin import GradingPlugin  # noqa: E402
from autograder.config import load_config  # noqa: E402
from autograder.grader import Grader, hidden_paths  # noqa: E402
from autograder.lab import Lab  # noqa: E402
from autograder.sandbox import client, session  # noqa: E402
from autograder.sandbox.client import Zygote  # noqa: E402
from autograder.sandbox.zygote import warm_up  # noqa: E402

ROOT = HERE.parent
TIMES: dict[str, float] = defaultdict(float)
COUNTS: dict[str, int] = defaultdict(int)


def timed(owner: Any, name: str, key: Any) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        label = key(*args, **kwargs) if callable(key) else key
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - started
            COUNTS[label] += 1

    setattr(owner, name, wrapper)


def request_label(by_check: bool) -> Any:
    """A worker request's row: its op (and a scenario's name); with `by_check`, also the
    running check and a call's function, and whether it ran under a library block."""
    def label(self: session.StudentSession, header: dict[str, Any], *a: Any, **k: Any) -> str:
        text = f"worker request: {header['op']}"
        if header["op"] == "scenario" or (by_check and header["op"] == "call"):
            text += f" {header['name']}"
        if by_check and header["op"] in ("call", "scenario"):
            text += f" [{self._check}]" + (" blocked" if header.get("block") else "")
        return text
    return label


def instrument(by_check: bool = False) -> None:
    timed(client.ZygoteConnection, "spawn", "worker spawn (zygote fork + confinement)")
    timed(client.ZygoteConnection, "kill", "worker kill (zygote kill + uid sweep)")
    timed(session.StudentSession, "_execute_cells", "cells executed in the worker")
    timed(session.StudentSession, "_ask", request_label(by_check))
    timed(session.StudentSession, "close", "session close")
    timed(runner.SuiteRunner, "run", "SuiteRunner.run (pytest + checks)")
    timed(runner.DirectRunner, "run", "DirectRunner.run (checks)")
    original = GradingPlugin.pytest_runtest_makereport

    def makereport(self: GradingPlugin, item: Any, call: Any) -> Any:
        TIMES[f"pytest {call.when} phase (as pytest times it)"] += call.duration
        return original(self, item, call)

    makereport.__dict__.update(original.__dict__)  # keep the hookimpl(tryfirst) marker
    GradingPlugin.pytest_runtest_makereport = makereport  # type: ignore[method-assign]

    @pytest.hookimpl(wrapper=True)
    def pyfunc_call(self: GradingPlugin, pyfuncitem: Any) -> Any:
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            TIMES["check bodies (test functions, worker waits included)"] += (
                time.perf_counter() - started)

    GradingPlugin.pytest_pyfunc_call = pyfunc_call  # type: ignore[attr-defined]
    timed(torch, "manual_seed", "torch.manual_seed in the judge")


def extra_pytest_args(extra: list[str]) -> None:
    """Experiment: what grading costs with more of pytest's plugins turned off."""
    original = pytest.main

    def main(args: list[str], plugins: Any = None) -> Any:
        return original([*args, *extra], plugins=plugins)

    pytest.main = main  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=20)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--no-settle", action="store_true",
                        help="leave the judge's garbage collector as it is (Grader.settle)")
    parser.add_argument("--pytest", action="store_true",
                        help="run the checks in a pytest session (SuiteRunner), as before")
    parser.add_argument("--by-check", action="store_true",
                        help="a row for each check's requests made one by one (and function)")
    parser.add_argument("--pytest-args", default="",
                        help="experiment: extra pytest arguments, e.g. '-p no:logging'")
    args = parser.parse_args()
    work, files = generate.profile_pool(args.n)
    config_path = ROOT / "grading_config.yaml"
    config = load_config(config_path)
    hide = hidden_paths([work.resolve()])
    instrument(args.by_check)
    if args.pytest_args:
        extra_pytest_args(args.pytest_args.split())
    per_submission: list[float] = []
    profiler = None
    if args.pytest:  # the pytest session instead of the direct runner, for comparison
        runner.runner_for = lambda suite: runner.SuiteRunner(suite)  # type: ignore[assignment]
    if args.pyinstrument:
        # The checks run in the judge's main thread (DirectRunner) or in its pytest thread
        # (SuiteRunner, with --pytest): profile that thread.
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        run_of = runner.DirectRunner.run
        session_of = runner.SuiteRunner._session

        def profiled_run(self: runner.DirectRunner, context: Any) -> Any:
            profiler.start()
            try:
                return run_of(self, context)
            finally:
                profiler.stop()

        def profiled_session(self: runner.SuiteRunner) -> None:
            profiler.start()
            try:
                session_of(self)
            finally:
                profiler.stop()

        runner.DirectRunner.run = profiled_run  # type: ignore[method-assign]
        runner.SuiteRunner._session = profiled_session  # type: ignore[method-assign]
    # as grade_batch does: the judge's torch warmed while the zygote starts
    with Zygote([Path(h) for h in hide], overlap=warm_up,
                worker_modules=Lab.load().worker_modules) as zygote:
        connection = client.ZygoteConnection(zygote.socket_path, hide)
        grader_warm = Grader(config, config_path.read_text(), connection)
        grader_warm.grade(ROOT / "tests" / "fixtures" / "submissions" / "reference_code.ipynb",
                          "warm-up")
        grader_warm.close()
        TIMES.clear()
        COUNTS.clear()
        zygote_before = tree_stat(zygote.process.pid)
        self_before = own_cpu()
        t0 = time.perf_counter()
        grader = Grader(config, config_path.read_text(), connection)
        if not args.no_settle:
            grader.settle(rehearse=True)  # as each judge of grade_batch
        else:
            grader.rehearse()
        init_s = time.perf_counter() - t0
        started = time.perf_counter()
        for path in files:
            t = time.perf_counter()
            grader.grade(path, path.stem)
            per_submission.append(time.perf_counter() - t)
        total = time.perf_counter() - started
        grader.close()
        judge_cpu = own_cpu() - self_before
        time.sleep(0.2)  # (the last worker reaped)
        user, system, faults = (b - a for a, b in zip(zygote_before, tree_stat(zygote.process.pid),
                                                      strict=True))
        workers_cpu = user + system
    n = len(files)
    print(f"ours, one judge, {n} notebooks: {total:.2f} s ({total / n:.3f} s each; median "
          f"{statistics.median(per_submission):.3f}, first {per_submission[0]:.3f}, "
          f"rest median {statistics.median(per_submission[1:]):.3f}); Grader() {init_s:.2f} s")
    print(f"CPU per notebook: judge {judge_cpu / n:.3f} s, workers (and the zygote serving them) "
          f"{workers_cpu / n:.3f} s (system {system / n:.3f} s, {faults / n:.0f} page faults), "
          f"together {(judge_cpu + workers_cpu) / n:.3f} s")
    width = 90 if args.by_check else 58
    print(f"{'stage':{width}}{'s/subm':>9}{'calls/subm':>11}")
    for label in sorted(TIMES, key=lambda k: -TIMES[k]):
        count = COUNTS.get(label, 0)
        print(f"{label:{width}}{TIMES[label] / n:>9.3f}{(count / n if count else float('nan')):>11.1f}")

    from floor import FloorGrader

    floor = FloorGrader(config)
    floor.grade(ROOT / "tests" / "fixtures" / "submissions" / "reference_code.ipynb", "warm-up")
    parts: dict[str, float] = defaultdict(float)
    floor_times = []
    floor_before = own_cpu()
    for path in files:
        _, p = floor.grade(path, path.stem)
        for k, v in p.items():
            parts[k] += v
        floor_times.append(p["cells_s"] + p["checks_s"])
    print(f"floor, same {n} notebooks in this process: {sum(floor_times):.2f} s "
          f"({sum(floor_times) / n:.3f} s each; median {statistics.median(floor_times):.3f}); "
          f"cells {parts['cells_s'] / n:.3f} s, checks {parts['checks_s'] / n:.3f} s per notebook; "
          f"CPU {(own_cpu() - floor_before) / n:.3f} s per notebook")
    if profiler is not None:
        out = work / "judge.pyinstrument.txt"
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        html = work / "judge.pyinstrument.html"
        html.write_text(profiler.output_html())
        assert profiler.last_session is not None
        profiler.last_session.save(str(work / "judge.pyisession"))
        print(f"pyinstrument: {out.relative_to(ROOT)} and {html.name}")


if __name__ == "__main__":
    main()
