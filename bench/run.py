"""Benchmark: our batch grader against otter-grader and against the no-isolation floor.

    make bench            # 200 submissions, otter sample of 10, scaling 50 / 200 / 500
    make bench QUICK=1    # 20 submissions, otter sample of 3, scaling 10 / 20 / 40,
                          # cell_timeout_s 5 instead of 10

One run, one machine, one batch (bench/generate.py: fixtures with seeded
variations, a few crashing, exactly one timing out), measured three ways:

1. ours: `grade_batch(..., workers=None, progress=False)` into a fresh folder,
   with grading_config.yaml's limits except `cell_timeout_s` (lowered, so that
   the one never-ending notebook costs seconds, not half a minute);
2. otter: otter-grader 7's docker-free path (`otter.api.grade_submission`),
   with the autograder zip `otter assign` builds from the lab's master notebook, on
   an evenly spaced sample of the batch, run in as many lanes as we have
   workers; the batch's figure is extrapolated from the sample's throughput;
3. floor: the same student code and the same hidden checks in warm processes
   with no isolation at all (bench/floor.py), as many processes as workers;
   the never-ending notebook is left out.

Each phase runs in child processes; the peak memory of all of them together
(RSS summed over every descendant of this process every 50 ms, PSS every second:
reading PSS walks page tables, too costly to do more often beside what is timed) is
the phase's peak. Then grading time is measured for growing batches. Results
go to bench/results/latest.json. `--lab DIR` benchmarks another lab folder (default:
this repository's root, lab 5), its batch generated from `--fixtures` (default: the lab's
tests/fixtures/submissions, holding reference_code.ipynb and mutant_*.ipynb).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

import generate
from treemem import TreeMemory

from autograder.lab import Lab

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
WORK = RESULTS / "work"
PHASES = BENCH / "phases.py"
GIB = 2**30


def log(message: str = "") -> None:
    print(message, flush=True)


def load_now() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def wall_stats(seconds: list[float]) -> dict[str, float]:
    return {"n": len(seconds), "median_s": statistics.median(seconds),
            "p95_s": percentile(seconds, 95), "mean_s": statistics.fmean(seconds),
            "max_s": max(seconds)}


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import psutil

    return {"cpu": model, "cores": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
            "python": platform.python_version(), "torch": metadata.version("torch"),
            "otter_grader": metadata.version("otter-grader"), "kernel": platform.release()}


def bench_config(cell_timeout: float, lab: Lab) -> Path:
    """The lab's grading_config.yaml with only limits.cell_timeout_s changed."""
    text = lab.config.read_text(encoding="utf-8")
    changed, count = re.subn(r"(?m)^(\s+cell_timeout_s:\s*)[0-9.]+", rf"\g<1>{cell_timeout:g}",
                             text)
    if count != 1:
        raise SystemExit("bench: cannot find limits.cell_timeout_s in grading_config.yaml")
    path = WORK / "grading_config.bench.yaml"
    path.write_text(changed, encoding="utf-8")
    return path


