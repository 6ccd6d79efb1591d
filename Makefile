# Jobdeck developer commands. `make help` lists them.
# Everything runs from .venv, which `make install` builds from requirements.lock.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := frontend/static/vendor/.installed
TS := clients/typescript
TS_STAMP := $(TS)/dist/.built

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast test-server chaos chromium faketime lint format typecheck migrate seed bench bench-worker lock clean ts-protocol

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

install: $(STAMP) $(NPM_STAMP) $(TS_STAMP)  ## create .venv and install everything (idempotent)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --silent
	mkdir -p frontend/static/vendor
	cd frontend && node scripts/copy-vendor.mjs
	@touch $@

# The TypeScript runner: its dev dependencies from its lockfile, then compiled into dist/.
$(TS)/node_modules/.installed: $(TS)/package.json $(TS)/package-lock.json
	cd $(TS) && npm ci --no-audit --no-fund --silent
	@touch $@

$(TS_STAMP): $(TS)/node_modules/.installed $(TS)/tsconfig.json $(wildcard $(TS)/src/*.ts $(TS)/src/generated/*.ts)
	rm -rf $(TS)/dist
	cd $(TS) && npm run --silent build
	chmod +x $(TS)/dist/cli.js
	@touch $@

ts-protocol: install  ## regenerate the TypeScript runner's protocol types from the worker's OpenAPI document
	$(BIN)/python -m worker_service.openapi > $(TS)/openapi.json
	cd $(TS) && npm run --silent generate && rm openapi.json

run: install  ## start PostgreSQL (embedded unless DATABASE_URL), migrate, start every service
	$(BIN)/python -m devstack

test: install chromium faketime  ## the whole test suite against a real PostgreSQL
	$(BIN)/python -m pytest

# $(call debian_tool,COMMAND,WHY,ADVICE): install Debian's package COMMAND when it is missing,
# as root; else stop and say which command to run (and ADVICE).
debian_tool = @command -v $(1) >/dev/null 2>&1 || { \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's $(1) for $(2)"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $(1); \
	else \
		echo "$(2) need $(1): sudo apt-get install $(1)$(3)"; \
		exit 1; \
	fi; }

# The browser tests drive Debian's Chromium (never `playwright install`, which cannot download).
chromium:
	$(call debian_tool,chromium,the browser tests, (or: make test-fast))

# The chaos suite runs runners whose clocks are an hour off under Debian's faketime.
faketime:
	$(call debian_tool,faketime,the chaos suite's runner clocks,)

test-fast: install faketime  ## the suite without the browser tests (no Chromium needed)
	$(BIN)/python -m pytest -m "not browser"

# What depends on the server's version: every SQL block prepared, the migrations down and up, and
# the flows whose statements do the work (claims and their controls, outcomes and their replays,
# leases, LISTEN/NOTIFY wake-ups and the listener's check, firing, listing, actions on one job
# or by filter, analytics and the stats compactor, the session's time zone, callbacks and
# alerts, clean-up, archive and export), the whole chaos suite (#17: faults, a restart of a real
# cluster of that version, the model check), with the TypeScript runner's tests, which CI runs
# on both servers. The rest (access tables, hostile input, pages, the browser, the Python
# runner's handlers, make run) reads the same on any server.
SERVER_TESTS := tests/integration/test_queries_parse.py tests/integration/test_database_lifecycle.py \
	tests/integration/worker/test_claims.py tests/integration/worker/test_type_controls.py \
	tests/integration/worker/test_outcomes.py tests/integration/worker/test_outcome_replays.py \
	tests/integration/worker/test_leases.py tests/integration/worker/test_long_poll.py \
	tests/integration/worker/test_listener_check.py tests/integration/worker/test_scheduler.py \
	tests/integration/test_create_jobs.py tests/integration/test_list_jobs.py \
	tests/integration/test_job_actions.py tests/integration/test_bulk_by_filter.py \
	tests/integration/test_analytics.py tests/integration/test_stats_compactor.py \
	tests/integration/test_session_timezone.py \
	tests/integration/callbacks/test_delivery.py tests/integration/callbacks/test_alerts.py \
	tests/integration/retention/test_cleanup_api.py tests/integration/retention/test_archive.py \
	tests/integration/retention/test_export.py \
	tests/chaos tests/integration/runner/typescript

test-server: install  ## the server-dependent tests alone, for a second server (CI: PostgreSQL 15 via DATABASE_URL)
	$(BIN)/python -m pytest -m "not browser" $(SERVER_TESTS)

chaos: install faketime  ## the chaos suite alone, at scale, ending with its figures table (README: Reliability)
	CHAOS_SCALE=big $(BIN)/python -m pytest tests/chaos -m chaos -p no:cacheprovider

lint: install  ## ruff lint and format check; tsc and prettier on clients/typescript
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd $(TS) && npx tsc -p tsconfig.json --noEmit && npx prettier --check --log-level warn .

format: install  ## apply ruff's (and prettier's) formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	cd $(TS) && npx prettier --write --log-level warn .

typecheck: install  ## mypy --strict on the Python packages
	$(BIN)/mypy

migrate: install  ## alembic upgrade head on DATABASE_URL (or the embedded server)
	$(BIN)/alembic upgrade head

seed: install  ## create demo jobs through the producer API (COUNT=20; JOBDECK_TOKEN, else make run's admin token)
	JOBDECK_TOKEN="$${JOBDECK_TOKEN:-$$(cat "$${JOBDECK_DATA_DIR:-.data}/admin-token" 2>/dev/null)}" \
		$(BIN)/python seed.py --count $(or $(COUNT),20)

bench: install  ## the large-table producer benchmark (see bench/README.md)
	$(BIN)/python -m bench.producer_bench

bench-worker: install  ## the worker service and runners: throughput and pickup latency (ARGS="--runner node")
	$(BIN)/python -m bench.worker_bench $(ARGS)

lock:  ## re-pin the dependency tree into requirements.lock
	$(PYTHON) -m pip install --quiet uv && $(PYTHON) -m uv pip compile pyproject.toml --extra dev \
		--python-version 3.11 --no-header -o requirements.lock

clean:  ## remove .venv, node_modules and the vendored assets (keeps .data)
	rm -rf $(VENV) frontend/node_modules frontend/static/vendor $(TS)/node_modules $(TS)/dist
