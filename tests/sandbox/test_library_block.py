"""harness.LibraryBlock alone: the named library operators are unavailable while it holds,
by every path to them, and back (values and gradients) after it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from autograder.sandbox.harness import LibraryBlock, LibraryBlocked, block_plan

CE_OPS = ("cross_entropy_loss", "nll_loss_forward", "nll_loss2d_forward")  # (as lab05 blocks)
SOFTMAX_OPS = ("softmax", "_softmax", "_safe_softmax", "log_softmax", "_log_softmax", "logsumexp")


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.randn(4, 3, generator=gen, requires_grad=True), torch.tensor([0, 1, 2, 1])


def _by_name(x, t):
    return F.cross_entropy(x, t)


def _soft_targets(x, t):
    return F.cross_entropy(x, F.one_hot(t, 3).float())


def _nll_of_log_softmax(x, t):
    return F.nll_loss(F.log_softmax(x, dim=1), t)


def _modes_off(x, t):
    with torch._C.DisableTorchFunction(), torch._C._DisableTorchDispatch():
        return F.cross_entropy(x, t)


def _inference_mode(x, t):
    with torch.inference_mode():
        return F.cross_entropy(x.detach(), t)


def _aten_directly(x, t):
    return torch.ops.aten.nll_loss_forward(x.log_softmax(1), t, None, 1, -100)[0]


def _c_binding(x, t):
    return torch._C._nn.cross_entropy_loss(x, t, None, 1, -100, 0.0)


def _nll_2d(x, t):
    return F.nll_loss(x.log_softmax(1)[:, :, None, None], t[:, None, None])


@pytest.mark.parametrize("path", [_by_name, _soft_targets, _nll_of_log_softmax, _modes_off,
                                  _inference_mode, _aten_directly, _c_binding, _nll_2d])
def test_every_path_to_a_blocked_operator_raises(path) -> None:
    x, t = _inputs()
    with LibraryBlock(block_plan(CE_OPS)), pytest.raises(LibraryBlocked):
        path(x, t)


@pytest.mark.parametrize("path", [
    lambda x: torch.softmax(x, 1), lambda x: F.softmax(x, dim=1), lambda x: x.softmax(1),
    lambda x: torch.special.softmax(x, 1), lambda x: F.softmin(x, dim=1),
    lambda x: torch.log_softmax(x, 1), lambda x: torch.special.log_softmax(x, 1),
    lambda x: x.logsumexp(1), lambda x: torch.special.logsumexp(x, 1),
    lambda x: torch.ops.aten._softmax(x, 1, False),
    lambda x: torch.ops.aten.softmax.int_out(x, 1, out=torch.empty_like(x))])
def test_every_softmax_path_is_blocked_through_the_operators_it_reaches(path) -> None:
    x, _ = _inputs()
    with LibraryBlock(block_plan(SOFTMAX_OPS)), pytest.raises(LibraryBlocked):
        path(x.detach())


def test_elementary_operators_still_run_and_the_library_is_back_after() -> None:
    x, t = _inputs()
    expected = F.cross_entropy(x, t)
    (expected_grad,) = torch.autograd.grad(expected, x)
    with LibraryBlock(block_plan(CE_OPS)):
        own = (x.logsumexp(1) - x.gather(1, t[:, None]).squeeze(1)).mean()
        softmax = torch.softmax(x, dim=1)  # not blocked here: only what was named
    assert torch.allclose(own, expected) and softmax.shape == x.shape
    after = F.cross_entropy(x, t)
    (grad,) = torch.autograd.grad(after, x)
    assert torch.equal(after, expected) and torch.equal(grad, expected_grad)


def test_the_block_is_lifted_when_the_call_raises() -> None:
    x, t = _inputs()
    with pytest.raises(ZeroDivisionError), LibraryBlock(block_plan(CE_OPS)):
        raise ZeroDivisionError
    assert torch.isfinite(F.cross_entropy(x, t))


def test_malformed_or_unknown_names_are_skipped() -> None:
    assert block_plan(["no_such_operator", "../x", "", 3, "A" * 100]) == []  # type: ignore[list-item]
    plan = dict(block_plan(["softmax", "_softmax", "gaussian_nll_loss"]))
    # every overload; composite ones at their composite kernel, the others wherever they
    # have a kernel (an MKL-DNN or nested tensor's softmax too), Python losses by their code;
    # each also where torch.vmap would reach it (a batching rule or decomposition)
    assert plan["softmax.int"] == ("CompositeImplicitAutograd", "FuncTorchBatched")
    assert {"CPU", "FuncTorchBatched", "MkldnnCPU", "NestedTensorCPU"} <= set(plan["_softmax"])
    # CUDA as any backend: where this build has a CUDA kernel for it
    cuda_kernel = torch._C._dispatch_has_kernel_for_dispatch_key("aten::_softmax", "CUDA")
    assert ("CUDA" in plan["_softmax"]) == cuda_kernel
    assert "Meta" not in plan["_softmax"] and plan["gaussian_nll_loss"] == ("python",)
    # a request's plan is checked entry by entry: malformed ones are dropped
    block = LibraryBlock([["mse_loss", ["CPU"]], ["../x", ["CPU"]], ["mse_loss", ["Meta"]],
                          ["mse_loss", "CPU"], ["x", ["python", "CPU"]], "x", 3])
    assert block.plan == (("mse_loss", ("CPU",)),)
    with LibraryBlock(None) as nothing:
        assert nothing.holds() and torch.isfinite(F.mse_loss(torch.ones(2), torch.zeros(2)))


@pytest.mark.parametrize("op, args", [
    ("_softmax", lambda x, t: (x, 1, False)), ("_log_softmax", lambda x, t: (x, 1, False)),
    ("logsumexp", lambda x, t: (x, [1], False)), ("mse_loss", lambda x, t: (x, t, 1)),
    ("logaddexp", lambda x, t: (x, t)),
])
def test_the_cuda_entry_is_blocked_with_or_without_a_cuda_kernel(op, args) -> None:
    """Sent to the CUDA key by hand (`redispatch`), a CPU tensor reaches the operator's CUDA
    kernel where the build has one (blocked there) or the catch-all kernel CUDA falls back to
    (blocked where it exists; else there is nothing to run): never the library's values.
    Each of these computes there without a block, on a build with or without CUDA."""
    x, t = torch.randn(3, 4), torch.randn(3, 4)
    overload = getattr(torch.ops.aten, op).default
    cuda = torch._C.DispatchKeySet(torch._C.DispatchKey.CUDA)
    assert torch.isfinite(overload.redispatch(cuda, *args(x, t))).all()
    with LibraryBlock(block_plan([op])) as block:
        with pytest.raises((LibraryBlocked, NotImplementedError, RuntimeError)):
            overload.redispatch(cuda, *args(x, t))
        assert block.holds()


def test_the_worker_keeps_every_entry_of_the_judges_plan() -> None:
    """An overload's name may hold capitals (`_ctc_loss.Tensor`): the worker's check of a
    request's plan dropped such entries, their kernels left unblocked (red team 23)."""
    plan = block_plan(["_ctc_loss", "softmax", "_softmax", "mse_loss", "logsumexp"])
    assert any(not name.islower() for name, _ in plan)  # (this torch has such an overload)
    assert LibraryBlock([list(entry) for entry in plan]).plan == tuple(plan)


