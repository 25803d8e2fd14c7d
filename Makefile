# Gridmap: `make run` sets up everything and serves; `make test` sets up and runs the tests.
# Each step is idempotent and cheap when already done, so the second run is fast.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
# The virtualenv is rebuilt when the lock (or pyproject.toml) changes, and only then.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
# uv compiles requirements.lock (make lock); pinned here, not a dependency of the app or the tests.
UV_VERSION ?= 0.13.9
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Gunicorn workers: 2 cores → 4 workers keeps both busy while one waits on PostgreSQL. Everything else
# (gthread workers, timeout, recycling, the access log without tokens) is in geo/gunicorn.conf.py,
# which the Dockerfile uses too.
WORKERS ?= 4
# The demo county `make run` loads (see `python manage.py load_demo --help`): 济源 at 5 % of its real
# size with 20,000 incidents loads in a few seconds; `--scale 1` is the full county.
DEMO_ARGS ?= --scenario jiyuan --scale 0.05 --incidents 20000

.PHONY: run test setup system browser venv lock messages db migrate demo serve stop standby bench-replica lint bench bench-tiles bench-export bench-dashboards bench-grids bench-incidents clean-data help

help:
	@echo "make run    set up everything (system packages, .venv, local PostGIS, demo county) and serve on http://$(HOST):$(PORT)"
	@echo "make test   set up what the tests need and run them against a real PostGIS"
	@echo "make stop   stop the checkout's local PostgreSQL (and its standby)"
	@echo "make standby  start a hot standby of the local PostgreSQL beside it (docs/scale.md); prints its URL"
	@echo "make lint   ruff"
	@echo "make lock   recompile requirements.lock (every dependency, pinned with hashes) from pyproject.toml"
	@echo "make messages  update locale/*/django.po from the code and compile the .mo files"
	@echo "make bench  load full-scale 济源 with 1,000,000 incidents and time each stage (replaces the demo data)"

run: setup demo
	@$(PY) manage.py ensure_admin
	@$(PY) manage.py collectstatic --noinput -v 0
	@echo "==> serving Gridmap on http://$(HOST):$(PORT)  (admin: /admin/, health: /healthz)"
	exec $(VENV)/bin/gunicorn -c geo/gunicorn.conf.py geo.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS)

# makemigrations --check: a model changed without its migration fails here, before any test runs.
test: setup browser
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(PY) -m pytest $(PYTEST_ARGS)

setup: system venv db migrate

system:
	@bash scripts/setup_system.sh

# The dashboards' browser test loads pages in Debian's headless Chromium; a CJK font makes its
# screenshots legible. Only the tests need them, so `make run` does not install them.
browser:
	@bash scripts/setup_system.sh chromium fonts-wqy-microhei

venv: $(STAMP)

# Installs exactly requirements.lock (every package, sub-dependencies too, each checked against its
# hash), then Gridmap itself without resolving anything. A lock older than pyproject.toml stops here
# with the command that fixes it, rather than installing a half-locked set.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) scripts/check_lock.py
	@echo "==> creating $(VENV) and installing requirements.lock"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Resolves pyproject.toml (with the dev extras) against PyPI for Python 3.11 and 3.12 on any platform,
# pinning every package with the hashes of all its files. Run it after changing a dependency.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile --quiet --no-config --universal --python-version 3.11 --extra dev --generate-hashes \
		--custom-compile-command "make lock" pyproject.toml -o requirements.lock

# With DATABASE_URL set, the project uses that PostGIS and starts no cluster of its own.
db: venv
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m geo.localdb start >/dev/null; fi

migrate: db
	@$(PY) manage.py migrate --noinput -v 0

demo: migrate
	@$(PY) manage.py load_demo $(DEMO_ARGS) --if-empty

stop:
	@$(PYTHON) -m geo.localdb stop

# A streaming-replication hot standby of the local cluster, on its own port (cloned once, then only started):
# DATABASE_REPLICA_URL=$$(python3 -m geo.localdb url --standby) make run reads maps and dashboards from it.
standby: db
	@$(PY) -m geo.localdb start --standby

# Tiles and dashboards read from the standby against the primary (on whatever county is loaded).
bench-replica: standby migrate
	$(PY) bench/replica.py $(BENCH_ARGS)

# Benchmarks print figures against the issues' targets; they need the full-scale demo county loaded.
bench-tiles: setup
	@bash scripts/setup_system.sh wrk
	$(PY) bench/tiles $(BENCH_ARGS)

# Dashboards: page size and server time per page (on whatever county is loaded).
bench-dashboards: setup
	$(PY) bench/dashboards $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check . bench/contract bench/dashboards bench/export bench/grids bench/incidents bench/load_demo bench/tiles bench/concurrency bench/outage bench/wall bench/analysis bench/cameras bench/followups bench/coverage bench/province

bench: migrate
	$(PY) bench/load_demo

# All incidents as GeoJSON through the app against ogr2ogr on the same table (runs on whatever is loaded).
bench-export: migrate
	$(PY) bench/export $(BENCH_ARGS)

# Updates locale/zh_Hans/LC_MESSAGES/django.po from the code (English msgids) and compiles django.mo; both
# are committed, so a server needs no gettext tools. Translate the new (empty) entries, then run it again.
messages: venv
	@bash scripts/setup_system.sh gettext
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=tests --ignore=bench \
		--ignore=fixtures --ignore=staticfiles --ignore=.data
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=staticfiles --ignore=.data

# Removes the local cluster's data (the demo county is reloaded by the next `make run`).
clean-data: stop
	rm -rf .data
