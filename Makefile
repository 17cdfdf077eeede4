# Two commands matter: `make run` (build the index from corpus/ and serve it) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup system-packages run build serve test readme clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

setup: $(VENV)/.installed

# Debian's chromium drives the browser tests; poppler's pdftotext is the extraction bench's yardstick.
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium poppler-utils; \
	fi

build: setup
	$(VENV)/bin/observatory build

run: build
	$(VENV)/bin/observatory serve --host $(HOST) --port $(PORT)

test: setup system-packages
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) index corpus/cache bench/out

# Regenerate the README's "The collection" tables from the catalog.
readme: setup
	$(VENV)/bin/observatory collection --readme README.md
