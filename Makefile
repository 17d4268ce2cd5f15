# Backpath: `make run` to try it, `make test` to test it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Links in e-mails point at the port the server runs on (unless SITE_URL is given).
SITE_URL ?= http://127.0.0.1:$(PORT)
PYTEST_ARGS ?=
# `make test` spreads the tests over pytest-xdist processes (auto: one per core; 0: none).
# The browser tests stay together in one of them (xdist_group "browser", --dist loadgroup).
PYTEST_WORKERS ?= auto
PURE_MODULES := intake/scores.py intake/triage.py intake/advice.py intake/odi_text.py \
	intake/search.py followups/outcome.py \
	followups/schedule.py referrals/routing.py treatment/outcomes.py clinics/charts.py

.PHONY: run test lint ci bench clean-var

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Backpath needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 BACKPATH_DEMO=1 SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo
	@echo ""
	@echo "  Backpath runs at http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	DEBUG=1 BACKPATH_DEMO=1 BACKPATH_PORT=$(PORT) SITE_URL=$(SITE_URL) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile

test: $(VENV)/.installed-dev
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	BACKPATH_TESTING=1 $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m tools.check_layers
	$(PY) -m tools.dependency_audit requirements.txt requirements-dev.txt
	$(VENV)/bin/mypy $(PURE_MODULES)

ci: lint test

# `make bench` (1,000,000 patients) or `make bench ARGS=--small` (1/100): figures against
# the machine's PostgreSQL and Redis, in a database and Redis database of their own.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/backpath_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/10
ARGS ?=
BENCH_ARGS ?=
bench: $(VENV)/.installed-dev
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m bench $(ARGS) $(BENCH_ARGS)
