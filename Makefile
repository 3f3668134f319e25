# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: demo test lint bench install clean

install: $(STAMP)

# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (containers, this
# project's CI machine) Python would otherwise compile every module again in every process, and
# every flow run is a new process (measured here: `import prefect` 3.3 s -> 1.9 s).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv || true
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]'; \
	else $(BIN)/python -m pip install -q -e '.[dev]'; fi
	$(BIN)/python -m compileall -q pactwatch flows extractors storage >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pactwatch demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf data out

# --- Production on one machine (runbook: docs/production.md) -------------------------------
# `make server` in one terminal, then `make deploy`, then `make worker` (as many as you like).
PREFECT := $(BIN)/prefect
PREFECT_HOST ?= 127.0.0.1
PREFECT_PORT ?= 4200
PREFECT_API ?= http://$(PREFECT_HOST):$(PREFECT_PORT)/api
PACTWATCH_POOL ?= pactwatch
PACTWATCH_TIMEZONE ?= Asia/Tokyo
PACTWATCH_INGEST_CRON ?= 0 * * * *
PACTWATCH_HOME ?= $(CURDIR)
PACTWATCH_PYTHON ?= $(PACTWATCH_HOME)/$(BIN)/python
DEPLOY_ENV = PREFECT_API_URL=$(PREFECT_API) PACTWATCH_HOME=$(PACTWATCH_HOME) \
	PACTWATCH_PYTHON=$(PACTWATCH_PYTHON) \
	PACTWATCH_TIMEZONE=$(PACTWATCH_TIMEZONE) PACTWATCH_INGEST_CRON="$(PACTWATCH_INGEST_CRON)"

.PHONY: server deploy worker automations screenshot-ui

# The UI is told where the API is: Prefect derives it from its settings, not from --port, so
# without PREFECT_UI_API_URL a server on another port serves a UI that calls port 4200.
server: $(STAMP)
	exec env PREFECT_UI_API_URL=$(PREFECT_API) PREFECT_SERVER_API_HOST=$(PREFECT_HOST) \
		PREFECT_SERVER_API_PORT=$(PREFECT_PORT) \
		$(PREFECT) server start --host $(PREFECT_HOST) --port $(PREFECT_PORT)

deploy: $(STAMP)
	$(DEPLOY_ENV) $(PREFECT) work-pool create $(PACTWATCH_POOL) --type process --overwrite
	$(DEPLOY_ENV) $(PREFECT) --no-prompt deploy --all

# exec: the worker is make's own child, so a SIGTERM to make reaches it (through a shell in
# between it was orphaned and kept running). `pactwatch worker` runs `prefect worker start`
# so that one SIGTERM or Ctrl-C stops it and the flow runs it started (pactwatch/worker.py).
worker: $(STAMP)
	exec env PREFECT_API_URL=$(PREFECT_API) \
		$(BIN)/pactwatch worker --pool $(PACTWATCH_POOL)

automations: $(STAMP)
	PREFECT_API_URL=$(PREFECT_API) $(BIN)/python automations/install.py

screenshot-ui: $(STAMP)
	PACTWATCH_SCREENSHOT=$(CURDIR)/docs/backfill-form.png \
		$(BIN)/python -m pytest tests/test_deploy.py -q -k screenshot -p no:cacheprovider

# --- Benchmarks (docs/performance.md) ------------------------------------------------------
# `make bench`: the fair side-by-side at N = 2,000 (trafilatura's CLI against `pactwatch ingest`
# and against a deployment run by a worker, all timed as whole processes), the no-op run,
# first-batch latency and memory against the targets, then tagging and digest timings.
# `make bench BENCH_ARGS="--n 1000,2000"` adds N = 1,000 (the speed targets' N) and shows memory
# flat in N; `--profile`, `--baselines-b`, `--postgresql`, `--storage-articles 1000000` add
# the extras. `make bench-quick` (200 pages, no digest timing) is for development.
BENCH_ARGS ?=
.PHONY: bench-quick

bench: $(STAMP)
	$(BIN)/python bench/bench_ingest.py $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python bench/bench_ingest.py --n 200 --digest-articles 0 $(BENCH_ARGS)
