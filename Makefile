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
	$(BIN)/python -m pip install --quiet -e '.[dev,explore,spark,aws,deploy]'
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

# Node tools of the tests (asl-validator), pinned by deploy/aws/package-lock.json.
NODE_TOOLS := deploy/aws/node_modules/.package-lock.json
$(NODE_TOOLS): deploy/aws/package.json deploy/aws/package-lock.json
	npm ci --prefix deploy/aws --no-audit --no-fund
	@touch $@

## s3a-jars: the S3A connector of the Glue s3a test (hadoop-aws 3.3.1 + AWS SDK v1 bundle,
# from PyPI's sagemaker-pyspark sdist: Maven Central, where the hadoop-aws matching
# PySpark's Hadoop lives, is not reachable from the CI machines; see docs/aws.md)
S3A_JARS := $(VENV)/spark-jars
S3A_SDIST := sagemaker_pyspark-1.4.5
.PHONY: s3a-jars
s3a-jars: $(S3A_JARS)/.fetched
$(S3A_JARS)/.fetched: | $(BIN)/python
	rm -rf $(S3A_JARS) && mkdir -p $(S3A_JARS)/download
	$(BIN)/python -m pip download --quiet --no-deps --no-binary :all: sagemaker-pyspark==1.4.5 -d $(S3A_JARS)/download
	tar -xzf $(S3A_JARS)/download/$(S3A_SDIST).tar.gz -C $(S3A_JARS) --strip-components=3 \
		$(S3A_SDIST)/deps/jars/hadoop-aws-3.3.1.jar $(S3A_SDIST)/deps/jars/aws-java-sdk-bundle-1.11.901.jar
	cd $(S3A_JARS) && printf '%s\n' \
		'6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e  hadoop-aws-3.3.1.jar' \
		'b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead  aws-java-sdk-bundle-1.11.901.jar' | sha256sum -c --quiet
	rm -rf $(S3A_JARS)/download
	@touch $@

## test: set up .venv with the development extras and run the whole suite
test: install-dev container-tools $(NODE_TOOLS) $(S3A_JARS)/.fetched
	$(BIN)/ruff check src tests benchmarks deploy
	$(BIN)/ruff format --check src tests benchmarks deploy
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check src tests benchmarks deploy
	$(BIN)/ruff format --check src tests benchmarks deploy

format: install-dev
	$(BIN)/ruff format src tests benchmarks deploy
	$(BIN)/ruff check --fix src tests benchmarks deploy

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

## image: the container image $(IMAGE) from Containerfile with podman (prints its size)
# BASE_IMAGE: any image with python3 3.11 (default python:3.11-slim-bookworm);
# PODMAN: the podman wrapper holding this host's flags (deploy/container/podman.sh);
# PIP_CERT (a CA bundle for a TLS-intercepting proxy) is mounted for pip and uv in the build.
IMAGE ?= criptos:latest
BASE_IMAGE ?= docker.io/library/python:3.11-slim-bookworm
PODMAN ?= deploy/container/podman.sh
.PHONY: image lock container-tools glue-artifacts
image:
	$(PODMAN) build --network host --build-arg BASE_IMAGE=$(BASE_IMAGE) \
		$(if $(PIP_CERT),--volume $(realpath $(PIP_CERT)):/run/ca.crt:ro --build-arg CA_BUNDLE=/run/ca.crt) \
		-t $(IMAGE) -f Containerfile .
	@echo "$(IMAGE): $$($(PODMAN) image inspect --format '{{.Size}}' $(IMAGE)) bytes"

## container-tools: podman, runc and debootstrap from apt (the image tests; root, Debian)
container-tools:
	@command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			podman runc debootstrap uidmap; }

## lock: remake requirements/image.lock and build.lock (the image's pins, uv); UPGRADE=1 takes the newest
lock: install-dev
	UV=$(BIN)/uv UPGRADE=$(UPGRADE) deploy/container/lock.sh

## glue-artifacts: what the Glue job loads from s3://<bucket>/glue/: the project wheel and conf-criptos.tar.gz
glue-artifacts: install
	$(BIN)/python -m pip wheel --quiet --no-deps . -w dist
	$(BIN)/python -c "from criptos.aws.glue import write_conf_archive; print(write_conf_archive('conf', 'dist/conf-criptos.tar.gz'))"
