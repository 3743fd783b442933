# tracker — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST := $(BIN)/pytest
# test processes (pytest-xdist) of the unit and integration tiers: an integration process starts
# its own broker and engine and shares them among its tests; 0 runs a tier in this process
TEST_PROCESSES ?= 2

.DEFAULT_GOAL := help
.PHONY: help setup sysdeps run stop docs dashboards test test-unit test-integration test-reliability lint typecheck bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@echo "==> creating virtualenv $(VENV) and installing tracker with dev extras"
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/pip install -q -U pip setuptools wheel
	@$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

setup: sysdeps $(STAMP) ## Install what is missing: Debian packages (as root), virtualenv, Python packages

sysdeps: ## Install the Debian packages tracker needs (Java, Maven) when missing and root
	@bash deploy/scripts/sysdeps.sh

run: setup ## Start the tracker on the embedded default: local Kafka + chDB, simulator, demo campaign
	@echo "==> starting the local Kafka node"
	@$(BIN)/tracker broker start
	@echo "==> creating topics"
	@$(BIN)/tracker topics create
	@echo "==> migrating the embedded store"
	@$(BIN)/tracker db migrate
	@echo "==> running tracker with the platform simulator and the demo campaign (Ctrl-C to stop; 'make stop' stops the broker)"
	@$(BIN)/tracker run --demo

stop: ## Stop the local Kafka node
	@$(BIN)/tracker broker stop

test: setup ## Run the whole suite: lint and types, unit, integration (real Kafka, ClickHouse), reliability
	@echo "==> lint (ruff) and types (mypy)"
	@$(BIN)/ruff check tracker tests
	@$(BIN)/mypy tracker
	@echo "==> unit tests (two test processes)"
	@$(PYTEST) tests/unit -q -m "not integration and not reliability" -n $(TEST_PROCESSES)
	@echo "==> integration tests (real Kafka broker, real ClickHouse engine; two test processes, a broker each)"
	@$(PYTEST) tests/integration -m "integration" -q -n $(TEST_PROCESSES)
	@echo "==> reliability tests (kills, outages)"
	@$(PYTEST) tests/reliability -m "reliability" -q

test-unit: setup ## Run the fast unit suite only (no services)
	@$(PYTEST) tests/unit -q -m "not integration and not reliability" -n $(TEST_PROCESSES)

test-integration: setup ## Run the integration suite only
	@$(PYTEST) tests/integration -m "integration" -q -n $(TEST_PROCESSES)

test-reliability: setup ## Run the reliability suite only (kills, outages)
	@$(PYTEST) tests/reliability -m "reliability" -q

lint: setup ## ruff
	@$(BIN)/ruff check tracker tests

typecheck: setup ## mypy
	@$(BIN)/mypy tracker

bench: setup ## Print throughput and memory figures with same-run baselines
	@$(BIN)/python -m tests.bench

docs: setup ## Regenerate the README configuration table from Settings
	@$(BIN)/python deploy/scripts/update_readme.py

dashboards: setup ## Regenerate deploy/grafana from tracker/ops/dashboards.py (default settings: unset TRACKER_*)
	@$(BIN)/tracker dashboards generate --out deploy/grafana

# the local Kafka node keeps running after Ctrl-C: removed under it, it went on holding its port
# (the next `make run` was refused it) until it failed on its missing folder
clean: ## Stop the local Kafka node, remove local state (.tracker) and caches
	@if [ -x $(BIN)/tracker ] && [ -e .tracker/broker/broker.pid ]; then $(BIN)/tracker broker stop --data-dir .tracker/broker; fi
	rm -rf .tracker .pytest_cache .mypy_cache .ruff_cache
