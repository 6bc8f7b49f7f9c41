"""The worker's snapshot: what it restores and reports, and that grading itself leaves no trace.

In-process (no sandbox): the snapshot is taken, things are patched the way hostile
notebooks patch them, and `verify` must put each back and name it; running every Part D
scenario on the reference (their own temporary patches of torch included) must leave
nothing to report, or honest students would be flagged.
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path
from typing import Any

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


def test_a_default_dtype_set_by_the_notebook_is_no_finding() -> None:
    """torch itself rebinds `torch.Storage` whenever the default dtype changes: a notebook
    that set float64 as its default was flagged as tampering and lost its scenarios (fresh
    eyes 22: 28 points). Its other bindings stay watched."""
    snapshot = integrity.take()
    try:
        torch.set_default_dtype(torch.float64)
        assert _verify(snapshot) == []
        real_tensor = torch.tensor
        torch.tensor = lambda *a, **k: None  # type: ignore[assignment]
        assert any("torch.tensor" in f for f in _verify(snapshot))
        assert torch.tensor is real_tensor
    finally:
        torch.set_default_dtype(torch.float32)


def test_scenarios_on_the_reference_leave_nothing_to_report() -> None:
    spec = importlib.util.spec_from_file_location("ref_for_snapshot",
                                                  ROOT / "solutions" / "reference.py")
    assert spec is not None and spec.loader is not None
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    ns = vars(reference)
    warm_up()  # as in the zygote the worker is forked from: torch's first-use patches done
    lab_modules = harness.load_lab_modules(LAB.worker_modules)  # as the zygote does
    harness.install()  # as the zygote does before its snapshot (`worker._shared_setup`)
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
    # not a namespace written, not a function's code, defaults or type changed: what the
    # first look of `verify` reads is as it was, so an honest worker's verify is that look
    assert _first_look_holds(snapshot)
    assert _first_look_holds(integrity.subset(snapshot, integrity.CALLS))
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
    assert isinstance(store, dict) and store[name] is vars(owner)[name]  # (not a proxy)
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

    class Fields(ctypes.Structure):  # its dict is ctypes' own dict subclass (the sandbox has two)
        _fields_ = [("n", ctypes.c_int)]

        def method(self) -> int:
            return 1

    for owner, name in ((module, "f"), (Owner, "method"), (Fields, "method")):
        seen = _versions_through_changes(owner, name)
        assert len(set(seen)) == len(seen), (owner, seen)


def test_without_dict_versions_every_namespace_is_compared(monkeypatch) -> None:
    monkeypatch.setattr(integrity, "DICT_VERSION", None)
    snapshot = integrity.take()
    assert all(owner.version is None for owner in snapshot.owners)
    assert snapshot.unchanged is None  # (no first look either: it reads the versions)
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


def _first_look_holds(snapshot: integrity.Snapshot) -> bool:
    unchanged = snapshot.unchanged
    assert unchanged is not None
    return bool(unchanged.as_bytes(unchanged.take(unchanged.where)) == unchanged.expected)


class _Untouchable:
    """Tools that fail when used: `verify` must not need them when nothing changed."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"verify used its tool {name}")

    def __iter__(self):  # (verify unpacks its tools)
        raise AssertionError("verify unpacked its tools")


def test_nothing_changed_is_one_look_at_the_words() -> None:
    """The common case reads the words the comparison rests on, in one call, and touches no
    binding (reading one through Python writes its reference count: a page copied in a fresh
    worker)."""
    snapshot = integrity.take()
    assert snapshot.unchanged is not None
    assert integrity.verify(snapshot, _Untouchable(), []) == 0  # type: ignore[arg-type]


def _set_code(f: Any, value: Any) -> None:
    f.__code__ = value


def _set_defaults(f: Any, value: Any) -> None:
    f.__defaults__ = value


def _set_kwdefaults(f: Any, value: Any) -> None:
    f.__kwdefaults__ = value


def test_each_kind_of_change_is_seen_past_the_first_look() -> None:
    """A function's code, defaults or keyword defaults changed in place (no namespace
    written), a class replaced, a binding replaced: each makes the first look differ, and the
    comparison then finds it and puts it back."""
    snapshot = integrity.take()
    target = harness.gradients  # a Python function of the harness
    code, defaults, kwdefaults = target.__code__, target.__defaults__, target.__kwdefaults__
    changes = [
        (lambda: _set_code(target, (lambda *a: None).__code__), "had its code replaced"),
        (lambda: _set_defaults(target, (1, 2, 3)), "had its code replaced"),
        (lambda: _set_kwdefaults(target, {"x": 1}), "had its code replaced"),
        (lambda: setattr(harness, "run_scenario", lambda *a: {}), "run_scenario was replaced"),
    ]
    for change, said in changes:
        change()
        assert not _first_look_holds(snapshot)
        found = _verify(snapshot)
        assert any(said in f for f in found), (said, found)
        assert (target.__code__, target.__defaults__, target.__kwdefaults__) == \
            (code, defaults, kwdefaults)
    assert _verify(snapshot) == []


