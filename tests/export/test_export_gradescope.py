"""`python -m autograder export gradescope`: the package, and the package at work.

The zip is unpacked into a folder laid out like Gradescope's /autograder
(source/, submission/, results/, run_autograder copied next to them) and
`run_autograder` is run with AUTOGRADER_ROOT pointing there and this venv's
python on PATH. Its results.json must follow Gradescope's schema and carry the
same scores as a local `grade_batch` of the same notebooks with the same config.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import nbformat
import pytest
import yaml

from autograder.batch.discover import discover
from autograder.cli import main as cli_main
from autograder.export.gradescope import (
    NOT_FOR_GRADING,
    REQUIREMENTS,
    TORCH_INDEX,
    Package,
    build,
    choose_notebook,
    protect,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
VENV_BIN = Path(sys.executable).parent
NOBODY = 65534
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # suite loaded by build()
SUBMISSIONS = {
    "reference": FIXTURES / "reference_code.ipynb",
    "template": ROOT / "assignment" / "lab05.ipynb",
    "no_zero_grad": FIXTURES / "mutant_no_zero_grad.ipynb",
    "softmax_before_ce": FIXTURES / "mutant_softmax_before_ce.ipynb",
}


class Canary:
    """Unpickling this creates `path`: proof that somebody loaded the pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.path), "w"))


# (a lab author found generated.py in the package: no check imports it)
SELFTEST_LIBRARY = ("mutants.py", "alternatives.py", "variants.py", "generated.py")


def validate(data: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert all(0 <= t["score"] <= t["max_score"] for t in data["tests"])


def run_autograder(root: Path, **extra_env: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "AUTOGRADER_PYTHON", "VIRTUAL_ENV")}
    env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
               AUTOGRADER_ROOT=str(root), **extra_env)
    return subprocess.Popen([str(root / "run_autograder")], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen[str], root: Path, timeout: float = 400) -> dict:
    output, _ = process.communicate(timeout=timeout)
    results = root / "results" / "results.json"
    assert results.is_file(), output
    assert process.returncode == 0, output
    return json.loads(results.read_text())


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's config with some points and visibilities changed: they must carry over."""
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text())
    names = list(raw["tests"])
    raw["tests"][names[0]]["visibility"] = "hidden"
    raw["tests"][names[1]]["visibility"] = "after_due_date"
    raw["tests"][names[2]]["visibility"] = "after_published"
    raw["tests"][names[3]]["points"] = 5
    path = tmp_path_factory.mktemp("config") / "grading_config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, config_path: Path) -> Package:
    return build(tmp_path_factory.mktemp("zip") / "autograder.zip", config_path=config_path)


@pytest.fixture(scope="module")
def roots() -> Iterator[Callable[[Package], Path]]:
    """Fresh /autograder look-alikes. Not under pytest's 0700 tmp dirs: like /autograder, the
    worker's unprivileged uid must be able to reach source/autograder/sandbox."""
    base = Path(tempfile.gettempdir())
    if any(not p.stat().st_mode & stat.S_IXOTH for p in [base, *base.parents]):
        pytest.skip(f"{base} is not searchable by other users")
    made: list[Path] = []

    def make(package: Package) -> Path:
        root = Path(tempfile.mkdtemp(prefix="lab05-gradescope-test-", dir=base))
        made.append(root)
        with zipfile.ZipFile(package.path) as zf:  # unzip as Gradescope does: modes kept
            for info in zf.infolist():
                target = Path(zf.extract(info, root / "source"))
                os.chmod(target, (info.external_attr >> 16) & 0o777 or 0o644)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        (root / "submission").mkdir()
        (root / "results").mkdir()
        return root

    yield make
    for root in made:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- the package


