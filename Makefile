# copydesk: `make run` cleans raw/ into clean/, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# numba caches each compiled kernel beside its source: compiled here once, not by a run (flows/runtime/kernels.py).
KERNELS_STAMP := $(VENV)/.kernels-stamp
KERNEL_SOURCES := $(shell grep -l 'cache=True' cleaners/*.py dedup/*.py)
RAW ?= raw
OUT ?= clean

.PHONY: install system-deps run test lint bench bench-clean bench-typos bench-dedup bench-lsh bench-scale bench-warc clean-output

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(KERNELS_STAMP): $(STAMP) $(KERNEL_SOURCES) flows/runtime/kernels.py
	$(BIN)/python -m flows.runtime.kernels
	touch $(KERNELS_STAMP)

install: $(STAMP) $(KERNELS_STAMP)

run: install
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/copydesk run $(RAW) --out $(OUT)

# Tests drive Debian's chromium (the report's browser test) and start its redis-server (the Redis LSH
# index); as root (CI, a fresh machine) the missing ones are installed here. Each package names its command.
SYSTEM_PACKAGES := chromium redis-server

system-deps:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
		command -v $$package >/dev/null || missing="$$missing $$package"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note: not root, so$$missing not installed: the tests that need them skip (apt-get install$$missing)"; fi

# The test files run in TEST_WORKERS processes (pytest-xdist), each file's tests in one worker (its module fixtures
# run once), the slowest files first (tests/conftest.py, SLOWEST_FILES, kept in that order by --no-loadscope-reorder).
# 2 for CI's 2 cores, named rather than `auto` (in a container it can count the host's CPUs);
# `make test TEST_WORKERS=0` runs the files in this process, one after another.
TEST_WORKERS ?= 2

test: install system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: bench-clean bench-typos bench-dedup bench-lsh bench-scale bench-warc

bench-clean: install
	$(BIN)/python benchmarks/bench_clean.py

bench-typos: install
	$(BIN)/python benchmarks/bench_typos.py

bench-dedup: install
	$(BIN)/python benchmarks/bench_dedup.py

bench-lsh: install
	$(BIN)/python benchmarks/bench_lsh.py

# The scale benchmark on a generated corpus (docs/scaling.md, "The scale benchmark"): the naive pipeline
# side by side, the stage table, the incremental run checked against a rebuild, issue 14's targets.
# `make bench-scale SCALE_ARTICLES=20000 SCALE_NEW_ARTICLES=2000` for a quick run. 100,000 by default (about
# 4 minutes, 3 GB); 1,000,000 takes about an hour and 16 GB (docs/scaling.md, "Measured"): run 100,000 first, the
# 1,000,000 run compares its peak memory with it.
SCALE_ARTICLES ?= 100000
SCALE_NEW_ARTICLES ?= 10000

bench-scale: install
	$(BIN)/python benchmarks/bench_scale.py --articles $(SCALE_ARTICLES) --new-articles $(SCALE_NEW_ARTICLES)

# WARC reading on a generated crawl (cached in /tmp); `make bench-warc WARC_MB=50` for a quick run.
WARC_MB ?= 1024

bench-warc: install
	$(BIN)/python benchmarks/bench_warc.py --megabytes $(WARC_MB)

clean-output:
	rm -rf $(OUT)
