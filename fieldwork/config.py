"""Configuration: safe defaults for the embedded mode, then the environment.

Plain names (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``MAIL_*``) are what an
operator sets; ``FIELDWORK_*`` overrides any other key (``FIELDWORK_SESSION_COOKIE_SECURE=false``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from celery.schedules import crontab
from kombu import Queue

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # PostgreSQL cancels a web request's statement running longer than this (ms; 0: never).
    # Celery tasks and flask commands get no such bound (fieldwork.extensions.Database).
    # deploy/gunicorn.conf.py sets gunicorn's worker timeout a little above it.
    "DB_STATEMENT_TIMEOUT_MS": 15_000,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SECURE": True,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "BABEL_DEFAULT_LOCALE": "nl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    "LANGUAGES": ["nl", "en"],
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "RATELIMIT_HEADERS_ENABLED": True,
    # A Redis outage must not lock everybody out: limits pause, logins keep working.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "API_TOKEN_DAYS": 30,
    # a referral onward a partner has not answered: remind them after this many working days
    "ONWARD_REMINDER_WORKING_DAYS": 3,
    # how long the link in a partner's e-mail works (each reminder carries a fresh one)
    "ONWARD_LINK_DAYS": 30,
    # werkzeug's method string; only the test configuration picks a cheaper one.
    "PASSWORD_HASH_METHOD": "scrypt",
    # The public 'Ik wil helpen' form: per address, and how soon a person can have filled it
    # in (a bot posts at once; a person takes more than a few seconds).
    "HELP_FORM_RATE_LIMIT": "5 per hour;20 per day",
    "HELP_FORM_MIN_SECONDS": 3,
    # Photo uploads without an account, per address; the request size bound leaves room for
    # the form fields around a 15 MB photo (the photo's own bound says so clearly).
    "PHOTO_UPLOAD_RATE_LIMIT": "30 per hour;100 per day",
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # Files (photos): "local" keeps them under STORAGE_DIR (default instance/storage); "s3"
    # in an S3-compatible bucket (S3_BUCKET, S3_ENDPOINT_URL, S3_REGION, S3_ACCESS_KEY_ID,
    # S3_SECRET_ACCESS_KEY).
    "STORAGE_BACKEND": "local",
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto may be trusted (nginx: 1).
    "TRUSTED_PROXIES": 0,
    "TASK_QUEUE": "fieldwork",
    # Failed publishes of one outbox message before it is dead-lettered ("Storingen" page,
    # /healthz degraded); beat re-sends every minute, so 5 is about five minutes.
    "OUTBOX_MAX_ATTEMPTS": 5,
    # How long Redis lets a worker hold a delivered, unacknowledged message before giving it
    # to another worker (kombu's default is an hour: a killed worker's tasks waited that
    # long). Longer than the longest task and any retry countdown; see README "Workers".
    "BROKER_VISIBILITY_TIMEOUT": 300,
    # The reconciliation sweep (fieldwork.core.reconcile): an effect still missing this many
    # seconds after its capture, with no message for it younger than that, is re-enqueued —
    # at most RECONCILE_MAX_ENQUEUES messages per item, then it is left to the coordinator.
    "RECONCILE_AFTER_SECONDS": 300,
    "RECONCILE_MAX_ENQUEUES": 10,
    # A job (PDF, import, report) still "running" this long after it started was cut off.
    "RECONCILE_RUNNING_AFTER_SECONDS": 1800,
    # Where residents' and referrers' phones reach this site: printed in QR codes and links.
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "STATBEL_DIR": str(ROOT / "data" / "statbel"),
    # Background tiles for the analysis map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png
    # (mind the tile server's usage policy). Unset: the neighbourhoods on a plain background,
    # nothing fetched from elsewhere.
    "MAP_TILES_URL": "",
    "MAP_TILES_ATTRIBUTION": "",
    "MAIL_SERVER": None,  # unset: notifications go to the in-app inbox only
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "fieldwork@localhost",
    # flask-smorest: the OpenAPI document lives at /api/openapi.json
    "API_TITLE": "fieldwork",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
}

PLAIN_ENV_KEYS = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "PUBLIC_BASE_URL",
    "STORAGE_BACKEND",
    "STORAGE_DIR",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "MAP_TILES_URL",
    "MAP_TILES_ATTRIBUTION",
)
MAIL_KEYS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
)


def database_uri(url: str | None, instance_path: str) -> str:
    """SQLAlchemy URI for ``DATABASE_URL``; SQLite in ``instance/`` when unset."""
    if not url:
        return f"sqlite:///{Path(instance_path) / 'fieldwork.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _parse_env_value(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    if raw.isdigit():
        return int(raw)
    return raw


def load_environment(config: dict[str, Any], environ: os._Environ[str] | dict[str, str]) -> None:
    """Copy the operator's plain environment variables into the config."""
    for key in PLAIN_ENV_KEYS:
        if environ.get(key):
            config[key] = environ[key]
    for key in MAIL_KEYS:
        if environ.get(key):
            # Only the port and the TLS switch are not strings: a password stays a password.
            raw = environ[key]
            config[key] = _parse_env_value(raw) if key in ("MAIL_PORT", "MAIL_USE_TLS") else raw


