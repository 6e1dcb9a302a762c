# Two commands do all the set-up: `make up` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Test files run on several workers (pytest-xdist): most tests wait on servers, subprocesses and
# sockets rather than the CPU, so three workers on two cores finish in well under half the time.
# A file stays on one worker (`--dist loadfile`): its fixtures and fixed ports are its own.
PYTEST_WORKERS ?= 3

.PHONY: install web webtest screenshots up test lint typecheck pytest test-all clean

# Installing is keyed on the files that define it, so a warm `make` skips pip entirely.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The web app (web/): npm packages from the committed lockfile, the typed API client generated from the
# API's OpenAPI schema, then the Vite build the API serves at /. Each step reruns only when its inputs change.
WEB_STAMP := web/node_modules/.installed
WEB_SRC := $(shell find web/src web/public -type f ! -name schema.d.ts 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

web/openapi.json: $(STAMP) $(shell find platform_api -name '*.py')
	$(BIN)/pathwise openapi --out web/openapi.json

web/dist/index.html: $(WEB_STAMP) web/openapi.json $(WEB_SRC)
	cd web && npm run --silent api-types && npm run --silent build

web: web/dist/index.html

# The web app's unit tests (Vitest) and type check.
webtest: web
	cd web && npx vitest run

# The browser tests write each page's screenshot, light and dark, to docs/screenshots/.
screenshots: install web
	PATHWISE_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/web -m "slow or not slow" -k accessib

up: install web
	$(BIN)/pathwise up

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install web
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=30

test: lint typecheck webtest pytest

# Everything, including the long model runs marked `slow`.
test-all: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "slow or not slow"

clean:
	rm -rf .pathwise .mypy_cache .pytest_cache .ruff_cache web/dist web/node_modules web/openapi.json
