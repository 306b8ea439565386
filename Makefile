# Two commands do all the set-up on a fresh machine with Python >= 3.10 and make:
#   make demo   the newcomer's tour on the embedded sandbox (validate, plan, apply, plan again)
#   make test   lint, type check and the whole test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/qcdeploy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/qcdeploy
	bash examples/demo.sh

test: lint typecheck pytest

lint: $(BIN)/qcdeploy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/qcdeploy
	$(BIN)/mypy

pytest: $(BIN)/qcdeploy
	$(BIN)/pytest -q

bench: $(BIN)/qcdeploy
	$(BIN)/python bench/bench_plan.py
	$(BIN)/python bench/bench_startup.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
