"""Tampering with the worker-side harness earns nothing and is flagged (issue 12, item 7).

Each fixture (tests/fixtures/make_tamper.py) is the reference with the attacked
functions made wrong plus the attack that used to turn them into passes. The attacked
checks must not pass, and the submission must carry the tamper flag the gradebook and
dashboard show; a plain call of an unwatched ATen op is a library call, not tampering.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
import yaml

from autograder.config import GradingConfig
from autograder.grader import Grader
from autograder.report.dashboard import render_dashboard
from autograder.report.gradebook import write_gradebook
from autograder.score.results import TAMPERING, SubmissionResult
from tests.engine.conftest import LAB, fast_config_text

ROOT = Path(__file__).resolve().parents[2]
TAMPER = ROOT / "tests" / "fixtures" / "tamper"

GET_DEVICE = "get_device: returns cuda when available, otherwise cpu"
FIT = "fit: trains then evaluates every epoch and returns the history"
NO_GRAD = "evaluate: computes no gradients (torch.no_grad)"
STEP_ORDER = "train_one_epoch: zero_grad → forward → loss → backward → step on every batch"
TRAIN_DEVICE = "train_one_epoch: moves inputs and labels to the device argument (GPU emulated or real)"
TRAIN_RETURN = "train_one_epoch: returns the sample-weighted mean loss as a float"
EVAL_DEVICE = "evaluate: moves inputs and labels to the device argument (GPU emulated or real)"
TRAIN_MODE = "train_one_epoch: puts the model in train mode"
EVAL_MODE = "evaluate: switches to eval mode (Dropout off, BatchNorm statistics unchanged)"


def _ce_library_check(result: SubmissionResult) -> str:
    names = [t.name for t in result.tests if t.name.startswith("cross_entropy")
             and "implemented without" in t.name]
    assert len(names) == 1, names
    return names[0]


@pytest.fixture(scope="module")
def grade_tamper(grader):
    @functools.cache
    def run(name: str) -> SubmissionResult:
        return grader.grade(TAMPER / f"{name}.ipynb", name)

    return run


def _by_name(result: SubmissionResult) -> dict:
    return {t.name: t for t in result.tests}


@pytest.mark.parametrize(("fixture", "attacked"), [
    ("hostile_replaces_scenario_runner", [GET_DEVICE, FIT]),
    ("hostile_replaces_scenario_runner_in_call", [STEP_ORDER]),
    ("hostile_patches_is_grad_enabled", [NO_GRAD]),
    # a fourth outside red team's: the switches that told the judge a GPU was there (a
    # hard-coded "cuda" then ran on the CPU); the loss's offset and the log's records
    # scrubbed inside evaluate; the instrument's count of graphs kept alive reset
    ("hostile_sets_device_switches", [TRAIN_DEVICE]),
    ("hostile_scrubs_evaluate_records", [NO_GRAD]),
    ("hostile_resets_graph_count", [TRAIN_RETURN]),
    # a fifth's: the layers' hooks cleared, the offset taken off, records edited in place
    ("hostile_hides_grad_mode", [NO_GRAD]),
])
def test_scenario_tampering_fails_and_is_flagged(grade_tamper, fixture, attacked):
    result = grade_tamper(fixture)
    tests = _by_name(result)
    for name in attacked:
        assert not tests[name].passed, (name, tests[name].output)
    assert result.tampered, [t.output for t in result.tests if not t.passed]
    flagged = [tests[name] for name in result.tampering]
    assert all(t.score == 0 and "flagged" in t.output for t in flagged)


@pytest.mark.parametrize("fixture", ["hostile_replaces_call_recorder",
                                     "hostile_pops_call_recorders",
                                     "hostile_lifts_library_block"])
def test_call_recorder_tampering_fails_and_is_flagged(grade_tamper, fixture):
    result = grade_tamper(fixture)
    check = _by_name(result)[_ce_library_check(result)]
    assert not check.passed
    assert check.mistake in (TAMPERING, "library-call"), check.output
    assert result.tampered
    assert check.mistake == TAMPERING or fixture != "hostile_replaces_call_recorder"


def test_unwatched_aten_op_is_a_library_call(grade_tamper):
    """torch._C._nn.cross_entropy_loss is F.cross_entropy by another path: caught, but a
    library call is not tampering."""
    result = grade_tamper("hostile_calls_aten_cross_entropy")
    check = _by_name(result)[_ce_library_check(result)]
    assert not check.passed and check.mistake == "library-call", check.output
    assert not result.tampered


@pytest.mark.parametrize("fixture", ["hostile_clears_recorded_names",
                                     "hostile_disables_torch_modes",
                                     "hostile_forges_reply_frames",
                                     "hostile_calls_captured_kernel"])
def test_library_blocked_during_the_no_library_call(grade_tamper, fixture):
    """Ways round the recorders (empty their lists, switch Python's dispatch off, forge the
    reply) do not reach the library: during the no-library call its operators are blocked
    at the dispatcher, so a function that needs F.cross_entropy fails there — and only
    there: its values, which the library serves, still pass."""
    result = grade_tamper(fixture)
    check = _by_name(result)[_ce_library_check(result)]
    assert not check.passed and check.mistake == "library-call", check.output
    values = [t for t in result.tests if t.name.startswith("cross_entropy: matches")]
    assert values and all(t.passed for t in values), [t.output for t in values]
    assert not result.tampered or fixture == "hostile_forges_reply_frames"


@pytest.mark.parametrize(("fixture", "function"), [
    ("hostile_calls_another_library_loss", "mse_loss"),
    ("hostile_memoises_library_answers", "cross_entropy"),
    ("hostile_asks_a_forked_oracle", "cross_entropy")])
def test_the_library_by_a_sibling_loss_or_a_kept_answer_is_a_library_call(grade_tamper, fixture,
                                                                          function):
    """Any PyTorch loss inside a loss is blocked (huber with a huge delta is MSE), the
    no-library call's inputs are fresh for every submission, so an answer the library gave
    earlier for the same probe cannot be handed back under the block, and a worker cannot
    start a second process (an unblocked copy of torch to ask)."""
    result = grade_tamper(fixture)
    check = next(t for t in result.tests
                 if t.name.startswith(f"{function}: implemented without"))
    assert not check.passed and check.mistake == "library-call", check.output
    values = [t for t in result.tests if t.name.startswith(f"{function}: matches")]
    assert values and all(t.passed for t in values), [t.output for t in values]


def test_a_function_right_at_the_edges_only_with_the_library_fails_its_no_library_check(
        grade_tamper):
    """Red team 11: the library everywhere but in the no-library call (told apart by the
    block), naive code of its own there: right at the edges elsewhere, wrong at the edges on
    new inputs of the same kind under the block — the library was used elsewhere."""
    result = grade_tamper("hostile_uses_the_library_except_under_the_block")
    for function in ("softmax", "mae_loss"):
        check = next(t for t in result.tests
                     if t.name.startswith(f"{function}: implemented without"))
        assert not check.passed and check.mistake == "library-elsewhere", check.output
    passed = [t for t in result.tests if t.name.startswith(("softmax: finite", "mae_loss: back"))]
    assert passed and all(t.passed for t in passed)  # (the library served them)


def test_naive_only_under_the_block_and_the_call_after_it_is_still_seen(grade_tamper):
    """Red team 12: a function naive under the block and in the one call after it (where the
    first fix asked it again, unblocked) — and one ignoring delta there — is judged against
    what its own edge and values checks found earlier, with the library available."""
    result = grade_tamper("hostile_stays_naive_after_the_block")
    for function in ("softmax", "huber_loss"):
        _expect_failed(result, f"{function}: implemented without", "library-elsewhere")


def test_unreadable_returns_earn_no_gpu_check(grade_tamper):
    """Red team 12: an object the grader cannot read (`object()`, a complex32 tensor) is no
    work to assess on the GPU either."""
    result = grade_tamper("hostile_returns_unreadable_objects")
    for function in ("mse_loss", "softmax"):
        _expect_failed(result, f"{function}: works on GPU inputs", "not-working")


def _expect_failed(result, check_prefix: str, mistake: str) -> None:
    check = next(t for t in result.tests if t.name.startswith(check_prefix))
    assert not check.passed and check.mistake == mistake, check.output


def test_another_library_s_softmax_is_a_library_call(grade_tamper):
    """Red team 11: softmax from scikit-learn and log_softmax from SciPy's private log-sum-exp
    (names the block did not know): both libraries are refused by where their code comes
    from."""
    _library_call_named(grade_tamper("hostile_takes_softmax_from_another_library"),
                        ("softmax", "log_softmax"), "scikit-learn")


def _library_call_named(result, functions: tuple[str, ...], named: str) -> None:
    """Each function's no-library check failed as a library call, naming `named`."""
    for function in functions:
        check = next(t for t in result.tests
                     if t.name.startswith(f"{function}: implemented without"))
        assert not check.passed and check.mistake == "library-call", check.output
        assert named in check.output