def test_building_the_block_runs_no_python_a_notebook_can_reach(monkeypatch) -> None:
    """An outside red team's: a hook on the device query the block once made while it was
    being built rewrote its plan to a harmless operator. The block asks no device (both
    backends are blocked), so such a hook is never called."""
    reached = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: reached.append("is_available"))
    monkeypatch.setattr(torch._C, "_cuda_getDeviceCount", lambda: reached.append("count") or 0,
                        raising=False)
    x, t = _inputs()
    with LibraryBlock(block_plan(CE_OPS)) as block, pytest.raises(LibraryBlocked):
        assert block.holds()
        F.cross_entropy(x, t)
    assert reached == []


def test_holds_looks_at_every_planned_operator_of_the_callers_copy() -> None:
    """Every planned operator is looked at, not only the first, and against the plan the
    caller kept: a block whose plan was pointed at fewer (or other) operators does not
    vouch for the ones it was asked to block."""
    with LibraryBlock(block_plan(CE_OPS)) as block:
        kept = block.plan
        assert block.holds(kept)
        assert not block.holds((*kept, ("hardshrink", ("CPU",))))  # never blocked
        block.plan = (("hardshrink", ("CPU",)),)
        assert not block.holds()
    assert not LibraryBlock(block_plan(CE_OPS)).holds()  # never entered


