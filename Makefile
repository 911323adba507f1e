VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help run test lint typecheck bench plan clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## set up and run the bot (the sandbox when no TELEGRAM_BOT_TOKEN is set)
	$(PY) -m bot run

test: $(STAMP) ## set up, lint, type-check and run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy bot handlers schedules bench tests
	$(PY) -m pytest -q

typecheck: $(STAMP) ## mypy over the project
	$(PY) -m mypy bot handlers schedules bench tests

bench: $(STAMP) ## run all benchmarks
	$(PY) -m bench all

plan: $(STAMP) ## re-import data/plan.json from the shipped source and check it
	$(PY) -m bot plan import data/source/tongzhou-2023-action-plan.txt -o data/plan.json
	$(PY) -m bot plan check

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