def test_numpys_log_sum_exp_is_another_librarys_routine(grade_tamper):
    """Red team 17: softmax and log_softmax from `np.logaddexp.reduce` (compiled, no Python
    frame), finite at ±1e4 without the max shift: the block refuses NumPy's log-sum-exp
    routines, and the notebook's rule names them."""
    _library_call_named(grade_tamper("hostile_takes_softmax_from_numpy"),
                        ("softmax", "log_softmax"), "logaddexp")


@pytest.mark.parametrize(("fixture", "functions", "named"), [
    # stop 50's red team: compiled code runs no Python frame for a block to refuse — the
    # evidence worker is without SciPy and scikit-learn, and NumPy's log-sum-exp, for good
    ("hostile_takes_losses_from_compiled_sklearn",
     ("mse_loss", "mae_loss", "huber_loss", "softmax", "log_softmax", "cross_entropy",
      "binary_cross_entropy_with_logits"), "scikit-learn"),
    ("hostile_keeps_numpy_log_sum_exp_in_a_partial", ("softmax", "log_softmax"), "logaddexp"),
    ("hostile_takes_huber_from_a_scipy_ufunc", ("huber_loss",), "SciPy"),
])
def test_another_librarys_compiled_routine_is_a_library_call(grade_tamper, fixture, functions,
                                                             named):
    _library_call_named(grade_tamper(fixture), functions, named)


