"""A Gradescope autograder from the same engine: build it here, run it in Gradescope's container.

Build (instructor's machine): `python -m autograder export gradescope --out autograder.zip`
writes a zip holding `setup.sh` (pinned dependencies, CPU-only torch),
`run_autograder` and the source: the `autograder/` package (the engine), the lab's
`solutions/reference.py` + `answers.json` (never the master notebook), its hidden checks
(`solutions/NAME_checks/`, without the selftest library), its worker-side modules,
`grading_config.yaml`, `requirements.lock` and `pyproject.toml`. The config ships
without the course around the checks (`roster`, `overrides`, the `deadline` with its
penalty and side files): a Gradescope run grades one upload with no roster, Gradescope
keeps its own roster, extensions, late policy and regrades, and a config naming side files
would fail every submission on files that are not there.

Run (Gradescope, for every submission): `run_autograder` calls
`python -m autograder.export.gradescope run --root /autograder`, which picks
the notebook in `submission/`, grades it with `grade_batch` — the same
sandbox, checks, points and visibility as a local run — and writes
`results/results.json`. Before grading it makes the hidden files root-only:
Gradescope's container usually has no CAP_SYS_ADMIN, hence no mount namespace
to hide them from the worker, whose dropped uid then meets file permissions.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from autograder.config import ConfigError, GradingConfig, load_config
from autograder.lab import Lab

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "templates"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
REQUIREMENTS = "requirements.gradescope.txt"
# In requirements.lock but not needed to grade: test and lint tools, and the authoring
# tools (otter assign, Jupyter kernels). pytest stays: the hidden checks run under it.
NOT_FOR_GRADING = frozenset({"pytest-xdist", "hypothesis", "scikit-learn", "ruff", "mypy",
                             "otter-grader", "ipykernel"})
# (path in the engine's project, path in the zip); the lab's files come from `lab_files`.
SOURCE_FILES = (("requirements.lock", "requirements.lock"), ("pyproject.toml", "pyproject.toml"))
CONFIG = "grading_config.yaml"
# The lab's selftest library: correct alternatives, and it cannot run there; its probes and
# equivalent mutants' reasons too (no check imports them: a lab author found generated.py
# shipped)
SELFTEST_MODULES = ("mutants.py", "alternatives.py", "variants.py", "generated.py")
# The course's side files, left out of the packaged config (see the module's docstring).
# The deadline too: Gradescope applies its own due date and late policy (an ops review: a
# Gradescope upload named like a Canvas late file, `x_LATE_1001_…`, lost 10 % to ours, on
# top of Gradescope's).
COURSE_KEYS: tuple[tuple[str, ...], ...] = (("roster",), ("overrides",), ("deadline",))
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # reproducible zips: same project, same bytes
RESULTS = "results.json"


class ExportError(Exception):
    """The package cannot be built from this project; the message says what to do."""


# --------------------------------------------------------------------------- building


@dataclass
class Package:
    path: Path
    entries: list[str]
    config: GradingConfig
    notebook: str = "notebook.ipynb"
    left_out: list[str] = field(default_factory=list)  # config keys not shipped (COURSE_KEYS)

    def describe(self) -> str:
        counts: dict[str, int] = {}
        for name in self.config.tests:
            visibility = self.config.visibility(name)
            counts[visibility] = counts.get(visibility, 0) + 1
        shown = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
        size = self.path.stat().st_size / 1024
        return "\n".join([
            f"wrote {self.path} ({len(self.entries)} files, {size:.0f} KiB)",
            f"  {len(self.config.tests)} checks ({shown}), {self.config.max_score:g} points",
            *([f"  the packaged config leaves out {', '.join(self.left_out)}: Gradescope's own "
               "roster, extensions, late policy and regrades apply there"]
              if self.left_out else []),
            "upload it on Gradescope: the assignment's Configure Autograder page → Zip file upload",
            f"(Ubuntu 22.04 or later); then Test Autograder with solutions/{self.notebook} (expect "
            f"full marks) and assignment/{self.notebook} (expect 0)",
        ])


def gradescope_requirements(lock_text: str) -> tuple[str, str]:
    """(the torch pin, the other pins to install) from requirements.lock's text."""
    torch_pin = ""
    keep: list[str] = []
    for raw in lock_text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)$", line)
        if match is None:
            raise ExportError(f"requirements.lock must pin exact versions (name==version): {line!r}")
        name = re.sub(r"[-_.]+", "-", match[1]).lower()
        if name == "torch":
            torch_pin = f"torch=={match[3]}"
        elif name not in NOT_FOR_GRADING:
            keep.append(line)
    if not torch_pin:
        raise ExportError("requirements.lock pins no torch version (torch==X.Y.Z)")
    header = ("# Generated from requirements.lock by `python -m autograder export gradescope`:\n"
              f"# what grading needs. {torch_pin} is installed first, from the CPU-only index.\n")
    return torch_pin, header + "\n".join(keep) + "\n"


