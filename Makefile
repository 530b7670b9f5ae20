# Clarion: `make run` starts the demo, `make test` runs every test. Both install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint clean chromium

# torch==2.13.0 first: on these machines pip takes its CPU build from local disk; with it
# installed, the project's `torch>=2.2` is already satisfied and nothing larger is pulled.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/clarion demo

# The dashboard's browser tests drive Debian's chromium (never a Playwright download):
# installed here when absent and apt-get can (root, or sudo without a password). When it
# cannot, tests/dashboard is skipped with that reason and every other test still runs.
CHROMIUM := /usr/bin/chromium

chromium:
	@if [ ! -x $(CHROMIUM) ] && command -v apt-get >/dev/null 2>&1; then \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
		( $$SUDO apt-get update -qq \
		  && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium ) \
		|| echo "make: chromium not installed; the dashboard's browser tests will be skipped"; \
	fi

test: install chromium
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .demo build *.egg-info