@pytest.mark.parametrize(("fixture", "functions", "named"), [
    ("hostile_takes_softmax_from_torch_decomp", ("softmax", "log_softmax"), "torch._decomp"),
    ("hostile_takes_losses_from_torch_refs",
     ("mse_loss", "mae_loss", "huber_loss", "binary_cross_entropy_with_logits"), "torch._refs"),
    ("hostile_takes_log_sum_exp_from_ctc_loss", ("softmax", "log_softmax"), "ctc_loss"),
    # red team 36: the grader's own helpers (the lab's worker module), +15
    ("hostile_returns_the_graders_own_helpers", ("softmax", "log_softmax"), "grader's own"),
    # red team 38: the distributions' SoftmaxTransform, +1
    ("hostile_takes_softmax_from_torch_distributions", ("softmax",), "torch.distributions"),
])
def test_the_librarys_own_code_in_python_and_ctc_loss_are_library_calls(grade_tamper, fixture,
                                                                         functions, named):
    """Red team 18: PyTorch's reference implementations written in Python (`torch._refs`,
    `torch._decomp`: elementary operators only) and a log-sum-exp from `F.ctc_loss` passed
    the no-library checks (+4, +7): refused by the block, and named."""
    _library_call_named(grade_tamper(fixture), functions, named)


def test_the_library_traced_in_a_cell_and_replayed_is_a_library_call(grade_tamper):
    """Red team 20: each function traced once in a cell with `make_fx` and decompositions,
    only the traced graph (elementary operators, generated code) run in the checks' calls:
    +11 over the same library calls made directly. What runs a traced graph is refused in
    every no-library call, through the GraphModule and through its generated code; in the
    evidence worker, where the library is gone before any cell runs, the trace itself
    cannot be made, and the library routine the function then reaches is named."""
    result = grade_tamper("hostile_replays_the_library_traced_with_make_fx")
    for function, routine in (("mse_loss", "F.mse_loss"), ("softmax", "torch.softmax")):
        check = next(t for t in result.tests
                     if t.name.startswith(f"{function}: implemented without"))
        assert not check.passed and check.mistake == "library-call", check.output
        assert "torch.fx" in check.output or routine in check.output, check.output
    for function in ("mse_loss", "softmax"):  # (the values themselves are right)
        assert next(t for t in result.tests if t.name.startswith(f"{function}: matches")).passed


def test_grad_mode_is_seen_by_the_layers_too(grade_tamper):
    """evaluate without no_grad through model.forward(x) (the model's own hook never runs)
    with the loss given detached logits (no graph for the figure's offset): the layers'
    hooks see gradients on."""
    result = grade_tamper("hostile_evaluates_through_forward")
    tests = _by_name(result)
    assert not tests[NO_GRAD].passed and tests[NO_GRAD].mistake == "no-no-grad"
    assert [t.name for t in result.tests if not t.passed] == [NO_GRAD]


def test_grad_mode_records_edited_in_place_are_tampering(grade_tamper):
    """evaluate without no_grad, the scenario's records of grad mode rewritten in place: the
    records are checked against the copies the instruments kept (`harness.Log.edited`), so
    the edit is found — the no-grad check fails, flagged (the loss's offset in the figure
    evaluate returns would have failed it too)."""
    result = grade_tamper("hostile_edits_scenario_log")
    tests = _by_name(result)
    assert not tests[NO_GRAD].passed and tests[NO_GRAD].mistake == TAMPERING
    assert result.tampered


def test_honest_reference_is_not_flagged(grade):
    result = grade("reference_code")
    assert result.score == result.max_score
    assert not result.tampered


