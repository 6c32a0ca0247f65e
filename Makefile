# Two commands for a new user: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export KEDRO_DISABLE_TELEMETRY := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format install install-dev install-explore serve viz notebook

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "criptos needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,explore,spark]'
	@touch $@ $(VENV)/.installed $(VENV)/.installed-explore

$(VENV)/.installed-explore: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[explore]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-explore: $(VENV)/.installed-explore

## run: set up .venv, write the sample raw.csv if there is none, run the default pipeline
run: install
	$(BIN)/kedro run --pipelines sample_data
	$(BIN)/kedro run

## test: set up .venv with the development extras and run the whole suite
test: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: install-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## serve: the prediction API on http://$(HOST):$(PORT) (docs at /docs); KEDRO_ENV=s3 reads the bucket
HOST ?= 127.0.0.1
PORT ?= 8000
serve: install
	$(BIN)/python -m criptos.api --host $(HOST) --port $(PORT)

## viz: kedro-viz on http://127.0.0.1:4141 (lineage, layers, plot previews); works offline
viz: install-explore
	$(BIN)/kedro viz run --no-browser

## notebook: JupyterLab on notebooks/ (each notebook starts with %load_ext kedro.ipython)
# Kernels start in notebooks/, where Kedro would not find conf/logging.yml (only here:
# for `kedro run` a set KEDRO_LOGGING_CONFIG also means "show input-error tracebacks").
notebook: install-explore
	KEDRO_LOGGING_CONFIG=$(CURDIR)/conf/logging.yml $(BIN)/jupyter lab --no-browser notebooks/
