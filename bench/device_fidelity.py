"""Does the emulated GPU answer as a real one? Run on a GPU host, over corpora nobody picked.

The grader hides any GPU from its processes (`autograder/__init__.py`), so every device check
runs on the emulated GPU (`autograder.sandbox.devices`) on every host. The emulation is right
only where a real GPU would have answered the same. This runs every function of the lab's
GPU check (`<lab>_checks/test_gpu_inputs.py`, its `_calls`) from every module of the
self-test corpus — the reference's mechanical mutants, the hand-written mutants and
alternatives, the generated variants and the alternatives' own mutants — with the check's
inputs on the real GPU and on the emulated one, and compares what each did: returned or
raised; for an error, whether it is the device error the check names ("Expected all tensors
to be on the same device", `.numpy()` of a GPU tensor) or another; for a result, where each
of its tensors was left (GPU or CPU) and their values. Any difference is printed.

Usage, on a GPU host from the repository root (run by `bench/device_check.sh`):
    python3 bench/device_fidelity.py [--limit N] [--json OUT.json]
Without a GPU it compares the emulation with itself (a dry run of the script).

The modules are the project's own corpus, executed in this process: run it on a machine
given for the purpose, never on students' notebooks.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "solutions")]

import autograder  # noqa: E402,F401  (hides the GPU: it is handed back below)

os.environ.pop("CUDA_VISIBLE_DEVICES", None)  # (before torch first asks for it)

import torch  # noqa: E402

from autograder.lab import Lab  # noqa: E402
from autograder.sandbox import devices  # noqa: E402
from autograder.selftest import mutate, source  # noqa: E402
from autograder.selftest.library import load_library  # noqa: E402
from autograder.selftest.variants import as_alternatives, lab_corpus  # noqa: E402

MIXED = ("Expected all tensors to be on the same device",
         "indices should be either on cpu or on the same device")
NUMPY = "can't convert cuda"


class Slow(Exception):
    pass


def _alarm(*_: Any) -> None:
    raise Slow()


def corpus(lab: Lab, limit: int | None) -> list[tuple[str, str]]:
    """(name, module source) of every module of the self-test's corpus."""
    reference = source.reference_source(lab)
    mutants, alternatives = load_library(lab)
    alternatives = [*alternatives, *as_alternatives(lab_corpus(lab), None)]
    found: list[tuple[str, str]] = [("reference", reference)]
    for item in [*mutants, *alternatives]:
        try:
            found.append((item.name, item.transform(reference)))
        except Exception as exc:  # (a stale transform is the self-test's to report)
            print(f"skipped {item.name}: {exc}", file=sys.stderr)
    found += [(m.name, m.source) for m in mutate.lab_mutants(lab)]
    generated, _ = mutate.alternative_mutants(lab, alternatives)
    found += [(m.name, m.source) for m in generated]
    return found[:limit] if limit else found


def outcome(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], real: bool) -> tuple:
    """What one call did on the GPU: ("ok", devices, values) or ("raised", kind)."""
    args, kwargs = _clone(args), _clone(kwargs)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        value = devices.call_on_gpu(fn, list(args), kwargs, real)
        host, where = devices.to_host(value)
    except Slow:
        return ("slow",)
    except Exception as exc:
        message = str(exc)
        kind = ("mixed devices" if any(m in message for m in MIXED)
                else "numpy of a GPU tensor" if NUMPY in message else type(exc).__name__)
        return ("raised", kind, f"{type(exc).__name__}: {message.splitlines()[0][:200]}"
                if message else type(exc).__name__)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return ("ok", tuple(where), _plain(host))


def _clone(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(_clone(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype), tuple(value.shape), value.double().flatten().tolist())
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, float):
        return ("float", value)
    return value


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        if len(a) == 4 and a[:1] == ("tensor",) and a[:3] == b[:3]:
            return all(x == y or abs(x - y) <= 1e-5 * max(1.0, abs(y)) or (x != x and y != y)
                       for x, y in zip(a[3], b[3], strict=True))
        if len(a) == 2 and a[0] == "float" and b[0] == "float":
            return abs(a[1] - b[1]) <= 1e-5 * max(1.0, abs(b[1]))
        return all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def same(real: tuple, emulated: tuple) -> bool:
    if real[0] != emulated[0]:
        return False
    if real[0] == "ok":
        return real[1] == emulated[1] and _close(real[2], emulated[2])
    return real[:2] == emulated[:2]  # (raised: the same kind of error; its words are shown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N modules")
    parser.add_argument("--json", default=None, help="write every difference here")
    parser.add_argument("--only", default="*", help="only the modules whose names match (glob)")
    options = parser.parse_args()
    real = devices.real_gpu()
    print(f"torch {torch.__version__}; real GPU: {real}"
          + ("" if real else " (none: the emulation is compared with itself)"))
    lab = Lab.load(ROOT)
    from lab05_checks import test_gpu_inputs  # (the lab's GPU check: its inputs)

    calls = test_gpu_inputs._calls()
    signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    modules = [(name, code) for name, code in corpus(lab, options.limit)
               if fnmatch.fnmatchcase(name, options.only)]
    differences: list[dict[str, Any]] = []
    tally: Counter[str] = Counter()
    for name, code in modules:
        namespace: dict[str, Any] = {"__name__": name}
        try:
            exec(compile(code, name, "exec"), namespace)
        except Exception as exc:
            tally["module failed to load"] += 1
            print(f"{name}: does not load ({type(exc).__name__})", file=sys.stderr)
            continue
        for function, function_calls in calls.items():
            fn = namespace.get(function)
            if not callable(fn):
                continue
            for index, (args, kwargs) in enumerate(function_calls):
                on_gpu = outcome(fn, args, kwargs, real)
                emulated = outcome(fn, args, kwargs, False)
                tally[f"calls ({on_gpu[0]})"] += 1
                if not same(on_gpu, emulated):
                    tally["differences"] += 1
                    difference = {"module": name, "function": function, "call": index,
                                  "real": repr(on_gpu)[:300], "emulated": repr(emulated)[:300]}
                    differences.append(difference)
                    print(f"DIFFERENT {name} {function}#{index}: real {difference['real'][:160]}"
                          f" | emulated {difference['emulated'][:160]}")
    seconds = time.perf_counter() - started
    print(f"{len(modules)} modules, {sum(v for k, v in tally.items() if k.startswith('calls'))} "
          f"calls in {seconds:.1f} s: {dict(tally)}")
    print(f"{len(differences)} differences between the real GPU and the emulated one")
    if options.json:
        Path(options.json).write_text(json.dumps(differences, indent=1), encoding="utf-8")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
