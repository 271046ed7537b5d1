# copydesk: `make run` cleans raw/ into clean/, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RAW ?= raw
OUT ?= clean

.PHONY: install system-deps run test bench bench-clean bench-typos bench-dedup clean-output

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/copydesk run $(RAW) --out $(OUT)

# The browser test drives Debian's chromium; as root (CI, a fresh machine) it is installed here.
system-deps:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: no chromium and not root: tests/test_report_browser.py will skip (apt-get install chromium)"; fi

test: install system-deps
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
