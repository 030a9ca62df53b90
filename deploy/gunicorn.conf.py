"""Gunicorn settings for fieldwork: `gunicorn -c deploy/gunicorn.conf.py 'fieldwork:create_app()'`.

Serves on 127.0.0.1:8000 behind nginx (deploy/nginx.conf). Override the worker count with
WEB_CONCURRENCY; options given on the command line win over this file (the Docker image
uses `-b 0.0.0.0:8000`).
"""

import math
import multiprocessing
import os

from fieldwork.config import DEFAULTS

wsgi_app = "fieldwork:create_app()"
bind = "127.0.0.1:8000"

# WEB_CONCURRENCY when set; otherwise 2 x cores + 1, at most 8.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))

# Access and error log to stdout/stderr: journald (systemd) or `docker compose logs` keep them.
accesslog = "-"
errorlog = "-"

# Trust X-Forwarded-Proto (https) only from the local nginx. Compose sets FORWARDED_ALLOW_IPS,
# because there the proxy connects through Docker's bridge network, not 127.0.0.1.
# The client address from X-Forwarded-For is taken by the app itself when
# FIELDWORK_TRUSTED_PROXIES=1 (see env.example).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Threads per worker: 1 by default, gunicorn's plain sync worker. A request is mostly CPU in
# Python (Flask, marshmallow, SQLAlchemy), so threads in one process queue for the
# interpreter lock and switch in its middle: on 2 cores,
# 4 workers of 4 threads captured 125/s and sync workers 164/s, with the same p95 under the
# 100-user load (bench/README.md). nginx buffers the request and the answer (a phone on one
# bar of signal never holds a worker). GUNICORN_THREADS above 1 gives the gthread worker.
threads = int(os.environ.get("GUNICORN_THREADS") or 1)

# Bounded requests: PostgreSQL cancels a web request's statement after
# FIELDWORK_DB_STATEMENT_TIMEOUT_MS (default 15 s, see fieldwork/config.py), so no request
# keeps a worker and a database backend busy long after its client gave up. gunicorn's worker
# timeout is 5 s above it: a sync worker (the default) still busy with one request then is
# killed and replaced; a gthread worker is killed only when its process as a whole
# hangs (its main loop reports alive while a thread works), so there the statement timeout is
# the bound. GUNICORN_TIMEOUT overrides it; with the statement timeout off (0) gunicorn's
# default of 30 s applies. A restart gives running requests as long (graceful_timeout).
_statement_ms = int(
    os.environ.get("FIELDWORK_DB_STATEMENT_TIMEOUT_MS") or DEFAULTS["DB_STATEMENT_TIMEOUT_MS"]
)
_derived = math.ceil(_statement_ms / 1000) + 5 if _statement_ms else 30
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or _derived)
graceful_timeout = timeout
