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
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	bash demo/run.sh

test: install
	$(BIN)/python -m pytest -q

# every benchmark script (bench/*.py but the shared timing helper); publish at a size that runs in minutes
BENCH_REPORTS ?= 5000
bench: install
	set -e; for script in bench/*.py; do \
	  case $$script in \
	    bench/timing.py) ;; \
	    bench/publish.py) echo "== $$script --reports $(BENCH_REPORTS)"; $(BIN)/python $$script --reports $(BENCH_REPORTS) ;; \
	    *) echo "== $$script"; $(BIN)/python $$script ;; \
	  esac; \
	done

clean:
	rm -rf $(VENV) data build *.egg-info .pytest_cache