def run_lanes(commands: list[list[str]], label: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run phase processes side by side; their results and the phase's wall/peak memory."""
    import psutil

    logs = [WORK / f"{label}-lane{i}.log" for i in range(len(commands))]
    before = load_now()
    cpu_before, ours_before = psutil.cpu_times(), os.times()
    started = time.monotonic()
    with TreeMemory(os.getpid(), include_root=False) as memory:
        procs = [subprocess.Popen(cmd, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
                                  cwd=ROOT) for cmd, log_path in zip(commands, logs, strict=True)]
        codes = [p.wait() for p in procs]
    wall = time.monotonic() - started
    cpu_after, ours_after = psutil.cpu_times(), os.times()
    # CPU time of every process of the machine, and of this benchmark's own (all waited for)
    busy = sum(getattr(cpu_after, f) - getattr(cpu_before, f)
               for f in ("user", "nice", "system", "irq", "softirq"))
    own = (ours_after.children_user - ours_before.children_user
           + ours_after.children_system - ours_before.children_system)
    # (the memory sampler is this process's own thread: not another tenant)
    other_share = max(busy - own - memory.cpu_s, 0.0) / (wall * (os.cpu_count() or 1))
    for code, log_path in zip(codes, logs, strict=True):
        if code != 0:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise SystemExit(f"bench: {label} phase failed (exit {code}); {log_path}:\n{tail}")
    results = [json.loads(Path(cmd[3]).read_text()) for cmd in commands]
    return results, {"process_wall_s": wall, "peak_rss_bytes": memory.peak_bytes,
                     "peak_pss_bytes": memory.peak_pss_bytes,
                     "peak_processes": memory.peak_processes, "load_before": before,
                     "load_after": load_now(), "own_cpu_s": own, "sampler_cpu_s": memory.cpu_s,
                     "other_cpu_share": other_share}


def phase_ours(batch: Path, config: Path, label: str, lab: Lab) -> dict[str, Any]:
    out = WORK / f"out-{label}"
    shutil.rmtree(out, ignore_errors=True)
    result_file = WORK / f"{label}.json"
    (doc,), meta = run_lanes([[sys.executable, str(PHASES), "ours", str(result_file), str(batch),
                               "--config", str(config), "--out", str(out),
                               "--lab", str(lab.root)]], label)
    return {**doc, **meta}


def phase_lanes(kind: str, files: list[Path], lanes: int, *options: str) -> dict[str, Any]:
    """`phases.py KIND` on the files, dealt round-robin to `lanes` processes running side by
    side (what `workers` is to ours)."""
    commands = []
    for lane in range(lanes):
        share = files[lane::lanes]
        if share:
            commands.append([sys.executable, str(PHASES), kind, str(WORK / f"{kind}-{lane}.json"),
                             *map(str, share), *options])
    docs, meta = run_lanes(commands, kind)
    return {"lanes": len(commands), "submissions": [r for doc in docs for r in doc["submissions"]],
            "graded_span_s": max(d["ended"] for d in docs) - min(d["started"] for d in docs),
            "docs": docs, **meta}


def build_otter_zip(lab: Lab) -> Path:
    """The zip an otter instructor builds: `otter assign` on the master, with generation on."""
    folder = WORK / "otter"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    notebook = json.loads(lab.master.read_text(encoding="utf-8"))
    config_cell = next(c for c in notebook["cells"] if c["cell_type"] == "raw"
                       and "".join(c["source"]).startswith("# ASSIGNMENT CONFIG"))
    config_cell["source"] = [line.replace("generate: false", "generate: true")
                             for line in config_cell["source"]]
    (folder / lab.notebook_name).write_text(json.dumps(notebook), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "otter", "assign", "--no-run-tests", "--no-pdfs",
                           lab.notebook_name, "dist"], cwd=folder, capture_output=True, text=True)
    zips = sorted((folder / "dist" / "autograder").glob("*.zip"))
    if proc.returncode != 0 or not zips:
        raise SystemExit(f"bench: otter assign failed:\n{proc.stdout}\n{proc.stderr}")
    return zips[0]


