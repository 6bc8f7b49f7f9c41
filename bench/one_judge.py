"""One judge grading a folder of notebooks, with the code of the tree it runs in; one JSON line.

    python bench/one_judge.py TREE POOL_DIR N     # (bench/side_by_side.py runs it)

Imports the grader from TREE (not from this file's tree), grades the first N notebooks of
POOL_DIR (the timing-out one is not there) with one `Grader`, as each judge of
`grade_batch` does, after two warm-up submissions (a call is planned once two made it),
and prints what one submission cost:
the judge's CPU, the CPU and copy-on-write page faults of the zygote and the workers it
forked (from /proc: what it has reaped), the wall time and the score sum (the same notebooks
must score the same in both trees).
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from pathlib import Path

from procstat import own_cpu, tree_stat  # (standard library only: imported before TREE's grader)


def main() -> None:
    tree, pool, n = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), int(sys.argv[3])
    sys.path[:] = [str(tree), *(p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent)]
    from autograder.config import load_config
    from autograder.grader import Grader, hidden_paths
    from autograder.lab import Lab
    from autograder.sandbox.client import Zygote
    from autograder.sandbox.zygote import warm_up

    files = sorted(pool.glob("*.ipynb"))[: n + 1]
    config_path = tree / "grading_config.yaml"
    config = load_config(config_path)
    hide = [Path(h) for h in hidden_paths([pool])]
    lab = Lab.load(tree)
    with Zygote(hide, overlap=warm_up, worker_modules=lab.worker_modules) as zygote:
        grader = Grader(config, config_path.read_text(), zygote.connect(), lab)
        if "rehearse" in inspect.signature(grader.settle).parameters:
            grader.settle(rehearse=True)  # (the plan: learned from the lab's solution)
        else:  # (a tree from before stop 51: its plans were learnt from two submissions)
            grader.settle()
        for name in ("warm-up", "warm-up again"):
            grader.grade(files[0], name)
        before, own, started = tree_stat(zygote.process.pid), own_cpu(), time.perf_counter()
        score = sum(grader.grade(path, path.stem).score for path in files[1:])
        wall = time.perf_counter() - started
        grader.close()
        time.sleep(0.3)  # (the last worker reaped)
        user, system, faults = (b - a for a, b in zip(before, tree_stat(zygote.process.pid),
                                                      strict=True))
    count = len(files) - 1
    print(json.dumps({"wall_ms": wall / count * 1e3, "judge_ms": (own_cpu() - own) / count * 1e3,
                      "worker_user_ms": user / count * 1e3,
                      "worker_system_ms": system / count * 1e3, "faults": faults / count,
                      "score_sum": score, "n": count}))


if __name__ == "__main__":
    main()
