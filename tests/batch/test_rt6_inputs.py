"""Red team 6's inputs: a notebook that is a link (an unzipped upload's `lab05.ipynb ->
…/solutions/lab05.ipynb` graded the hidden master as the student's work), a zip entry whose
name is too long to create (its clean-up raised again and ended the batch), and a file name
that is not UTF-8 (writing its results ended the batch). Each is a row with a reason; the
batch goes on."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from autograder.batch.discover import discover
from autograder.report.atomic import write_text

NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def test_a_link_found_in_a_folder_is_never_followed_and_is_a_row(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "lab05.ipynb"
    secret.parent.mkdir()
    secret.write_text(NOTEBOOK)
    downloads = tmp_path / "downloads"
    (downloads / "ben").mkdir(parents=True)
    (downloads / "ben" / "lab05.ipynb").symlink_to(secret)
    (downloads / "carol").mkdir()
    (downloads / "carol" / "lab05.ipynb").write_text(NOTEBOOK)
    found = {f.submission_id: f for f in discover([downloads], tmp_path / "unpacked",
                                                  assignment="lab05").submissions}
    assert set(found) == {"ben", "carol"}
    assert found["ben"].problem and "link" in found["ben"].problem
    assert not found["carol"].problem
    assert all(Path(f.path).resolve() != secret.resolve() or f.problem for f in found.values())


def test_a_link_named_on_the_command_line_is_the_instructors_and_is_read(tmp_path: Path) -> None:
    real = tmp_path / "real.ipynb"
    real.write_text(NOTEBOOK)
    link = tmp_path / "current.ipynb"
    link.symlink_to(real)
    (only,) = discover([link], tmp_path / "unpacked").submissions
    assert not only.problem


def test_a_zip_entry_name_too_long_to_create_is_unpacked_and_graded(tmp_path: Path) -> None:
    """A 300-byte entry name once ended the batch (its clean-up raised again), then made an
    `invalid` row; the file was handed in whole, so it is unpacked under a name a file system
    takes (its head, a digest, its suffix: red team 82) and is its uploader's row."""
    archive = tmp_path / "dana.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("x" * 300 + ".ipynb", NOTEBOOK)
    (found,) = discover([archive], tmp_path / "unpacked").submissions
    assert found.submission_id == "dana" and not found.problem, found
    assert found.path.is_file() and len(found.path.name.encode()) <= 255


def test_results_of_a_file_name_that_is_not_utf8_can_be_written(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9_\xff.ipynb")  # (surrogate escapes, as Python lists it)
    target = tmp_path / "results.json"
    write_text(target, f'{{"source": "{name}"}}')
    assert target.read_text(encoding="utf-8").startswith('{"source": "caf')