def linear_fit(points: list[tuple[int, float]]) -> dict[str, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return {"fixed_s": intercept, "per_submission_s": slope,
            "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def evenly_spaced(items: list[Any], n: int) -> list[Any]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def machine_note(meta: dict[str, Any]) -> str:
    return (f"  load average (1 min) {meta['load_before'][0]} before, {meta['load_after'][0]} after "
            f"(this phase's own processes count in it); other processes used "
            f"{100 * meta['other_cpu_share']:.1f}% of the CPUs meanwhile")


def fmt_gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 submissions, otter sample of 3, scaling 10/20/40, cell limit 5 s")
    parser.add_argument("--size", type=int, help="submissions in the main batch (default 200)")
    parser.add_argument("--otter-sample", type=int, help="notebooks graded by otter (default 10)")
    parser.add_argument("--scaling", help="comma-separated batch sizes (default 50,200,500)")
    parser.add_argument("--cell-timeout", type=float,
                        help="limits.cell_timeout_s for ours (default 10; 5 with --quick)")
    parser.add_argument("--skip-otter", action="store_true")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--lab", type=Path, default=ROOT,
                        help="the lab folder to benchmark (default: this repository's root)")
    parser.add_argument("--fixtures", type=Path, default=None,
                        help="the notebooks the batch is generated from (default: the lab's "
                        "tests/fixtures/submissions)")
    args = parser.parse_args()
    lab = Lab.load(args.lab)
    generate.FIXTURES = args.fixtures or lab.root / "tests" / "fixtures" / "submissions"
    size = args.size or (20 if args.quick else 200)
    sample = args.otter_sample or (3 if args.quick else 10)
    scaling = [int(s) for s in (args.scaling or ("10,20,40" if args.quick else "50,200,500"))
               .split(",")]
    if args.cell_timeout is None:
        args.cell_timeout = 5.0 if args.quick else 10.0
    lanes = os.cpu_count() or 1  # what grade_batch(workers=None) uses
    t_start = time.monotonic()

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    info = machine()
    log(f"{lab.name} autograder benchmark ({'quick' if args.quick else 'default'}): "
        f"{size} submissions, seed {generate.SEED}")
    log(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
        f"Python {info['python']}, torch {info['torch']}, otter-grader {info['otter_grader']}; "
        f"load average {' '.join(map(str, load_now()))}")

    pool = WORK / "pool"
    manifest = generate.build_pool(pool, max([size, *scaling]))
    batch = generate.subset(pool, manifest, size, WORK / f"batch-{size}")
    entries = manifest[:size]
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["category"]] = counts.get(entry["category"], 0) + 1
    log(f"batch: {size} notebooks from {generate.FIXTURES} with seeded variations: "
        + ", ".join(f"{n} {c}" for c, n in sorted(counts.items())))
    config = bench_config(args.cell_timeout, lab)
    log(f"config: grading_config.yaml with limits.cell_timeout_s = {args.cell_timeout:g} "
        "(so the one timing-out notebook costs seconds, not the configured limit); "
        "all other limits as configured")
    report: dict[str, Any] = {"mode": "quick" if args.quick else "default", "size": size,
                              "seed": generate.SEED, "machine": info, "batch": counts,
                              "cell_timeout_s": args.cell_timeout, "lanes": lanes,
                              "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}

    # 1. ours
    correct_ids = {e["id"] for e in entries if e["category"] == "correct"}
    log(f"\n[ours] grade_batch(workers=None → {lanes}) on {size} notebooks ...")
    ours = phase_ours(batch, config, f"ours-{size}", lab)
    ours_records = ours["submissions"]
    ours_wall = wall_stats([r["seconds"] for r in ours_records])
    ours_tput = size / ours["grade_batch_s"]
    statuses: dict[str, int] = {}
    for r in ours_records:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    log(f"  {ours['summary'].splitlines()[0]}")
    log(machine_note(ours))
    full = [r for r in ours_records if r["id"] in correct_ids]
    full_marks = sum(1 for r in full if r["score"] == r["max_score"])
    log(f"  sanity: {full_marks}/{len(full)} correct notebooks got full marks"
        + ("" if full_marks == len(full) else "  <-- WARNING: the grader or the tree changed?"))
    for warning in ours["sandbox_warnings"]:
        log(f"  sandbox: {warning}")
    report["ours"] = {"grade_batch_s": ours["grade_batch_s"], "throughput_per_s": ours_tput,
                      "per_submission": ours_wall, "statuses": statuses,
                      "peak_rss_bytes": ours["peak_rss_bytes"],
                           "peak_pss_bytes": ours["peak_pss_bytes"],
                      "peak_processes": ours["peak_processes"],
                      "load": [ours["load_before"], ours["load_after"]],
                           "other_cpu_share": ours["other_cpu_share"],
                      "sandbox_warnings": ours["sandbox_warnings"],
                      "correct_with_full_marks": [full_marks, len(full)]}

    # 2. floor
    timeout_ids = {e["id"] for e in entries if e["category"] == "timeout"}
    floor_files = [batch / e["file"] for e in entries if e["id"] not in timeout_ids]
    floor: dict[str, Any] | None = None
    if not args.skip_floor:
        log(f"\n[floor] {len(floor_files)} notebooks in {lanes} warm in-process lanes, no "
            f"isolation (the timing-out notebook left out) ...")
        floor = phase_lanes("floor", floor_files, lanes, "--config", str(config),
                            "--lab", str(lab.root))
        floor_wall = wall_stats([r["seconds"] for r in floor["submissions"]])
        floor_tput = len(floor["submissions"]) / floor["graded_span_s"]
        ours_by_id = {r["id"]: r for r in ours_records}
        same = sum(1 for r in floor["submissions"]
                   if abs(r["score"] - ours_by_id[r["id"]]["score"]) < 1e-9)
        common = wall_stats([ours_by_id[r["id"]]["seconds"] for r in floor["submissions"]])
        log(f"  done in {floor['graded_span_s']:.1f} s; scores equal to ours for {same}/"
            f"{len(floor['submissions'])} notebooks")
        log(machine_note(floor))
        report["floor"] = {"n": len(floor["submissions"]), "lanes": floor["lanes"],
                           "graded_span_s": floor["graded_span_s"],
                           "throughput_per_s": floor_tput, "per_submission": floor_wall,
                           "cells_median_s": statistics.median(
                               r["cells_s"] for r in floor["submissions"]),
                           "checks_median_s": statistics.median(
                               r["checks_s"] for r in floor["submissions"]),
                           "ours_same_notebooks": common, "scores_equal_to_ours": same,
                           "peak_rss_bytes": floor["peak_rss_bytes"],
                           "peak_pss_bytes": floor["peak_pss_bytes"],
                           "load": [floor["load_before"], floor["load_after"]],
                           "other_cpu_share": floor["other_cpu_share"]}

    # 3. otter
    otter: dict[str, Any] | None = None
    if not args.skip_otter:
        candidates = [e for e in entries if e["id"] not in timeout_ids]
        chosen = evenly_spaced(candidates, sample)
        log("\n[otter] building the otter autograder zip (otter assign on the master) ...")
        zip_path = build_otter_zip(lab)
        log(f"[otter] otter.api.grade_submission on a sample of {len(chosen)} of the {size} "
            f"notebooks ({', '.join(e['id'] for e in chosen)}) in {lanes} lanes ...")
        otter = phase_lanes("otter", [batch / e["file"] for e in chosen], lanes, "--zip",
                            str(zip_path))
        otter_wall = wall_stats([r["seconds"] for r in otter["submissions"]])
        otter_tput = len(otter["submissions"]) / otter["graded_span_s"]
        errors = [r for r in otter["submissions"] if r["status"] != "graded"]
        retried = [r["id"] for r in otter["submissions"] if r.get("attempts", 1) > 1]
        log(f"  done in {otter['graded_span_s']:.1f} s; {len(errors)} not graded by otter"
            + (f"; retried once after otter's kernel died at start (both attempts timed): "
               f"{', '.join(retried)}" if retried else "")
            + "".join(f"\n    {r['id']}: {r['status']}" for r in errors))
        log(machine_note(otter))
        report["otter"] = {"sample": [e["id"] for e in chosen], "lanes": otter["lanes"],
                           "graded_span_s": otter["graded_span_s"],
                           "throughput_per_s": otter_tput, "per_submission": otter_wall,
                           "extrapolated_batch_s": size / otter_tput,
                           "not_graded": {r["id"]: r["status"] for r in errors},
                           "retried": retried,
                           "scores": {r["id"]: r.get("score") for r in otter["submissions"]},
                           "peak_rss_bytes": otter["peak_rss_bytes"],
                           "peak_pss_bytes": otter["peak_pss_bytes"],
                           "load": [otter["load_before"], otter["load_after"]],
                           "other_cpu_share": otter["other_cpu_share"]}

    # 4. scaling
    points: list[tuple[int, float]] = []
    scaling_rows = []
    for n in scaling:
        if n == size:
            seconds, peak = ours["grade_batch_s"], ours["peak_rss_bytes"]
            other, records = ours["other_cpu_share"], ours_records
            note = "(the run above)"
        else:
            log(f"\n[scaling] grade_batch on the first {n} notebooks ...")
            folder = generate.subset(pool, manifest, n, WORK / f"batch-{n}")
            run = phase_ours(folder, config, f"ours-{n}", lab)
            seconds, peak = run["grade_batch_s"], run["peak_rss_bytes"]
            note = ""
            log(f"  {run['summary'].splitlines()[0]}")
            log(machine_note(run))
            other, records = run["other_cpu_share"], run["submissions"]
        points.append((n, seconds))
        # what one notebook costs a lane in this run (the timing-out one left out)
        own = statistics.median(r["seconds"] for r in records if r["status"] != "timeout")
        scaling_rows.append({"n": n, "seconds": seconds, "per_submission_s": seconds / n,
                             "median_submission_s": own, "peak_rss_bytes": peak,
                             "other_cpu_share": other, "note": note})
    fit = linear_fit(points) if len(points) >= 2 else {}
    report["scaling"] = {"runs": scaling_rows, "fit": fit}
    report["total_bench_s"] = time.monotonic() - t_start
    report["load_at_end"] = load_now()

    # ----------------------------------------------------------------- summary
    log("\n" + "=" * 78)
    log(f"{'':28}{'per-submission wall':>22}{'throughput':>13}{'peak memory':>15}")
    log(f"{'':28}{'median':>11}{'p95':>11}{'subm/s':>13}{'(tree RSS)':>15}")

    def row(label: str, wall: dict[str, float], tput: float, peak: float) -> None:
        log(f"{label:28}{wall['median_s']:>10.2f}s{wall['p95_s']:>10.2f}s{tput:>13.2f}"
            f"{fmt_gib(peak):>15}")

    row(f"ours ({lanes} workers, n={size})", ours_wall, ours_tput, ours["peak_rss_bytes"])
    if floor is not None:
        row(f"floor ({floor['lanes']} procs, n={report['floor']['n']})", floor_wall, floor_tput,
            floor["peak_rss_bytes"])
    if otter is not None:
        row(f"otter ({otter['lanes']} lanes, sample {len(otter['submissions'])})", otter_wall,
            otter_tput, otter["peak_rss_bytes"])
    log("")
    log(f"ours: {size} notebooks in {ours['grade_batch_s']:.1f} s (grade_batch call: zygote "
        f"start, grading, gradebook, dashboard); statuses "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    goals = {}
    if otter is not None:
        ratio = ours_tput / otter_tput
        goals["throughput >= 25x otter"] = ratio >= 25
        report["ratios"] = {**report.get("ratios", {}), "ours_over_otter_throughput": ratio,
                            "otter_over_ours_median_wall": otter_wall["median_s"]
                            / ours_wall["median_s"]}
        log(f"otter: EXTRAPOLATED from a sample of {len(otter['submissions'])}: "
            f"{size} notebooks would take ~{size / otter_tput:.0f} s "
            f"({otter['lanes']} parallel lanes, one warm otter import per lane)")
        log(f"ours / otter throughput: {ratio:.1f}x   (goal >= 25x: "
            f"{'met' if ratio >= 25 else 'NOT met'})")
    if floor is not None:
        common = report["floor"]["ours_same_notebooks"]
        wall_ratio = common["median_s"] / floor_wall["median_s"]
        goals["per-submission wall <= 1.5x floor"] = wall_ratio <= 1.5
        report["ratios"] = {**report.get("ratios", {}),
                            "ours_over_floor_median_wall": wall_ratio,
                            "ours_over_floor_mean_wall": common["mean_s"] / floor_wall["mean_s"],
                            "floor_over_ours_throughput": floor_tput / ours_tput}
        log(f"ours / floor per-submission wall (median, same {report['floor']['n']} notebooks): "
            f"{common['median_s']:.2f} / {floor_wall['median_s']:.2f} s = {wall_ratio:.2f}x   "
            f"(goal <= 1.5x: {'met' if wall_ratio <= 1.5 else 'NOT met'}); "
            f"mean {common['mean_s'] / floor_wall['mean_s']:.2f}x; throughput floor / ours "
            f"{floor_tput / ours_tput:.2f}x")
        log(f"floor breakdown (median): cells {report['floor']['cells_median_s']:.3f} s, checks "
            f"{report['floor']['checks_median_s']:.3f} s; the timing-out notebook is not in it")
    goals["peak PSS < 1.5 GiB"] = ours["peak_pss_bytes"] < 1.5 * GIB
    log(f"ours peak memory: {fmt_gib(ours['peak_pss_bytes'])} PSS (goal < 1.5 GiB: "
        f"{'met' if goals['peak PSS < 1.5 GiB'] else 'NOT met'}), "
        f"{fmt_gib(ours['peak_rss_bytes'])} summed RSS over "
        f"{ours['peak_processes']} processes at most (RSS counts pages shared with the zygote "
        "once per worker, so this is an upper bound)")
    log("\nscaling (ours, first n notebooks of the same pool; each has the timing-out one):")
    log(f"{'n':>6}{'total s':>10}{'s/subm':>9}{'median':>9}{'peak mem':>12}{'other CPU':>11}")
    for r in scaling_rows:
        log(f"{r['n']:>6}{r['seconds']:>10.1f}{r['per_submission_s']:>9.3f}"
            f"{r['median_submission_s']:>8.3f}s"
            f"{fmt_gib(r['peak_rss_bytes']):>12}{100 * r['other_cpu_share']:>10.1f}%  {r['note']}")
    if fit:
        per = [r["per_submission_s"] for r in scaling_rows]
        marginal = [(b["seconds"] - a["seconds"]) / (b["n"] - a["n"])
                    for a, b in itertools.pairwise(scaling_rows)]
        # Linear: a fixed cost plus a cost per notebook that does not grow with the batch.
        # Measured as what the last step's notebooks added to the wall, each (the marginal
        # between the two largest sizes), against what a notebook of the smallest batch
        # costs its lane (its median grading time / lanes): within 25 % (this machine's
        # noise), and the notebooks' own median no slower in the largest batch than in the
        # smallest. Not each marginal against the first (this bench's earlier rule): at the
        # smallest size one lane spends the timing-out notebook's 10 s while the other runs
        # out of work and waits, so the first step's notebooks fill idle time and look cheap
        # (wall(n) ≈ start + max(10 s, n·t / lanes)): that rule failed whenever a notebook
        # cost a lane less than ~0.13 s — the faster the grading, the surer the failure —
        # and it is still printed.
        # (R² is reported, not required: a falling marginal cost lowers it)
        first_own = scaling_rows[0]["median_submission_s"]
        last_own = scaling_rows[-1]["median_submission_s"]
        linear = (marginal[-1] <= 1.25 * first_own / lanes and last_own <= 1.25 * first_own)
        earlier_rule = max(marginal[1:], default=0.0) <= 1.25 * marginal[0]
        report["scaling"]["earlier_rule_each_marginal_within_first"] = earlier_rule
        goals["linear growth"] = linear
        report["scaling"]["marginal_s_per_submission"] = marginal
        log(f"fit: total ≈ {fit['fixed_s']:.1f} s + {fit['per_submission_s']:.3f} s × n "
            f"(R² {fit['r2']:.4f}); marginal s/submission between sizes: "
            + ", ".join(f"{m:.3f}" for m in marginal)
            + f"; s/submission {per[0]:.3f} at n={scaling_rows[0]['n']}, {per[-1]:.3f} at "
            f"n={scaling_rows[-1]['n']}")
        log(f"linear: the last step's marginal {marginal[-1]:.3f} s against a notebook's own "
            f"{first_own:.3f} s / {lanes} lanes = {first_own / lanes:.3f} s at "
            f"n={scaling_rows[0]['n']} (within 1.25×: {marginal[-1] / (first_own / lanes):.2f}×);"
            f" notebooks' median {first_own:.3f} s at n={scaling_rows[0]['n']}, {last_own:.3f} s "
            f"at n={scaling_rows[-1]['n']} (goal linear: {'met' if linear else 'NOT met'}; the "
            f"earlier rule, each marginal within 1.25× the first: "
            f"{'met' if earlier_rule else 'not met'})")
        if args.quick:
            log("  (quick batches are too small for the fixed cost — zygote start, the one "
                "timing-out notebook — to amortise: judge growth on the default run)")
    five_hundred = next((r for r in scaling_rows if r["n"] == 500), None)
    if five_hundred is not None:
        goals["500 notebooks < 60 s"] = five_hundred["seconds"] < 60
        log(f"500 notebooks: {five_hundred['seconds']:.1f} s, everything included (goal < 60 s: "
            f"{'met' if five_hundred['seconds'] < 60 else 'NOT met'})")
    report["goals"] = goals
    log(f"\nload average at end: {' '.join(map(str, report['load_at_end']))}; "
        f"benchmark took {report['total_bench_s']:.0f} s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    log(f"results: {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
