# dermtrial: every target creates or reuses .venv from the hash-pinned lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench lock clean docs

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dermtrial demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Re-pin the lock with uv (a dev dependency; a system uv works for the first lock): hashes only, never an index URL.
UV := $(shell test -x $(BIN)/uv && echo $(BIN)/uv || echo uv)
lock:
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --no-emit-index-url --universal \
		--python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Regenerate the generated parts of the docs (a test fails when they are stale).
docs: $(STAMP)
	$(BIN)/python -m dermtrial.protocol.reference docs/protocol-file.md
	$(BIN)/python -m dermtrial.store.dictionary docs/data-dictionary.md
	$(BIN)/python -m dermtrial.safety.reference docs/safety.md
	$(BIN)/python -m pytest tests/web -k "test_browser or test_walkthrough" -q -p no:cacheprovider
