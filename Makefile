# nianbao — two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

# Idempotent: re-runs only when pyproject.toml changes. pip is upgraded first (old pip drops
# trafilatura's lxml_html_clean extra).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: install
	bash demo/run.sh

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/extract.py

clean:
	rm -rf $(VENV) data build *.egg-info .pytest_cache
