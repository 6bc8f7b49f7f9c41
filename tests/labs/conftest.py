"""The labs under tests/labs/ are lab folders, not test packages: their hidden checks
(`solutions/NAME_checks/test_*.py`) run under the judge's own pytest session, never under
this project's. Only the modules directly in tests/labs/ are this project's tests."""

collect_ignore_glob = ["*/*"]
