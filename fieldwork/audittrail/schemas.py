"""The audit trail's JSON shape (for the OpenAPI document and the answer)."""

from __future__ import annotations

import marshmallow as ma


class AuditUserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)


class AuditItemSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = ma.fields.String(required=True, metadata={"description": "ISO 8601, UTC."})
    user = ma.fields.Nested(AuditUserSchema, allow_none=True)
    action = ma.fields.String(required=True)
    action_label = ma.fields.String(required=True, metadata={"description": "In plain words."})
    subject_type = ma.fields.String(required=True)
    subject_id = ma.fields.String(allow_none=True)
    case_id = ma.fields.Integer(allow_none=True)
    resident_id = ma.fields.Integer(allow_none=True)
    detail = ma.fields.Dict(metadata={"description": "Ids, codes and field names only."})
    ip = ma.fields.String(allow_none=True)


class AuditPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditItemSchema), required=True)
    per_page = ma.fields.Integer(required=True)
    next = ma.fields.String(
        allow_none=True, metadata={"description": "The next (older) page, or null."}
    )
