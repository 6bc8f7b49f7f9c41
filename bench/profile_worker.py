"""Where a worker's time goes: the worker's own code profiled, on the benchmark's notebooks.

    .venv/bin/python bench/profile_worker.py [N] [--no-profile] [--top K]

A worker is a confined fork of the zygote, and profilers that sample from outside (py-spy)
see short-lived processes poorly. Here this process plays the zygote (warmed as the zygote
is: `warm_up`, the lab's worker modules, the rehearsal, the baseline, `gc.freeze`) and forks
each worker itself, *unconfined* (no namespaces, no seccomp, no cgroup, no rlimits), with
cProfile around its request loop; each worker writes its profile when the judge ends it.
The judge (one `Grader`, in this process's parent side) grades the first N notebooks of the
benchmark pool as `bench/profile_judge.py` does. Then the workers' profiles are merged and
the top functions printed, by own time and by cumulative time.

`--no-profile`: the same unconfined workers with no profiler, for the CPU a confined worker
costs beyond an unconfined one (compare with `profile_judge.py`'s "workers" CPU).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402
from procstat import own_cpu  # noqa: E402

from autograder.config import load_config  # noqa: E402
from autograder.grader import Grader  # noqa: E402
from autograder.lab import Lab  # noqa: E402
from autograder.sandbox.client import WorkerHandle  # noqa: E402
from autograder.sandbox.zygote import warm_up  # noqa: E402

ROOT = HERE.parent


class LocalConnection:
    """`ZygoteConnection`'s API, its workers forked from this process with no confinement."""

    def __init__(self, profiles: str | None) -> None:
        self.profiles = profiles
        self.hide_paths: list[str] = []
        self.children_cpu = 0.0
        self.prepared: dict[str, Any] = {}

    def spawn(self, limits: Any, extra_hidden: list[str],
              block_for_good: Any = None) -> WorkerHandle:
        from autograder.sandbox import harness, worker

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        profiles = self.profiles
        if block_for_good:  # worked out once, before the fork, as the zygote does (`_for_good`)
            key = json.dumps(block_for_good)
            if key not in self.prepared:
                self.prepared[key] = harness.prepare_for_good(block_for_good)
            block_for_good = self.prepared[key]
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                ours.close()
                signal.signal(signal.SIGINT, signal.default_int_handler)
                profiler = cProfile.Profile() if profiles else None
                if profiler is not None:
                    profiler.enable()
                if block_for_good:  # an evidence worker's (as the zygote forks one)
                    harness.block_for_good(block_for_good)
                worker.serve(theirs, True)
                if profiler is not None and profiles:
                    profiler.disable()
                    profiler.dump_stats(os.path.join(profiles, f"{os.getpid()}.prof"))
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        return WorkerHandle(pid, ours)

    def _reap(self, pid: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                self.children_cpu += usage.ru_utime + usage.ru_stime
                reply: dict[str, Any] = {"pid": pid, "exited": True}
                if os.WIFSIGNALED(status):
                    reply["signal"] = os.WTERMSIG(status)
                else:
                    reply["exitcode"] = os.WEXITSTATUS(status)
                return reply
            time.sleep(0.001)
        return {"pid": pid, "exited": False}

    def prepare_spare(self, limits: Any, extra_hidden: list[str]) -> None:
        pass

    def wait(self, pid: int, timeout: float) -> dict[str, Any]:
        return self._reap(pid, timeout)

    def kill(self, pid: int) -> dict[str, Any]:
        os.kill(pid, signal.SIGKILL)
        return {**self._reap(pid, 10), "kill_seconds": 0.0}

    def end(self, pid: int) -> None:
        if not self._reap(pid, 10)["exited"]:  # (it writes its profile on shutdown)
            self.kill(pid)

    def close(self) -> None:
        pass


def become_zygote() -> None:
    """This process warmed as `zygote.main` warms the zygote, before its first fork."""
    gc.disable()
    warm_up()
    from autograder.sandbox import harness, rehearsal, worker

    harness.load_lab_modules(Lab.load().worker_modules)
    harness.seal()
    harness.prefer_native_meta_kernels()
    rehearsal.run()
    worker.prepare()
    gc.freeze()
    gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=20)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    work, files = generate.profile_pool(args.n)
    config_path = ROOT / "grading_config.yaml"
    config = load_config(config_path)
    become_zygote()
    profiles = None if args.no_profile else tempfile.mkdtemp(prefix="worker-profiles-")
    connection = LocalConnection(profiles)
    warm = Grader(config, config_path.read_text(), connection)  # type: ignore[arg-type]
    warm.grade(ROOT / "tests" / "fixtures" / "submissions" / "reference_code.ipynb", "warm-up")
    warm.close()
    from autograder.sandbox import harness, worker

    if profiles:  # (a worker clears any profile function before each request: not ours)
        harness._SET_PROFILE = lambda function: None  # type: ignore[assignment]
    worker.prepare()  # (the baseline again, every module the judge imports now imported)
    if profiles:
        for name in os.listdir(profiles):
            os.unlink(os.path.join(profiles, name))
    connection.children_cpu = 0.0
    before = own_cpu()
    started = time.perf_counter()
    grader = Grader(config, config_path.read_text(), connection)  # type: ignore[arg-type]
    grader.settle(rehearse=True)
    for path in files:
        grader.grade(path, path.stem)
    grader.close()
    total = time.perf_counter() - started
    n = len(files)
    print(f"{n} notebooks, unconfined workers{'' if profiles else ' (no profiler)'}: "
          f"{total / n:.3f} s each; CPU per notebook: judge {(own_cpu() - before) / n:.3f} s, "
          f"worker {connection.children_cpu / n:.3f} s")
    if profiles:
        paths = [os.path.join(profiles, p) for p in sorted(os.listdir(profiles))]
        stats = pstats.Stats(*paths)
        stats.dump_stats(str(work / "worker.pstats"))  # (for pstats' callers and callees)
        print(f"{len(paths)} worker profiles, merged in {work / 'worker.pstats'}; times are "
              f"totals over {n} notebooks")
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
