# wijkdeel — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000
# `make demo` works on an installation of its own, made afresh each time: never on the one
# `make run` serves, nor on one the environment points at.
DEMO := WIJKDEEL_ENV=development WIJKDEEL_VAR_DIR=var/demo WIJKDEEL_DATABASE_URL= WIJKDEEL_MASTER_KEY=

.PHONY: install install-dev run demo test test-sqlite lint bench clean

# What the service needs to run, and nothing else.
$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

# The test, lint and benchmark tools on top.
$(DEV): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV)

install: $(RUNTIME)

install-dev: $(DEV)

## Install, create the SQLite database with a demo neighbourhood, and serve the API on PORT.
run: install
	$(BIN)/wijkdeel migrate
	$(BIN)/wijkdeel demo --seed-only
	$(BIN)/wijkdeel serve --host $(HOST) --port $(PORT)

## Walk through the whole story against a fresh demo database (var/demo), printing each step.
demo: install
	rm -rf var/demo
	$(DEMO) $(BIN)/wijkdeel migrate
	$(DEMO) $(BIN)/wijkdeel demo

## Install and run every test, on SQLite and on PostgreSQL (skipped locally when unreachable;
## WIJKDEEL_REQUIRE_POSTGRES=1 makes that a failure, as in CI).
test: install-dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-sqlite: install-dev
	$(BIN)/python -m pytest -q -k "not postgresql"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache .ruff_cache