def render_setup(torch_pin: str) -> str:
    text = (TEMPLATES / "setup.sh").read_text(encoding="utf-8")
    for key, value in {"TORCH_PIN": torch_pin, "TORCH_VERSION": torch_pin.split("==", 1)[1],
                       "TORCH_INDEX": TORCH_INDEX, "REQUIREMENTS": REQUIREMENTS}.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise ExportError(f"setup.sh template has unfilled placeholders: {left}")
    return text


def packaged_config(config_path: Path) -> tuple[bytes, list[str]]:
    """The config as shipped (its bytes unchanged when it names no side file), and the
    `COURSE_KEYS` left out of it."""
    data = config_path.read_bytes()
    raw = yaml.safe_load(data)
    left_out = []
    for *where, key in COURSE_KEYS:
        holder = raw
        for part in where:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and holder.get(key) is not None:
            del holder[key]
            left_out.append(".".join((*where, key)))
    if not left_out:
        return data, []
    note = (f"# {config_path.name} as packaged for Gradescope, without {', '.join(left_out)}\n"
            "# (Gradescope keeps its own roster, extensions, late policy and regrades)\n")
    return (note + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)).encode(), left_out


def package_files(project: Path) -> list[tuple[Path, str]]:
    """The `autograder/` package as shipped: sources and package data, no caches."""
    files = []
    base = project / "autograder"
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(project)
        if (path.is_symlink() or not path.is_file()
                or any(part.startswith(".") or part == "__pycache__" or part.endswith(".egg-info")
                       for part in rel.parts)
                or path.suffix in (".pyc", ".pyo", ".zip")
                # the selftest holds correct alternative implementations and cannot run there
                or rel.parts[:2] == ("autograder", "selftest")):
            continue
        files.append((path, rel.as_posix()))
    return files


def lab_files(lab: Lab) -> list[tuple[Path, str]]:
    """What of the lab grading needs: the reference, the answers, the hidden checks (not the
    selftest library) and the worker-side modules, at their paths in the lab's folder."""
    files = [lab.reference, lab.answers]
    files += [p for p in sorted(lab.checks.glob("*.py")) if p.name not in SELFTEST_MODULES]
    files += list(lab.worker_modules)
    return [(p, p.relative_to(lab.root).as_posix()) for p in files]


