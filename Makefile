# `make run`: set up and serve the portal with demo data on SQLite.  `make test`: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV := DEBUG=1
# make run PORT=8001 when 8000 is taken.
PORT ?= 8000

.PHONY: run test setup lint format messages clean bench-autoclose bench-import bench-load bench-pages bench-notices bench-delivery bench-compare

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py seed_demo
	@# The outbox worker runs beside the server, printing each reply (DELIVERY_BACKEND=console); it stops with
	@# the server, Ctrl-C included (the trap runs whichever way runserver ends).
	@$(DEV) DELIVERY_BACKEND=console $(BIN)/python manage.py deliver & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(DEV) DELIVERY_BACKEND=console $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The catalogs: collect every marked string into locale/<lang>/LC_MESSAGES/*.po (new ones untranslated), then compile
# the .mo files the portal serves. Needs GNU gettext (apt-get install gettext). Translate what is new, run it again.
LOCALES := ko de es fr pt_BR ja ar
MESSAGES_IGNORE := --ignore=.venv --ignore=.synapse-venv --ignore=tests --ignore=bench --ignore=staticfiles \
	--ignore=test-artifacts --ignore=queues/static/vendor --ignore=queues/static/queues/x-text-data.js
messages: setup
	$(DEV) $(BIN)/python manage.py makemessages --no-obsolete --no-location $(MESSAGES_IGNORE) $(addprefix -l ,$(LOCALES))
	$(DEV) $(BIN)/python manage.py makemessages --no-obsolete --no-location -d djangojs $(MESSAGES_IGNORE) $(addprefix -l ,$(LOCALES))
	$(DEV) $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=.synapse-venv

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

# Escalation commit → notice visible in a real Synapse room (installs Synapse in .synapse-venv/ first).
bench-notices: setup
	.ci/synapse-venv
	$(BENCH_PG) $(BIN)/python bench/notices.py

bench-delivery: setup
	$(BENCH_PG) $(BIN)/python bench/delivery.py

# Before and after: make bench-compare BEFORE=<git revision> (bench/compare.py).
bench-compare: setup
	$(BENCH_PG) $(BIN)/python bench/compare.py $(BEFORE)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
