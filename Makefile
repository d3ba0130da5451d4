# runlens — one door for people, README and CI. `make` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help install run test lint vendor bench bench-api bench-ui bench-analysis fuzz demo clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "runlens needs Python 3.11 or newer (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/.installed ## create .venv and install runlens with its dev tools

run: install ## install, then start runlens on the embedded store (./runlens-data)
	$(BIN)/runlens serve

test: install ## install, then run the test suite
	$(BIN)/pytest

lint: install ## ruff and mypy (strict)
	$(BIN)/ruff check runlens tests bench examples
	$(BIN)/ruff format --check runlens tests bench examples
	$(BIN)/mypy runlens bench

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

demo: install ## send example agent runs to a runlens started with `make run`
	$(BIN)/runlens demo

clean: ## remove the virtualenv and caches (not ./runlens-data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