def test_flag_reaches_gradebook_and_results_json(grade_tamper, grade, tmp_path):
    flagged, honest = grade_tamper("hostile_replaces_scenario_runner"), grade("reference_code")
    path = tmp_path / "gradebook.csv"
    write_gradebook([flagged, honest], [t.name for t in honest.tests], path)
    rows = {r["submission_id"]: r for r in csv.DictReader(path.open(newline="", encoding="utf-8-sig"))}
    assert rows["hostile_replaces_scenario_runner"]["tampering"] == "yes"
    assert rows["reference_code"]["tampering"] == ""
    data = flagged.to_gradescope()
    assert data["extra_data"]["tampering"] is True
    assert SubmissionResult.from_gradescope(data).tampered


def test_flag_shown_on_dashboard(grade_tamper, grade, grader):
    flagged, honest = grade_tamper("hostile_patches_is_grad_enabled"), grade("reference_code")
    page = render_dashboard([flagged, honest], grader.config)
    assert 'id="tampering"' in page
    section = page.split('id="tampering"', 1)[1].split("</section>", 1)[0]
    assert "hostile_patches_is_grad_enabled" in section
    assert "reference_code" not in section
    assert 'id="tampering"' not in render_dashboard([honest], grader.config)


@pytest.mark.parametrize("name", ["hostile_pops_call_recorders",
                                  "hostile_replaces_scenario_runner_in_call"])
def test_tampering_costs_the_same_whatever_was_graded_before(zygote, name: str) -> None:
    """Calls are sent ahead in an order learned from earlier submissions: evidence of a kind
    the notebook changed anywhere is void, so the verdicts do not depend on that order."""


    text = fast_config_text()
    config = GradingConfig.model_validate(yaml.safe_load(text))
    path = TAMPER / f"{name}.ipynb"
    with Grader(config, text, zygote.connect(), LAB) as fresh, \
            Grader(config, text, zygote.connect(), LAB) as learned:
        alone = fresh.grade(path, name)  # nothing learned: every call made by its check
        learned.rehearse()  # every plan learned
        after = learned.grade(path, name)
    assert alone.tampered and after.tampered
    assert [(t.name, t.score, t.output) for t in alone.tests] \
        == [(t.name, t.score, t.output) for t in after.tests]


def test_a_str_named_like_torch_device_is_not_a_device(grade_tamper):
    """get_device returning `class device(str)`: its type, not the name it picked, decides."""
    result = grade_tamper("hostile_returns_a_str_named_device")
    check = _by_name(result)[GET_DEVICE]
    assert not check.passed and check.mistake == "returned-string", check.output
    assert [t.name for t in result.tests if not t.passed] == [GET_DEVICE]


def test_a_device_argument_used_only_on_the_emulated_gpu_is_seen(grade_tamper):
    """'cuda' hard-coded except when the device argument is the emulated GPU's: the device
    checks also run without a GPU and without a CPU stand-in, where 'cuda' raises."""
    result = grade_tamper("hostile_uses_cuda_except_on_meta")
    tests = _by_name(result)
    for name in (TRAIN_DEVICE, EVAL_DEVICE):
        # (the 'cuda' is in a helper here: the words say the run, not the source)
        assert not tests[name].passed and tests[name].mistake == "device-ignored", \
            tests[name].output
    assert sorted(t.name for t in result.tests if not t.passed) == sorted([TRAIN_DEVICE,
                                                                           EVAL_DEVICE])


def test_a_cell_that_takes_over_the_request_loop_gains_no_library_call(grade_tamper):
    """Red team 25: every loss the library's, and a last cell that finds the worker's request
    loop in the frames above it and answers every request itself — no library block ever,
    and "nothing was called" in every reply: all eight no-library checks passed (+11). What a
    worker reports of how it computed is its code's word, which a cell can take over; the
    no-library calls are made in an evidence worker whose library kernels are gone before
    any cell runs, so whatever answers there could not use them."""
    result = grade_tamper("hostile_takes_over_the_request_loop")
    for function in ("mse_loss", "mae_loss", "huber_loss", "softmax", "log_softmax",
                     "cross_entropy", "binary_cross_entropy",
                     "binary_cross_entropy_with_logits"):
        check = next(t for t in result.tests
                     if t.name.startswith(f"{function}: implemented without"))
        assert not check.passed and check.mistake == "library-call", (function, check.output)


def test_a_worker_that_denies_a_scenario_of_the_lab_fails_that_check_alone(grade_tamper):
    """Red team 25's loop answered "the lab registers no such scenario" for get_device: the
    row was filed as an internal grader error, a row the student could put in the
    instructors' queue at will. The zygote names its scenarios with each worker it forks; a
    worker that denies one of them fails the check that asked (a worker misbehaving), and the
    row is graded."""
    result = grade_tamper("hostile_denies_a_scenario")
    assert result.status == "graded", (result.status, result.reason)
    check = next(t for t in result.tests if t.name.startswith("get_device:"))
    assert not check.passed and check.mistake == "crashed", check.output