def check_entries(entries: list[str], lab: Lab | None = None) -> None:
    """Nothing student-facing may leak: no notebook (the master is one), no test outside the suite."""
    lab = lab or Lab.load()
    suite = lab.checks.relative_to(lab.root).as_posix() + "/"
    problems = [e for e in entries if e.lower().endswith(".ipynb")]
    problems += [e for e in entries if e.startswith(("tests/", "assignment/", "examples/",
                                                     "autograder/selftest/"))]
    problems += [e for e in entries if e.startswith("solutions/") and not e.startswith(suite)
                 and e not in ("solutions/reference.py", "solutions/answers.json")]
    problems += [e for e in entries if e.startswith(suite) and e[len(suite):] in SELFTEST_MODULES]
    problems += [e for e in entries if re.search(r"(^|/)(test_[^/]*\.py|tests?/)", e)
                 and not e.startswith(suite)]
    for required in ("setup.sh", "run_autograder", CONFIG, "autograder/export/gradescope.py"):
        if required not in entries:
            problems.append(f"missing {required}")
    if problems:
        raise ExportError("refusing to build the Gradescope package: " + ", ".join(sorted(set(problems))))


def excluded_imports(sources: list[tuple[str, bytes]]) -> list[str]:
    """Imports in the shipped code of a distribution that setup.sh does not install."""
    from importlib.metadata import packages_distributions

    provided = packages_distributions()
    found = []
    for rel, data in sources:
        if not rel.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(data, rel)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".", 1)[0]
                for dist in provided.get(top, []):
                    if re.sub(r"[-_.]+", "-", dist).lower() in NOT_FOR_GRADING:
                        found.append(f"{rel} imports {top} (from {dist})")
    return sorted(set(found))


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix: the mode below is honoured on extraction
    info.external_attr = (stat.S_IFREG | mode) << 16
    zf.writestr(info, data)


def build(out: Path, project: Path = PROJECT, config_path: Path | None = None,
          lab: Lab | None = None) -> Package:
    """Write the Gradescope autograder zip for `lab` (graded by the engine of `project`) to `out`."""
    from autograder.check.runner import SuiteError, validate

    lab = lab or Lab.locate(config=config_path)
    config_path = config_path or lab.config
    config = load_config(config_path)
    try:
        validate(list(config.tests), lab.checks)
    except SuiteError as exc:
        raise ConfigError(str(exc)) from exc
    missing = [src for src, _ in SOURCE_FILES if not (project / src).is_file()]
    missing += [str(p) for p, _ in lab_files(lab) if not p.is_file()]
    if missing:
        raise ExportError(f"missing {', '.join(missing)} (run `make assignment` to generate solutions/)")
    torch_pin, requirements = gradescope_requirements(
        (project / "requirements.lock").read_text(encoding="utf-8"))
    shipped_config, left_out = packaged_config(config_path)
    members: list[tuple[str, bytes, int]] = [
        ("setup.sh", render_setup(torch_pin).encode(), 0o755),
        ("run_autograder", (TEMPLATES / "run_autograder.sh").read_bytes(), 0o755),
        (REQUIREMENTS, requirements.encode(), 0o644),
        (CONFIG, shipped_config, 0o644),
        *((dest, (project / src).read_bytes(), 0o644) for src, dest in SOURCE_FILES),
        *((rel, path.read_bytes(), 0o644) for path, rel in lab_files(lab)),
        *((rel, path.read_bytes(), 0o644) for path, rel in package_files(project)),
    ]
    entries = [name for name, _, _ in members]
    check_entries(entries, lab)
    unavailable = excluded_imports([(name, data) for name, data, _ in members])
    if unavailable:
        raise ExportError("the grader would import what setup.sh does not install: "
                          + "; ".join(unavailable) + " (adjust NOT_FOR_GRADING)")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name, data, mode in members:
                _add(zf, name, data, mode)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Package(out, entries, config, lab.notebook_name, left_out)


# --------------------------------------------------------------------------- running


@dataclass
class Choice:
    notebook: Path | None
    message: str = ""  # for the student: results.json `output`
    log: list[str] = field(default_factory=list)  # for the instructor: stdout


