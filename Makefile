# The two commands a newcomer needs: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
PARAMS ?= parameters/demo.yaml

.PHONY: demo test lint demo-data demo-previous install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	touch $(STAMP)

install: $(STAMP)

demo-data: $(STAMP)
	$(BIN)/workbook demo-data --if-missing
	$(BIN)/workbook demo-data --if-missing --previous-quarter --out data/demo-previous

# the previous quarter is published once, so that the demo quarter has something to compare with
demo-previous: demo-data
	@test -d reports/demo-previous || $(BIN)/workbook run parameters/demo-previous.yaml \
		--only 03_segment --only 05_personas

demo: demo-previous
	$(BIN)/workbook run $(PARAMS)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests notebooks benchmarks
