# The two commands that matter: `make demo` (set up, build, grade the bundled
# examples) and `make test` (the project's own test suite). Both set up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= demo-out
WORKERS ?=

.PHONY: setup demo test test-fast lint assignment check-assignment bench selftest clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

demo: setup
	$(PY) -m autograder grade examples/submissions --out $(OUT) $(if $(WORKERS),--workers $(WORKERS),)

test: setup
	$(PY) -m ruff check autograder tests solutions worker
	$(PY) -m pytest -q -n 2

test-fast: setup
	$(PY) -m pytest -q -n 2 -m "not slow and not browser"

lint: setup
	$(PY) -m ruff check autograder tests solutions worker
	$(PY) -m mypy

assignment: setup
	$(PY) -m autograder assign
	$(PY) tests/fixtures/make_fixtures.py

check-assignment: setup
	$(PY) -m autograder.assign.build --check

selftest: setup
	$(PY) -m autograder selftest

bench: setup
	$(PY) -m pip install -q -r bench/requirements.txt
	$(PY) bench/run.py $(if $(QUICK),--quick,)

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache .mypy_cache