def test_zip_holds_the_engine_and_nothing_a_student_should_see(package: Package, config_path: Path):
    with zipfile.ZipFile(package.path) as zf:
        infos = {info.filename: info for info in zf.infolist()}
        entries = sorted(infos)
        bundled_config = zf.read("grading_config.yaml")
    assert entries == sorted(package.entries)
    for required in ("setup.sh", "run_autograder", "grading_config.yaml", "requirements.lock",
                     "pyproject.toml", REQUIREMENTS, "solutions/reference.py", "solutions/answers.json",
                     "autograder/__init__.py", "autograder/grader.py", "autograder/batch/run.py",
                     "autograder/sandbox/zygote.py", "autograder/export/templates/run_autograder.sh",
                     "autograder/report/templates/feedback.html.j2"):
        assert required in entries, required
    suite = sorted(p.relative_to(ROOT).as_posix()
                   for p in (ROOT / "solutions" / "lab05_checks").glob("*.py")
                   if p.name not in SELFTEST_LIBRARY)
    assert suite and set(suite) <= set(entries)
    # the selftest library (correct alternatives, probes, equivalent mutants' reasons) stays
    # home; the worker-side scenarios go
    assert not [e for e in entries if e.endswith(tuple(f"/{n}" for n in SELFTEST_LIBRARY))]
    assert "worker/scenarios.py" in entries
    assert bundled_config == config_path.read_bytes()

    # No master notebook, no notebook at all, no project tests or fixtures (they hold solutions).
    assert "solutions/lab05.ipynb" not in entries
    assert not [e for e in entries if e.endswith(".ipynb")]
    assert [e for e in entries if e.startswith("solutions/")
            and not e.startswith("solutions/lab05_checks/")] == ["solutions/answers.json",
                                                                 "solutions/reference.py"]
    assert not [e for e in entries if e.startswith(("tests/", "assignment/", "examples/"))]
    # Tests only inside the hidden suite, which run_autograder makes root-only.
    test_like = [e for e in entries if "/test_" in f"/{e}" or "/tests/" in f"/{e}"]
    assert test_like and all(e.startswith("solutions/lab05_checks/") for e in test_like)
    assert not [e for e in entries if "__pycache__" in e or e.endswith(".pyc")]

    for name in ("setup.sh", "run_autograder"):
        assert infos[name].create_system == 3
        assert (infos[name].external_attr >> 16) & 0o777 == 0o755, name
        assert stat.S_ISREG(infos[name].external_attr >> 16)


