# perfkit — the two commands of the README's Quick start, and a few helpers.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.stamp-run
STAMP_TEST := $(VENV)/.stamp-test

.PHONY: demo test lint typecheck pytest docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,dev,postgres,frames,plot,docs]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/perfkit demo

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests examples docs benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks

typecheck: $(STAMP_TEST)
	$(BIN)/mypy --strict src/perfkit

# A throwaway PostgreSQL server runs for the tests when its binaries are installed.
pytest: $(STAMP_TEST)
	scripts/run-tests $(BIN)/python

# The documentation site (MkDocs Material + mkdocstrings); warnings are errors (strict: true).
docs: $(STAMP_TEST)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --quiet --strict --site-dir site

test: lint typecheck docs pytest

clean:
	rm -rf $(VENV) site .mypy_cache .ruff_cache .pytest_cache .hypothesis
