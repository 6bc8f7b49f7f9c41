"""The lab these tests grade is this repository's root (lab05): its hidden checks package
(`lab05_checks`) is importable in the test process, as it is in a judge."""

from __future__ import annotations

from pathlib import Path

from autograder.lab import Lab

ROOT = Path(__file__).resolve().parents[1]
LAB = Lab.load(ROOT)
LAB.activate()
