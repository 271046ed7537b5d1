# copydesk: `make run` cleans raw/ into clean/, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RAW ?= raw
OUT ?= clean

.PHONY: install run test bench bench-clean bench-typos bench-dedup clean-output

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/copydesk run $(RAW) --out $(OUT)

test: install
	$(BIN)/python -m pytest

bench: bench-clean bench-typos bench-dedup

bench-clean: install
	$(BIN)/python benchmarks/bench_clean.py

bench-typos: install
	$(BIN)/python benchmarks/bench_typos.py

bench-dedup: install
	$(BIN)/python benchmarks/bench_dedup.py

clean-output:
	rm -rf $(OUT)
