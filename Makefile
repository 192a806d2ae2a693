# Every target that needs Python creates .venv first and installs what it needs: the runtime
# requirements (requirements.txt) to run the service, the development ones
# (requirements-dev.txt: tests, lint, benchmark, the test database server) for the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# --no-compile: modules are compiled when first imported; compiling every installed module up
# front was a third of a fresh clone's install time, mostly for modules no run imports
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile

.PHONY: run serve migrate test test-embedded test-server explore explore-all lint token clean

$(STAMP): requirements.txt setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -e .
	touch $(STAMP)

# one pip run for both files (requirements-dev.txt includes requirements.txt): one resolve
# instead of two on a fresh clone
$(DEV_STAMP): requirements.txt requirements-dev.txt setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements-dev.txt
	$(PIP) --no-deps -e .
	touch $(STAMP) $(DEV_STAMP)

run: $(STAMP)  ## the service on HOST:PORT (default 127.0.0.1:8000), embedded engine, demo data
	$(BIN)/python -m slotkeeper run

serve: $(STAMP)  ## production server: gunicorn, settings from the environment (run `make migrate` first)
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

migrate: $(STAMP)  ## apply pending migrations to MONGODB_URI (safe to run twice or in parallel)
	$(BIN)/slotkeeper migrate

# The whole suite twice, side by side: on the embedded engine, and on SecantusDB servers that
# pytest starts (free port, temporary data directory) and stops at the end, also on failure.
# Tests that never reach the database (unit, live, tooling) run in the embedded run only. Each
# run's output is shown when it ends; the target fails when either run does.
test: $(DEV_STAMP)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-embedded test-server

# Each run spreads its tests over pytest-xdist workers, so that either can use both cores once
# the other is done; on a server, each worker has a SecantusDB server and a database of its own.
EMBEDDED_WORKERS ?= 2
SERVER_WORKERS ?= 3

test-embedded: $(DEV_STAMP)  ## the suite on the embedded engine
	env -u MONGODB_URI $(BIN)/python -m pytest -n $(EMBEDDED_WORKERS) --dist worksteal

test-server: $(DEV_STAMP)  ## the suite on SecantusDB servers started for the run
	$(BIN)/python -m pytest -p no:cacheprovider --secantusdb -n $(SERVER_WORKERS) --dist worksteal

explore: $(DEV_STAMP)  ## the longer interleaving exploration (both worlds, more triples); CI runs it
	env -u MONGODB_URI $(BIN)/python -m pytest -n $(EMBEDDED_WORKERS) --dist worksteal -m slow tests/integration/test_interleavings.py

explore-all: $(DEV_STAMP)  ## make explore and the pair that ran forty minutes without ending (not in CI)
	env -u MONGODB_URI $(BIN)/python -m pytest -n $(EMBEDDED_WORKERS) --dist worksteal -m "slow or exhaustive" tests/integration/test_interleavings.py

LINTED := src tests migrations wsgi.py gunicorn.conf.py

lint: $(DEV_STAMP)  ## ruff's checks, ruff's formatting and mypy's types; CI runs it
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy src

token: $(STAMP)  ## a development token from AUTH_JWT_SECRET: make -s token SUB=alice [ROLE=admin] [MINUTES=60]
	@test -n "$(SUB)" || { echo "make token: give the user id, e.g. make -s token SUB=alice" >&2; exit 2; }
	@$(BIN)/slotkeeper token --sub '$(SUB)' $(if $(ROLE),--role '$(ROLE)') --minutes '$(or $(MINUTES),60)'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: bench e2e

bench: $(DEV_STAMP)  ## slotkeeper against a bare Flask app under gunicorn (~5 min); bench/results/latest.{json,png}
	$(BIN)/python bench/run.py

e2e: $(DEV_STAMP)  ## Swagger UI in headless Chromium; installs Debian's chromium + chromium-driver if missing
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "e2e: installing chromium and chromium-driver with apt-get (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver; }
	$(BIN)/python -m pytest tests/e2e -rs
