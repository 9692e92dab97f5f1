# Wenyuan: the whole set-up is `make demo` and `make test` on a machine with Python 3.11.
# Python 3.11 or newer: python3.11 where it exists, else python3 (checked below).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The web UI's gettext catalogs: locale/<lang>/LC_MESSAGES/messages.po, from messages.pot.
LOCALE := src/wenyuan/web/locale

.PHONY: demo serve test lint pytest bench lock clean docs messages catalogs

# The virtual environment is rebuilt whenever the lock file or the project metadata changes.
$(BIN)/wenyuan: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "Wenyuan needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/pybabel compile --domain messages --directory $(LOCALE)
	@touch $@

demo: catalogs
	$(BIN)/wenyuan demo --host $(HOST) --port $(PORT)

serve: catalogs
	$(BIN)/wenyuan serve --host $(HOST) --port $(PORT)

lint: $(BIN)/wenyuan
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: catalogs
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint pytest

bench: $(BIN)/wenyuan
	$(BIN)/python benchmarks/run_all.py

docs: $(BIN)/wenyuan
	$(BIN)/python -m wenyuan.cli.reference > docs/cli.md

# Translations (docs/translating.md). `make messages` extracts the UI's words from the web
# code and templates into messages.pot and merges them into each language's catalog (new
# words untranslated, changed ones marked fuzzy); `make catalogs` compiles the catalogs into
# the .mo files the pages read (fuzzy and untranslated messages fall back to English).
messages: $(BIN)/wenyuan
	$(BIN)/pybabel extract --mapping-file pyproject.toml --add-location file \
		--add-comments Translators: --project Wenyuan --copyright-holder "the Wenyuan authors" \
		--output-file $(LOCALE)/messages.pot src/wenyuan/web
	$(BIN)/pybabel update --domain messages --input-file $(LOCALE)/messages.pot \
		--output-dir $(LOCALE) --previous

catalogs: $(BIN)/wenyuan
	$(BIN)/pybabel compile --domain messages --directory $(LOCALE) --statistics

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
