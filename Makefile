# bpkit: two commands. `make lab` opens the course, `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# pip at -qq shows errors only: no build-backend notes, no notes about this
# machine's pip configuration
PIP    := $(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check
# one stamp per layer of .venv, each reinstalled only when pyproject.toml changes,
# so a second run costs seconds. `make lab` installs the learner's layer only;
# `make test` adds the test stack on top of it.
LAB_STAMP     := $(VENV)/.stamp-lab
PRESENT_STAMP := $(VENV)/.stamp-present
TEST_STAMP    := $(VENV)/.stamp-test
TORCH_STAMP   := $(VENV)/.stamp-torch
# PyTorch is an optional test reference and benchmark peer, installed only when
# asked for: `make test WITH_TORCH=1` (pip takes the CPU wheel from a local wheel
# folder when one is configured); the tests that need it skip cleanly without it.
WITH_TORCH ?= 0
TORCH := $(if $(filter 1,$(WITH_TORCH)),$(TORCH_STAMP))
NBVAL_TIMEOUT ?= 300
# Jupyter refuses to run as root unless told; containers and CI often are root
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# JupyterLab's settings for the course (no news or update pop-ups); Binder's
# postBuild copies the same file
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
# more JupyterLab options, e.g. LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=

.PHONY: lab test test-fast bench notebooks present student setup setup-test clean help

help:
	@echo "make lab        set up .venv (learner packages only) and open JupyterLab on lesson 01"
	@echo "make test       add the test stack to .venv and run every test (unit, property, notebook, browser)"
	@echo "make test-fast  unit and property tests only: no notebooks, no browser"
	@echo "make bench      run the benchmarks in benchmarks/"
	@echo "make present    serve the lesson apps full-screen with Voila (lecture mode)"
	@echo "make student    write student/ copies with the exercise solutions removed"
	@echo "make notebooks  re-execute every notebook in place (maintainers)"
	@echo "WITH_TORCH=1    also install PyTorch, the tests' second reference (make test WITH_TORCH=1)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "bpkit needs Python >= 3.10, this is " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

$(LAB_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) --upgrade pip
	$(PIP) -e ".[lab]"
	@touch $@

$(PRESENT_STAMP): pyproject.toml $(LAB_STAMP)
	$(PIP) -e ".[lab,present]"
	@touch $@

$(TEST_STAMP): pyproject.toml $(LAB_STAMP)
	$(PIP) -e ".[lab,present,test,bench,dev]"
	@touch $@

$(TORCH_STAMP): pyproject.toml $(LAB_STAMP)
	$(PIP) -e ".[ref]"
	@touch $@

$(LAB_OVERRIDES): binder/overrides.json | $(BIN)/python
	@mkdir -p $(dir $@)
	cp binder/overrides.json $@

setup: $(LAB_STAMP) $(LAB_OVERRIDES) $(TORCH)

setup-test: setup $(TEST_STAMP)

# serves the repository root, so notebooks/, student/ and lecture/ can all be
# opened; kernels get CurveZMQ keys (an unencrypted kernel logs a warning at start)
lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=. \
	  --KernelManager.transport_encryption=auto $(LAB_ARGS) \
	  notebooks/01_single_neuron.ipynb

test: setup-test
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q tests \
	  --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout=$(NBVAL_TIMEOUT) -p no:cacheprovider

# the inner loop: unit and property tests; no nbval, no browser, no test marked
# `notebook` (one that executes whole notebooks)
test-fast: setup-test
	$(BIN)/python -m pytest -q tests -m "not browser and not notebook" -p no:cacheprovider

# every benchmark, then one summary table of their headline numbers
bench: setup-test
	@summary=$$(mktemp); \
	for f in benchmarks/bench_*.py; do \
	  BPKIT_BENCH_SUMMARY=$$summary $(BIN)/python $$f || exit 1; echo; \
	done; \
	$(BIN)/python benchmarks/_summary.py $$summary; rm -f $$summary

notebooks: setup
	$(BIN)/python -m jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=$(NBVAL_TIMEOUT) notebooks/[0-9]*.ipynb

# lecture mode: the apps page (lecture/apps.ipynb) with Voila on 127.0.0.1:8866,
# one app per screen, no code; more options with PRESENT_ARGS="--port 9000 --no-browser"
present: setup $(PRESENT_STAMP)
	$(BIN)/python tools/present.py $(PRESENT_ARGS)

# student copies: student/NN_*.ipynb, solutions replaced by stubs, outputs cleared;
# existing copies are kept unless STUDENT_ARGS=--force
student: setup
	$(BIN)/python tools/student.py $(STUDENT_ARGS)

clean:
	rm -rf $(VENV) artifacts student .pytest_cache
