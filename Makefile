# `make` alone lists the targets. Every target creates .venv and installs
# what it needs when that is missing, so a fresh clone needs nothing else.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help test test-fast lint demo bench mutation clean system-deps

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP) ## run the whole suite against a throwaway redis-server (what CI runs)
	@bash scripts/system-deps.sh
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## the suite without the slow fault, cluster and fresh-clone tests
	$(BIN)/python -m pytest -m 'not slow'

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The demo's legacy side is derived from the legacy consumers' dataclasses
# (examples/comment/python): only its count of hex event ids differs from the
# bundled legacy.json's. The new side stays the bundled new.json, the Go
# readers' contract: the Go writer view (go:examples/comment/go/events:Event)
# admits the null award lists Go writes and refuses the pre-deploy layout's
# timestamps, so its verdicts on this stream differ (docs/schemas-from-code.md).
DEMO_LEGACY = py:legacy_consumer:CommentEvent?unknown=forbid

demo: $(STAMP) ## start an embedded Redis, seed a mixed Python/Go stream, replay it (legacy side derived from the Python dataclasses), print the report; then the compare demo
	$(BIN)/cdccheck demo --legacy '$(DEMO_LEGACY)' --python-path examples/comment/python
	$(BIN)/cdccheck demo --compare

bench: $(STAMP) ## benchmarks: raw read vs naive pipeline vs cdccheck (not part of the tests)
	$(BIN)/python benchmarks/run.py

mutation: $(STAMP) ## mutation testing of the engine core with cosmic-ray, sampled (about an hour; docs/testing.md)
	$(BIN)/python scripts/mutation.py $(MUTATION_ARGS)

system-deps: ## install the Go toolchain, Chromium and Prometheus some tests use (Debian, as root)
	@bash scripts/system-deps.sh

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .mutation build dist *.egg-info
