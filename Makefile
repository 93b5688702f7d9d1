# Two commands matter: `make preview` (the main job) and `make test` (the whole suite).
# Both create the virtualenv on first use, so they work as the first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
FORMAT ?= text

.PHONY: preview test bench check scan report verify smoke clean

$(VENV)/.installed: requirements.txt requirements-dev.txt $(wildcard app/backend/requirements.txt)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# npm test tools (the SARIF multitool that validates SARIF reports); versions locked in tools/.
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --silent
	touch $@

preview: $(VENV)/.installed ## Run the stack offline: the plan, then the policy pack's verdict on it.
	$(PY) -m preflight preview --stack $(STACK)

test: $(VENV)/.installed tools/node_modules/.installed ## Run the whole test suite.
	$(PY) -m pytest

check: $(VENV)/.installed ## Program + policy pack offline: make check STACK=prod FORMAT=sarif
	$(PY) -m preflight check --stack $(STACK) --format $(FORMAT)

scan: $(VENV)/.installed ## The pack's Kubernetes rules over manifests: make scan PATHS="deploy/ rendered.yaml"
	$(PY) -m preflight scan $(PATHS) --format $(FORMAT)

report: $(VENV)/.installed ## Reports from a real preview's event log: make report EVENT_LOG=preview.events.jsonl
	$(PY) -m preflight report $(EVENT_LOG) --format $(FORMAT)

verify: $(VENV)/.installed ## Live evidence from the deployed account: make verify STACK=prod
	$(PY) -m preflight verify --stack $(STACK) --format $(FORMAT)

smoke: $(VENV)/.installed ## Run the stack's workloads locally from the app sources, as their pod specs say: make smoke STACK=dev
	$(PY) -m preflight.smoke --stack $(STACK)

# checkov is measured beside scan on the same corpus: a bench tool in its own virtualenv, pinned,
# never a dependency. When it cannot be installed the bench still runs and reports it unavailable.
CHECKOV_VERSION := 3.3.30
BENCH_VENV := build/bench-venv

bench: $(VENV)/.installed ## Measure check, scan and pack evaluation speed and memory against targets and checkov (not a test).
	@test -f $(BENCH_VENV)/.checkov-$(CHECKOV_VERSION) \
		|| { $(PYTHON) -m venv $(BENCH_VENV) && $(BENCH_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION) \
		     && touch $(BENCH_VENV)/.checkov-$(CHECKOV_VERSION); } \
		|| echo "checkov $(CHECKOV_VERSION) could not be installed: the bench reports it unavailable"
	$(PY) -m preflight.bench --checkov $(BENCH_VENV)/bin/checkov

clean:
	rm -rf $(VENV) .pytest_cache