def ensure_secret_key(config: dict[str, Any], instance_path: str) -> str | None:
    """Use SECRET_KEY from the environment; the embedded mode keeps a generated one in
    ``instance/secret_key`` (never in the repository). Returns a warning or None."""
    if config.get("SECRET_KEY"):
        return None
    if config.get("DATABASE_URL"):
        raise RuntimeError("SECRET_KEY must be set in the environment when DATABASE_URL is set")
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    config["SECRET_KEY"] = path.read_text().strip()
    return f"SECRET_KEY not set: using the generated key in {path} (embedded mode only)"


# Slow jobs on a queue of their own ("<TASK_QUEUE>.batch"), so that printing 10,000 cards or
# importing a target list never delays routing a signal or an urgent e-mail; everything else
# (routing, notifications, counts, the periodic ticks) is on the fast queue, TASK_QUEUE.
BATCH_TASKS = (
    "referrals.render_series_pdf",
    "referrals.clean_strip_photo",
    "photos.process",
    "visits.import_targets",
    "calls.import_list",
    "reports.import_indicators",
    "reports.render_report",
    "reports.rebuild_rollups",
    "partners.render_menu_card",
    "plans.render_document",
)


def batch_queue(config: dict[str, Any]) -> str:
    return f"{config['TASK_QUEUE']}.batch"


def celery_config(config: dict[str, Any]) -> dict[str, Any]:
    """Celery settings: a real broker with REDIS_URL, otherwise tasks run in-process."""
    redis_url = config.get("REDIS_URL")
    batch = batch_queue(config)
    common = {
        "task_default_queue": config["TASK_QUEUE"],
        # a worker started without -Q consumes both; deploy/ runs one of each
        "task_queues": (Queue(config["TASK_QUEUE"]), Queue(batch)),
        "task_routes": {name: {"queue": batch} for name in BATCH_TASKS},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "timezone": config["BABEL_DEFAULT_TIMEZONE"],
        "broker_connection_retry_on_startup": True,
        # A capture must not hang on a dead broker: give up fast, the outbox re-sends.
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "broker_transport_options": {
            # a killed worker's messages go to another worker after this (default 5 min);
            # each worker looks for such messages every 10 s (kombu's default throttle would
            # make that every 100 s)
            "visibility_timeout": int(config["BROKER_VISIBILITY_TIMEOUT"]),
            "unacked_restore_interval": 10,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 2,
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
        "beat_schedule": {
            "flush-outbox": {"task": "fieldwork.core.flush_outbox", "schedule": 60.0},
            # effects, not publishes: what the broker or a killed worker lost is sent again
            "reconcile-effects": {"task": "fieldwork.core.reconcile", "schedule": 120.0},
            "check-deadlines": {"task": "cases.check_deadlines", "schedule": 900.0},
            "goodmorning-calls": {"task": "calls.goodmorning_tick", "schedule": 60.0},
            "buurtgezel-follow-ups": {"task": "volunteers.match_follow_ups", "schedule": 3600.0},
            "strip-photos": {"task": "referrals.requeue_strip_photos", "schedule": 300.0},
            "onward-reminders": {"task": "onward.remind", "schedule": 3600.0},
            "seal-audit-log": {"task": "audittrail.seal", "schedule": 300.0},
            "rebuild-rollups": {
                "task": "reports.rebuild_rollups",
                "schedule": crontab(hour=3, minute=30),
            },
            # after the rollups: the retention purge keeps every count (README, Privacy)
            "privacy-purge": {"task": "privacy.purge", "schedule": crontab(hour=4, minute=15)},
        },
    }
    if redis_url:
        return {
            **common,
            "broker_url": redis_url,
            "result_backend": redis_url,
            "task_always_eager": False,
            "result_expires": 3600,
        }
    return {
        **common,
        "broker_url": "memory://localhost/",
        "result_backend": "cache+memory://",
        "task_always_eager": True,
        "task_eager_propagates": True,
        "task_store_eager_result": True,
    }
