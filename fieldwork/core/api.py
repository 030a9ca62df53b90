"""flask-smorest's Api, with our own error format instead of its app-wide handler."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Api as SmorestApi


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Machine-readable error code"})
    message = ma.fields.String(metadata={"description": "Human-readable message"})
    fields = ma.fields.Dict(metadata={"description": "Per-field messages"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema)


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # fieldwork.core.errors renders JSON for /api and HTML pages elsewhere
        pass
