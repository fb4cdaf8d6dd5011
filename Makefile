# Two commands for a fresh machine with Python 3.11+:  make run  and  make test.
# Both create .venv from the pinned lock file when it is missing or stale.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-from-lock
CORES  ?= all
# Rules call `python`: the pinned environment's, unless a rule brings its own.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test bench lint venv clean

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)  ## create or refresh the pinned environment

run: $(STAMP)  ## run the default workflow (config.yaml)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)  ## unit, CLI and workflow tests
	$(BIN)/python -m pytest

bench: $(STAMP)  ## engine vs per-step loop vs compute floor (prints a table)
	$(BIN)/python workflow/scripts/benchmark_engine.py

lint: $(STAMP)  ## ruff, snakefmt and snakemake --lint
	$(BIN)/ruff check workflow tests
	$(BIN)/ruff format --check workflow tests
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

clean:  ## remove outputs (not the environment)
	rm -rf results logs benchmarks .snakemake
