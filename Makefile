# Two commands for people: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app fieldwork
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench install translations translations-update lint worker clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

# Catalogues are compiled in the build, never committed as .mo files.
translations: $(STAMP)
	$(BIN)/pybabel compile -d translations --statistics

translations-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	FIELDWORK_SESSION_COOKIE_SECURE=false FIELDWORK_REMEMBER_COOKIE_SECURE=false \
		$(FLASK) run --host 127.0.0.1 --port 5000

# Gates first (seconds), then the suite: two processes, each with its own database, Redis db,
# queue and worker (see tests/conftest.py).
PYTEST_WORKERS ?= 2
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -p no:cacheprovider -n $(PYTEST_WORKERS)

# Region-scale figures beside raw SQL (issue 18): a fresh PostgreSQL database, dropped after.
# BENCH_SCALE=tiny|medium|full (default full: 1M signals); see bench/README.md.
bench: install
	$(BIN)/python bench/region.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

worker: install
	$(BIN)/celery -A worker.celery_app worker --loglevel=INFO

clean:
	rm -rf $(VENV) instance .pytest_cache
