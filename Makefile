# Two commands for a fresh machine with Python 3.11+:  make run  and  make test.
# Both create .venv from the pinned lock file when it is missing or stale.
# GPU=1 (e.g. make venv GPU=1) adds JAX's CUDA-12 wheels from requirements-cuda12.lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
GPU    ?=
LOCKS  := requirements.lock $(if $(GPU),requirements-cuda12.lock)
STAMP  := $(VENV)/.installed-$(if $(GPU),gpu,cpu)
CORES  ?= all
IMAGES ?= cpu cuda12
GPU_PYTHON ?= $(BIN)/python

.PHONY: run test bench lint venv images gpu-check clean

$(STAMP): $(LOCKS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(addprefix -r ,$(LOCKS))
	rm -f $(VENV)/.installed-*
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
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakefmt --check Snakefile workflow/rules  # it runs shfmt from the venv
	$(BIN)/snakemake --lint

gpu-check:  ## on a GPU node: GPU tests, GPU benchmark, a search at d=20 -> docs/gpu-check.md
	$(GPU_PYTHON) workflow/scripts/gpu_check.py

images:  ## build the container images with podman or docker (containers/README.md)
	IMAGES="$(IMAGES)" containers/build.sh

clean:  ## remove outputs (not the environment)
	rm -rf results logs benchmarks .snakemake
