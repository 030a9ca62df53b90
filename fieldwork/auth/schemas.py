from __future__ import annotations

import marshmallow as ma


class TokenRequestSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    password = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=200), load_only=True
    )


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)
    token_type = ma.fields.String(dump_default="Bearer")
    expires_at = ma.fields.DateTime()


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.Email()
    name = ma.fields.String()
    role = ma.fields.String()
    active = ma.fields.Boolean()