def test_recorded_call_is_not_intact_when_a_recorder_list_is_swapped() -> None:
    """A recorder's list replaced by one that forgets (a list subclass whose append does
    nothing) during the call: the call's evidence is not taken as intact."""
    from autograder.sandbox.harness import RecordedCall

    class Forgets(list):
        def append(self, item: object) -> None:
            pass

    call = RecordedCall(block_plan(CE_OPS), record=True)

    def student(x, t):
        call.calls.names = Forgets()
        return (x.logsumexp(1) - x.gather(1, t[:, None]).squeeze(1)).mean()

    x, t = _inputs()
    call(student, x, t)
    assert not call.intact
    honest = RecordedCall(block_plan(CE_OPS), record=True)
    honest(lambda x, t: (x.logsumexp(1) - x.gather(1, t[:, None]).squeeze(1)).mean(), x, t)
    assert honest.intact and "logsumexp" in honest.calls.names


@pytest.mark.parametrize("path", [
    lambda x: torch.ops.aten._sparse_softmax.default(x.detach().to_sparse(), 1, False).to_dense(),
    lambda x: torch.ops.aten._sparse_log_softmax.default(x.detach().to_sparse(), 1, False).to_dense(),
    lambda x: torch.softmax(x.detach().to_mkldnn(), 1).to_dense(),
    lambda x: torch.nested.nested_tensor([x.detach()]).softmax(-1)])
def test_a_blocked_operator_is_blocked_for_every_layout(path) -> None:
    """A tensor of another layout goes to that layout's kernel (a sparse softmax has one at
    SparseCPU only): the block covers every key the operator has a kernel at."""
    x, _ = _inputs()
    try:
        path(x)  # (this build may lack a layout: then there is nothing to block)
    except (RuntimeError, NotImplementedError) as exc:
        pytest.skip(f"not in this build: {exc}")
    with LibraryBlock(block_plan((*SOFTMAX_OPS, "_sparse_softmax", "_sparse_log_softmax"))), \
            pytest.raises(LibraryBlocked):
        path(x)


