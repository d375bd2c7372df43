# bpkit: two commands. `make lab` opens the course, `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.bpkit-installed
EXTRAS := lab,test,bench
# PyTorch is an optional test reference and benchmark peer. It is installed
# when its CPU wheel is on disk (as on the course machines), or with
# `make test WITH_TORCH=1`; the tests that need it skip cleanly without it.
WITH_TORCH ?= $(if $(wildcard /opt/wheels/torch-2.13.0*cpu*),1,0)
NBVAL_TIMEOUT ?= 300
# Jupyter refuses to run as root unless told; containers and CI often are root
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test bench notebooks present student setup clean help

help:
	@echo "make lab    set up .venv and open JupyterLab on the notebook series"
	@echo "make test   set up .venv and run every test (unit, property, notebook, browser)"
	@echo "make bench  run the benchmarks in benchmarks/"
	@echo "make present    serve the lesson apps full-screen with Voila (lecture mode)"
	@echo "make student    write student/ copies with the exercise solutions removed"
	@echo "make notebooks  re-execute every notebook in place (maintainers)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "bpkit needs Python >= 3.10, this is " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

# reinstall only when the package metadata changes: a second run costs seconds
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@if [ "$(WITH_TORCH)" = "1" ]; then $(BIN)/python -m pip install --quiet -e ".[ref]"; fi
	@touch $(STAMP)

setup: $(STAMP)

lab: setup
	cd notebooks && ../$(BIN)/jupyter lab $(ROOT_FLAG) 01_single_neuron.ipynb

test: setup
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q tests \
	  --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout=$(NBVAL_TIMEOUT) -p no:cacheprovider

# every benchmark, then one summary table of their headline numbers
bench: setup
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
present: setup
	$(BIN)/python tools/present.py $(PRESENT_ARGS)

# student copies: student/NN_*.ipynb, solutions replaced by stubs, outputs cleared;
# existing copies are kept unless STUDENT_ARGS=--force
student: setup
	$(BIN)/python tools/student.py $(STUDENT_ARGS)

clean:
	rm -rf $(VENV) artifacts student .pytest_cache
