# o2c — make run | make test | make lint | make bench
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## seed a sample portfolio (once) and serve on SQLite
	$(BIN)/o2c demo --if-empty
	$(BIN)/o2c serve --host $(HOST) --port $(PORT)

test: install  ## unit, property and integration tests, on SQLite and PostgreSQL
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/o2c/domain

BENCHES := ingest catchup portfolio directory kafka_io workers

# Every benchmark runs even when one misses its target; make then fails, naming those that missed.
# portfolio and directory measure one portfolio, recorded and projected once (bench/__main__.py).
bench: install  ## needs PostgreSQL at 127.0.0.1:5432 (O2C_BENCH_POSTGRES to change)
	$(BIN)/python -m bench $(BENCHES)

clean:
	rm -rf $(VENV) o2c.db o2c.db-wal o2c.db-shm .pytest_cache .hypothesis
