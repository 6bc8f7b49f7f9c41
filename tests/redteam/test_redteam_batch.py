"""The red-team batch: every hostile and broken submission graded together with honest ones.

For each: (a) the batch finishes, (b) a hostile submission scores no more than the
honest work in it, (c) its gradebook row has a clear status and reason, (d) honest
submissions in the same batch get exactly their normal scores, (e) nothing outside
the workers' scratch directories changed.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
import yaml

from autograder.batch.run import grade_batch
from autograder.sandbox.zygote import CGROUP_PREFIX, UID_BASE, UID_BLOCK, UID_BLOCKS
from autograder.score.results import Status

ROOT = Path(__file__).resolve().parents[2]
REDTEAM = ROOT / "tests" / "fixtures" / "redteam"
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
from make_redteam import write_huge  # noqa: E402

pytestmark = pytest.mark.slow

G, T, C = Status.GRADED, Status.TIMEOUT, Status.CRASHED

# name -> (allowed statuses, a word the reason must contain ("" when graded))
HOSTILE = {
    "hostile_patches_protocol": ({T, C}, "cell"),
    "hostile_pickle_bomb_file": ({G}, ""),
    "hostile_opens_socket": ({G}, ""),
    "hostile_spawns_subprocess": ({G}, ""),
    "hostile_fork_bomb": ({G}, ""),
    "hostile_segfault": ({G}, "segmentation fault"),  # the cell skipped, a note
    "hostile_kills_parent": ({G}, ""),
    "hostile_loop_in_graded_function": ({T}, "mae_loss"),
    "hostile_loop_in_training": ({T}, "train_one_epoch"),
    "hostile_memory_bomb": ({G, T}, ""),  # under load the cell limit may come first
    "hostile_deep_recursion": ({G, C, T}, ""),
    "hostile_floods_stdout": ({G}, ""),
    "hostile_writes_100mb_file": ({G}, ""),
    "hostile_git_show_reference": ({G}, ""),
    "hostile_writes_host_tmp": ({G}, ""),
    "hostile_deep_tree": ({G}, ""),
    "hostile_clone_parent_spinners": ({G}, ""),
    "hostile_trickles_reply": ({G, C, T}, ""),  # its cell is skipped; the rest is graded
    "hostile_sleep_just_under": ({G}, ""),
    "hostile_sleep_just_over": ({T}, "cell"),
    "broken_nbformat3": ({G}, ""),
    "broken_50mb_of_outputs": ({G}, ""),
}
INVALID = {
    "broken_zero_bytes": "empty",
    "broken_invalid_json": "invalid JSON",
    "broken_non_utf8": "UTF-8",
    "broken_all_markdown": "no code cells",
    "broken_r_kernel": "kernel is “R”, not Python",
}
# graded, scoring below the honest work, with a message about the actual problem
BROKEN = {
    "broken_wrong_signatures": ("mse_loss", "TypeError"),
    "broken_returns_numpy_and_lists": ("mae_loss", "numpy"),
    "broken_missing_functions": ("mse_loss", "not defined"),
}


# What the hostile cells write (in their own home), and the uids workers run as.
WRITTEN_BY_HOSTILE = {"results.pkl", "big.bin", "pwned-by-lab05-student", "results.json"}
WORKER_UIDS = range(UID_BASE, UID_BASE + UID_BLOCK * UID_BLOCKS)


def _left_by_workers(folders: list[Path], shared: list[Path]) -> list[str]:
    """Files a hostile cell writes, or any file a worker uid owns: anywhere under the
    project's `folders`, and at the top of the machine's `shared` temporary folders.

    Checked by name and owner, not by "nothing changed": other processes on the
    machine may change these folders while the batch runs.
    """
    found = []
    for path in [*(p for f in folders for p in f.rglob("*")), *(p for f in shared for p in f.iterdir())]:
        try:
            owner = path.lstat().st_uid
        except OSError:
            continue
        if path.name in WRITTEN_BY_HOSTILE or owner in WORKER_UIDS:
            found.append(str(path))
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("redteam")
    inputs = work / "submissions"
    shutil.copytree(REDTEAM, inputs)
    shutil.copy(ROOT / "tests" / "fixtures" / "submissions" / "reference_code.ipynb", inputs)
    write_huge(inputs / "broken_50mb_of_outputs.ipynb")
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text())
    raw["limits"].update(cell_timeout_s=4, call_timeout_s=4, submission_timeout_s=90)
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    summary = grade_batch([inputs], work / "out", config, workers=2, progress=False)
    return {
        "summary": summary,
        "results": {r.submission_id: r for r in summary.results},
        "out": work / "out",
        "left_behind": _left_by_workers([ROOT / p for p in ("solutions", "autograder",
                                                             "assignment", "tests", "examples")],
                                        [Path("/tmp"), Path("/dev/shm"), Path("/var/tmp")]),
    }


def test_batch_finishes_with_a_row_for_everyone(batch):
    with (batch["out"] / "gradebook.csv").open(encoding="utf-8-sig") as handle:
        rows = {row["submission_id"]: row for row in csv.DictReader(handle)}
    expected = {p.stem for p in REDTEAM.glob("*.ipynb")} | {"reference_code",
                                                            "broken_50mb_of_outputs"}
    assert set(rows) == expected
    for row in rows.values():
        assert row["status"] in {s.value for s in Status}
        if row["status"] != "graded":
            assert row["reason"].strip(), row


def test_honest_submissions_keep_their_exact_scores(batch):
    results = batch["results"]
    assert results["reference_code"].score == results["reference_code"].max_score
    honest = results["honest_only_mse"]
    assert honest.status is Status.GRADED
    assert {t.name.split(":")[0] for t in honest.tests if t.passed} == {"mse_loss"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_scores_only_its_honest_work(batch, name):
    statuses, word = HOSTILE[name]
    result = batch["results"][name]
    honest = batch["results"]["honest_only_mse"]
    assert result.status in statuses, (result.status, result.reason)
    assert word in result.reason
    assert result.score == honest.score, [t.output for t in result.tests if t.passed]


@pytest.mark.parametrize("name", sorted(INVALID))
def test_broken_files_are_invalid_with_a_reason(batch, name):
    result = batch["results"][name]
    assert result.status is Status.INVALID
    assert INVALID[name] in result.reason
    assert result.score == 0 and len(result.tests) > 0


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_code_is_graded_with_a_pointed_message(batch, name):
    function, word = BROKEN[name]
    result = batch["results"][name]
    assert result.status is Status.GRADED
    assert result.score <= batch["results"]["honest_only_mse"].score
    messages = [t.output for t in result.tests if t.name.startswith(function + ":")]
    assert any(word in m for m in messages), messages


def test_nothing_outside_scratch_changed(batch):
    assert batch["left_behind"] == []
    assert not Path("/tmp/pwned-by-lab05-student").exists()
    leftovers = [p for p in batch["out"].rglob("*") if p.name.startswith(".results.json.")]
    assert leftovers == []


def test_no_submission_process_outlives_the_batch(batch):
    """Fork-bomb children and subprocesses die with their worker.

    Workers are forks of a zygote, so their command line names its private
    folder; once a batch is over that folder is gone, and so must they be.
    (Other batches running on the machine keep their folders and are ignored.)
    """
    stray = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (b"autograder.sandbox.zygote" in argv and len(argv) > 3
                and not Path(os.fsdecode(argv[3])).parent.exists()):
            stray.append(entry)
    assert stray == []


def test_no_cgroup_outlives_its_run(batch):
    """Every run removes its workers' groups; any group left names a zygote still alive
    (another run on the machine), never one of a finished run. (Another run's group may be
    seen between its zygote's exit and its removal: a group is stale only if it is still
    there a few seconds later.)"""
    def stale() -> list[str]:
        found = []
        for hierarchy in ("memory", "pids", "freezer", ""):
            base = Path("/sys/fs/cgroup") / hierarchy
            for group in base.rglob(f"{CGROUP_PREFIX}*") if base.is_dir() else []:
                pid = group.name[len(CGROUP_PREFIX):]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    found.append(str(group))
        return found

    first = stale()
    if first:
        time.sleep(5)
    assert [group for group in stale() if group in first] == []

