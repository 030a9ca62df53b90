"""Gunicorn settings for fieldwork: `gunicorn -c deploy/gunicorn.conf.py 'fieldwork:create_app()'`.

Serves on 127.0.0.1:8000 behind nginx (deploy/nginx.conf). Override the worker count with
WEB_CONCURRENCY; options given on the command line win over this file (the Docker image
uses `-b 0.0.0.0:8000`).
"""

import multiprocessing
import os

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

# Threads per worker (gunicorn's gthread worker when above 1): a request mostly waits for
# PostgreSQL (a commit waits for the disk), and a waiting thread lets another request use the
# process. GUNICORN_THREADS overrides; 1 gives the plain sync worker.
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
