# `make run`: set up and serve the portal with demo data on SQLite.  `make test`: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV := DEBUG=1
# make run PORT=8001 when 8000 is taken.
PORT ?= 8000

.PHONY: run test setup lint format clean bench-autoclose bench-import bench-load bench-pages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py seed_demo
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks: each starts a throwaway PostgreSQL 15 cluster with production's durability and prints a table (bench/).
BENCH_PG := PG_DURABLE=1 .ci/with-postgres
bench-autoclose: setup
	$(BENCH_PG) $(BIN)/python bench/autoclose.py

bench-import: setup
	$(BENCH_PG) $(BIN)/python bench/import_play.py

bench-load: setup
	$(BENCH_PG) $(BIN)/python bench/load.py

bench-pages: setup
	$(BENCH_PG) $(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
