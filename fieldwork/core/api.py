"""flask-smorest's Api, with our own error format instead of its app-wide handler."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Api as SmorestApi


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
