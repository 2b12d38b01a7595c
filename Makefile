# NSVPP Portal. Start here: `make run` (portal with demo data) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install browser assets migrate demo worker lint format bench load-data clean backup restore

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## The portal with demo data on http://127.0.0.1:8000, web + Celery worker (and beat).
run: install
	@mkdir -p var
	DJANGO_DEBUG=true $(MANAGE) migrate --noinput
	DJANGO_DEBUG=true $(MANAGE) createcachetable
	DJANGO_DEBUG=true $(MANAGE) seed_demo
	@echo "Starting the background worker (log: var/worker.log) and the web server on http://$(HOST):$(PORT)"
	@DJANGO_DEBUG=true $(BIN)/celery -A nsvpp worker --beat --loglevel=INFO --concurrency=2 \
		--schedule=var/celerybeat-schedule >var/worker.log 2>&1 & echo $$! > var/worker.pid; \
	trap 'kill $$(cat var/worker.pid) 2>/dev/null; rm -f var/worker.pid' EXIT INT TERM; \
	DJANGO_DEBUG=true $(MANAGE) runserver $(HOST):$(PORT)

## Headless Chromium from the distribution's package (never a downloaded browser) for browser tests.
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get install -y chromium || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }; }
	@command -v pdftoppm >/dev/null || $(SUDO) apt-get install -y poppler-utils
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund

## The whole suite: unit, integration, real-data and browser tests.
test: install browser
	@mkdir -p var/artefacts
	$(BIN)/pytest

## Rebuild static/css and static/js from the pinned front-end packages (output is committed).
assets:
	npm ci --no-audit --no-fund
	npx sass --no-source-map --style=compressed --load-path=node_modules static/scss/nsvpp.scss static/css/nsvpp.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/js/

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Load the real public geography, deprivation and population files (see README).
load-data: install
	DJANGO_DEBUG=true $(MANAGE) load_crime_categories
	DJANGO_DEBUG=true $(MANAGE) load_priorities
	DJANGO_DEBUG=true $(MANAGE) load_geography --data-dir $(or $(DATA),../shared/data)

## Every benchmark in bench/ (each prints its ratios; see docs/benchmarks.md).
bench: install
	@set -e; for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

## PostgreSQL dump (custom format) + MEDIA_ROOT archive + row-count manifest in var/backups/<time>
## (or BACKUP=folder). Uses DATABASE_URL and MEDIA_ROOT from the environment, as the portal does.
backup: install
	$(MANAGE) backup $(if $(BACKUP),--output $(BACKUP))

## Restore BACKUP=folder into an empty database (RESTORE_DB=name on the same server, default
## DATABASE_URL's) and an empty MEDIA_ROOT, then check every table's count against the manifest.
restore: install
	@[ -n "$(BACKUP)" ] || { echo "Usage: make restore BACKUP=var/backups/<time> [RESTORE_DB=name]"; exit 2; }
	$(MANAGE) restore $(BACKUP) $(if $(RESTORE_DB),--database-name $(RESTORE_DB))

clean:
	rm -rf var/celery var/artefacts
