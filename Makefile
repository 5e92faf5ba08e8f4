# Quick start: `make demo` runs a search, `make test` runs the tests. Both set up .venv first;
# `make test` also installs PostgreSQL's server (Debian package) when missing, for the worker tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint benchmark hebo clean

# The CPU wheel of torch first, unless .venv has a torch already (e.g. your CUDA build): a bare
# "torch>=2.4" would pull a multi-GB CUDA build. pip -qq: errors only, no build-backend chatter.
$(STAMP): pyproject.toml
	@echo "setting up $(VENV) (torch CPU wheel unless one is there, bananas and its dev tools) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -qq --upgrade pip
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -qq "torch==2.13.0"
	@$(PY) -m pip install -qq -e ".[dev]"
	@$(PY) -m pip install -qq --no-deps "HEBO==0.3.6"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/bananas search --space nbgraph --dataset cora --budget 150 --seed 0 --storage sqlite:///bananas.db

test: $(STAMP)
	.ci/install-postgres
	$(PY) -m pytest -n 2 tests

lint: $(STAMP)
	$(VENV)/bin/ruff check bananas encodings predictors scripts tests
	$(VENV)/bin/mypy bananas encodings predictors --ignore-missing-imports

benchmark: $(STAMP)
	$(VENV)/bin/bananas benchmark --space nbgraph --dataset cora --seeds 30 --budget 150 --out benchmark-out/cora

# HEBO, the optional `hebo` peer, into .venv (make test's set-up has it already). HEBO 0.3.6 pins numpy<1.25
# and pulls GPy and catboost, which its default optimizer does not use: its imports, then HEBO without deps.
hebo: $(STAMP)
	$(PY) -m pip install -qq -e ".[hebo]"
	$(PY) -m pip install -qq --no-deps "HEBO==0.3.6"

clean:
	rm -rf $(VENV) bananas.db benchmark-out
