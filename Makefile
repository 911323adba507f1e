# Every target sets up .venv first, from requirements-dev.lock: the hashed, pinned runtime
# dependencies (requirements.lock, what deploy/ installs) plus the dev tools.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Which interpreter made .venv: a venv made by another Python (or a removed one) is rebuilt.
INTERPRETER := $(shell $(PYTHON) -c 'import os, sys; print(os.path.realpath(sys.executable), *sys.version_info[:3])' 2>/dev/null)
MADE_BY := $(shell cat $(VENV)/.interpreter 2>/dev/null)
# pytest-xdist: one worker per core, two on the usual VM.
PYTEST_WORKERS ?= 2
# Hashes of every file of each pinned release, for every platform, so the locks install anywhere.
LOCK_OPTIONS := --generate-hashes --universal --python-version 3.11 --quiet

.PHONY: help setup run test lint typecheck bench plan lock clean FORCE

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

ifneq ($(INTERPRETER),$(MADE_BY))
$(STAMP): FORCE
endif
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "error: Python 3.11 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." \
		"Install python3.11 and run: make PYTHON=python3.11 $(MAKECMDGOALS)" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	echo '$(INTERPRETER)' > $(VENV)/.interpreter
	touch $(STAMP)

setup: $(STAMP) ## only set up .venv (from the lock files)

run: $(STAMP) ## set up and run the bot (the sandbox when no TELEGRAM_BOT_TOKEN is set)
	$(PY) -m bot run

test: $(STAMP) ## set up, lint, type-check and run the whole test suite (on PYTEST_WORKERS cores)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy bot handlers schedules bench tests
	$(PY) -m pytest -q -n $(PYTEST_WORKERS)

typecheck: $(STAMP) ## mypy over the project
	$(PY) -m mypy bot handlers schedules bench tests

bench: $(STAMP) ## run all benchmarks
	$(PY) -m bench all

plan: $(STAMP) ## re-import data/plan.json from the shipped source and check it
	$(PY) -m bot plan import data/source/tongzhou-2023-action-plan.txt -o data/plan.json
	$(PY) -m bot plan check

lock: $(STAMP) ## after changing dependencies in pyproject.toml: update both lock files (LOCK_FLAGS=--upgrade moves every pin)
	$(PY) -m uv pip compile pyproject.toml $(LOCK_OPTIONS) $(LOCK_FLAGS) -o requirements.lock
	$(PY) -m uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_OPTIONS) $(LOCK_FLAGS) \
		-o requirements-dev.lock
	$(MAKE) $(STAMP)

clean: ## remove everything make made: the virtualenv, caches, build leftovers
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

FORCE:
