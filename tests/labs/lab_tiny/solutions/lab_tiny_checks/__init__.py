"""lab_tiny's hidden checks (test_lab_tiny.py), the contract `assign` builds from (spec.py) and
the selftest library (mutants.py, alternatives.py). Never shipped; a worker never sees it."""
