# copydesk: `make run` cleans raw/ into clean/, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RAW ?= raw
OUT ?= clean

.PHONY: install run test bench clean-output

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

clean-output:
	rm -rf $(OUT)
