# SEM developer commands. Every target starts from a bare clone: the virtualenv and packages are
# created and installed on first use (and again when a requirements file changes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help run test lint typecheck unit functional e2e bench package clean system-deps compat chaos

help:
	@echo "make run       - the whole platform locally (moto, API, worker, simulators, console) with demo data"
	@echo "make test      - install what is needed, then ruff, the layer contract, mypy and every test"
	@echo "make bench     - benchmarks; results in bench/results.json"
	@echo "make chaos     - fault-injection run (SOAP, TGR, worker kills, S3/SES throttling); prints the counts"
	@echo "make package   - the Lambda artifact (python3.13, arm64) in out/package, checked and linted"
	@echo "make publish-console - the console to a deployed stage's bucket (STAGE=prod, AWS credentials)"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -qq --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -qq -r requirements-dev.txt
	@touch $(STAMP)

# Debian packages the tests need: chromium for the browser tests (driven by Playwright with
# executable_path; no browser is ever downloaded), php-cli for the PHP integration example,
# poppler-utils (pdftotext, pdfsig), zbar-tools (zbarimg) and libnss3-tools (certutil) to read
# the PDFs, QR codes and signatures the platform makes with other programs' eyes.
# Installed only when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v php >/dev/null 2>&1 || { \
	  echo "Installing Debian's php-cli for the PHP example of docs/integration.md…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq php-cli >/dev/null; }
	@command -v pdfsig >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1 && command -v certutil >/dev/null 2>&1 || { \
	  echo "Installing Debian's poppler-utils, zbar-tools and libnss3-tools for the PDF, QR and signature checks…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    poppler-utils zbar-tools libnss3-tools >/dev/null; }

run: $(STAMP)
	$(PY) -m devstack.run

# ruff, then the layer contract of docs/architecture.md ([tool.importlinter] in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy app.py chalicelib devstack infra bench

test: lint typecheck system-deps
	$(PY) -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory compat

# Lambda runs python3.13: the unit and functional tests run on it too, in .venv313, whenever this
# machine has a python3.13 (pyenv's counts; Debian 12 has none to install).
PY313 ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13; do \
	  "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$p"; break; }; done)
VENV313 := .venv313
compat:
	@if [ -z "$(PY313)" ]; then echo "WARNING: no python3.13 on this machine: the 3.13 compatibility run is skipped."; \
	else \
	  test -x $(VENV313)/bin/python || $(PY313) -m venv $(VENV313); \
	  test $(VENV313)/.installed -nt requirements-dev.txt -a $(VENV313)/.installed -nt requirements.txt || { \
	    $(VENV313)/bin/python -m pip install --disable-pip-version-check -qq -r requirements-dev.txt && \
	    touch $(VENV313)/.installed; }; \
	  $(VENV313)/bin/python -m pytest -q -p no:cacheprovider tests/unit tests/functional $(PYTEST_ARGS); \
	fi

unit: $(STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

functional: $(STAMP)
	$(PY) -m pytest tests/functional $(PYTEST_ARGS)

e2e: $(STAMP) system-deps
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench.run

# Many payments through a local stack of its own while everything misbehaves, then a check of
# every payment, receipt, folio and e-mail (docs/reliability.md). Bounded: at most 5 minutes.
CHAOS_ARGS ?= --payments 30 --seconds 220
chaos: $(STAMP)
	timeout --kill-after=10 300 $(PY) -m devstack.chaos $(CHAOS_ARGS)

package: $(STAMP)
	$(PY) -m infra.package

# The console to a deployed stage's console bucket, with that stack's API and Cognito settings
# (docs/deploy.md). Needs that account's AWS credentials; never run against moto by hand.
STAGE ?= prod
.PHONY: publish-console
publish-console: $(STAMP)
	$(PY) -m infra.publish_console --stage $(STAGE)

clean:
	rm -rf $(VENV) $(VENV313) out .local .pytest_cache .mypy_cache .ruff_cache
