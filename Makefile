# dermtrial: every target creates or reuses .venv from the hash-pinned lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench lock clean docs validation

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
	$(BIN)/python benchmarks/run.py $(ARGS)

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
	DERMTRIAL_SCREENSHOTS=1 $(BIN)/python -m pytest tests/web -k "test_browser or test_walkthrough" -q -p no:cacheprovider

# The validation pack (docs/validation.md): one run of the suite recording each test's outcome and requirement
# markers, dermtrial doctor on VALIDATION_DB (default: a fresh SQLite study database), then the pages. Exits 1 at the
# end when a test failed, a requirement is not proved or the installation check failed (the pages are written anyway).
# A subset: make validation VALIDATION_PYTEST_ARGS="tests/safety tests/instruments".
VALIDATION_DB ?=
VALIDATION_PYTEST_ARGS ?=
VALIDATION_RAW := build/validation
VALIDATION_URL = $(or $(VALIDATION_DB),sqlite:///$(VALIDATION_RAW)/doctor.db)
validation: $(STAMP)
	@mkdir -p $(VALIDATION_RAW) docs/validation
	@rm -f $(VALIDATION_RAW)/run.json $(VALIDATION_RAW)/doctor.json $(VALIDATION_RAW)/doctor.db*
	@test -n "$(VALIDATION_DB)" || printf 'validation-check-pw-2026\n' | $(BIN)/dermtrial init --admin validator \
		--full-name "Validation Check" --password-stdin --db $(VALIDATION_URL) >/dev/null
	$(BIN)/dermtrial doctor --json --db '$(VALIDATION_URL)' > $(VALIDATION_RAW)/doctor.json || true
	$(BIN)/python -m pytest -p dermtrial.validation.plugin --requirements-json $(VALIDATION_RAW)/run.json \
		$(VALIDATION_PYTEST_ARGS) || true
	$(BIN)/python -m dermtrial.validation --results $(VALIDATION_RAW)/run.json --doctor $(VALIDATION_RAW)/doctor.json \
		--doctor-command "dermtrial doctor --json --db $(if $(VALIDATION_DB),VALIDATION_DB,<fresh SQLite study database>)" \
		--out docs/validation
