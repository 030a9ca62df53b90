"""Extension instances, unbound; ``create_app`` binds them. Also flask-smorest's Api, with our
own error format instead of its app-wide handler."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from celery import Celery, Task
from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

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


db = SQLAlchemy(model_class=Base)
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
