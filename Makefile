# Two commands do all the set-up: `make up` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Test files run on several workers (pytest-xdist): most tests wait on servers, subprocesses and
# sockets rather than the CPU, so three workers on two cores finish in well under half the time.
# A file stays on one worker (`--dist loadfile`): its fixtures and fixed ports are its own.
PYTEST_WORKERS ?= 3

.PHONY: install up test lint typecheck pytest test-all clean

# Installing is keyed on the files that define it, so a warm `make` skips pip entirely.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

up: install
	$(BIN)/pathwise up

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck pytest

# Everything, including the long model runs marked `slow`.
test-all: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "slow or not slow"

clean:
	rm -rf .pathwise .mypy_cache .pytest_cache .ruff_cache
