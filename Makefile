# Omnigate: `make run` brings the whole product up; `make test` runs lint, types and every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes: most tests wait on I/O (databases, event polling), so two share two cores well.
TEST_WORKERS ?= 2

.PHONY: run test lint format migrate openapi clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## migrate, seed the demo tenant, and serve everything on http://127.0.0.1:8000
	$(BIN)/omnigate up

test: lint  ## lint, types, contracts and the whole suite (needs PostgreSQL and Redis, see README)
	$(BIN)/omnigate openapi export --check
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)
	$(BIN)/omnigate db upgrade

openapi: $(STAMP)  ## regenerate the published contracts after an API change
	$(BIN)/omnigate openapi export

clean:
	rm -rf $(VENV) .omnigate .mypy_cache .ruff_cache .pytest_cache