def test_a_finalizer_cannot_change_the_gradients_the_grader_took(grade_tamper):
    """Stop 50's red team: a `weakref.finalize` on each returned loss, run as the grader frees
    it, doubled the gradients the grader had taken (found through its frames) and set their
    gradcheck result. The gradients are bytes as soon as they are taken, no hook of the
    student's runs after its code, and what a call made lives until its reply is sent: the
    backward missing its factor 2 is charged as the same code without the finalizer is."""
    check = next(t for t in grade_tamper("hostile_finalizer_fixes_the_gradients").tests
                 if t.name == "mse_loss: backward gives the reference gradients (float64, "
                              "gradcheck)")
    assert not check.passed and check.mistake == "wrong-gradient", check.output


@pytest.mark.parametrize(("fixture", "functions"), [
    # stop 50's second red team: SciPy, and a second NumPy, imported by path from the base
    # interpreter's site-packages (hidden from every worker now); loss backward kernels and
    # the in-place mish (blocked with their families now)
    ("hostile_imports_scipy_from_the_base_interpreter",
     ("mse_loss", "huber_loss", "softmax", "log_softmax", "cross_entropy",
      "binary_cross_entropy_with_logits")),
    ("hostile_imports_a_second_numpy", ("softmax", "log_softmax")),
    ("hostile_takes_loss_backward_kernels", ("mae_loss", "softmax", "log_softmax")),
    ("hostile_takes_softplus_from_in_place_mish", ("softmax", "log_softmax")),
])
def test_a_library_reached_another_way_earns_no_no_library_point(grade_tamper, fixture,
                                                                 functions):
    result = grade_tamper(fixture)
    for function in functions:
        check = next(t for t in result.tests
                     if t.name.startswith(f"{function}: implemented without"))
        assert not check.passed, (function, check.output)


def test_a_handler_in_torchs_collate_table_does_not_run_the_loop_for_it(grade_tamper):
    """Outside red team 72: a cell put a handler of its own in the loaders' table of collate
    functions, which did, at every batch, what the graded loop and evaluate left out (+10).
    The grader's loaders put their batches together with its own code, and the table is as
    torch made it before each request: the steps left out are charged."""
    tests = _by_name(grade_tamper("hostile_hooks_the_collate_table"))
    for name in (STEP_ORDER, TRAIN_MODE, TRAIN_DEVICE, EVAL_MODE, EVAL_DEVICE):
        assert not tests[name].passed, (name, tests[name].output)
    assert tests[NO_GRAD].passed and tests[TRAIN_RETURN].passed  # (what it does right)


@pytest.mark.parametrize("fixture", ["hostile_gives_the_base_dataset_getitems",
                                     "hostile_replaces_record_function_enter"])
def test_code_put_on_the_loaders_path_is_tampering(grade_tamper, fixture):
    """Outside red team 73: a `__getitems__` given to `Dataset` (the base of the loader's
    `TensorDataset`) and torch's profiler's `record_function.__enter__` replaced ran at every
    batch and did the steps the loop left out (+12, +8). The integrity snapshot watches every
    module and class a training run executes (`harness.training_path`), each class with its
    bases: the change is put back and flagged, and the checks it touched earn nothing."""
    result = grade_tamper(fixture)
    tests = _by_name(result)
    assert result.tampered
    for name in (STEP_ORDER, TRAIN_MODE, EVAL_MODE):
        assert not tests[name].passed, (name, tests[name].output)


@pytest.mark.parametrize(("fixture", "attacked"), [
    ("hostile_rearms_hooks_from_a_freed_entry", (STEP_ORDER, TRAIN_MODE, TRAIN_DEVICE, EVAL_MODE,
                                                 EVAL_DEVICE, NO_GRAD)),
    ("hostile_sets_a_profile_from_a_freed_entry", (STEP_ORDER, TRAIN_MODE, TRAIN_DEVICE,
                                                   EVAL_MODE, EVAL_DEVICE)),
    ("hostile_rewrites_an_outcome_from_a_freed_callback", (NO_GRAD,))])
def test_nothing_of_the_notebooks_is_freed_inside_the_graders_work(grade_tamper, fixture,
                                                                    attacked):
    """Outside red team 73: objects whose `__del__` ran when the grader's clean-up freed them
    — a table entry that re-armed the global hooks, one that set a profile function after
    the hooks were silenced, a collector callback that rewrote a scenario's outcome before
    its copy (+10, +8, +2). What the clean-up takes away is kept until the request ends
    (`harness.release_kept`), and taken away again after: the steps left out are charged."""
    tests = _by_name(grade_tamper(fixture))
    for name in attacked:
        assert not tests[name].passed, (name, tests[name].output)


