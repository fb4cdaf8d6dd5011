# Two commands for a fresh machine with Python 3.11+:  make run  and  make test.
# Both create .venv from the pinned lock file when it is missing or stale.
# GPU=1 (e.g. make venv GPU=1) adds JAX's CUDA-12 wheels from requirements-cuda12.lock.
# ST=1 (make venv ST=1) adds the optional embedding backends, sentence-transformers
# (with torch: gigabytes from PyPI) and model2vec, from requirements-st.lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
GPU    ?=
ST     ?=
LOCKS  := requirements.lock $(if $(GPU),requirements-cuda12.lock) $(if $(ST),requirements-st.lock)
STAMP  := $(VENV)/.installed-$(if $(GPU),gpu,cpu)$(if $(ST),-st)
CORES  ?= all
IMAGES ?= cpu cuda12
GPU_PYTHON ?= $(BIN)/python

.PHONY: run test test-st bench lint venv images gpu-check clean

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

# their test file alone: selecting by marker would collect (import) every test module
ST_TESTS ?= tests/embedders/test_sentence_transformers.py

test-st:  ## install the optional backends (ST=1), run their tests; skips become failures
	$(MAKE) venv ST=1
	REQUIRE_SENTENCE_TRANSFORMERS=1 $(BIN)/python -m pytest $(ST_TESTS)

bench: $(STAMP)  ## engine vs per-step loop vs compute floor (prints a table)
	$(BIN)/python tools/benchmark_engine.py

lint: $(STAMP)  ## ruff, snakefmt and snakemake --lint
	$(BIN)/ruff check workflow tools tests
	$(BIN)/ruff format --check workflow tools tests
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakefmt --check Snakefile workflow/rules  # it runs shfmt from the venv
	$(BIN)/snakemake --lint

# A lent GPU machine's own Python with CUDA JAX (GPU_PYTHON=python3) gets what it
# lacks as wheels: make gpu-wheels here (online), carry $(WHEELS), make gpu-check there.
GPU_PYVER ?= 3.12
WHEELS    ?= .whl
GPU_CHECK_ARGS ?=
MANYLINUX := $(foreach t,2_28 2_27 2_24 2_17 2_5,--platform manylinux_$(t)_x86_64) \
             --platform manylinux2014_x86_64 --platform manylinux1_x86_64

.PHONY: gpu-wheels

gpu-wheels: $(STAMP)  ## online: the wheels a GPU machine's Python lacks (tools/gpu_wheels.txt) -> .whl/
	rm -rf $(WHEELS) && mkdir -p $(WHEELS)
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: \
	    --python-version $(GPU_PYVER) --implementation cp $(MANYLINUX) \
	    -c requirements.lock -d $(WHEELS) \
	    $$(sed 's/#.*//' tools/gpu_wheels.txt | grep -v -x -e connection-pool -e '')
	$(BIN)/python -m pip wheel --quiet --no-deps -c requirements.lock -w $(WHEELS) \
	    connection-pool  # an sdist only: built here, pure Python
	@echo "$$(ls $(WHEELS)/*.whl | wc -l) wheels, $$(du -cb $(WHEELS)/*.whl | tail -1 | cut -f1) bytes in $(WHEELS)/: carry it"

gpu-check:  ## on a GPU node: GPU tests, benchmark, a search at d=20, the other tests -> docs/gpu-check.md
	$(GPU_PYTHON) tools/gpu_check.py $(GPU_CHECK_ARGS) \
	    $(if $(and $(filter-out $(BIN)/python,$(GPU_PYTHON)),$(wildcard $(WHEELS)/*.whl)),--wheels $(WHEELS))

images:  ## build the container images with podman or docker (containers/README.md)
	IMAGES="$(IMAGES)" containers/build.sh

clean:  ## remove outputs (not the environment)
	rm -rf results logs benchmarks .snakemake