def choose_notebook(submission: Path, unpack_dir: Path, assignment: str) -> Choice:
    """The notebook to grade among what the student uploaded.

    Uses the batch discovery, so a zip (otter's `grader.export()` one too) is
    unpacked safely and hidden files such as otter's pickled `.OTTER_LOG` are
    ignored, never loaded. Several notebooks: `notebook_rank` (`<assignment>.ipynb`,
    then the shallowest, then by name: the same rule as a batch's several notebooks in
    one upload); the student is told which one was graded.
    """
    from autograder.batch.discover import discover, notebook_rank

    wanted = f"{assignment}.ipynb"
    if not submission.is_dir():
        return Choice(None, f"No submission was received. Submit your notebook {wanted} and resubmit.")
    found = discover([submission], unpack_dir)
    log = [*found.skipped, *found.duplicates]

    def shown(path: Path) -> str:
        for base in (submission, unpack_dir):
            try:
                rel = path.relative_to(base)
            except ValueError:
                continue
            # unpacked from a zip: drop the folder named after the archive
            return (Path(*rel.parts[1:]) if base == unpack_dir else rel).as_posix()
        return path.name

    inside = (submission.resolve(), unpack_dir.resolve())
    candidates = []
    for f in found.submissions:
        if f.problem:  # an upload holding no notebook: the message below says what was received
            log.append(f"{f.origin}: {f.problem}")
            continue
        real = f.path.resolve()
        if f.path.is_symlink() or not any(real.is_relative_to(base) for base in inside):
            log.append(f"{f.path}: a link to {real}, ignored")
        else:
            candidates.append(f.path)
    notebooks = sorted(candidates, key=lambda p: notebook_rank(shown(p), assignment))
    if not notebooks:
        received = sorted(p.relative_to(submission).as_posix() for p in submission.rglob("*")
                          if p.is_file() and not any(part.startswith(".")
                                                     for part in p.relative_to(submission).parts))
        got = f" (received: {', '.join(received[:10])})" if received else ""
        return Choice(None, f"No Jupyter notebook (.ipynb) was found in your submission{got}. "
                            f"Submit your notebook {wanted} (Jupyter: File → Download as → Notebook) "
                            "and resubmit.", log)
    chosen = notebooks[0]
    message = ""
    if len(notebooks) > 1:
        names = ", ".join(shown(p) for p in notebooks)
        message = (f"Your submission holds {len(notebooks)} notebooks ({names}); only {shown(chosen)} "
                   f"was graded. Submit just {wanted} to be sure the right one is graded.")
    return Choice(chosen, message, log)


def protect(root: Path) -> None:
    """Make the hidden files unreadable, and results/ unwritable, for the worker's dropped uid.

    The engine hides solutions/, the checks and the submission with a mount
    namespace where it can; Gradescope's container usually cannot, so file
    permissions do it: root-only hidden files, a root-owned 0755 results/.
    The rest of the engine stays readable: the worker imports its own modules
    (`autograder.sandbox`) after dropping privileges.
    """
    source = root / "source"
    os.chmod(root, 0o755)
    _restrict(source, 0o755, 0o644)
    for rel in Lab.load(source).hidden_relative():  # the same list the batch grader hides
        _restrict(source / rel, 0o700, 0o600)
    _restrict(root / "submission", 0o700, 0o600)
    _restrict(root / "submission_metadata.json", 0o700, 0o600)
    results = root / "results"
    results.mkdir(exist_ok=True)
    os.chown(results, 0, 0)
    os.chmod(results, 0o755)


def _restrict(top: Path, dir_mode: int, file_mode: int) -> None:
    """chown root and chmod a tree; symlinks are neither followed nor changed."""
    if top.is_symlink() or not top.exists():
        return
    paths = [top, *top.rglob("*")] if top.is_dir() else [top]
    for path in paths:
        if path.is_symlink():
            continue
        os.chown(path, 0, 0)
        if path.is_dir():
            os.chmod(path, dir_mode)
        else:
            executable = path.stat().st_mode & stat.S_IXUSR
            os.chmod(path, file_mode | (0o111 & dir_mode if executable else 0))


