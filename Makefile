# Wenyuan: the whole set-up is `make demo` and `make test` on a machine with Python 3.11.
# Python 3.11 or newer: python3.11 where it exists, else python3 (checked below).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo serve test lint pytest bench lock clean docs

# The virtual environment is rebuilt whenever the lock file or the project metadata changes.
$(BIN)/wenyuan: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "Wenyuan needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

demo: $(BIN)/wenyuan
	$(BIN)/wenyuan demo --host $(HOST) --port $(PORT)

serve: $(BIN)/wenyuan
	$(BIN)/wenyuan serve --host $(HOST) --port $(PORT)

lint: $(BIN)/wenyuan
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(BIN)/wenyuan
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint pytest

bench: $(BIN)/wenyuan
	$(BIN)/python benchmarks/run_all.py

docs: $(BIN)/wenyuan
	$(BIN)/python -m wenyuan.cli.reference > docs/cli.md

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
