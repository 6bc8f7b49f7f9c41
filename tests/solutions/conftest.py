"""Make the hidden reference solution importable for the tests in this folder.

``solutions/reference.py`` is a plain file, not a package. It is loaded here from its
path (relative to this conftest, so the checkout can live anywhere) under the
unambiguous module name ``lab05_reference``; the test modules then simply
``import lab05_reference as ref``. Conftests are imported before the test modules
of their folder, in every xdist worker too.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REFERENCE_PATH = Path(__file__).resolve().parents[2] / "solutions" / "reference.py"
MODULE_NAME = "lab05_reference"


def _load_reference() -> None:
    if MODULE_NAME in sys.modules:
        return
    if not REFERENCE_PATH.is_file():
        raise FileNotFoundError(f"reference solution not found at {REFERENCE_PATH}")
    spec = importlib.util.spec_from_file_location(MODULE_NAME, REFERENCE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[MODULE_NAME]
        raise


_load_reference()
