"""A copy of the grading config with short limits, for the batch tests that grade."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"


@pytest.fixture(scope="session")
def short_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = yaml.safe_load((ROOT / "grading_config.yaml").read_text())
    raw["limits"].update(cell_timeout_s=3, call_timeout_s=3, submission_timeout_s=60)
    path = tmp_path_factory.mktemp("config") / "grading_config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
