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

CHROMIUM ?= /usr/bin/chromium
OIDC_PROVIDER := tests/oidc
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install install-dev test-deps run demo test test-sqlite lint bench screenshots \
	vendor-swagger-ui clean

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

## What the browser tests need besides Python: Debian's Chromium and the test OpenID Provider.
test-deps: $(DEV)
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@test -d $(OIDC_PROVIDER)/node_modules/oidc-provider || \
		npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund --silent

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
test: test-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-sqlite: test-deps
	$(BIN)/python -m pytest -q -k "not postgresql"

## Retake the README's screenshots (docs/screenshots/) with the browser tests.
screenshots: test-deps
	WIJKDEEL_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/console/browser -k sqlite

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python -m bench

## Refresh the vendored Swagger UI of /docs from the swagger-ui-dist package (VERSION=5.x.y).
vendor-swagger-ui:
	@test -n "$(VERSION)" || { echo "usage: make vendor-swagger-ui VERSION=5.35.0"; exit 2; }
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent swagger-ui-dist@$(VERSION) >/dev/null && \
		tar xzf swagger-ui-dist-$(VERSION).tgz && cd $(CURDIR) && \
		for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE favicon-32x32.png; do \
			cp $$tmp/package/$$f console/static/swagger-ui/; done && \
		sed -i '/^\/\/# sourceMappingURL=/d' console/static/swagger-ui/swagger-ui-bundle.js && \
		sed -i '/^\/\*# sourceMappingURL=/d' console/static/swagger-ui/swagger-ui.css && \
		sed -i "1s/swagger-ui-dist [0-9.]*/swagger-ui-dist $(VERSION)/" console/static/swagger-ui/VERSION && \
		rm -rf $$tmp

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache .ruff_cache $(OIDC_PROVIDER)/node_modules