def _failure(config_path: Path) -> dict[str, Any]:
    from autograder.score.results import Status
    from autograder.score.scoring import unscored

    message = "The autograder itself failed, not your notebook: tell your instructor."
    try:
        return unscored("submission", load_config(config_path), Status.CRASHED, message).to_gradescope()
    except ConfigError:
        return {"score": 0.0, "output": message, "tests": []}


def _grade(config_path: Path, submission: Path, work: Path, lab: Lab) -> dict[str, Any]:
    from autograder.batch.run import grade_batch
    from autograder.report.terminal import render
    from autograder.report.visibility import INSTRUCTOR
    from autograder.score.results import Status
    from autograder.score.scoring import unscored

    config = load_config(config_path)
    choice = choose_notebook(submission, work / "unpacked", config.assignment)
    for line in choice.log:
        print(f"submission: {line}")
    if choice.notebook is None:
        print(f"not graded: {choice.message}")
        return unscored("submission", config, Status.INVALID, choice.message).to_gradescope()
    print(f"grading {choice.notebook}")
    # (no private root in Gradescope's container: the hidden files were made root-only above
    # and each worker runs as an unprivileged uid, which file permissions then stop)
    summary = grade_batch([choice.notebook], work / "out", config_path, workers=1, regrade=True,
                          progress=False, lab=lab, allow_unconfined=os.geteuid() == 0)
    if len(summary.results) != 1:
        raise RuntimeError(f"expected one result, got {len(summary.results)}: {summary.describe()}")
    result = summary.results[0]
    print(render(result, audience=INSTRUCTOR))  # stdout is for instructors only
    data = result.to_gradescope()
    if choice.message:
        data["output"] = "\n".join(part for part in (choice.message, data["output"]) if part)
    return data


def run(root: Path) -> int:
    """Grade `root`/submission into `root`/results/results.json (Gradescope's layout)."""
    from autograder.report.atomic import write_text
    from autograder.report.sanitize import json_text

    started = time.monotonic()
    source, results = root / "source", root / "results"
    if os.geteuid() == 0:
        try:
            protect(root)
        except OSError as exc:  # grade anyway: the engine's own layers still apply
            print(f"warning: could not restrict permissions under {root}: {exc}")
    results.mkdir(parents=True, exist_ok=True)
    config_path = source / CONFIG
    work = Path(tempfile.mkdtemp(prefix="autograder-gradescope-"))  # 0700: the worker cannot look in
    code = 0
    try:
        data = _grade(config_path, root / "submission", work, Lab.load(source))
    except Exception as exc:  # the grader failed, not the student: Gradescope still gets an answer
        traceback.print_exc()
        print(f"internal autograder error: {type(exc).__name__}: {exc}")
        data, code = _failure(config_path), 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data["stdout_visibility"] = "hidden"  # stdout is for the instructor: sandbox notes, tracebacks
    data["execution_time"] = round(time.monotonic() - started, 3)
    path = results / RESULTS
    write_text(path, json_text(data))
    os.chmod(path, 0o644)
    print(f"wrote {path}: {data.get('score')} / {data.get('max_score', '?')} "
          f"({data.get('status', 'failed')})")
    return code


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="python -m autograder.export.gradescope", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="grade <root>/submission into <root>/results (run_autograder)")
    run_cmd.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    build_cmd = sub.add_parser("build", help="write the autograder zip")
    build_cmd.add_argument("--out", default="autograder.zip")
    build_cmd.add_argument("--config", default=None)
    build_cmd.add_argument("--lab", default=None, help="the lab folder (default: .)")
    args = top.parse_args(argv)
    if args.command == "run":
        return run(Path(args.root))
    try:
        print(build(Path(args.out), config_path=Path(args.config) if args.config else None,
                    lab=Lab.locate(args.lab, args.config)).describe())
    except (ExportError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
