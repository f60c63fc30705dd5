# The two commands of the README: `make run` and `make test`. Everything else is for
# developers. The virtualenv is rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check lint typecheck bench bench-scale clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/spacegate serve

# The suite runs on every CPU (one database per worker on PostgreSQL); a module's tests
# stay in one worker, so its live servers and browsers start once. TEST_WORKERS=0: in-process.
TEST_WORKERS ?= auto

test: $(BIN)/.installed-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/.installed-dev
	$(BIN)/mypy

check: lint typecheck test

# The HTTP and scale benchmarks need wrk (Debian package) and the machine's PostgreSQL.
bench: $(BIN)/.installed-dev
	$(BIN)/python bench/check.py
	$(BIN)/python bench/invite.py
	$(BIN)/python bench/http.py

bench-scale: $(BIN)/.installed-dev
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
