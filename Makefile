# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Fixed, obviously-fake keys for the test suite only (real deployments set their own).
TEST_ENV := DJANGO_DEBUG=1 \
	DJANGO_SECRET_KEY=test-only-secret-key-not-for-production-0123456789 \
	FUXIANG_DATA_KEYS=test2026:dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLWxvbmc=,old2025:b2xkLXRlc3Qta2V5LXJvdGF0aW9uLTMyLWJ5dGVzISE= \
	FUXIANG_DATA_KEY_ID=test2026 \
	FUXIANG_BLIND_INDEX_KEY=dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0zMi1ieXRlcw==

# The demo needs no services: SQLite file, local-memory cache. Its setup runs Celery eagerly;
# then `python -m fuxiang.demo` starts the web server with a real Celery worker and beat on a
# broker kept in files (.demo-queue/), and Ctrl+C stops all three.
DEMO_ENV := env -u DATABASE_URL -u CELERY_RESULT_BACKEND -u REDIS_URL \
	DJANGO_DEBUG=1 DJANGO_LOG_LEVEL=WARNING \
	CELERY_BROKER_URL=filesystem://localhost/ CELERY_TASK_ALWAYS_EAGER=1
DEMO_ADDR ?= 127.0.0.1:8000

.PHONY: demo test bench install lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input -v 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --if-empty
	$(DEMO_ENV) $(BIN)/python manage.py rate --scope county
	$(DEMO_ENV) $(BIN)/python manage.py platform_demo
	$(DEMO_ENV) $(BIN)/python manage.py refresh_dashboards
	$(DEMO_ENV) $(BIN)/python manage.py seed_qrcodes --base-url http://$(DEMO_ADDR)
	@echo ""
	$(DEMO_ENV) $(BIN)/python -m fuxiang.demo --addr $(DEMO_ADDR)

test: install
	$(TEST_ENV) $(BIN)/pytest $(ARGS)

# Every benchmark in benchmarks/, one after the other; writes docs/benchmarks.md. Needs
# DATABASE_URL (a PostgreSQL server: each benchmark makes its own database), CELERY_BROKER_URL
# and CELERY_RESULT_BACKEND (Redis); ARGS="--only rating,import" or "--households 30000".
bench: install
	$(BIN)/python benchmarks/run_all.py $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=1 $(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm .demo-queue staticfiles .pytest_cache
