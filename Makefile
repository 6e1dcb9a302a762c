# Two commands do all the set-up: `make up` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

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
	$(BIN)/pytest

test: lint typecheck pytest

# Everything, including the long model runs marked `slow`.
test-all: install
	$(BIN)/pytest -m "slow or not slow"

clean:
	rm -rf .pathwise .mypy_cache .pytest_cache .ruff_cache