@pytest.mark.parametrize("fixture", ["hostile_swaps_the_autograd_engine",
                                     "hostile_rewrites_a_closure_cell_of_step"])
def test_what_torchs_code_holds_beyond_its_functions_is_watched(grade_tamper, fixture):
    """Outside red team 74: torch's autograd engine (`Variable._execution_engine`, an object,
    not a function) replaced by one that zeroed the gradients before every backward, and the
    real step held in the closure cell of `SGD.step`'s wrapper replaced by one that cleared
    them after (+2 each). Every binding of a watched torch namespace but a plain scalar is
    compared, every class a watched torch module names is watched, and so is every closure
    cell of a watched function: put back and flagged, and the loop's missing step is charged."""
    result = grade_tamper(fixture)
    tests = _by_name(result)
    assert result.tampered
    assert not tests[STEP_ORDER].passed, tests[STEP_ORDER].output


def test_the_graders_copy_of_torchs_tables_cannot_be_edited(grade_tamper):
    """Outside red team 74: a cell found, through `sys.modules`, the copy of torch's hook
    tables the grader refills them from before each request, and added its global forward
    pre-hook to it (the mode and the zeroing the loop left out, set at every forward): the
    grader put the hook back itself (+6). The copies are tuples: the hook is emptied with the
    table, and the loop's missing steps are charged."""
    tests = _by_name(grade_tamper("hostile_poisons_the_graders_table_copy"))
    for name in (STEP_ORDER, TRAIN_MODE, EVAL_MODE):
        assert not tests[name].passed, (name, tests[name].output)


def test_a_kernel_over_one_of_torchs_operators_is_refused(grade_tamper):
    """Outside red team 75: a kernel registered over `aten::stack` (the grader's loaders put
    every batch together with it) zeroed the gradients the loop left at every batch (+2; +8
    with the mode and no_grad set from it too). A worker refuses a library over torch's own
    namespaces (`harness.refuse_kernel_registrations`): the loop's missing step is charged."""
    tests = _by_name(grade_tamper("hostile_registers_a_kernel_over_stack"))
    for name in (STEP_ORDER, TRAIN_MODE, EVAL_MODE):
        assert not tests[name].passed, (name, tests[name].output)


def test_python_kernels_on_the_loaders_operators_are_refused(grade_tamper):
    """Outside red team 76: Python kernels (`OpOverload.py_impl`) on `aten::stack` and
    `aten::index_select`, with PyTorch's Python dispatcher left on from a cell, set at every
    batch of the grader's loaders the steps and modes the loops left out (+8). A worker
    refuses a notebook's Python kernel (`harness.refuse_python_kernels`) and starts every
    request with the dispatcher off (`harness.restore_dispatch_keys`)."""
    tests = _by_name(grade_tamper("hostile_gives_python_kernels_to_the_loaders"))
    for name in (STEP_ORDER, TRAIN_MODE, EVAL_MODE):
        assert not tests[name].passed, (name, tests[name].output)


def test_the_loaders_run_without_the_python_dispatcher_a_loop_switches_on(grade_tamper):
    """... and past the refusal (the grader's own `py_impl`, read off the harness), with the
    dispatcher switched on by the graded loops themselves: the grader's loaders and
    instruments run with it off (`harness.without_python_dispatcher`)."""
    tests = _by_name(grade_tamper("hostile_python_kernels_past_the_refusal"))
    for name in (STEP_ORDER, TRAIN_MODE, EVAL_MODE):
        assert not tests[name].passed, (name, tests[name].output)


MSE_VALUES = "mse_loss: matches F.mse_loss for every reduction (float32 and float64)"


def test_replies_are_encoded_by_nothing_a_cell_can_replace(grade_tamper):
    """Outside red team 78: a cell replaced `json.encoder.c_make_encoder`, which every reply
    of the worker was encoded through, and emptied each reply's `mutated` (the tensors the
    call edited in place): an mse_loss that edits its target kept its points, and the same
    hook erased every tampering marker. The frames are written by C objects made at import
    (`protocol._ENCODER`, `_socket.socket`'s methods): the edit is charged; the standard
    modules the worker reads are in the integrity snapshot, so the replaced function is
    found and flagged."""
    result = grade_tamper("hostile_rewrites_replies_through_json")
    tests = _by_name(result)
    assert not tests[MSE_VALUES].passed, tests[MSE_VALUES].output
    assert "in place" in tests[MSE_VALUES].output, tests[MSE_VALUES].output
    assert result.tampered