def test_setup_installs_pinned_cpu_torch_and_the_lock_minus_dev_tools(package: Package):
    with zipfile.ZipFile(package.path) as zf:
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
        requirements = zf.read(REQUIREMENTS).decode()
    assert setup.startswith("#!/usr/bin/env bash") and run.startswith("#!/usr/bin/env bash")
    torch_line = next(line for line in setup.splitlines() if "pip install" in line and "torch" in line)
    assert '"torch==2.13.0"' in torch_line
    assert f"--index-url {TORCH_INDEX}" in torch_line and TORCH_INDEX == "https://download.pytorch.org/whl/cpu"
    assert "torch.version.cuda is None" in setup
    assert f"-r \"$SOURCE/{REQUIREMENTS}\"" in setup and "--no-deps -e \"$SOURCE\"" in setup
    for text in (setup, requirements):
        assert "nvidia" not in text.lower() and "cu12" not in text and "cu11" not in text

    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    names = {line.split("==")[0].split("[")[0].lower() for line in pins}
    lock = [line for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line and not line.startswith("#")]
    assert "torch" not in names  # installed on its own, from the CPU index
    assert not names & NOT_FOR_GRADING
    assert {"pytest", "numpy", "safetensors", "pydantic", "ipython"} <= names  # the judge needs them
    assert set(pins) <= set(lock)
    for script in (setup, run):
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_cli_export_is_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    first, second = tmp_path / "a" / "autograder.zip", tmp_path / "b.zip"
    assert cli_main(["export", "gradescope", "--out", str(first)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert cli_main(["export", "gradescope", "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


# --------------------------------------------------------------------------- otter submissions


def otter_zip(path: Path, notebook: Path, canary: Path) -> Path:
    """What otter's `grader.export()` hands a student: the notebook plus a pickled .OTTER_LOG."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("lab05.ipynb", notebook.read_bytes())
        zf.writestr(".OTTER_LOG", pickle.dumps(Canary(canary)))
    return path


def test_otter_export_zip_is_graded_without_unpickling_its_log(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    canary = tmp_path / "unpickled"

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a submission file was unpickled")

    archive = otter_zip(tmp_path / "lab05_2025_10_01T12_00_00.zip", SUBMISSIONS["template"], canary)
    folder = tmp_path / "otter_student"
    folder.mkdir()
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)

    from_zip = discover([archive], tmp_path / "unpacked")
    from_folder = discover([tmp_path / "otter_student"], tmp_path / "unpacked2")
    assert [f.path.name for f in from_zip.submissions] == ["lab05.ipynb"]
    assert [f.path.name for f in from_folder.submissions] == ["lab05.ipynb"]
    assert any(".OTTER_LOG" in s and "ignored" in s for s in from_zip.skipped)
    assert not list((tmp_path / "unpacked").rglob(".OTTER_LOG"))  # not even written to disk
    choice = choose_notebook(folder, tmp_path / "unpacked3", "lab05")
    assert choice.notebook == folder / "lab05.ipynb" and choice.message == ""
    assert not canary.exists()


def test_the_notebook_to_grade_is_chosen_and_the_student_told(tmp_path: Path):
    submission = tmp_path / "submission"
    (submission / ".ipynb_checkpoints").mkdir(parents=True)
    (submission / "work").mkdir()
    notebook = nbformat.writes(nbformat.v4.new_notebook())
    for rel in (".ipynb_checkpoints/lab05-checkpoint.ipynb", "work/lab05.ipynb", "scratch.ipynb"):
        (submission / rel).write_text(notebook)
    (submission / "scratch.ipynb").write_text(notebook + "\n")  # not a duplicate of work/lab05
    choice = choose_notebook(submission, tmp_path / "unpacked", "lab05")
    assert choice.notebook == submission / "work" / "lab05.ipynb"
    assert "2 notebooks" in choice.message and "only work/lab05.ipynb was graded" in choice.message
    assert "checkpoint" not in choice.message

    secret = tmp_path / "reference.py"
    secret.write_text("SECRET = 1\n")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "lab05.ipynb").symlink_to(secret)
    assert choose_notebook(linked, tmp_path / "unpacked3", "lab05").notebook is None

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "lab05.py").write_text("print('hi')\n")
    none = choose_notebook(empty, tmp_path / "unpacked2", "lab05")
    assert none.notebook is None and "No Jupyter notebook" in none.message and "lab05.py" in none.message


# --------------------------------------------------------------------------- protections


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another uid needs root")
def test_protect_hides_the_reference_checks_and_submission_from_the_worker_uid(
        package: Package, roots: Callable[[Package], Path]):
    """Gradescope's container has no mount namespace: file permissions must do the hiding."""
    root = roots(package)
    outside = root / "outside.txt"
    outside.write_text("not ours to change\n")
    os.chmod(outside, 0o644)
    (root / "submission" / "lab05.ipynb").write_text("{}")
    (root / "submission" / "link").symlink_to(outside)
    (root / "submission_metadata.json").write_text("{}")
    protect(root)
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # symlinks are not followed
    assert stat.S_IMODE((root / "results").stat().st_mode) == 0o755

    source = root / "source"
    checks: dict[str, Callable[[], object]] = {
        "reference": (source / "solutions" / "reference.py").read_bytes,
        "answers": (source / "solutions" / "answers.json").read_bytes,
        "list solutions": lambda: os.listdir(source / "solutions"),
        "suite": lambda: next((source / "solutions" / "lab05_checks").glob("test_*.py")).read_bytes(),
        "config": (source / "grading_config.yaml").read_bytes,
        "submission": (root / "submission" / "lab05.ipynb").read_bytes,
        "metadata": (root / "submission_metadata.json").read_bytes,
        "write results": lambda: (root / "results" / "results.json").write_text("{}"),
        "worker": (source / "autograder" / "sandbox" / "worker.py").read_bytes,
        "package": (source / "autograder" / "__init__.py").read_bytes,
    }
    seen = as_other_uid(checks)
    readable = {"worker", "package"}
    assert {k for k, v in seen.items() if v == "ok"} == readable, seen
    assert all(v == "denied" for k, v in seen.items() if k not in readable), seen


def as_other_uid(checks: dict[str, Callable[[], object]]) -> dict[str, str]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            seen = {}
            for name, attempt in checks.items():
                try:
                    attempt()
                    seen[name] = "ok"
                except PermissionError:
                    seen[name] = "denied"
                except Exception as exc:
                    seen[name] = type(exc).__name__
            os.write(write, json.dumps(seen).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


# --------------------------------------------------------------------------- run_autograder


def test_no_notebook_is_an_invalid_result_that_says_why(package: Package, roots: Callable[[Package], Path]):
    root = roots(package)
    (root / "submission" / "lab05.py").write_text("def mse_loss(): ...\n")
    data = finish(run_autograder(root), root, timeout=120)
    validate(data)
    assert data["status"] == "invalid" and data["score"] == 0
    assert "No Jupyter notebook" in data["output"] and "lab05.py" in data["output"]
    assert len(data["tests"]) == len(package.config.tests)
    assert data["stdout_visibility"] == "hidden"


def test_a_broken_installation_still_answers_gradescope(package: Package,
                                                        roots: Callable[[Package], Path]):
    root = roots(package)
    process = run_autograder(root, AUTOGRADER_PYTHON="/bin/false")
    process.communicate(timeout=60)
    assert process.returncode != 0
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    assert data["score"] == 0 and "tell your instructor" in data["output"]


@pytest.mark.slow
def test_gradescope_scores_equal_local_scores(package: Package, config_path: Path,
                                              roots: Callable[[Package], Path], tmp_path: Path):
    from autograder.batch.run import grade_batch

    canary = tmp_path / "unpickled"
    runs: dict[str, tuple[Path, subprocess.Popen[str]]] = {}
    for key, notebook in SUBMISSIONS.items():
        root = roots(package)
        if key == "reference":  # as otter exports it, plus a stray notebook: lab05.ipynb is graded
            shutil.copy(notebook, root / "submission" / "lab05.ipynb")
            (root / "submission" / ".OTTER_LOG").write_bytes(pickle.dumps(Canary(canary)))
            (root / "submission" / "notes.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
        else:
            shutil.copy(notebook, root / "submission" / notebook.name)
        runs[key] = (root, run_autograder(root))
    # All four containers at once, and the local batch beside them: one zygote each.
    local = grade_batch(list(SUBMISSIONS.values()), tmp_path / "local", config_path, workers=1,
                        progress=False)
    by_path = {f.path: r for f, r in zip(local.discovery.submissions, local.results, strict=True)}
    config = package.config

    for key, (root, process) in runs.items():
        data = finish(process, root)
        validate(data)
        expected = by_path[SUBMISSIONS[key]].to_gradescope()
        assert data["status"] == expected["status"] == "graded", (key, data["output"])
        assert data["score"] == expected["score"], key
        assert data["max_score"] == expected["max_score"] == config.max_score
        assert ({t["name"]: t["score"] for t in data["tests"]}
                == {t["name"]: t["score"] for t in expected["tests"]}), key
        assert {t["name"]: t["visibility"] for t in data["tests"]} == {
            name: config.visibility(name) for name in config.tests}
        assert data["stdout_visibility"] == "hidden"

    scores = {key: json.loads((root / "results" / "results.json").read_text())["score"]
              for key, (root, _) in runs.items()}
    assert scores["reference"] == config.max_score
    assert scores["template"] == 0
    assert 0 < scores["no_zero_grad"] < config.max_score
    assert 0 < scores["softmax_before_ce"] < config.max_score
    reference = json.loads((runs["reference"][0] / "results" / "results.json").read_text())
    assert "only lab05.ipynb was graded" in reference["output"]
    assert not canary.exists()
    names = list(config.tests)
    assert {t["name"]: t["visibility"] for t in reference["tests"]}[names[0]] == "hidden"
    assert {t["name"]: t["max_score"] for t in reference["tests"]}[names[3]] == 5
