# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck bench catalogues clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

# `make demo` builds the Cambodia-US data and serves the dashboard; DEMO_ARGS=--no-serve stops
# after the briefing
DEMO_ARGS ?=
demo: $(STAMP)
	$(BIN)/tracktwo demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check tracktwo tests benchmarks tools
	$(BIN)/ruff format --check tracktwo tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy tracktwo

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_pulse.py
	$(BIN)/python benchmarks/bench_scorecard.py
	$(BIN)/python benchmarks/bench_web.py
	$(BIN)/python benchmarks/bench_ideal_points.py

# the English and Khmer catalogues, refreshed from the texts marked in the sources
catalogues: $(STAMP)
	$(BIN)/python tools/catalogues.py

clean:
	rm -rf $(VENV) tracktwo-data .pytest_cache .mypy_cache .ruff_cache