def test_a_frame_callback_of_torchs_compiler_is_taken_away(grade_tamper):
    """Outside red team 77: a cell set torch's compiler's frame callback (PEP 523), which ran
    at every Python call the grader then made and, before each forward pass of the graded
    loops, set the mode, zeroed the gradients and switched grad mode (+8). The worker takes
    it away after every piece of the student's code, before entering any function of its
    own (`worker._run_limited`, `harness.quiet_frame_hooks`): the loops' missing steps are
    charged."""
    tests = _by_name(grade_tamper("hostile_sets_a_frame_callback"))
    for name in (STEP_ORDER, TRAIN_MODE, EVAL_MODE, NO_GRAD):
        assert not tests[name].passed, (name, tests[name].output)


ACC_VALUES = "accuracy: fraction of correct predictions as a Python float"


def test_an_input_given_another_class_is_an_edit(grade_tamper):
    """Outside red team 77: an accuracy that edited its predictions in place, then gave them
    a class whose `detach` answered with the original values: the in-place check saw
    nothing (+2). An argument that is no longer the grader's plain tensor is an edit
    (`harness.tensor_changed`)."""
    tests = _by_name(grade_tamper("hostile_swaps_an_inputs_class"))
    assert not tests[ACC_VALUES].passed, tests[ACC_VALUES].output


def test_every_call_is_verified_before_the_worker_reads_it(grade_tamper):
    """A function that replaced the worker's in-place check from inside its own call, then
    edited its target: a call that records nothing was not verified after it, and the
    replaced check answered "unchanged" (+2). The worker puts its snapshot back after every
    call's run, before it computes anything of the call's."""
    result = grade_tamper("hostile_patches_the_edit_check_in_its_call")
    tests = _by_name(result)
    assert not tests[MSE_VALUES].passed, tests[MSE_VALUES].output
    assert "in place" in tests[MSE_VALUES].output
    assert result.tampered


def test_the_watched_originals_cannot_be_rewritten(grade_tamper):
    """Outside red team 79: an mse_loss that edited its target walked up to the worker's
    call and rewrote the watched (tensor, original) pairs to agree with the edit (+2). The
    originals are bytes and the record tuples (`worker._watch`)."""
    tests = _by_name(grade_tamper("hostile_rewrites_the_watched_pairs"))
    assert not tests[MSE_VALUES].passed, tests[MSE_VALUES].output
    assert "in place" in tests[MSE_VALUES].output


def test_the_scenario_table_cannot_be_edited_in_place(grade_tamper):
    """Outside red team 79: the dict behind the read-only view of the scenarios, reached with
    `gc.get_referents`, had every scenario wrapped to rewrite its outcome (evaluate's
    gradients "off": +2). Scenarios run from a tuple bound in the harness
    (`harness._TABLE`, `scenario_entry`)."""
    tests = _by_name(grade_tamper("hostile_rewrites_the_scenario_table"))
    assert not tests[NO_GRAD].passed, tests[NO_GRAD].output


def test_the_freeze_looks_up_no_module_by_name(grade_tamper):
    """Outside red team 81: a cell's module in `sys.modules["numpy"]` ran the cell's code
    inside the worker's freeze of evaluate's outcome (reached by one value of no plain type
    in it), after the checks on the records, and set its gradient records to "off" (+2).
    `plain_copy` and `protocol.encode` use NumPy's objects as taken at import."""
    tests = _by_name(grade_tamper("hostile_poisons_numpy_in_sys_modules"))
    assert not tests[NO_GRAD].passed, tests[NO_GRAD].output


def test_the_graph_counts_are_in_the_ledger(grade_tamper):
    """Outside red team 81: a loop keeping every batch's graph zeroed the per-batch counts its
    loss kept before it returned (+2). The counts are the log's, noted in its ledger
    (`Log.counts`): an edit of them voids the run as tampering."""
    result = grade_tamper("hostile_zeroes_the_graph_counts")
    tests = _by_name(result)
    assert not tests[TRAIN_RETURN].passed, tests[TRAIN_RETURN].output
    assert result.tampered


def test_a_loggers_level_is_put_back_before_the_graders_runs(grade_tamper):
    """Outside red team 83: the level of the logger torch consults at every backward, set in a
    cell to an object whose `__bool__` zeroed the student's gradients for it (+2). The loggers
    on torch's path are put back before each of the grader's runs (`harness.restore_loggers`:
    not a finding — a notebook may set a level), so the loop is judged as written."""
    tests = _by_name(grade_tamper("hostile_sets_a_loggers_level"))
    assert not tests[STEP_ORDER].passed, tests[STEP_ORDER].output


