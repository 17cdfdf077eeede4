# Two commands matter: `make run` (build the index from corpus/ and serve it) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
#: Where `make production-proxy` serves (nginx); gunicorn stays on 127.0.0.1:$(PORT) behind it.
PROXY_PORT ?= 8080

#: The screenshots the README shows, copied from build/screenshots/ by `make screenshots`.
PUBLISHED_SCREENSHOTS := search-desktop search-phone doc-desktop doc-phone compare-desktop curate-dashboard-desktop \
	curate-record-errors-desktop curate-add-phone curate-import-preview-desktop curate-gaps-desktop

.PHONY: setup system-packages run build serve production production-proxy lint test audit screenshots readme clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

setup: $(VENV)/.installed

# Debian's chromium drives the browser tests; poppler's pdftotext is the extraction bench's yardstick;
# biber (with bibtex) checks the whole catalog's BibTeX export (tests/test_exports.py); nginx is the
# production reverse proxy (deploy/nginx.conf.template) and its slow-client test; Java runs the Nu HTML
# checker (vnu.jar from tests/package.json) over every page type (tests/test_validators.py).
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null || ! command -v biber >/dev/null || ! PATH="$$PATH:/usr/sbin" command -v nginx >/dev/null || ! command -v java >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium poppler-utils biber nginx default-jre-headless; \
	fi

build: setup
	$(VENV)/bin/observatory build

run: build
	$(VENV)/bin/observatory serve --host $(HOST) --port $(PORT)

# Production: gunicorn with gunicorn.conf.py (app, 127.0.0.1:8000, workers, timeouts, request limits).
production: build
	$(VENV)/bin/gunicorn -c gunicorn.conf.py 'webapp:create_app()'

# Production behind nginx (slow clients wait in nginx, not in a gunicorn worker): renders
# deploy/nginx.conf.template into build/nginx/, then runs gunicorn on 127.0.0.1:$(PORT) and nginx on
# $(HOST):$(PROXY_PORT) until interrupted. The app believes nginx's X-Forwarded-For (one trusted proxy).
production-proxy: build
	mkdir -p build/nginx
	$(PY) -m webapp.nginx $(HOST):$(PROXY_PORT) 127.0.0.1:$(PORT) $(CURDIR)/build/nginx > build/nginx/nginx.conf
	PATH="$$PATH:/usr/sbin" nginx -t -q -c $(CURDIR)/build/nginx/nginx.conf
	OBSERVATORY_TRUSTED_PROXIES=1 $(VENV)/bin/gunicorn -c gunicorn.conf.py -b 127.0.0.1:$(PORT) & \
		trap "kill $$!" EXIT INT TERM; PATH="$$PATH:/usr/sbin" nginx -c $(CURDIR)/build/nginx/nginx.conf -g 'daemon off;'

# axe-core (accessibility checks) and citeproc-js (citation checks); npm ci again only when the lock file changes.
tests/node_modules/.installed: tests/package-lock.json
	npm ci --prefix tests --no-audit --no-fund
	touch $@

# The static checks, configured in pyproject.toml, zero findings each: ruff's formatting (checked, never
# rewritten here: `.venv/bin/ruff format` rewrites), ruff's lint rules, mypy's types, the import contracts.
lint: setup
	$(VENV)/bin/ruff format --check
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# `lint` first: a finding fails the run before the system packages and the suite.
test: lint system-packages tests/node_modules/.installed
	$(PY) -m pytest -q

# The browser tests write screenshots to build/screenshots/ (git-ignored); this publishes the chosen ones.
screenshots: setup system-packages tests/node_modules/.installed
	$(PY) -m pytest -q -m browser
	cp $(PUBLISHED_SCREENSHOTS:%=build/screenshots/%.png) docs/screenshots/

# Known vulnerabilities in the installed dependencies (what `setup` resolved from pyproject.toml), from
# the advisory data PyPI serves per release. A vulnerability fails CI; a machine that cannot reach that
# data (pip-audit then skips every package and would say "No known vulnerabilities found") is reported
# as NOT AUDITED without failing, since nothing was checked there either way.
audit: setup
	$(PY) -m pip install --quiet 'pip-audit>=2.7,<3'
	-@$(PY) -m pip_audit --skip-editable --progress-spinner off --desc --format json --output $(VENV)/audit.json
	@$(PY) -c "$$AUDIT_SUMMARY" $(VENV)/audit.json

define AUDIT_SUMMARY
import json, pathlib, sys
path = pathlib.Path(sys.argv[1])
try:
    deps = json.loads(path.read_text())["dependencies"]
except (OSError, ValueError, KeyError):
    sys.exit(print("pip-audit: NOT AUDITED: it could not reach its vulnerability service (see its error above)"))
skipped = [d for d in deps if "skip_reason" in d]
vulnerable = [d for d in deps if d.get("vulns")]
for d in vulnerable:
    for v in d["vulns"]:
        print(f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v['fix_versions']) or 'no release yet'})")
print(f"pip-audit: {len(deps) - len(skipped)} of {len(deps)} dependencies audited, {len(vulnerable)} vulnerable")
if skipped and len(skipped) == len(deps):
    print("pip-audit: NOT AUDITED: no vulnerability data reachable from here, e.g. " + skipped[0]["skip_reason"])
elif skipped:
    print("pip-audit: not audited: " + ", ".join(d["name"] for d in skipped))
sys.exit(1 if vulnerable else 0)
endef
export AUDIT_SUMMARY

clean:
	rm -rf $(VENV) index corpus/cache bench/out build tests/node_modules

# Regenerate the README's "The collection" tables from the catalog.
readme: setup
	$(VENV)/bin/observatory collection --readme README.md
