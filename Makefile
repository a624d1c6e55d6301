# The commands a newcomer needs: `make demo`, `make lab` and `make test`. Everything installs into
# .venv, from the exact versions in requirements.lock.
#
# Python 3.11, 3.12 or 3.13: the first of python3.13, python3.12, python3.11 and python3 that is
# one of them; `make PYTHON=/path/to/python3.12 ...` chooses another.
SUPPORTED := (3, 11) <= sys.version_info[:2] < (3, 14)
ifndef PYTHON
PYTHON := $(firstword $(foreach p,python3.13 python3.12 python3.11 python3,\
	$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c 'import sys; sys.exit(not ($(SUPPORTED)))' \
	2>/dev/null && echo $(p))))
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
PARAMS ?= parameters/demo.yaml
KERNEL := customer-workbook
LAB_OPTS ?=

.PHONY: demo demo-saas test lint lab lock demo-data demo-previous install python init-examples

python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "The workbook needs Python 3.11, 3.12 or 3.13, and none was found as python3.13," \
		     "python3.12, python3.11 or python3."; \
		echo "Install one (python.org, Homebrew, apt, pyenv), or name it: make PYTHON=/path/to/python3.12"; \
		exit 2; \
	fi
	@if ! $(PYTHON) -c 'import sys; sys.exit(not ($(SUPPORTED)))' >/dev/null 2>&1; then \
		version=$$($(PYTHON) -c 'import platform; print("Python", platform.python_version())' \
			2>/dev/null || echo "not a Python found on this machine"); \
		echo "$(PYTHON) is $$version; the workbook needs Python 3.11, 3.12 or 3.13."; \
		echo "Name another: make PYTHON=/path/to/python3.12"; exit 2; \
	fi

# the Python is checked only when the environment is made: an existing .venv needs none
$(BIN)/python:
	@$(MAKE) --no-print-directory python PYTHON="$(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the lock is a constraints file: the project's ranges, resolved once, for every supported Python
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test,dev,spark]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) \
		--display-name "Customer workbook" >/dev/null
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

# the second demo brand: a B2B software company (accounts, contacts, usage events, invoices)
demo-saas: $(STAMP)
	$(BIN)/workbook demo-data --kind saas --if-missing
	$(BIN)/workbook run parameters/demo-saas.yaml

# JupyterLab on the notebooks, with the project's kernel ("Customer workbook"); LAB_OPTS passes
# options, e.g. make lab LAB_OPTS="--no-browser --port 8890" (as root, in a container, it allows
# root as JupyterLab asks)
lab: demo-data
	cd notebooks && ../$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_OPTS)

# the parameter files `workbook init` writes for each shared real file, kept as examples
# (tests/test_infer.py checks they are what init writes now); FILE:AS_OF, a fixed as_of per file
SHARED_DATA ?= ../shared/data
INIT_FILES = survey/bfi.csv:2010-12-31 survey/ces11.csv:2011-05-31 survey/ess9_gb.csv:2019-02-16 \
	survey/stackoverflow_2017.csv:2017-12-31 crm/attrition.csv:2024-12-31 \
	crm/caravan.csv:2000-12-31 crm/mlc_churn.csv:2024-12-31 cdnow/CDNOW_master.txt:1998-06-30 \
	cdnow/CDNOW_sample.txt:1998-06-30 retail/by-day:2011-04-30
init-examples: $(STAMP)
	@mkdir -p parameters/examples/init
	@for pair in $(INIT_FILES); do \
		file=$${pair%%:*}; name=$$(basename $$file); name=$${name%.*}; \
		[ "$$name" = by-day ] && name=retail; \
		out=parameters/examples/init/$$(echo $$name | tr A-Z a-z).yaml; \
		$(BIN)/workbook init $(SHARED_DATA)/$$file -o $$out --as-of $${pair#*:} --force >/dev/null \
			&& echo "wrote $$out" || exit 1; \
	done

test: $(STAMP)
	$(BIN)/python -m pytest

# the pre-commit hooks on every file: ruff (lint and format), notebooks without outputs and in
# step with their scripts, whitespace and YAML
lint: $(STAMP)
	$(BIN)/pre-commit run --all-files

# re-resolve requirements.lock after a change to pyproject.toml (keeps every pin it can;
# UPGRADE=1 takes the newest versions the ranges allow)
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv>=0.13.9,<0.14"
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--no-annotate --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) \
		--quiet -o requirements.lock
