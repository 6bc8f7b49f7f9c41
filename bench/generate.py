"""A realistic, reproducible batch of submissions for the benchmark.

Every notebook is one of the engine's fixtures (tests/fixtures/submissions: the
reference solution, valid alternatives, one-mistake mutants, an incomplete
notebook), made unique by a comment line carrying its index, so that no two
files have the same bytes. A few crash (a cell that raises, `sys.exit`,
`os._exit`) and exactly one never ends (`hostile_infinite_loop`). The mix is
drawn from a fixed seed: the same arguments always give the same files.

The pool is built once at its largest size; a batch of n submissions is its
first n files, so every size contains the timing-out notebook (index 7) and a
proportional share of crashing ones.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
SEED = 20240905
TIMEOUT_INDEX = 7  # inside the first 10, so even the smallest quick batch has it

CORRECT = {"reference_code": 30, "alt_huber_piecewise_mask": 5,
           "alt_training_model_zero_grad_inference_mode": 5, "alt_classifier_module_class": 5}
INCOMPLETE = {"honest_only_mse": 5}
CRASHING = ["raises_mid_notebook", "hostile_sys_exit", "hostile_os_exit"]
TIMING_OUT = "hostile_infinite_loop"


def _mutants() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("mutant_*.ipynb"))


def _kind_for(index: int, rng: random.Random) -> tuple[str, str]:
    """(category, fixture) of the submission at `index`."""
    if index == TIMEOUT_INDEX:
        return "timeout", TIMING_OUT
    if index % 40 == 3:  # 1 in 40: 5 of 200, 13 of 500
        return "crash", CRASHING[(index // 40) % len(CRASHING)]
    mutants = _mutants()
    # about 45 % correct, 50 % one mistake, 5 % incomplete
    weights = {**CORRECT, **INCOMPLETE, **{m: 50 / len(mutants) for m in mutants}}
    names = list(weights)
    fixture = rng.choices(names, [weights[n] for n in names])[0]
    if fixture in CORRECT:
        return "correct", fixture
    if fixture in INCOMPLETE:
        return "incomplete", fixture
    return "mutant", fixture


def _load(fixture: str) -> dict:
    if fixture == "raises_mid_notebook":  # the reference, with a broken cell in the middle
        nb = json.loads((FIXTURES / "reference_code.ipynb").read_text())
        broken: dict[str, object] = {"cell_type": "code", "execution_count": None, "id": "cell-broken",
                  "metadata": {}, "outputs": [],
                  "source": ["results = {}\n", "print(results['accuracy'])  # KeyError"]}
        nb["cells"].insert(2, broken)
        return nb
    return json.loads((FIXTURES / f"{fixture}.ipynb").read_text())


def build_pool(out: Path, size: int, seed: int = SEED) -> list[dict[str, str]]:
    """Write `size` notebooks into `out`; return the manifest (one entry per file, in order)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ipynb"):
        old.unlink()
    rng = random.Random(seed)
    manifest = []
    cache: dict[str, dict] = {}
    for index in range(size):
        category, fixture = _kind_for(index, rng)
        if fixture not in cache:
            cache[fixture] = _load(fixture)
        nb = json.loads(json.dumps(cache[fixture]))
        # what otter's student notebook carries (otter refuses notebooks without it)
        nb["metadata"]["otter"] = {"assignment_name": "lab05"}
        first = nb["cells"][0]
        source = "".join(first["source"]) if isinstance(first["source"], list) else first["source"]
        first["source"] = (f"# submission {index:04d} ({fixture}), bench seed {seed}\n"
                           f"{source}")
        name = f"s{index:04d}"
        path = out / f"{name}.ipynb"
        path.write_text(json.dumps(nb, indent=1) + "\n")
        manifest.append({"id": name, "file": path.name, "category": category, "fixture": fixture})
    return manifest



def profile_pool(n: int) -> tuple[Path, list[Path]]:
    """The profilers' folder (results/profile) and the first `n` notebooks of the benchmark's
    pool there, without the one that times out (it would profile the limit, not the work)."""
    work = Path(__file__).resolve().parent / "results" / "profile"
    manifest = build_pool(work / "pool", n + 1)
    files = [work / "pool" / e["file"] for e in manifest if e["category"] != "timeout"][:n]
    return work, files

def subset(pool: Path, manifest: list[dict[str, str]], n: int, dest: Path) -> Path:
    """A folder holding the first `n` notebooks of the pool (what an instructor would pass)."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in manifest[:n]:
        target = dest / entry["file"]
        if not target.exists():
            os.link(pool / entry["file"], target)
    return dest