def test_a_copy_of_a_python_library_loss_made_from_its_code_is_blocked_too() -> None:
    """A block swaps the code of the library's Python-written losses; a copy made beforehand
    from the code object (a tenth outside red team's `types.FunctionType(F.gaussian_nll_loss
    .__code__, ...)`, 2 * it is MSE) would run the original: refused when called, and taking
    the refusal away is lifting the block (a recorded call is then not intact)."""
    import sys
    import types

    from autograder.sandbox.harness import RecordedCall

    original = F.gaussian_nll_loss
    copy = types.FunctionType(original.__code__, original.__globals__, "copy",
                              original.__defaults__)
    copy.__kwdefaults__ = original.__kwdefaults__
    x = torch.randn(4)

    def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return 2 * copy(pred, target, torch.ones_like(pred))

    plan = block_plan(["gaussian_nll_loss"])
    with pytest.raises(LibraryBlocked), LibraryBlock(plan):
        mse(x, x * 2)
    assert torch.isfinite(mse(x, x * 2))  # the library is back after the block
    assert sys.gettrace() is None

    def lifts(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        sys.settrace(None)
        with torch._C.DisableTorchFunction():  # (past the recorder, as the red team's)
            return mse(pred, target)

    recorded = RecordedCall(plan, record=True)
    recorded(lifts, x, x * 2)
    assert not recorded.intact and sys.gettrace() is None


def test_a_refused_copy_is_what_ran_and_no_tampering() -> None:
    """A function that tries the copy and falls back to its own code when refused: the
    library is reported as called (the no-library check charges it, as for a blocked
    operator), and the trace function Python unset when the refusal was raised is no lifted
    block."""
    import sys
    import types

    from autograder.sandbox.harness import RecordedCall

    original = F.gaussian_nll_loss
    copy = types.FunctionType(original.__code__, original.__globals__, "copy",
                              original.__defaults__)
    copy.__kwdefaults__ = original.__kwdefaults__

    def falls_back(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        try:
            with torch._C.DisableTorchFunction():
                return 2 * copy(pred, target, torch.ones_like(pred))
        except Exception:
            return ((pred - target) ** 2).mean()

    recorded = RecordedCall(block_plan(["gaussian_nll_loss"]), record=True)
    x = torch.randn(4)
    assert torch.allclose(recorded(falls_back, x, x * 2), (x ** 2).mean())
    assert recorded.intact and "gaussian_nll_loss" in recorded.names
    assert sys.gettrace() is None


def test_a_whole_python_library_is_refused_by_where_its_code_comes_from() -> None:
    """SciPy and scikit-learn are stopped by the files their code comes from, not by names:
    an eleventh outside red team's softmax from `sklearn.utils.extmath.softmax` and SciPy's
    private `_logsumexp` passed a block that knew three public names. What is refused is
    reported as called; numpy (which students compute with) and the elementary torch
    operators still run, and everything runs again after the block."""
    import contextlib
    import sys

    import numpy as np
    import sklearn.utils.extmath as extmath
    from scipy.special import _logsumexp

    from autograder.sandbox.harness import RecordedCall

    rows = np.ones((2, 3))
    plan = block_plan(["scipy", "sklearn"])
    assert plan == [("scipy", ("package",)), ("sklearn", ("package",))]
    for library, name in ((lambda: extmath.softmax(rows), "sklearn"),
                          (lambda: _logsumexp._logsumexp(rows, None, axis=1, return_sign=False,
                                                         xp=np), "scipy")):
        with pytest.raises(LibraryBlocked, match=name), LibraryBlock(plan):
            library()

        def falls_back(x: torch.Tensor, library=library) -> torch.Tensor:
            with contextlib.suppress(Exception):  # (falls back to its own code)
                library()
            return x.exp() / x.exp().sum() + float(np.sum(rows)) * 0

        recorded = RecordedCall(plan, record=True)
        recorded(falls_back, torch.randn(3))
        assert recorded.intact and name in recorded.names
        assert sys.gettrace() is None
        library()  # (back after the block)


def test_numpys_log_sum_exp_is_refused_by_any_reference_to_its_methods() -> None:
    """A seventeenth outside red team's softmax came from `np.logaddexp.reduce` (compiled:
    no Python frame for the trace function). Under a block its methods are refused whatever
    reference reaches them (one taken before the call included), and so is a call through
    NumPy's own bindings; what was refused is reported as called. NumPy's elementary
    routines still run, and everything is back after the block."""
    import contextlib
    import sys

    import numpy as np

    from autograder.sandbox.harness import RecordedCall

    held = np.logaddexp  # (a reference taken before the block)
    rows = np.ones((2, 3))
    plan = block_plan(["numpy_logaddexp", "numpy_logaddexp2"])
    assert plan == [("numpy_logaddexp", ("ufunc",)), ("numpy_logaddexp2", ("ufunc",))]
    for reach, name in ((lambda: held.reduce(rows, axis=1), "numpy_logaddexp"),
                        (lambda: np.logaddexp(rows, rows), "numpy_logaddexp"),
                        (lambda: np.logaddexp.reduce(rows, axis=1), "numpy_logaddexp"),
                        (lambda: np.logaddexp2.accumulate(rows, axis=1), "numpy_logaddexp2")):
        with pytest.raises(LibraryBlocked, match=name), LibraryBlock(plan):
            reach()

        def falls_back(x: torch.Tensor, reach=reach) -> torch.Tensor:
            with contextlib.suppress(Exception):  # (its own code when refused)
                reach()
            return x.exp() / x.exp().sum() + float(np.exp(rows).sum()) * 0

        recorded = RecordedCall(plan, record=True)
        recorded(falls_back, torch.randn(3))
        assert recorded.intact and name in recorded.names
        assert sys.getprofile() is None and np.logaddexp is held
        assert np.allclose(held.reduce(rows, axis=1), np.log(3) + 1)  # (back after it)


def test_a_notebook_that_puts_numpys_routine_back_under_the_block_lifted_it() -> None:
    """Rebinding `np.logaddexp` to the routine during the call, or removing the block's
    profile function, is lifting the block: the recorded call is not intact."""
    import sys

    import numpy as np

    from autograder.sandbox.harness import RecordedCall

    held = np.logaddexp
    plan = block_plan(["numpy_logaddexp"])

    def rebinds(x: torch.Tensor) -> torch.Tensor:
        np.logaddexp = held
        return x

    def unprofiles(x: torch.Tensor) -> torch.Tensor:
        sys.setprofile(None)
        return x

    for lifts in (rebinds, unprofiles):
        recorded = RecordedCall(plan, record=True)
        recorded(lifts, torch.randn(3))
        assert not recorded.intact, lifts.__name__
        np.logaddexp = held


def _innermost(function):
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def _relabelled(function, done):
    """A copy of `function` whose code, and that of every library function its globals
    reach, says it comes from a cell (as red team 34's)."""
    import types

    function = _innermost(function)
    if id(function) in done:
        return done[id(function)]
    namespace = dict(function.__globals__)
    copy = types.FunctionType(function.__code__.replace(co_filename="<cell 3>"), namespace,
                              function.__name__, function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    done[id(function)] = copy
    for key, value in list(namespace.items()):
        inner = _innermost(value) if callable(value) else None
        if isinstance(inner, types.FunctionType) and "torch/_" in inner.__code__.co_filename:
            namespace[key] = _relabelled(inner, done)
    return copy


def test_a_relabelled_copy_of_torchs_reference_code_is_still_the_library() -> None:
    """Red team 34 rebuilt torch._decomp's log_softmax, and every library helper it reaches,
    with their file names changed to a cell's (`code.replace(co_filename=...)`, refused in a
    worker now, made here) and ran them under the block: library code is known by its
    bytecode, names and variables too."""
    from torch._decomp import decompositions

    copy = _relabelled(decompositions._log_softmax, {})
    x = torch.randn(3, 4)
    assert torch.allclose(copy(x, 1, False), torch.log_softmax(x, 1))  # (it is the library)
    with pytest.raises(LibraryBlocked), LibraryBlock(block_plan(["torch_refs"])):
        copy(x, 1, False)


def test_a_library_module_imported_after_the_seal_is_read_once(monkeypatch) -> None:
    """The signatures of a library module a cell imports join the block's as it starts, and
    a module is read once (reading every module again for each blocked call cost ~30 ms a
    call with scikit-learn loaded)."""
    import inspect
    import sys

    from torch._decomp import decompositions

    from autograder.sandbox import harness

    name = decompositions.__name__
    signature = harness._code_signature(inspect.unwrap(decompositions._log_softmax).__code__)
    without = harness.library_signatures([m for m in sys.modules if m != name])
    assert signature is not None and signature not in without
    monkeypatch.setattr(harness, "_ZYGOTE_MODULES", frozenset(sys.modules) - {name})
    monkeypatch.setattr(harness, "_SIGNATURES", without)
    monkeypatch.setattr(harness, "_LATER", {"modules": frozenset(), "signatures": frozenset(),
                                              "count": -1})
    read: list[frozenset[str]] = []
    original = harness.library_signatures

    def counted(only=None):  # type: ignore[no-untyped-def]
        read.append(frozenset(only))
        return original(only)

    monkeypatch.setattr(harness, "library_signatures", counted)
    now = harness._signatures_now()
    assert signature in now and without <= now
    assert harness._signatures_now() is now and read == [frozenset({name})]


def test_the_compilers_primitives_eager_code_is_the_library() -> None:
    """Red team 38 took a log-sum-exp core from `prims::prepare_softmax_online`, whose eager
    kernel is Python in torch._inductor (+2): its code is PyTorch's own, refused by folder."""
    import torch._inductor.inductor_prims  # (registers the primitive)

    x = torch.randn(3, 5)
    prepare = torch.ops.prims.prepare_softmax_online
    maximum, total = prepare(x, 1)  # (the library, outside a block)
    assert torch.allclose((maximum + total.log()).squeeze(1), torch.logsumexp(x, 1))
    with pytest.raises(LibraryBlocked), LibraryBlock(block_plan(["torch_refs"])):
        prepare(x, 1)


def test_an_implementation_is_matched_by_its_name_and_each_beginning_before_an_underscore():
    """An evidence worker disables torch's implementation of a blocked operator when the
    operator is its name, or a beginning of its name followed by `_` (`nll_loss` is
    `nll_loss_forward`'s), or its stem: the beginnings are computed once, in the zygote, and
    must be exactly those."""
    from autograder.sandbox.harness import _IMPLEMENTATIONS, _stem

    assert _IMPLEMENTATIONS, "torch's reference implementations were not found"
    for base, _, named, stem in _IMPLEMENTATIONS:
        assert stem == _stem(base)
        candidates = {base, base + "x", base[:-1], *(base[:i] for i in range(len(base) + 1))}
        for op in candidates:
            assert (op in named) == (base == op or base.startswith(op + "_")), (base, op)
    assert "nll_loss" in {base for base, _, named, _ in _IMPLEMENTATIONS if "nll_loss" in named}


def test_a_call_that_records_nothing_still_notices_its_block_lifted() -> None:
    """A value-only call under a block (asked in both workers and compared) whose code takes
    the block's refusal away is not intact either."""
    import sys

    from autograder.sandbox.harness import RecordedCall

    plan = block_plan(["gaussian_nll_loss"])
    x = torch.randn(4)

    def lifts(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        sys.settrace(None)
        return (pred - target) ** 2

    recorded = RecordedCall(plan, record=False)
    recorded(lifts, x, x * 2)
    assert not recorded.intact and sys.gettrace() is None
    honest = RecordedCall(plan, record=False)
    honest(lambda pred, target: (pred - target) ** 2, x, x * 2)
    assert honest.intact


def test_the_refusing_trace_holds_nothing_a_call_can_empty() -> None:
    """This stop's own review emptied the trace function's closure cells (its folders, its
    signatures, its swapped code) from inside a graded softmax and ran scikit-learn's softmax
    past the block (+1). Its state is now a tuple of frozen things in its defaults (which,
    like its code, the worker's audit hook refuses to change: `worker._refuse_native`)."""
    import sys

    import numpy as np
    import sklearn.utils.extmath as extmath

    from autograder.sandbox.harness import RecordedCall

    def empties_the_trace(x: torch.Tensor) -> torch.Tensor:
        trace = sys.gettrace()
        for cell in trace.__closure__ or ():  # (none now)
            cell.cell_contents = ()
        for part in trace.__defaults__[0]:
            if isinstance(part, (list, dict, set)):
                part.clear()
        return torch.from_numpy(extmath.softmax(x.numpy()[None].copy())[0])

    recorded = RecordedCall(block_plan(["sklearn"]), record=False)
    with pytest.raises(LibraryBlocked, match="sklearn"):
        recorded(empties_the_trace, torch.randn(3, dtype=torch.float64))
    assert "sklearn" in recorded.names
    extmath.softmax(np.ones((1, 3)))  # (back after the block)


def test_a_refusal_stays_counted_whatever_the_call_does_after() -> None:
    """Refused once (Python then unsets the trace function), a function that runs the
    library again with nothing tracing it and puts the trace function back before it
    returns has still reached the library: the refusal is counted where nothing counts it
    down (`LibraryBlock.refusals`), and reported as what ran."""
    import contextlib
    import sys

    import numpy as np
    import sklearn.utils.extmath as extmath

    from autograder.sandbox.harness import RecordedCall

    def refused_then_again(x: torch.Tensor) -> torch.Tensor:
        trace = sys.gettrace()
        with contextlib.suppress(LibraryBlocked):
            extmath.softmax(np.ones((1, 3)))
        value = extmath.softmax(x.numpy()[None].copy())[0]  # (no trace function now)
        reachable = [cell.cell_contents for cell in trace.__closure__ or ()]
        for part in [*reachable, *(trace.__defaults__ or ((),))[0]]:
            if isinstance(part, list):  # (a list of what it refused, emptied)
                part.clear()
        sys.settrace(trace)
        return torch.from_numpy(value)

    x = torch.randn(3, dtype=torch.float64)
    for record in (False, True):
        recorded = RecordedCall(block_plan(["sklearn"]), record=record)
        assert torch.allclose(recorded(refused_then_again, x), torch.softmax(x, 0))
        assert recorded.intact and "sklearn" in recorded.names
    assert sys.gettrace() is None
