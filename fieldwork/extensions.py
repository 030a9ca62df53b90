"""Extension instances, unbound; ``create_app`` binds them. Also flask-smorest's Api, with our
own error format instead of its app-wide handler."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from celery import Celery, Task
from flask import Flask, has_request_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from fieldwork.config import celery_config
from fieldwork.db import Base


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Machine-readable error code"})
    message = ma.fields.String(metadata={"description": "Human-readable message"})
    # Named "fields" in the document; not as an attribute, where it would shadow Schema.fields.
    fields_ = ma.fields.Dict(
        data_key="fields", attribute="fields", metadata={"description": "Per-field messages"}
    )


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema)


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # fieldwork.core.errors renders JSON for /api and HTML pages elsewhere
        pass


STATEMENT_TIMEOUT_KEY = "fieldwork_statement_timeout_ms"


class Database(SQLAlchemy):
    """Flask-SQLAlchemy with a PostgreSQL ``statement_timeout`` for web requests.

    A connection checked out inside a request gets ``DB_STATEMENT_TIMEOUT_MS``
    (``FIELDWORK_DB_STATEMENT_TIMEOUT_MS``; 0 turns it off): PostgreSQL cancels a statement
    that runs longer, so a request whose client gave up long ago does not keep a worker and a
    backend busy. Outside a request (Celery tasks, ``flask`` commands such as the rollup
    rebuild) a connection has the server's own setting: they may take minutes. The setting is
    sent only when a connection changes side, not on every checkout."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        with app.app_context():
            engines = list(self.engines.values())
        for engine in engines:
            if engine.dialect.name == "postgresql":
                event.listen(engine, "checkout", _statement_timeout(app))


def _statement_timeout(app: Flask) -> Any:
    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        wanted = int(app.config.get("DB_STATEMENT_TIMEOUT_MS") or 0) or None
        if not has_request_context():
            wanted = None
        if record.info.get(STATEMENT_TIMEOUT_KEY) == wanted:
            return
        cursor = dbapi_connection.cursor()
        try:
            if wanted is None:
                cursor.execute("RESET statement_timeout")
            else:
                cursor.execute(f"SET statement_timeout = {wanted:d}")
        finally:
            cursor.close()
        # A SET is undone with the transaction it ran in: commit it for the connection's life.
        dbapi_connection.commit()
        if wanted is None:
            record.info.pop(STATEMENT_TIMEOUT_KEY, None)
        else:
            record.info[STATEMENT_TIMEOUT_KEY] = wanted

    return on_checkout


db = Database(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(get_remote_address)
api = Api()


def celery_init_app(app: Flask) -> Celery[Any]:
    """Celery bound to this Flask app: every task runs inside an app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(app.config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
