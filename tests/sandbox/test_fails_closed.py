"""The sandbox fails closed: a host where workers get no private root is refused unless the
caller says so (red team 61: with Python reached through a symlinked venv the probe found
no private root, and the grader ran every worker as root on the host's filesystem — one
notebook read solutions/answers.json and rewrote a classmate's notebook before it was
graded, with only a warning printed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch import run
from autograder.batch.inputs import InputError
from autograder.batch.run import ALLOW_UNCONFINED, UNCONFINED, UNCONFINED_ROOT, grade_batch
from autograder.sandbox.client import Zygote

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "fixtures" / "submissions" / "reference_code.ipynb"


class NoPrivateRoot(Zygote):
    """The zygote as a host without mount namespaces reports it."""

    def __enter__(self) -> Zygote:
        self.info.mount_namespace = False
        return self


def test_a_host_without_a_private_root_is_refused_and_nothing_graded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_UNCONFINED, raising=False)
    monkeypatch.setattr(run, "Zygote", NoPrivateRoot)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(REFERENCE, inbox / "ana.ipynb")
    with pytest.raises(InputError, match="no private root") as refused:
        grade_batch([inbox], tmp_path / "out", ROOT / "grading_config.yaml", workers=1,
                    progress=False)
    assert str(refused.value) == UNCONFINED
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    assert not list((tmp_path / "out").glob("*/results.json"))
    summary = grade_batch([inbox], tmp_path / "out", ROOT / "grading_config.yaml", workers=1,
                          progress=False, allow_unconfined=True)  # (asked for knowingly)
    assert [r.status.value for r in summary.results] == ["graded"]


class NoPrivateRootNorUidDrop(Zygote):
    """... and an unprivileged uid cannot read the Python installation (red team 64: Python
    under a 0700 /root)."""

    def __enter__(self) -> Zygote:
        self.info.mount_namespace = False
        self.info.drop_privileges = False
        return self


def test_workers_that_would_run_as_root_are_refused_whatever_the_caller_allows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Red team 64: allowed unconfined (as the Gradescope runner allows it as root), workers
    that could not drop their uid ran the notebooks as root: one read the solutions and
    rewrote a classmate's notebook."""
    monkeypatch.setenv(ALLOW_UNCONFINED, "1")
    monkeypatch.setattr(run, "Zygote", NoPrivateRootNorUidDrop)
    monkeypatch.setattr(run.os, "geteuid", lambda: 0)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(REFERENCE, inbox / "ana.ipynb")
    with pytest.raises(InputError, match="run as root") as refused:
        grade_batch([inbox], tmp_path / "out", ROOT / "grading_config.yaml", workers=1,
                    progress=False, allow_unconfined=True)
    assert str(refused.value) == UNCONFINED_ROOT and sys.base_prefix in UNCONFINED_ROOT
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    assert not list((tmp_path / "out").glob("*/results.json"))


@pytest.mark.skipif(os.geteuid() != 0, reason="the private root needs root (and namespaces)")
def test_a_venv_reached_through_a_symlink_still_gets_a_private_root(tmp_path: Path) -> None:
    link = tmp_path / "venv"
    link.symlink_to(Path(sys.prefix))
    probe = ("import sys, tempfile; from autograder.sandbox import limits; "
             "print(limits._private_root_works(tempfile.mkdtemp(), limits.PROBE_UID))")
    direct = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    if direct.stdout.strip() != "True":
        # (the comparison needs a host where the direct interpreter gets one: root with mount
        # and PID namespaces, as CI has; without, the refusal test above covers the host)
        pytest.skip("this host gives no private root even to the direct interpreter")
    linked = subprocess.run([str(link / "bin" / "python"), "-c", probe], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert linked.stdout.strip() == "True", linked.stderr[-2000:]
