"""Production settings for `gunicorn -c gunicorn.conf.py` (the app, the address and the limits).

Every limit here bounds what one request may cost a worker, since a search engine open to the
public meets fuzzers and slow clients as well as readers. Command-line flags override these
(`-b 0.0.0.0:8080`, `-w 8`); the app reads its own settings (OBSERVATORY_INDEX ...) as always.
"""
import multiprocessing
import os

#: The Flask app factory; each worker opens the live index itself and follows rebuilds.
wsgi_app = "webapp:create_app()"

#: Local only by default: a reverse proxy goes in front (deploy/nginx.conf.template, `make production-proxy`):
#: sync workers serve one connection each, so without it a few slow clients hold every worker.
bind = "127.0.0.1:8000"

#: Searches are CPU-bound, so about one sync worker per core (+1 to cover a worker's I/O waits);
#: WEB_CONCURRENCY is the environment variable gunicorn and hosting platforms use for this.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"

#: A request taking longer than this has its worker killed and replaced (the client gets a 502 or
#: 500 from the proxy) instead of holding the worker: searches take milliseconds, document views
#: and exports well under a second, so 30 s only ever catches a pathological request.
timeout = 30
#: On restart or reload, in-flight requests get this long to finish.
graceful_timeout = 20
#: Idle keep-alive connections (from the proxy) are closed after this many seconds.
keepalive = 5

#: Request size limits, well above any real URL of the site (a long query with every facet
#: selected is ~1 KB) and below gunicorn's defaults, so fuzzed or hostile requests are
#: refused (400/414/431-style errors) before the app parses them.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Error pages: every response the app makes (its 4xx, 5xx and the 503 of a missing or unreadable
# index) carries the security headers of `webapp.SECURITY_HEADERS`. The 400/414/431 gunicorn itself
# sends for a request it refuses to parse cannot: gunicorn (up to 27.x) has no setting for them and
# writes a fixed response (`gunicorn.util.write_error`: Connection, Content-Type and Content-Length
# only). Those pages run no script, show the request's text HTML-escaped, and close the connection;
# the reverse proxy in front adds the headers to them (deploy/nginx.conf.template, rendered by
# webapp/nginx.py, adds each one an answer lacks). tests/test_gunicorn_conf.py and tests/test_proxy.py check it.

#: Recycle each worker after about this many requests, so slow memory growth (caches, allocator
#: fragmentation) cannot accumulate; the jitter keeps workers from restarting together.
max_requests = 2000
max_requests_jitter = 200

#: Access log to stdout in the common format; errors to stderr.
accesslog = "-"
errorlog = "-"