def test_an_owner_given_another_class_is_seen_past_the_first_look() -> None:
    module = type(integrity)("scratch_owner")
    module.f = len  # type: ignore[attr-defined]
    snapshot = integrity.take([module])

    class Other(type(integrity)):  # type: ignore[misc]
        pass

    module.__class__ = Other
    assert not _first_look_holds(snapshot)
    assert any("scratch_owner had its type replaced" in f for f in _verify(snapshot))
    assert type(module) is type(integrity)


def test_an_unexpected_object_layout_means_no_first_look(monkeypatch) -> None:
    """The words are where CPython 3.11 keeps them; elsewhere (another layout) each word read
    would differ from what Python reads, and the snapshot goes without the first look."""
    monkeypatch.setattr(integrity, "_FUNC_CODE", integrity._FUNC_DEFAULTS)
    snapshot = integrity.take()
    assert snapshot.unchanged is None
    real = harness.run_scenario
    harness.run_scenario = lambda *a: {}  # type: ignore[assignment]
    assert any("harness.run_scenario" in f for f in _verify(snapshot))
    assert harness.run_scenario is real


class _Trap:
    """Stands for an owner's reader or a function: reading it fails the test."""

    def __call__(self, *args: object) -> object:
        raise AssertionError("an owner whose words did not change was read")

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"a function whose words did not change was read ({name})")


def test_a_namespace_torch_writes_itself_is_the_only_one_read_again() -> None:
    """Torch flips flags in `torch.utils._python_dispatch` whenever a dispatch mode (the ATen
    recorder of a recorded call) is entered and left: its version moves in every worker. The
    comparison then reads that namespace alone, not every binding and function again."""
    import torch.utils._python_dispatch as python_dispatch

    snapshot = integrity.take()
    with harness.AtenRecorder():
        torch.ones(2).sum()
    assert not _first_look_holds(snapshot)
    codes = snapshot.codes._replace(functions=tuple(_Trap() for _ in snapshot.codes.functions))
    trapped = integrity.Snapshot(
        tuple(o if o.owner is python_dispatch else o._replace(getter=_Trap(), store=_Trap())
              for o in snapshot.owners), codes, snapshot.unchanged)
    assert integrity.verify(trapped, integrity.tools(), []) == 0


def test_copying_or_saving_tensors_and_datasets_is_no_finding(tmp_path: Path) -> None:
    """Python caches a class's slot names on the class (`__slotnames__`) the first time one
    of its objects is copied or pickled: `torch.save(model.state_dict(), ...)`, `copy.copy`
    of a tensor, `copy.deepcopy` of a dataset or loader in a notebook added a name to a
    closed class, flagged as tampering (fresh eyes 17: 38 points)."""
    import copy
    import pickle

    from torch.utils.data import DataLoader, TensorDataset

    warm_up()  # (as the zygote is: torch's own first-use patches done)
    closed = (torch.Tensor, torch.nn.Parameter, TensorDataset, DataLoader, torch.optim.SGD)
    for cls in closed:  # (as in a fresh process, whatever this one copied before)
        vars(cls).get("__slotnames__") is not None and delattr(cls, "__slotnames__")
    snapshot = integrity.take()
    model = torch.nn.Linear(3, 2)
    torch.save(model.state_dict(), tmp_path / "checkpoint.pt")
    pickle.dumps(torch.zeros(2))
    copy.copy(torch.ones(3))
    data = TensorDataset(torch.randn(4, 3), torch.randint(0, 2, (4,)))
    copy.deepcopy(DataLoader(copy.deepcopy(data), batch_size=2))
    torch.save(torch.optim.SGD(model.parameters(), lr=0.1).state_dict(), tmp_path / "opt.pt")
    assert _verify(snapshot) == []


def test_torch_compile_in_a_notebook_is_no_finding() -> None:
    """`torch.compile`'s first use patches torch's own classes (nn.Module's `__init__`, the
    optimizers' `_init_group`): spent in the zygote's warm-up, before the snapshot, so that
    a notebook compiling a helper is not flagged (fresh eyes 17: 28 points, tampering)."""
    warm_up()
    snapshot = integrity.take()

    @torch.compile(backend="eager")
    def square(d: torch.Tensor) -> torch.Tensor:
        return d * d

    assert torch.equal(square(torch.full((3,), 2.0)), torch.full((3,), 4.0))
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(1, 2)).sum().backward()
    optimizer.step()
    assert _verify(snapshot) == []


