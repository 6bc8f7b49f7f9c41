"""'Implement it yourself' checks: no library call of the function being written.

Why: a student asked to write cross-entropy from elementary operations can reach
the library's version by many paths — `F.cross_entropy`, `nn.CrossEntropyLoss`, an
alias, `torch._C._nn.cross_entropy_loss`, `torch.ops.aten...` — so the worker
records the torch functions called by name *and* every ATen op that reached the
dispatcher (after decomposition), and this module maps both to the library
function they belong to. The op table was measured (torch 2.13, CPU): e.g.
`F.cross_entropy` dispatches `aten::_log_softmax` + `aten::nll_loss_forward`, while an
honest `x - x.logsumexp(1)` or `log_softmax(...).gather(...)` dispatches neither
`nll_loss*` nor `cross_entropy_loss`. A recording the worker's integrity check
could not vouch for is not evidence: that check scores 0 as tampering instead.

Only the run decides. The source text (a call the AST shows, a name in a docstring or a
comment) never costs a point on its own: the recorders see every path the source could
show, and a call the source names but the run never makes (dead code, a branch never
taken, an `F.softmax` in a comment) is not a library call. The source may only choose
the words of a failure the run confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import torch
import torch.nn.functional as F

from autograder.check import tamper
from autograder.check.fresh import fresh_seed
from autograder.check.registry import fail
from autograder.check.static import SourceFacts
from autograder.sandbox.session import CallResult, StudentError

LIBRARY_NAME = {
    "cross_entropy": "F.cross_entropy / nn.CrossEntropyLoss",
    "nll_loss": "F.nll_loss",
    "softmax": "torch.softmax / F.softmax (a PyTorch softmax routine)",
    "log_softmax": "torch.log_softmax / F.log_softmax (a PyTorch log-softmax routine)",
    "logsumexp": "torch.logsumexp (or logcumsumexp, logaddexp: a log-sum-exp routine)",
    "softmin": "F.softmin",
    "attention": "F.scaled_dot_product_attention / nn.MultiheadAttention (an attention routine "
                 "computes a softmax)",
    "numpy_log_sum_exp": "NumPy's logaddexp (np.logaddexp.reduce, np.logaddexp2, ...: "
                         "another library's log-sum-exp routine)",
    "other_library": "SciPy or scikit-learn (their losses, metrics, softmax and log-sum-exp "
                     "routines, compiled or not: another library's implementation)",
    "grader_code": "the grader's own helper code (from the module its workers load)",
    "torch_internal": "PyTorch's own implementation written in Python (torch._refs, "
                      "torch._decomp, torch._prims, torch._inductor, torch.distributions: the "
                      "library's losses and softmax, step by step), or a "
                      "graph traced or compiled from it (torch.fx, make_fx, torch.compile)",
    "mse_loss": "F.mse_loss / nn.MSELoss",
    "l1_loss": "F.l1_loss / nn.L1Loss (or a loss that runs it: F.smooth_l1_loss with beta=0)",
    "huber_loss": "F.huber_loss / nn.HuberLoss",
    "smooth_l1_loss": "F.smooth_l1_loss",
    "binary_cross_entropy": "F.binary_cross_entropy / nn.BCELoss",
    "binary_cross_entropy_with_logits": "F.binary_cross_entropy_with_logits / nn.BCEWithLogitsLoss",
    "kl_div": "F.kl_div / nn.KLDivLoss",
    "soft_margin_loss": "F.soft_margin_loss / nn.SoftMarginLoss",
    "poisson_nll_loss": "F.poisson_nll_loss / nn.PoissonNLLLoss",
    "ctc_loss": "F.ctc_loss / nn.CTCLoss",
    "gaussian_nll_loss": "F.gaussian_nll_loss / nn.GaussianNLLLoss",
    "multilabel_soft_margin_loss": "F.multilabel_soft_margin_loss / nn.MultiLabelSoftMarginLoss",
    "library_loss": "a PyTorch loss (any torch.nn.functional loss or nn loss module: none is "
                    "allowed inside softmax and log_softmax)",
    "margin_loss": "a PyTorch margin or embedding loss (F.margin_ranking_loss, "
                   "F.multi_margin_loss, F.triplet_margin_loss, "
                   "F.triplet_margin_with_distance_loss, F.hinge_embedding_loss, ...: each gives "
                   "|d| or d²)",
    "log_sum_exp_pair": "F.softplus / F.logsigmoid / F.mish (each computes a log-sum-exp of "
                        "two terms, log(exp(a) + exp(b)) with b = 0: folded over a dimension, "
                        "a log-sum-exp routine)",
}


def _aten_named(*parts: str, but: tuple[str, ...] = ("backward",)) -> tuple[str, ...]:
    """Every forward ATen operator whose name holds one of `parts` (softmax's every routine:
    dense, safe, masked, sparse, nested, special, and any a later torch adds), so that a
    family is blocked as a family, not routine by routine as each is found."""
    names = {schema.name.removeprefix("aten::") for schema in torch._C._jit_get_all_schemas()
             if schema.name.startswith("aten::")}
    return tuple(sorted(n for n in names if any(p in n for p in parts)
                        and not any(b in n for b in but)))


def _with_variants(ops: tuple[str, ...]) -> tuple[str, ...]:
    """`ops`, each with its in-place and backward operators where ATen has them (`mish_`,
    `mish_backward`): one routine, however it is reached."""
    names = {schema.name.removeprefix("aten::") for schema in torch._C._jit_get_all_schemas()
             if schema.name.startswith("aten::")}
    return tuple(sorted({*ops, *(f"{op}{end}" for op in ops for end in ("_", "_backward")
                                 if f"{op}{end}" in names)}))


SOFTMAX_OPS = _aten_named("softmax", but=("backward", "log_softmax"))
LOG_SOFTMAX_OPS = _aten_named("log_softmax")
# (`logaddexp`, `logaddexp2`: a log-sum-exp of two, folded over a dim — red team 16's
# softmax, finite at ±1e4 without the max shift the lesson teaches)
LOGSUMEXP_OPS = _aten_named("logsumexp", "logcumsumexp", "logaddexp")
# Attention computes a softmax of its scores (and its fused kernels the log-sum-exp too:
# `_scaled_dot_product_flash_attention_for_cpu` returns both, an outside red team's route).
# Only those with a kernel on this machine (the CUDA-only ones on a GPU host): one with none
# cannot run here, and each blocked operator costs the block's set-up and check.
def _with_kernel(ops: tuple[str, ...]) -> tuple[str, ...]:
    """Those of `ops` with a kernel on this machine (an overload of theirs has one)."""
    return tuple(op for op in ops if any(
        torch._C._dispatch_has_kernel_for_dispatch_key(
            f"aten::{op}.{schema.overload_name}" if schema.overload_name else f"aten::{op}", key)
        for schema in torch._C._jit_get_schemas_for_operator(f"aten::{op}")
        for key in ("CPU", "CUDA", "CompositeImplicitAutograd", "CompositeExplicitAutograd")))


ATTENTION_OPS = _with_kernel(_aten_named("attention", "transformer"))
# Every loss of the library, as a family: each ATen operator with "loss" in its name, its
# backward kernels too (stop 50's second red team: `_ctc_loss_backward` gives a log-sum-exp,
# `multi_margin_loss_backward` |d|), and each loss of torch.nn.functional written in Python
# (blocked by its code: `harness.LibraryBlock`). Forbidden inside softmax and log_softmax
# (none is needed there).
LOSS_OPS = tuple(sorted({
    *_with_kernel(_aten_named("loss", but=())),
    *(name for name, value in vars(F).items() if name.endswith("_loss") and callable(value)
      and not torch._C._jit_get_schemas_for_operator(f"aten::{name}"))}))
# A log-sum-exp of two terms with 0 (softplus(x) = log(exp(x) + exp(0)); logsigmoid(x) =
# -softplus(-x)), stable at ±1e4 with no max shift: folded along a dimension, a log-sum-exp
# (red team 40's softmax and log_softmax, as red team 16's with torch.logaddexp). Elementary
# ops everywhere else (a BCE with logits is written with them).
LOG_SUM_EXP_PAIR_OPS = _with_kernel(_with_variants(
    ("softplus", "log_sigmoid", "log_sigmoid_forward",
     # (mish(d) / d = tanh(softplus(d)): red team 41's fold; in place too, `mish_`: stop 50's
     # second red team, +2; and its backward, which holds tanh(softplus(d)) as well)
     "mish")))
# The margin and embedding losses, as a family: with a margin of 0 (or a tiny one) and a
# second input of 0 (or the first), each gives |d| or d² (red team 23: F.multi_margin_loss
# with margin 0 on rows [0, d] and [0, -d], +4; red team 40's
# F.triplet_margin_with_distance_loss): forbidden inside mse_loss and mae_loss. (The soft
# margin losses are logistic: a BCE's.)
MARGIN_LOSS_OPS = tuple(op for op in LOSS_OPS
                        if ("margin" in op or "embedding" in op) and "soft_margin" not in op)



# Names a call recorder may report (Python function names, `torch._C._nn` names,
# `torch.ops` overloads, ATen ops after decomposition) -> the library function.
ALIASES: dict[str, str] = {
    "cross_entropy": "cross_entropy", "cross_entropy_loss": "cross_entropy",
    "nll_loss": "nll_loss", "nll_loss_nd": "nll_loss", "nll_loss2d": "nll_loss",
    "nll_loss_forward": "nll_loss", "nll_loss2d_forward": "nll_loss",
    "softmax": "softmax", "_softmax": "softmax", "special_softmax": "softmax",
    "_safe_softmax": "softmax",
    "log_softmax": "log_softmax", "_log_softmax": "log_softmax",
    "special_log_softmax": "log_softmax",
    "logsumexp": "logsumexp", "special_logsumexp": "logsumexp",
    "softmin": "softmin",
    "mse_loss": "mse_loss",
    "l1_loss": "l1_loss",
    "huber_loss": "huber_loss",
    "smooth_l1_loss": "smooth_l1_loss",
    "binary_cross_entropy": "binary_cross_entropy",
    "binary_cross_entropy_with_logits": "binary_cross_entropy_with_logits",
    "kl_div": "kl_div",
    "soft_margin_loss": "soft_margin_loss", "poisson_nll_loss": "poisson_nll_loss",
    "ctc_loss": "ctc_loss", "_ctc_loss": "ctc_loss",
    "gaussian_nll_loss": "gaussian_nll_loss",
    "multilabel_soft_margin_loss": "multilabel_soft_margin_loss",
    **{op: "softmax" for op in SOFTMAX_OPS}, **{op: "log_softmax" for op in LOG_SOFTMAX_OPS},
    **{op: "logsumexp" for op in LOGSUMEXP_OPS},
    **{op: "attention" for op in ATTENTION_OPS},
    "scipy": "other_library", "sklearn": "other_library",
    "numpy_logaddexp": "numpy_log_sum_exp", "numpy_logaddexp2": "numpy_log_sum_exp",
    "torch_refs": "torch_internal",
    "torch's": "torch_internal",  # ("torch's own <name> is not available here": an evidence
    # worker's disabled implementation, `harness._disable_implementations`)
    "lab_worker": "grader_code",
    # F.linear_cross_entropy's chunked cross-entropy (Python in torch/nn/modules, a custom
    # operator of the `torch_nn` namespace): PyTorch's own implementation (red team 23)
    "linear_cross_entropy": "torch_internal",
    "_linear_cross_entropy_batch_chunked": "torch_internal",
    "_linear_cross_entropy_batch_chunked_no_reduction": "torch_internal",
    **{op: "log_sum_exp_pair" for op in (*LOG_SUM_EXP_PAIR_OPS, "logsigmoid")},
}
for _op in LOSS_OPS:  # (a loss with a name of its own above keeps it)
    _family = "margin_loss" if _op in MARGIN_LOSS_OPS else "library_loss"
    ALIASES.setdefault(_op.lstrip("_"), _family)
    ALIASES.setdefault(_op, _family)


# Each library function -> the ATen operators that block it (`harness.LibraryBlock`, during
# the no-library call): every operator the library's paths bottom out in (a composite that
# only decomposes into blocked ones is blocked through them: `nll_loss` reaches
# `nll_loss_forward`, `special_softmax` reaches `_softmax`), plus a composite with a path of
# its own (`cross_entropy_loss` with probabilities as targets never reaches `nll_loss_*`).
# A function that needs one of them fails there instead of computing. Elementary operators
# (exp, log, sum, amax, gather, where, ...) are never here.
BLOCKED_OPS: dict[str, tuple[str, ...]] = {
    "cross_entropy": ("cross_entropy_loss", "nll_loss_forward", "nll_loss2d_forward",
                      "nll_loss_backward", "nll_loss2d_backward"),
    "nll_loss": ("nll_loss_forward", "nll_loss2d_forward", "nll_loss_backward",
                 "nll_loss2d_backward"),
    "softmax": SOFTMAX_OPS,
    "softmin": SOFTMAX_OPS,
    "log_softmax": LOG_SOFTMAX_OPS,
    "logsumexp": LOGSUMEXP_OPS,
    "attention": ATTENTION_OPS,
    # NumPy's log-sum-exp routines, compiled (a seventeenth outside red team's
    # `np.logaddexp.reduce`): gone from the evidence worker for good (`harness.ForGood`)
    "numpy_log_sum_exp": ("numpy_logaddexp", "numpy_logaddexp2"),
    # every function of SciPy and scikit-learn (an eleventh outside red team's
    # sklearn.utils.extmath.softmax and SciPy's private _logsumexp; stop 50's red team's
    # compiled losses, `sklearn._loss._loss` and `scipy.special.huber`): no worker loads them,
    # and the evidence worker is without them (`harness.RefusedImports`)
    "other_library": ("scipy", "sklearn"),
    # PyTorch's reference implementations in Python (`torch._refs`, `torch._decomp`), by
    # their folders: forbidden in every no-library check (`LIBRARY_ANYWHERE`)
    "torch_internal": ("torch_refs",),
    # the grader's own worker code (`harness.LAB_WORKER`): its scenarios' correct helpers
    # (red team 36's softmax and log_softmax returned them, +15)
    "grader_code": ("lab_worker",),
    # (each loss with its backward kernel: red team 46 wrote a naive forward and took the
    # gradient from torch's `binary_cross_entropy_backward` / `smooth_l1_loss_backward` in an
    # autograd.Function of its own, right at p of 0 and at ties where its own is nan)
    "mse_loss": ("mse_loss", "mse_loss_backward"),
    "l1_loss": ("l1_loss",),
    "huber_loss": ("huber_loss", "huber_loss_backward"),
    "smooth_l1_loss": ("smooth_l1_loss", "smooth_l1_loss_backward"),
    "binary_cross_entropy": ("binary_cross_entropy", "binary_cross_entropy_backward"),
    "binary_cross_entropy_with_logits": ("binary_cross_entropy_with_logits",),
    # other library losses that give a lab loss's values (an outside red team's), forbidden
    # where they do (see each check's set and the notebook's rule)
    "kl_div": ("kl_div",),
    "ctc_loss": ("_ctc_loss", "_ctc_loss_backward"),
    "poisson_nll_loss": ("poisson_nll_loss",),
    "soft_margin_loss": ("soft_margin_loss", "soft_margin_loss_backward"),
    # written in Python over elementary operators: blocked by their code (harness.LibraryBlock)
    "gaussian_nll_loss": ("gaussian_nll_loss",),
    "multilabel_soft_margin_loss": ("multilabel_soft_margin_loss",),
    "library_loss": LOSS_OPS,
    "margin_loss": MARGIN_LOSS_OPS,
    "log_sum_exp_pair": LOG_SUM_EXP_PAIR_OPS,
}
# Every library loss: forbidden inside softmax and log_softmax, which need none (`LOSS_OPS`:
# some compute a log-sum-exp, or a softplus)
LIBRARY_LOSSES = frozenset({
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "ctc_loss",
    "poisson_nll_loss", "soft_margin_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss",
    "margin_loss", "library_loss"})
# What every no-library check forbids, whatever the function: the library's own code for
# it, wherever it lives (an eighteenth outside red team's torch._refs.nn.functional.mse_loss
# and torch._decomp's softmax, +11), and another library's (stop 50's red team's
# scikit-learn losses in every loss, +10: "a library loss" is any library's)
LIBRARY_ANYWHERE = frozenset({"torch_internal", "grader_code", "other_library"})
BLOCKED = "LibraryBlocked"  # the kind of error a blocked operator raises (harness.LibraryBlocked)


def fresh_generator() -> torch.Generator:
    """The no-library call's inputs, drawn afresh for every submission (`check.fresh`:
    no notebook can know them before the call, and the same file graded again draws the
    same): inputs the notebook has seen before (another check's call, or a call of this one
    sent ahead with the plan, readable from the worker's frames) could have been given to
    the library beforehand, the answer kept, and returned under the block. Fresh inputs are
    never planned, so the call arrives alone, with the block already in place."""
    return torch.Generator().manual_seed(fresh_seed())


def blocked_ops(forbidden: set[str]) -> tuple[str, ...]:
    """The operators to block for a function that may not call `forbidden`."""
    return tuple(sorted({op for name in forbidden for op in BLOCKED_OPS[name]}))


# The operators the evidence worker of every no-library call has blocked for good, before
# the notebook runs there (`StudentSession.evidence`): every library function any graded
# function may not call. A function that may call one of them (cross_entropy and
# torch.log_softmax) is asked again in a worker that blocks its own set alone.
#
# Not for good: softplus and log-sigmoid, forbidden in softmax and log_softmax only, and the
# stable BCE with logits the notebook teaches is written with F.logsigmoid — every correct
# one would be asked again in a third worker. They are blocked by each softmax call's own
# block in the evidence worker.
PER_CALL_ONLY = frozenset({"log_sum_exp_pair"})
EVIDENCE = blocked_ops(set(BLOCKED_OPS) - PER_CALL_ONLY)


def library_call(function: str, forbidden: set[str], call: Callable[[tuple[str, ...]], Any]) -> Any:
    """`call(block)` — the no-library evidence call, made with `forbidden`'s operators
    blocked — and its result; a blocked operator reached fails the check (what the function
    needed was the library)."""
    try:
        return call(blocked_ops(forbidden))
    except StudentError as exc:
        if exc.kind != BLOCKED:
            raise
        reached = exc.info.get("message", "").split()[:1]  # "aten::<operator> is not ..."
        _fail_library_call(function, library_functions(reached) & forbidden)


def _fail_library_call(function: str, used: set[str]) -> NoReturn:
    # (a routine the block stopped that no name here knows: said as such, not every name)
    listed = ", ".join(LIBRARY_NAME.get(n, n) for n in sorted(used)) or "a library routine"
    fail(f"{function} calls {listed}, which computes what you are asked to implement: "
         "write it from elementary tensor operations (exp, log, sum, max, where, …) and your "
         "own functions.", "library-call")


def library_functions(names: list[str]) -> set[str]:
    """The library functions a list of recorded names shows were used."""
    found = set()
    for raw in names:
        name = raw.removeprefix("aten::").split(".", 1)[0]
        name = name if name in ALIASES else name.rstrip("_")  # (an in-place variant's)
        if name in ALIASES:
            found.add(ALIASES[name])
    return found


def assert_no_library_call(function: str, forbidden: set[str], observed: CallResult,
                           source: SourceFacts, expected: Any = None) -> None:
    """Fails if the run (worker-side recorders) shows a forbidden call.

    `source` is not evidence (see the module docstring); it stays in the signature so
    the checks read alike. Only a function that computes the right value earns this check: otherwise a
    stub returning zeros would score for "not calling the library". A run whose
    recording the worker could not vouch for earns nothing either (tampering).
    """
    if not observed.recorded:  # a check written wrong, not a student's mistake: say so loudly
        raise RuntimeError(f"{function}: the no-library evidence must come from a call made "
                           "with record=True")
    called, findings = tamper.split_called(observed.called)
    tamper.require_untampered(function, findings, tamper.CALLS)
    if expected is not None and not _same(observed.value, expected):
        fail(f"{function}: this check counts once {function} returns correct values; fix "
             "the values check first.", "not-working")
    used = library_functions(called) & forbidden  # what ran, never what the text says
    if used:
        _fail_library_call(function, used)


def assert_not_in_its_cells(student, function: str, forbidden: set[str]) -> None:
    """Fails where the notebook's own cells, run again in the evidence worker (the library
    gone), reached a forbidden operator through `function` (`StudentSession.
    blocked_in_its_cells`): the notebook's own use of it calls the library, whatever the
    grader's calls saw (red team 65: functions that looked for a notebook cell on their call
    stack and called the library there alone)."""
    for where, operator in student.blocked_in_its_cells(function):
        used = library_functions([operator]) & forbidden
        if used:
            listed = ", ".join(LIBRARY_NAME.get(n, n) for n in sorted(used))
            fail(f"{function} calls {listed} when your notebook's own code calls it ({where}), "
                 "though not in the grader's calls: it computes what you are asked to "
                 "implement with the library in ordinary use. Write it from elementary tensor "
                 "operations, one way for every caller.", "library-in-ordinary-use")


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, torch.Tensor):
        return (isinstance(value, torch.Tensor) and value.shape == expected.shape
                and bool(torch.allclose(value.to(expected.dtype), expected, rtol=1e-4, atol=1e-5,
                                        equal_nan=True)))
    if isinstance(expected, (tuple, list)):
        return (isinstance(value, (tuple, list)) and len(value) == len(expected)
                and all(_same(v, e) for v, e in zip(value, expected, strict=True)))
    if isinstance(expected, float):
        return isinstance(value, (int, float)) and abs(value - expected) <= 1e-6
    return bool(value == expected)


# What a function's own checks found, with the library available, for the no-library check
# to compare its blocked call with (`right_without_the_library`): memo keys.
# (EDGES, function) -> its edge (or gradient) check found it right at the edges, values and
# gradients (False: it did not; absent: the check did not run)
EDGES = "right at the edges"
# (EDGE_REDUCTION, function) -> the reduction that check judged (one that works for it)
EDGE_REDUCTION = "edge reduction"


def right_without_the_library(student, function: str, forbidden: set[str], source: SourceFacts,
                              args: tuple[Any, ...], held: tuple[Any, ...],
                              expected: Callable[[tuple[Any, ...]], Any],
                              outcome: Callable[[CallResult], Any],
                              same: Callable[[Any, Any], bool], what: str,
                              grad_args: tuple[int, ...] = (), known_right: bool | None = None,
                              upstream: torch.Tensor | None = None, **kwargs: Any) -> None:
    """A function right at the edges (`args`: inputs of an edge check's kind) where the
    library is available — every call but the no-library one — must be right with it
    unavailable too, on new inputs of the same kind (`held`, drawn afresh: no answer for them
    exists before). `outcome` picks what is compared from a call's result (its value, or its
    gradients), `expected` gives PyTorch's for some inputs.

    Why: an eleventh outside red team's functions told the no-library call from the others
    (the block, the recorders: too many signals to hide) and fell back to naive code of their
    own only there, the library doing the work every other check grades (135, where the same
    naive code everywhere scores 125). An honest function is one function: right at the
    edges in both calls, or wrong in both — which the edge check charges, once.

    `known_right`: what the function's own edge check found, earlier, with the library
    available (None where it did not run: then `args` are asked now, after the blocked call —
    a twelfth outside red team's function stayed naive for the call after a block)."""
    try:
        result = library_call(function, forbidden, lambda block: student.call(
            function, *held, record=True, block=block, evidence=EVIDENCE, grad_args=grad_args,
            upstream=upstream,
            **kwargs))
    except StudentError:  # (its own error, not the block's: right with the library, it was
        # not raising on inputs of this kind — else its other checks charge it)
        if known_right and not _same_where_available(student, function, held, None,
                                                     outcome, grad_args, upstream, kwargs):
            fail(f"{function} works {what} in every check but this one, where the library is "
                 "unavailable and it raises on new inputs of the same kind: it uses the "
                 "library outside this check. Compute it yourself, the same way, in every "
                 "call.", "library-elsewhere")
        if known_right:
            _expect_still_right(student, function, args, expected, outcome, same, what,
                                grad_args, upstream, kwargs)
        return
    assert_no_library_call(function, forbidden, result, source)
    if same(outcome(result), expected(held)):
        return
    if known_right is None:
        try:
            free = student.call(function, *args, grad_args=grad_args, upstream=upstream,
                                **kwargs)
        except StudentError:
            return
        known_right = same(outcome(free), expected(args))
    if known_right and not _same_where_available(student, function, held, outcome(result),
                                                  outcome, grad_args, upstream, kwargs):
        fail(f"{function} is right {what} in every check but this one, where the library is "
             "unavailable and new inputs of the same kind get another answer: it uses the "
             "library outside this check. Compute it yourself, the same way, in every call.",
             "library-elsewhere")
    if known_right:
        _expect_still_right(student, function, args, expected, outcome, same, what,
                            grad_args, upstream, kwargs)


def _expect_still_right(student, function: str, args: tuple[Any, ...],
                        expected: Callable[[tuple[Any, ...]], Any],
                        outcome: Callable[[CallResult], Any], same: Callable[[Any, Any], bool],
                        what: str, grad_args: tuple[int, ...], upstream: torch.Tensor | None,
                        kwargs: dict[str, Any]) -> None:
    """Wrong (or raising) alike in both workers on the new inputs, a function its edge check
    found right is asked the edge inputs `args` again in the main worker. Wrong now, its
    answers changed between calls (red team 44: the library for its first few calls at ±1e4,
    its naive code after, so that the new inputs found it naive in both workers). Right
    still, it is right on one draw of the edge inputs and wrong on another of the same kind:
    `args` and the new inputs come from one distribution (`_fresh_big`, `_kink_inputs`), so
    no function right at the edges can be wrong on the new ones, unless it tells draws apart
    — red team 45's took the library for inputs that looked hand-written and its own naive
    code for the rest; this once excused it as one function wrong on the new inputs (the
    edge checks' inputs were fixed then, and a mistake could show on the new ones alone)."""
    try:
        again = outcome(student.call(function, *args, grad_args=grad_args, upstream=upstream,
                                     **kwargs))
    except StudentError:
        again = None
    if again is None or not same(again, expected(args)):
        fail(f"{function} was right {what} earlier and now, asked the very same inputs again "
             "where the library is available, answers otherwise: its answers change from call "
             "to call (a counter, a flag set by a later cell). Compute it yourself, the same "
             "way, in every call.", "library-elsewhere")
    fail(f"{function} is right {what} for some inputs and wrong for new ones of the same kind "
         "(drawn afresh here, where it is wrong alike with the library available or not): a "
         "function right there is right for every such input. Compute it yourself, the same "
         "way, for every input — test it on values you did not write by hand.",
         "right-on-some-edges")


def _same_where_available(student, function: str, held: tuple[Any, ...], blocked: Any,
                          outcome: Callable[[CallResult], Any], grad_args: tuple[int, ...],
                          upstream: torch.Tensor | None, kwargs: dict[str, Any]) -> bool:
    """The held inputs asked of the main worker (the library available) give what the
    no-library call gave (`blocked`: its outcome; None, it raised): then the function is wrong
    on these inputs wherever it runs — no sign of the library, and nothing to accuse it of
    (mistakes review 34's BCE with logits, which reshaped a 1-D pos_weight in place, was told
    it used the library)."""
    try:
        free = outcome(student.call(function, *held, grad_args=grad_args, upstream=upstream,
                                    **kwargs))
    except StudentError:
        return blocked is None
    return blocked is not None and _alike(blocked, free)


def _alike(a: Any, b: Any) -> bool:
    """The same answer from one function asked twice (float noise aside): tensors of one
    shape and close values (nan where nan), numbers close, containers item by item."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        # (of one dtype, and in float64 to float64's noise: red team 84's function gave the
        # library's float64 answer where it was available and its own float32 one, cast or
        # not, where it was not — a precision mistake the evidence never showed, +6)
        fine = a.dtype == torch.float64
        return a.shape == b.shape and a.dtype == b.dtype and bool(torch.allclose(
            a.detach().to(torch.float64), b.detach().to(torch.float64),
            rtol=1e-10 if fine else 1e-6, atol=1e-12 if fine else 1e-9, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_alike(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (a != a and b != b) or abs(a - b) <= 1e-9 + 1e-6 * abs(b)
    return type(a) is type(b) and (a is None or a == b)


# What a loss's graded behaviour varies: every reduction
EVERY_REDUCTION = ({"reduction": "none"}, {"reduction": "mean"}, {"reduction": "sum"})


def for_elementwise(upstream: torch.Tensor) -> Callable[[dict[str, Any]], torch.Tensor | None]:
    """The upstream gradient of a variant: `upstream` for reduction='none', none for a
    scalar (its gradient is 1)."""
    return lambda variant: upstream if variant.get("reduction") == "none" else None


def answers_alike(student, function: str, forbidden: set[str], source: SourceFacts,
                  args: tuple[Any, ...], what: str, variants: tuple[dict[str, Any], ...],
                  upstream: Callable[[dict[str, Any]], torch.Tensor | None] = lambda _: None,
                  **kwargs: Any) -> None:
    """New inputs of general position (`args`: drawn afresh, with gradients) asked of the
    evidence worker (the library unavailable) and then of the main worker (available), for
    each of `variants` (the keyword arguments a graded behaviour varies: every reduction, a
    first and a middle dim; `upstream(variant)` its upstream gradient): one function gives
    one answer.

    Why: red team 41's functions told the two workers apart (a flag a slow cell set, which
    the evidence worker's cells skip) and ran the library in the main worker, their own code
    — right only where the no-library call looks — in the evidence worker (+4); red team
    42's were right there only for the one variant asked (the dim, the reduction the library
    made work). Whatever a function can tell, here it is asked the same questions in both,
    the evidence worker first (its inputs exist nowhere before). A function that raises in
    both, or is wrong alike in both, is its other checks' business. (No recorders: the value
    is compared, and the block alone decides whether the library was reached — the check's
    recorded call came before; a block lifted is reported all the same.) Every variant's
    evidence call comes before the main worker's calls, which go together (`ahead`)."""
    def outcome(result: CallResult) -> Any:
        return result.value, result.grads

    def evidence_call(asked: dict[str, Any], gradient: torch.Tensor | None) -> Any:
        return outcome(library_call(function, forbidden, lambda block: student.call(
            function, *args, block=block, evidence=EVIDENCE, grad_args=(0,),
            upstream=gradient, **asked)))

    asks = [({**kwargs, **variant}, upstream(variant)) for variant in variants]
    answers: list[Any] = []
    for asked, gradient in asks:  # (every variant's evidence call first, one by one)
        try:
            answers.append(evidence_call(asked, gradient))
        except StudentError:
            answers.append(None)
    # ... then the same calls in the main worker, sent together
    student.ahead(*(lambda asked=asked, gradient=gradient: student.call(
        function, *args, grad_args=(0,), upstream=gradient, **asked) for asked, gradient in asks))
    for variant, (asked, gradient), blocked in zip(variants, asks, answers, strict=True):
        if not _same_where_available(student, function, args, blocked, outcome, (0,),
                                     gradient, asked):
            settings = ", ".join(f"{k}={v!r}" for k, v in variant.items())
            fail(f"{function} answers differently where the library is unavailable (this "
                 f"check's call) than where it is available, on the same new inputs ({what}, "
                 f"{settings}): it uses the library outside this check. Compute it yourself, "
                 "the same way, in every call.", "library-elsewhere")
    alike_on_gpu(student, function, forbidden, args, asks[0][0], what)


def alike_on_gpu(student, function: str, forbidden: set[str], args: tuple[Any, ...],
                  asked: dict[str, Any], what: str) -> None:
    """The same new inputs on a GPU (the worker's, or one emulated with real data), asked of
    the evidence worker and of the main worker: one answer, or one failure, in both (red team
    84: `if x.is_cuda: return F.mse_loss(...)` — a library branch no CPU call reaches, which
    only the GPU checks ran, with no block: +7)."""
    held = tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in args)
    try:
        blocked = library_call(function, forbidden, lambda block: student.call(
            function, *held, block=block, evidence=EVIDENCE, gpu=True, **asked)).value
    except StudentError:
        blocked = None
    try:
        free = student.call(function, *held, gpu=True, **asked).value
    except StudentError:
        free = None
    if (blocked is None) != (free is None) or (free is not None and not _alike(blocked, free)):
        fail(f"{function} answers differently on GPU inputs where the library is unavailable "
             f"than where it is available ({what}): it uses the library on a GPU. Compute it "
             "yourself, the same way, on every device.", "library-elsewhere")
