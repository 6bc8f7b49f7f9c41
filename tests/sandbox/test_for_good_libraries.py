"""An evidence worker's libraries taken away for good (`harness.ForGood`): SciPy and
scikit-learn, which no worker loads, refused at import; NumPy's log-sum-exp routines gone.

Why for good: compiled code runs no Python frame for a per-call block's trace function to
refuse (stop 50's red team: scikit-learn's Cython losses, SciPy's `special.huber` ufunc, and
`functools.partial(np.logaddexp.reduce)` called from C all passed it). Each check runs in a
fresh interpreter: what it changes (`sys.meta_path`, NumPy's namespaces) is that process's,
and this one may have loaded SciPy already."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_grader_loads_neither_scipy_nor_scikit_learn() -> None:
    """What a worker has loaded cannot be taken from it: the harness imports neither."""
    found = _run("""
        import json, sys
        from autograder.sandbox import harness
        print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"scipy", "sklearn"})))
    """)
    assert found == []


def test_a_plan_naming_them_refuses_and_hides_them_and_finds_every_numpy_binding() -> None:
    found = _run("""
        import json, os
        from autograder.sandbox import harness
        plan = harness.block_plan(["scipy", "sklearn", "torch_refs", "numpy_logaddexp"])
        prepared = harness.prepare_for_good([list(e) for e in plan])
        print(json.dumps({"refused": prepared.refused, "hidden": prepared.hidden,
                          "ufuncs": prepared.ufuncs,
                          "folders": all(os.path.isdir(p) for p in prepared.hidden)}))
    """)
    assert found["refused"] == ["scipy", "sklearn"]  # (torch's own: loaded, left per call)
    assert found["folders"] and any(p.endswith("/scipy") for p in found["hidden"]) \
        and any(p.endswith("/sklearn") for p in found["hidden"])
    assert not any("torch" in p for p in found["hidden"])
    [(name, bindings)] = found["ufuncs"]
    assert name == "numpy_logaddexp" and ["numpy", "logaddexp"] in bindings


def test_blocked_for_good_a_library_import_gives_routines_that_refuse_by_name() -> None:
    """A notebook that imports the library at its top still defines its functions; what
    calls the library is refused, naming it (what a no-library check reads)."""
    found = _run("""
        import json
        from autograder.sandbox import harness
        harness.block_for_good(harness.block_plan(["scipy", "sklearn"]))
        import scipy.special as sps
        from sklearn._loss._loss import CyHalfSquaredError
        errors = []
        for call in (lambda: sps.huber(1.0, 2.0), lambda: CyHalfSquaredError(),
                     lambda: __import__("sklearn").utils.extmath.softmax([[1.0]])):
            try:
                call()
            except harness.LibraryBlocked as exc:
                errors.append(str(exc))
        print(json.dumps(errors))
    """)
    assert found == ["scipy is not available here", "sklearn is not available here",
                     "sklearn is not available here"]


def test_numpys_log_sum_exp_is_gone_however_it_was_to_be_reached() -> None:
    """Every binding refuses, `.reduce` too, and no loaded module binds the routine any more:
    a reference a cell takes afterwards (`functools.partial`) is the refusing one."""
    found = _run("""
        import functools, json
        import numpy as np
        from autograder.sandbox import harness
        harness.block_for_good(harness.block_plan(["numpy_logaddexp"]))
        kept = functools.partial(np.logaddexp.reduce, keepdims=True)
        refused = []
        for call in (lambda: kept(np.ones(3)), lambda: np.logaddexp(1.0, 2.0),
                     lambda: np._core.umath.logaddexp.reduce(np.ones(3))):
            try:
                call()
            except harness.LibraryBlocked as exc:
                refused.append(str(exc))
        still = [type(v).__name__ for m in list(__import__("sys").modules.values())
                 for v in list(getattr(m, "__dict__", {}).values()) if isinstance(v, np.ufunc)
                 and v.__name__ == "logaddexp"]
        print(json.dumps({"refused": refused, "still": still,
                          "add": float(np.add.reduce(np.ones(3)))}))
    """)
    assert found["refused"] == ["numpy_logaddexp is not available here"] * 3
    assert found["still"] == []
    assert found["add"] == 3.0  # (NumPy's other routines run as ever)


def test_the_package_folders_a_worker_hides_are_those_its_interpreter_does_not_use() -> None:
    """A virtual environment's base interpreter keeps packages of its own (a whole SciPy, a
    second NumPy: stop 50's red team imported them by path): not on this `sys.path`, so
    hidden from every worker (`rootfs.unused_package_folders`); nothing on it is."""
    found = _run("""
        import json, os, sys
        from autograder.sandbox import rootfs
        on_path = {os.path.realpath(p) for p in sys.path if p}
        hidden = rootfs.unused_package_folders()
        print(json.dumps({"hidden": hidden, "overlap": sorted(on_path & set(hidden)),
                          "venv": sys.prefix != sys.base_prefix}))
    """)
    assert found["overlap"] == []
    if found["venv"]:  # (this project runs in one: its base's site-packages is not used)
        assert any(p.endswith("site-packages") for p in found["hidden"]), found
