# The two commands of the README: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test setup system-packages-run system-packages-test lint samples clean

## make run: set everything up and run the product on the embedded default (SQLite, Celery on SQLite, local files).
run: system-packages-run setup
	$(PY) scripts/run_embedded.py

## make test: set everything up, start throwaway PostgreSQL and Redis on loopback, run the whole suite, stop them.
test: system-packages-test setup
	scripts/test.sh $(ARGS)

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

system-packages-run:
	scripts/system-packages.sh run

system-packages-test:
	scripts/system-packages.sh test

lint: setup
	$(VENV)/bin/ruff check .

samples: setup
	$(PY) manage.py make_samples var/samples

clean:
	rm -rf $(VENV) var staticfiles
