# Backprop, derived. Two commands: `make lab` and `make test`.
# Both create .venv with Python 3.11 if it is missing and install the project.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader needs its environment's bin/ on PATH (it runs alembic).
RUN := PATH="$(CURDIR)/$(BIN):$$PATH"
# Tests: one BLAS thread per process, so parallel kernels do not fight over the cores.
TEST_ENV := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PORT ?= 8888

.PHONY: lab test install release release-check bench bench-grading clean

install: $(STAMP)

$(STAMP): pyproject.toml tools/fast_imports.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(RUN) $(BIN)/python tools/fast_imports.py --install
	@touch $(STAMP)

# JupyterLab's news and update prompt covers the notebook on first start. It is switched off in
# this environment's own configuration (.venv/etc/jupyter/labconfig/page_config.json), never in
# the user's ~/.jupyter. Widget messages go to the kernel's main thread, not to a subshell thread
# where a slider's plot would race the plots of running cells (labconfig/default_setting_overrides.json,
# autograder/bundle.py LAB_SETTING_OVERRIDES). The student edition does the same, and more.
LAB_CONFIG := $(VENV)/etc/jupyter/labconfig/page_config.json

$(LAB_CONFIG): $(STAMP) Makefile autograder/bundle.py
	$(RUN) $(BIN)/jupyter labextension disable --level=sys_prefix @jupyterlab/apputils-extension:announcements
	$(RUN) $(BIN)/python -c "from autograder.bundle import write_setting_overrides as w; w('$(VENV)/etc/jupyter/labconfig')"
	@touch $(LAB_CONFIG)

lab: $(STAMP) $(LAB_CONFIG)
	$(RUN) $(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --ServerApp.root_dir="$(CURDIR)" $(ROOT_FLAG)

# The unit and end-to-end tests, plus every lesson and every instructor
# (solution) notebook executed top to bottom with nbval.
test: $(STAMP) $(LAB_CONFIG)
	$(RUN) $(TEST_ENV) $(BIN)/python -m pytest tests notebooks source --nbval-lax --nbval-cell-timeout=300 --ignore=tests/fixtures --durations=20

release: $(STAMP)
	$(RUN) $(BIN)/python -m autograder release

release-check: $(STAMP)
	$(RUN) $(BIN)/python -m autograder release --check

bench: $(STAMP)
	$(RUN) $(BIN)/python -m benchmarks

# Stock nbgrader against `python -m autograder grade`, side by side (several minutes).
bench-grading: $(STAMP)
	$(RUN) $(BIN)/python -m benchmarks bench_grading

clean:
	rm -rf $(VENV) build .pytest_cache