def _model() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def _saved_and_loaded(value: Any) -> Any:
    import io

    buffer = io.BytesIO()
    torch.save(value, buffer)
    return torch.load(io.BytesIO(buffer.getvalue()), weights_only=False)


# Public PyTorch features a notebook may use in a cell or a helper, each run once after the
# snapshot: torch may set itself up on first use (a cache on a class, a patch of its own
# classes), which must never read as tampering (fresh eyes 17 found two such first uses).
FEATURES: dict[str, Any] = {
    "fx": lambda: torch.fx.symbolic_trace(_model()),
    "jit.trace": lambda: torch.jit.trace(_model(), torch.randn(2, 4)),
    "compile (eager)": lambda: torch.compile(lambda x: x * 2, backend="eager")(torch.ones(2)),
    "func": lambda: (torch.func.vmap(torch.sin)(torch.randn(3)),
                     torch.func.grad(lambda x: x.sin().sum())(torch.randn(3)),
                     torch.func.jacrev(torch.sin)(torch.randn(3))),
    "autograd.functional": lambda: torch.autograd.functional.jacobian(torch.exp, torch.randn(3)),
    "checkpoint": lambda: torch.utils.checkpoint.checkpoint(
        _model(), torch.randn(2, 4, requires_grad=True), use_reentrant=False).sum().backward(),
    "parametrizations": lambda: (
        torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 3)),
        torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(3, 3))),
    "distributions": lambda: (
        torch.distributions.Categorical(logits=torch.randn(3)).log_prob(torch.tensor(1)),
        torch.distributions.Normal(0.0, 1.0).sample()),
    "optimizers and schedulers": lambda: [
        torch.optim.lr_scheduler.StepLR(kind(_model().parameters(), lr=0.1), 1).step()
        for kind in (torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop)],
    "data": lambda: list(torch.utils.data.DataLoader(torch.utils.data.random_split(
        torch.utils.data.TensorDataset(torch.randn(10, 2)), [5, 5])[0], batch_size=2,
        shuffle=True)),
    "save and load": lambda: (_saved_and_loaded(_model()),
                              _saved_and_loaded(torch.optim.Adam(_model().parameters()))),
    "quantize_dynamic": lambda: torch.ao.quantization.quantize_dynamic(
        _model(), {torch.nn.Linear}, dtype=torch.qint8),
    "attention and transformer": lambda: torch.nn.TransformerEncoderLayer(4, 2, 8)(
        torch.randn(3, 1, 4)),
    "sparse and nested": lambda: (
        torch.sparse.mm(torch.randn(3, 3).to_sparse(), torch.randn(3, 2)),
        torch.nested.nested_tensor([torch.randn(2), torch.randn(3)])),
    "layers": lambda: (torch.nn.LazyLinear(3)(torch.randn(2, 4)),
                       torch.nn.LSTM(3, 4)(torch.randn(2, 1, 3)),
                       torch.nn.Conv2d(1, 2, 3)(torch.randn(1, 1, 5, 5))),
    "module conversions": lambda: _model().double().float().half().float().to("cpu"),
    "settings": lambda: (torch.use_deterministic_algorithms(True),
                         torch.use_deterministic_algorithms(False),
                         torch.set_default_dtype(torch.float64),
                         torch.set_default_dtype(torch.float32)),
    "testing": lambda: torch.testing.assert_close(torch.ones(2), torch.ones(2)),
}


def test_public_pytorch_features_used_in_a_notebook_are_no_finding() -> None:
    import warnings

    warm_up()
    snapshot = integrity.take()
    flagged = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, use in FEATURES.items():
            use()
            found = _verify(snapshot)
            if found:
                flagged[label] = found
    assert flagged == {}


def test_what_a_loader_runs_for_every_batch_is_restored_and_reported() -> None:
    """Red team 46 rebound the loader's iterator and its batch fetcher from a cell: at every
    batch of every training run, code of its own zeroed the gradients and set the modes the
    graded loop left out."""
    from torch.utils.data import dataloader
    from torch.utils.data._utils import collate, fetch

    snapshot = integrity.take()
    real_next = dataloader._BaseDataLoaderIter.__next__
    real_fetch, real_collate = fetch._MapDatasetFetcher.fetch, collate.default_collate
    dataloader._BaseDataLoaderIter.__next__ = lambda self: None  # type: ignore[method-assign]
    fetch._MapDatasetFetcher.fetch = lambda self, index: None  # type: ignore[method-assign]
    collate.default_collate = lambda batch: batch
    found = _verify(snapshot)
    assert dataloader._BaseDataLoaderIter.__next__ is real_next
    assert fetch._MapDatasetFetcher.fetch is real_fetch
    assert collate.default_collate is real_collate
    assert len(found) >= 3, found
    assert _verify(snapshot) == []
