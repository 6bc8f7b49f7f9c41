"""Two commits' cost per submission, measured at the same time on the same machine.

    .venv/bin/python bench/side_by_side.py [REV] [--n 30] [--rounds 2]   # REV: default HEAD~1

This machine's speed moves by ±10-20 % from one minute to the next (other tenants), more
than most changes are worth, so two runs one after the other compare the machine as much as
the code. Here REV (checked out in a temporary git worktree) and the working tree each grade
the same N generated notebooks with one judge (bench/one_judge.py) at the same time, one on
each CPU, and swap CPUs every round: whatever the machine does, it does to both. Prints,
per round and tree, what one submission cost (wall, the judge's CPU, the workers' user and
system CPU, their copy-on-write page faults) and the score sum, which must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

KEYS = ("wall_ms", "judge_ms", "worker_user_ms", "worker_system_ms", "faults")


def _start(tree: Path, pool: Path, n: int, cpu: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.Popen([sys.executable, str(HERE / "one_judge.py"), str(tree), str(pool), str(n)],
                            cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))


def _result(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate()
    if process.returncode != 0 or not out.strip():
        raise SystemExit(f"side_by_side: a measurement failed (exit {process.returncode})")
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev", nargs="?", default="HEAD~1")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("side_by_side: needs two CPUs")
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as tmp:
        work = Path(tmp)
        other = work / "rev"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other),
                        args.rev], check=True)
        try:
            pool = work / "pool"
            manifest = generate.build_pool(pool, args.n + 2)
            for entry in manifest:  # the infinite loop measures the cell limit, not the code
                if entry["category"] == "timeout":
                    (pool / entry["file"]).unlink()
            trees = {args.rev: other, "working tree": ROOT}
            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
            for round_ in range(args.rounds):
                order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
                running = {name: _start(trees[name], pool, args.n, cpus[i])
                           for i, name in enumerate(order)}
                for name, process in running.items():
                    rows[name].append(_result(process))
                    row = rows[name][-1]
                    print(f"round {round_ + 1} {name:>12}: " + "  ".join(
                        f"{k} {row[k]:.1f}" for k in KEYS) + f"  score sum {row['score_sum']:.2f}",
                        flush=True)
            print("median per submission:")
            for name, results in rows.items():
                print(f"  {name:>12}: " + "  ".join(
                    f"{k} {statistics.median(r[k] for r in results):.1f}" for k in KEYS))
            sums = {r["score_sum"] for results in rows.values() for r in results}
            print("scores: " + ("equal" if len(sums) == 1 else f"DIFFER {sorted(sums)}"))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                           check=False)


if __name__ == "__main__":
    main()
