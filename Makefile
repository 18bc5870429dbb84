# wijkdeel — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo test test-sqlite lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Install, create the SQLite database with a demo neighbourhood, and serve the API.
run: install
	$(BIN)/wijkdeel migrate
	$(BIN)/wijkdeel demo --seed-only
	$(BIN)/wijkdeel serve --host $(HOST) --port $(PORT)

## Walk through the whole story against a fresh demo database, printing each step.
demo: install
	$(BIN)/wijkdeel migrate
	$(BIN)/wijkdeel demo

## Install and run every test, on SQLite and on PostgreSQL (skipped locally when unreachable;
## WIJKDEEL_REQUIRE_POSTGRES=1 makes that a failure, as in CI).
test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-sqlite: install
	$(BIN)/python -m pytest -q -k "not postgresql"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache .ruff_cache
