"""The worker's snapshot: what it restores and reports, and that grading itself leaves no trace.

In-process (no sandbox): the snapshot is taken, things are patched the way hostile
notebooks patch them, and `verify` must put each back and name it; running every Part D
scenario on the reference (their own temporary patches of torch included) must leave
nothing to report, or honest students would be flagged.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from autograder.lab import Lab
from autograder.sandbox import harness, integrity
from autograder.sandbox.zygote import warm_up

ROOT = Path(__file__).resolve().parents[2]
LAB = Lab.load(ROOT)
training = LAB.import_checks("training")


def _verify(snapshot: integrity.Snapshot) -> list[str]:
    findings: list[tuple[str, tuple[str, ...]]] = []
    integrity.verify(snapshot, integrity.tools(), findings)
    return [what for what, _ in findings]


def test_patches_are_restored_and_reported() -> None:
    snapshot = integrity.take()
    real_is_grad_enabled, real_run = torch.is_grad_enabled, harness.run_scenario
    real_code = harness.gradients.__code__
    torch.is_grad_enabled = lambda: False  # type: ignore[assignment]
    harness.run_scenario = lambda *a: {}  # type: ignore[assignment]
    harness.gradients.__code__ = (lambda *a: None).__code__
    harness.isinstance = lambda *a: True  # type: ignore[attr-defined]
    torch.Tensor.__eq__ = lambda *a: True  # type: ignore[assignment,method-assign]
    found = _verify(snapshot)
    assert torch.is_grad_enabled is real_is_grad_enabled
    assert harness.run_scenario is real_run
    assert harness.gradients.__code__ is real_code
    assert not hasattr(harness, "isinstance")
    assert "__eq__" not in vars(torch.Tensor)
    for what in ("torch.is_grad_enabled", "harness.run_scenario", "harness.gradients",
                 "harness.isinstance", "torch.Tensor.__eq__"):
        assert any(what in f for f in found), (what, found)
    assert _verify(snapshot) == []


def test_scenarios_on_the_reference_leave_nothing_to_report() -> None:
    spec = importlib.util.spec_from_file_location("ref_for_snapshot",
                                                  ROOT / "solutions" / "reference.py")
    assert spec is not None and spec.loader is not None
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    ns = vars(reference)
    warm_up()  # as in the zygote the worker is forked from: torch's first-use patches done
    lab_modules = harness.load_lab_modules(LAB.worker_modules)  # as the zygote does
    snapshot = integrity.take(lab_modules)
    x, y = training.make_data(3)
    state = training.initial_state("bn_mlp", 3)
    for device, fake in (("cpu", False), ("meta", True)):
        params = {"arch": "bn_mlp", "state": state, "x": x, "y": y, "batch_size": 16,
                  "lr": 0.5, "start_train": True, "device": device, "fake_cuda": fake,
                  "seed": 3}
        for name in ("train_one_epoch", "evaluate"):
            outcome = harness.run_scenario(name, ns, params)
            assert outcome.get("error") is None, outcome.get("error")
            assert outcome["_findings"] == []
    harness.run_scenario("get_device", ns, {})
    harness.run_scenario("fit_stubbed", ns, {"epochs": 2, "train_base": 3.0, "eval_base": 2.0})
    assert _verify(snapshot) == []


def test_the_zygote_baseline_is_shared_until_a_module_is_imported(monkeypatch) -> None:
    """Workers start from the snapshot the zygote took once (`worker.prepare`), not one each;
    a worker whose process imported a module since takes its own (it would miss that one)."""
    import builtins
    import sys

    from autograder.sandbox import worker

    monkeypatch.setitem(sys.modules, "otter", sys.modules.get("otter"))
    monkeypatch.setattr(builtins, "get_ipython", None, raising=False)
    monkeypatch.setattr(worker, "_BASELINE", [])
    worker.prepare()
    shared = worker._BASELINE[0]
    assert worker._baseline() is shared
    assert shared.snapshot.size > 1000 and shared.calls.size < shared.snapshot.size
    assert _verify(shared.snapshot) == []  # what prepare set up is part of "untouched"
    monkeypatch.setitem(sys.modules, "a_module_imported_later", type(sys)("later"))
    fresh = worker._baseline()
    assert fresh is not shared and fresh.modules == len(sys.modules)


def _versions_through_changes(owner: object, name: str) -> list[int]:
    """The version of `owner`'s dict before and after each kind of change Python can make."""
    read = integrity.DICT_VERSION
    store = integrity._store(owner)
    assert type(store) is dict and store[name] is vars(owner)[name]  # (not a proxy)
    changes = [lambda: setattr(owner, name, print),
               lambda: store.__setitem__(name, abs),
               lambda: setattr(owner, "added", 1),
               lambda: delattr(owner, "added"),
               lambda: store.update({name: min}),
               lambda: store.pop(name)]
    seen = [read(store)]
    for change in changes:
        change()
        seen.append(read(store))
    before, again, value = read(store), "again", 2
    setattr(owner, again, value)
    setattr(owner, again, value)  # the very same object again: no change (the first was one)
    seen.append(read(store))
    assert seen[-1] != before
    return seen


def test_every_change_made_through_python_gives_a_namespace_a_new_version() -> None:
    """What `verify`'s fast path rests on: a module's or a class's dict whose version is the
    snapshot's holds the snapshot's bindings (`integrity.DICT_VERSION`)."""
    if integrity.DICT_VERSION is None:  # (another interpreter: every namespace is compared)
        return
    module = type(integrity)("scratch_namespace")
    module.f = len  # type: ignore[attr-defined]

    class Owner:
        def method(self) -> int:
            return 1

    for owner, name in ((module, "f"), (Owner, "method")):
        seen = _versions_through_changes(owner, name)
        assert len(set(seen)) == len(seen), (owner, seen)


def test_without_dict_versions_every_namespace_is_compared(monkeypatch) -> None:
    monkeypatch.setattr(integrity, "DICT_VERSION", None)
    snapshot = integrity.take()
    assert all(owner.version is None for owner in snapshot.owners)
    real = harness.run_scenario
    harness.run_scenario = lambda *a: {}  # type: ignore[assignment]
    found = _verify(snapshot)
    assert harness.run_scenario is real
    assert any("harness.run_scenario" in f for f in found)


def test_a_binding_put_back_by_the_notebook_itself_is_no_finding() -> None:
    """The version moved on (two changes), so the bindings are compared: all as they were."""
    snapshot = integrity.take()
    real = harness.run_scenario
    harness.run_scenario = lambda *a: {}  # type: ignore[assignment]
    harness.run_scenario = real
    assert _verify(snapshot) == []