def test_the_standard_librarys_classes_on_the_training_path_are_watched(grade_tamper):
    """Outside red team 83: `typing._SpecialForm.__getitem__`, run by torch's
    `record_function` at every loader and optimizer step, replaced to switch gradients off
    inside an `evaluate` without `no_grad` (+2). Every module the training path runs and its
    classes are watched (`harness.training_path`), not a list."""
    result = grade_tamper("hostile_replaces_a_typing_method")
    assert not _by_name(result)[NO_GRAD].passed
    assert result.tampered


MSE_NO_LIB = "mse_loss: implemented without F.mse_loss"


def test_the_library_on_a_gpu_only_is_found(grade_tamper):
    """Outside red team 84: `if pred.is_cuda: return F.mse_loss(...)`, a branch no CPU call
    reaches (+1 a loss). The no-library check also asks new inputs on a GPU of the evidence
    worker and of the main worker (`forbidden.alike_on_gpu`)."""
    tests = _by_name(grade_tamper("hostile_calls_the_library_on_a_gpu_only"))
    assert not tests[MSE_NO_LIB].passed, tests[MSE_NO_LIB].output
    assert "F.mse_loss" in tests[MSE_NO_LIB].output


def test_a_function_two_faced_in_precision_is_found(grade_tamper):
    """Outside red team 84: the library's float64 answer in the main worker, a float32 one
    where the library is unavailable (the evidence worker told apart by NumPy's stand-ins):
    the evidence's comparisons ignored dtype (+2 a loss). One answer means one dtype, and
    float64 answers agree to float64's noise (`forbidden._alike`)."""
    tests = _by_name(grade_tamper("hostile_two_faced_in_precision"))
    assert not tests[MSE_NO_LIB].passed, tests[MSE_NO_LIB].output


RAW_LOGITS = "train_one_epoch: hands raw logits to the loss (no softmax before it)"


@pytest.mark.parametrize("fixture", ["hostile_lowers_the_recursion_limit",
                                     "hostile_hands_the_loss_another_layout"])
def test_what_the_loss_was_handed_is_compared_whatever_the_loop_does(grade_tamper, fixture):
    """Outside red team 85: the loss's comparison of what it was handed with the model's
    outputs failed open — made to raise by a recursion limit lowered to just above the loss
    call, or refused by comparing (N, C, 1) scores only in the outputs' (N, C) layout — and
    a sigmoid or 2 × softmax before the loss kept the logits check (+2). The comparison runs
    with room on the stack and in the layout the loop handed over (`harness._same_loss`)."""
    tests = _by_name(grade_tamper(fixture))
    assert not tests[RAW_LOGITS].passed, tests[RAW_LOGITS].output


def test_the_models_state_is_read_running_none_of_the_notebooks_hooks(grade_tamper):
    """Outside red team 86: `state_dict()`, which the scenarios read the model's state with
    after checking the records, ran a state-dict hook an `evaluate` without `no_grad` put on
    its model: it set the records' gradient flags off and took the reveal offset out of its
    figure (+2). The state is read from the modules' own dicts (`harness.state_of`)."""
    tests = _by_name(grade_tamper("hostile_hooks_the_state_dict"))
    assert not tests[NO_GRAD].passed, tests[NO_GRAD].output


BCE_GPU = ("binary_cross_entropy: works on GPU inputs, tensors on their device (GPU emulated "
           "or real)")


def test_a_cpu_tensor_cuda_refuses_is_refused_on_the_emulated_gpu(grade_tamper):
    """Outside red team 87: the emulated GPU took any 0-dim CPU tensor as a scalar, where CUDA
    does so only in its TensorIterator operators and never writes into one: a clamp bound
    made on the CPU (+1) and a loop's totals kept in a CPU tensor (+4) passed
    (`devices._refused_beside_gpu`, from the `device_check` torch's own operator table
    gives)."""
    assert not _by_name(grade_tamper("hostile_clamps_with_a_cpu_bound"))[BCE_GPU].passed
    assert not _by_name(grade_tamper("hostile_keeps_totals_in_a_cpu_tensor"))[TRAIN_DEVICE].passed


MSE_GPU = "mse_loss: works on GPU inputs, tensors on their device (GPU emulated or real)"


def test_a_cpu_tensor_of_any_class_beside_gpu_ones_is_refused(grade_tamper):
    """Outside red team 79: a CPU weight made an `nn.Parameter` passed the emulated GPU,
    where a real one raises (+1). Any tensor but the emulation's own on the CPU is a CPU
    tensor there (`devices._plain_cpu`)."""
    tests = _by_name(grade_tamper("hostile_hands_a_cpu_parameter_to_the_gpu"))
    assert not tests[MSE_GPU].passed, tests[MSE_GPU].output
