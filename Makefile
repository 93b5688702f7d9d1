# Two commands matter: `make preview` (the main job) and `make test` (the whole suite).
# Both create the virtualenv on first use, so they work as the first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: preview test bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

preview: $(VENV)/.installed ## Run the stack offline under the mock engine and print the plan.
	$(PY) -m preflight preview --stack $(STACK)

test: $(VENV)/.installed ## Run the whole test suite.
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
