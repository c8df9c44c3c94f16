# The verbs: run, test, check, fmt, protocol, bench, clean. Each installs what it needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
PORT ?= 8000
HOST ?= 127.0.0.1
APT_INSTALL = $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q

.PHONY: run test test-backend test-frontend test-e2e check fmt protocol bench clean conformance

run: $(STAMPS)/venv frontend/dist/index.html
	$(VENV)/bin/litmus-live serve --host $(HOST) --port $(PORT) --tests examples --static-dir frontend/dist

test: test-backend test-frontend test-e2e

# Two workers: most tests wait on a real pytest run or a real server, so two overlap well on two cores.
test-backend: $(STAMPS)/venv $(STAMPS)/redis
	cd backend && ../$(VENV)/bin/pytest -q -n 2 --dist worksteal

test-frontend: $(STAMPS)/node
	cd frontend && npm test --silent

test-e2e: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/chromium frontend/dist/index.html
	cd frontend && npm run --silent e2e

check: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/compose
	$(VENV)/bin/ruff check backend
	$(VENV)/bin/ruff format --check backend
	$(VENV)/bin/ruff check --config backend/pyproject.toml bench conformance
	$(VENV)/bin/ruff format --check --config backend/pyproject.toml bench conformance
	node --check protocol/examples/dashboard.mjs
	$(PY) -m litmus_live.schema protocol --check --asyncapi-spec 'frontend/node_modules/@asyncapi/specs/schemas/3.0.0-without-$$id.json'
	cd frontend && npm run --silent check
	$(COMPOSE) -f docker-compose.yml config --quiet

fmt: $(STAMPS)/venv
	$(VENV)/bin/ruff format backend
	$(VENV)/bin/ruff check --fix backend
	$(VENV)/bin/ruff format --config backend/pyproject.toml bench conformance

protocol: $(STAMPS)/venv $(STAMPS)/node
	$(PY) -m litmus_live.schema protocol
	cd frontend && npm run --silent gen:types

bench: $(STAMPS)/venv
	$(PY) bench/run.py $(if $(FULL),--full,)

# The conformance suite against any server (URL=ws://host:port/ws TOKEN=an operator's token), or against ours.
conformance: $(STAMPS)/venv
	$(if $(URL),cd conformance && ../$(VENV)/bin/pytest -q --url $(URL) $(if $(TOKEN),--token $(TOKEN)),cd backend && ../$(VENV)/bin/pytest -q tests/test_conformance.py)

clean:
	rm -rf $(VENV) $(STAMPS) frontend/node_modules frontend/dist data

# -- set-up: each step runs once, again only when its inputs change ----------------------

$(STAMPS)/venv: backend/pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e 'backend[test]'
	@touch $@

$(STAMPS)/node: frontend/package.json frontend/package-lock.json
	@mkdir -p $(STAMPS)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/chromium:
	@mkdir -p $(STAMPS)
	command -v chromium >/dev/null || { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q && $(APT_INSTALL) chromium; }
	@touch $@

# The fleet tests start their own redis-server on a free loopback port.
$(STAMPS)/redis:
	@mkdir -p $(STAMPS)
	command -v redis-server >/dev/null || { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q && $(APT_INSTALL) redis-server; }
	@touch $@

COMPOSE = $(shell $(PY) -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null)
$(STAMPS)/compose: $(STAMPS)/venv
	@touch $@

frontend/dist/index.html: $(STAMPS)/node $(shell find frontend/src frontend/index.html -type f 2>/dev/null) protocol/schema.json
	cd frontend && npm run --silent build
