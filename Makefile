# runlens — one door for people, README and CI. `make` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help install e2e-deps run test lint smoke-wheel vendor bench bench-api bench-ui bench-analysis fuzz demo clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

# Two stamps: `make run` needs only what runlens needs at run time; tests and lint add the
# dev extras (test tools, linters, the instrumentation libraries the tests drive).
$(BIN)/.runtime: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "runlens needs Python 3.11 or newer (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(BIN)/.installed: $(BIN)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/.installed ## create .venv and install runlens with its dev tools

run: $(BIN)/.runtime ## install what running needs, then start runlens on the embedded store (./runlens-data)
	$(BIN)/runlens serve

$(BIN)/.e2e-installed: $(BIN)/.installed tests/e2e/constraints.txt
	$(BIN)/python -m pip install --quiet -c tests/e2e/constraints.txt -e '.[dev,e2e]'
	@touch $@

e2e-deps: $(BIN)/.e2e-installed ## add the pinned instrumentation libraries (tests/e2e, examples)

test: install e2e-deps ## install, then run the test suite (with the real-library suite)
	$(BIN)/pytest

lint: install ## ruff and mypy (strict)
	$(BIN)/ruff check runlens tests bench examples
	$(BIN)/ruff format --check runlens tests bench examples
	$(BIN)/mypy runlens bench

smoke-wheel: install ## build the wheel, install it in a fresh venv, serve, send a span, read it back
	$(BIN)/python -m tests.smoke.wheel_smoke

vendor: ## re-vendor the web UI's libraries from npm (needs npm; pins in scripts/vendor.py)
	$(PYTHON) scripts/vendor.py

bench: install ## ingest benchmark: stored spans/s vs a do-nothing receiver, RSS, bytes/span
	$(BIN)/python -m bench.ingest

bench-api: install ## API latency: GraphQL p50/p95 over 10M spans / 400k runs (loads once, ~6 min)
	$(BIN)/python -m bench.api

bench-ui: install ## web UI in headless chromium: Runs page, a 1,000-action run, filter changes (~3 min)
	$(BIN)/python -m bench.ui

bench-analysis: install ## compareRuns / determinismReport p50/p95 over 1,000-action runs (~1 min)
	$(BIN)/python -m bench.analysis

fuzz: install ## 10,000 malformed OTLP payloads (gRPC + HTTP) against a live server (~2 min)
	$(BIN)/python -m bench.fuzz --payloads 10000

demo: $(BIN)/.runtime ## send example agent runs to a runlens started with `make run`
	$(BIN)/runlens demo

clean: ## remove the virtualenv and caches (not ./runlens-data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
