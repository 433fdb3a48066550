# Two entry points for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.wenyang-installed
TEST_STAMP := $(VENV)/.wenyang-test-installed

.PHONY: run test test-fast setup bench clean pg-server

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PIP) install --quiet -c constraints.txt -e '.[test]'
	touch $@

setup: $(STAMP)

## Set up (once) and open the application on its defaults.
run: $(STAMP)
	$(VENV)/bin/wenyang-gui

## The store's tests run on SQLite and on a real PostgreSQL server (a throw-away cluster that
## tests/pgcluster.py starts as an unprivileged user): its programs come from Debian's
## postgresql package, installed here where they are missing. Where it cannot be installed (no
## apt, no root or sudo) the suite still runs and says why the server's half is skipped.
pg-server: $(TEST_STAMP)
	@$(PY) tests/pgcluster.py --check || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  echo "Installing Debian's postgresql package for the store's tests"; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null \
	    && $(PY) tests/pgcluster.py --check; } \
	  || echo "PostgreSQL could not be installed here: the tests on a PostgreSQL server will be skipped."; }

## Set up (once), lint, and run the whole test suite, offscreen.
test: $(TEST_STAMP) pg-server
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/mypy --no-incremental
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

## The fast tier while working: everything but the tests marked slow (those that train real
## networks end to end); CI runs `make test`, which runs them all.
test-fast: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider -m "not slow"

clean:
	rm -rf $(VENV) build *.egg-info
